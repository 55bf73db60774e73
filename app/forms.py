"""The form kernel every area shares: the base form that screens what a browser sends, unique fields checked
with a message at the field, and saving a form.

Every form of the app is an :class:`AppForm`. Before any field reads its value, the form refuses what no
person types and no column stores: a file part sent where the form expects text, a NUL byte or another
control character (PostgreSQL refuses NUL in text, and none of them belongs in a name or a note), and after
reading it an integer beyond the range of an integer column (a database id or a count). Each gets a message at
its field, the form does not validate, and nothing reaches the database: one rule for every field of every form,
instead of one per field that someone has to remember.

A save goes through the unit of work (:func:`app.uow.attempt`): the record and its audit entries are committed
together, or nothing is stored and the form shows why. The one thing a form adds to that mapping is the
duplicate that slipped past :func:`validate_submission` in a race: the database refuses it with a unique
constraint, and the user should read the message at the field that clashes, not a general one above the form.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import FileField, Form
from wtforms.fields.choices import SelectFieldBase
from wtforms.validators import StopValidation, ValidationError

from app.db import session
from app.i18n import translate
from app.scoping import MAX_ID
from app.uow import Outcome, attempt
from contracts.messages import DomainError

T = TypeVar("T")

# C0 control characters except tab, line feed and carriage return (a text area sends CR LF), and DEL.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MIN_INTEGER, MAX_INTEGER = -MAX_ID - 1, MAX_ID  # an integer column (PostgreSQL's and the ids SQLite hands out)

FILE_NOT_TEXT = _l("Hier hoort tekst, geen bestand.")
CONTROL_CHARACTER = _l("Dit veld bevat een teken dat niet getypt kan worden (zoals een NUL-teken); haal het weg.")
INTEGER_OUT_OF_RANGE = _l("Dit getal is te groot om op te slaan.")
NOT_IN_THE_LIST = _l("Kies een waarde uit de lijst.")


def screen_formdata(form: Form, formdata: Any) -> tuple[MultiDict, dict[str, str]]:
    """What the fields of ``form`` may read from ``formdata``, and the message for each field that was sent
    something it must refuse. A refused file part is left out; a control character is taken out, so that the
    field's own validators still judge the rest."""
    file_fields = {field.name for field in form if isinstance(field, FileField)}
    screened: MultiDict = MultiDict()
    refused: dict[str, str] = {}
    for name in dict.fromkeys(formdata.keys()):
        for value in formdata.getlist(name):
            if name not in file_fields:
                if isinstance(value, FileStorage):
                    refused[name] = str(FILE_NOT_TEXT)
                    continue
                if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
                    refused.setdefault(name, str(CONTROL_CHARACTER))
                    value = CONTROL_CHARACTERS.sub("", value)
            screened.add(name, value)
    return screened, refused


def beyond_an_integer_column(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and not MIN_INTEGER <= value <= MAX_INTEGER


def _integer_out_of_range(data: Any) -> bool:
    return any(beyond_an_integer_column(v) for v in (data if isinstance(data, list | tuple) else [data]))


class AppForm(FlaskForm):
    """The base of every form: what a browser sends is screened before the fields read it (see the module)."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            data = super().wrap_formdata(form, formdata)
            if data is None or not hasattr(data, "getlist"):
                return data
            screened, form._refused_input = screen_formdata(form, data)
            return screened

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        self._refused_input: dict[str, str] = {}
        super().process(formdata, obj, data, extra_filters, **kwargs)
        for field in self:
            message = self._refused_input.get(field.name)
            if message is None and _integer_out_of_range(field.data):
                choice = isinstance(field, SelectFieldBase)  # an id no row can have: no choice of the list
                message, field.data = str(NOT_IN_THE_LIST if choice else INTEGER_OUT_OF_RANGE), None
            if message is not None:
                field.pre_validate = _refuse(message)  # type: ignore[method-assign]


def _refuse(message: str) -> Callable[[Any], None]:
    """A field's first check that stops it with ``message``: its other validators and the form's
    ``validate_<field>`` never see a value that was refused before it was read (they would query with it)."""

    def refuse(_form: Any) -> None:
        raise StopValidation(message)

    return refuse


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


class DeleteForm(AppForm):
    """Only the CSRF token: deleting needs a POST from our own page."""
