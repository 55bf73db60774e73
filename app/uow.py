"""The unit of work: the one way an action that changes data is run, and the one mapping of its refusals.

Every POST does the same four things: call a service, commit what it did as one transaction, or roll back
everything and tell the user why. Written out in each view, that was a try/commit/except/rollback block with
its own wording per area, and some views forgot the race (a unique constraint) or the stale read (a version
counter). Here it is once:

- :func:`attempt` runs the action, commits, and on a refusal rolls back and puts the message where the user
  looks: at the field the rule names, else at the field the view chose, else above the form, else in a flash;
- a :class:`~contracts.messages.DomainError` of any area, an ``IntegrityError`` (a duplicate that slipped past
  a check in a race) and a ``StaleDataError`` (someone else changed the row between our read and our write) are
  the three refusals; anything else is a bug and reaches the error handler as a 500;
- :func:`api_refusal` gives the same refusal as a 4xx JSON body with a machine-readable code.

Services never commit; the CLI commands and the demo loaders, which are not requests, commit through
:func:`committed`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import flash, jsonify
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.db import session
from app.i18n import translate
from contracts.messages import DomainError

T = TypeVar("T")


@dataclass
class Outcome(Generic[T]):
    """What :func:`attempt` did: the action's value when it was stored, or the refusal shown to the user."""

    value: T | None = None
    refusal: str | None = None
    code: str | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None


def attempt(action: Callable[[], T], *, form: Any = None, field: str | None = None,
            conflict: str | None = None) -> Outcome[T]:
    """Run ``action`` and commit it as one transaction, or store nothing and show why.

    ``field`` is the form field a refusal belongs to when the rule names none (or one the form lacks);
    ``conflict`` is the message for a unique-constraint race, when the view can say more than "it clashes".
    """
    try:
        value = action()
        session.commit()
    except DomainError as error:
        session.rollback()
        return _refused(translate(error.message), error.code, form, error.field, field)
    except StaleDataError:
        session.rollback()
        return _refused(_("Iemand anders heeft dit net gewijzigd; bekijk het opnieuw."), "stale", form, None, field)
    except IntegrityError:
        session.rollback()
        message = conflict or _("De gegevens konden niet worden opgeslagen: ze botsen met een ander record.")
        return _refused(message, "conflict", form, None, field)
    return Outcome(value=value)


def _refused(message: str, code: str, form: Any, named: str | None, fallback: str | None) -> Outcome:
    if form is None:
        flash(message, "error")
        return Outcome(refusal=message, code=code)
    for name in (named, fallback):
        if name and name in form:
            form[name].errors = [*form[name].errors, message]
            break
    else:
        form.form_errors.append(message)
    return Outcome(refusal=message, code=code)


def api_refusal(error: DomainError, status: int = 422):
    """A refusal as the API answers it: the machine-readable code, the message, and the field if one is named."""
    body: dict[str, Any] = {"error": error.code, "message": translate(error.message)}
    if error.field:
        body["field"] = error.field
    return jsonify(body), status


@contextmanager
def committed() -> Iterator[None]:
    """For work outside a request (CLI commands, demo loaders): commit at the end, roll back on any error."""
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
