"""What every register view shares: duplicate checks with a field-level message, and saving.

A save is one transaction: the record and its audit entries are committed together, or, when the
database refuses (a duplicate that slipped past the check in a race), nothing is stored and the
form shows the message at the field.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from wtforms import Form

from app.db import session


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


def validate_submission(form: Form, exclude_id: int | None, unique: dict[str, tuple[Any, Any]]) -> bool:
    """Validate a POSTed form and its unique fields together, so that the user sees every problem at once.

    ``unique`` maps a field name to ``(column, message)``.
    """
    if not form.is_submitted():
        return False
    ok = form.validate()
    for field_name, (column, message) in unique.items():
        ok = check_unique(form, field_name, column, exclude_id, message) and ok
    return ok


def commit_form(form: Form, unique_fields: dict[str, Any] | None = None) -> bool:
    """Commit the unit of work; on a unique-constraint race put the error at the field instead."""
    try:
        session.commit()
        return True
    except IntegrityError as exc:
        session.rollback()
        detail = str(exc.orig).lower()
        for field_name, message in (unique_fields or {}).items():
            if field_name in detail:
                form[field_name].errors = [*form[field_name].errors, str(message)]
                return False
        form.form_errors.append(str(_l("De gegevens konden niet worden opgeslagen: ze botsen met een ander record.")))
        return False


def optional_select_value(value: Any) -> int | None:
    """Select fields use 0 for 'none chosen'; the database wants NULL."""
    return int(value) or None if value not in (None, "") else None


class DeleteForm(FlaskForm):
    """Only the CSRF token: deleting needs a POST from our own page."""
