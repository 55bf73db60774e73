"""The form kernel every area shares: unique fields checked with a message at the field, and saving a form.

A save goes through the unit of work (:func:`app.uow.attempt`): the record and its audit entries are committed
together, or nothing is stored and the form shows why. The one thing a form adds to that mapping is the
duplicate that slipped past :func:`validate_submission` in a race: the database refuses it with a unique
constraint, and the user should read the message at the field that clashes, not a general one above the form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from wtforms import Form
from wtforms.validators import ValidationError

from app.db import session
from app.i18n import translate
from app.uow import Outcome, attempt
from contracts.messages import DomainError

T = TypeVar("T")


class DuplicateValue(DomainError):
    """Another record already holds this value of a unique field."""

    code = "duplicate"


def is_taken(column: Any, value: Any, exclude_id: int | None = None) -> bool:
    model = column.class_
    stmt = select(func.count()).select_from(model).where(column == value)
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    return bool(session.scalar(stmt))


def check_unique(form: Form, field_name: str, column: Any, exclude_id: int | None, message: Any) -> bool:
    """Add ``message`` to the field when another record already has this value."""
    field = form[field_name]
    if field.data and is_taken(column, field.data, exclude_id):
        field.errors = [*field.errors, str(message)]
        return False
    return True


def validate_submission(form: Form, exclude_id: int | None, unique: Mapping[str, tuple[Any, Any]]) -> bool:
    """Validate a POSTed form and its unique fields together, so that the user sees every problem at once.

    ``unique`` maps a field name to ``(column, message)``.
    """
    if not form.is_submitted():
        return False
    ok = form.validate()
    for field_name, (column, message) in unique.items():
        ok = check_unique(form, field_name, column, exclude_id, message) and ok
    return ok


def submit(form: Form, action: Callable[[], T], unique_fields: Mapping[str, Any] | None = None) -> Outcome[T]:
    """Run ``action`` in the unit of work; a unique-constraint race on one of ``unique_fields`` shows at that field.

    ``unique_fields`` maps a field name to its message. The action's changes are flushed inside the action, so
    that the database names the constraint while we can still tell which field it guards.
    """

    def action_and_flush() -> T:
        value = action()
        try:
            session.flush()
        except IntegrityError as error:
            detail = str(error.orig).lower()
            for field_name, message in (unique_fields or {}).items():
                if field_name in detail:
                    raise DuplicateValue(str(message), field=field_name) from error
            raise
        return value

    return attempt(action_and_flush, form=form)


def commit_form(form: Form, unique_fields: Mapping[str, Any] | None = None) -> bool:
    """Commit what the view changed in the session; on a refusal store nothing and show it on the form."""
    return submit(form, lambda: None, unique_fields).ok


@contextmanager
def refusal_as_field_error() -> Iterator[None]:
    """Inside a WTForms validator: a rule of the domain that refuses the value becomes this field's error.

    The form then shows every problem at once, while the rule itself stays in the domain package.
    """
    try:
        yield
    except DomainError as error:
        raise ValidationError(translate(error.message)) from error


def optional_select_value(value: Any) -> int | None:
    """Select fields use 0 for 'none chosen'; the database wants NULL."""
    return int(value) or None if value not in (None, "") else None


class DeleteForm(FlaskForm):
    """Only the CSRF token: deleting needs a POST from our own page."""
