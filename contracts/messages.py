"""Messages of the pure packages: Dutch text that the app can still show in the user's language."""

from __future__ import annotations

from datetime import date


class Message(str):
    """A Dutch message that the app can translate: it is the Dutch text, and carries its template
    (a msgid, marked with :func:`N_`) and parameters so that the app can render it in English. A date is
    passed as a ``date``, not as text, so that the app writes it as it writes every other date."""

    template: str
    params: dict[str, object]

    def __new__(cls, template: str, **params: object) -> Message:
        shown = {k: ", ".join(map(str, v)) if isinstance(v, list | tuple) else
                 v.strftime("%d-%m-%Y") if isinstance(v, date) else v for k, v in params.items()}
        message = super().__new__(cls, template % shown if params else template)
        message.template = template
        message.params = params
        return message


def N_(text: str) -> str:
    """Marks a Dutch text for the app's translation catalog; the pure package never translates."""
    return text


class DomainError(ValueError):
    """A rule of the domain refused an action: the one base of every refusal the app shows to a user.

    ``message`` is what the user reads (a :class:`Message` where the text has a template, so that the app can
    show it in the user's language); ``field`` names the input to blame, when one is; ``code`` is the
    machine-readable reason an API answer carries. The web layer maps every subclass the same way (see
    ``app.uow``): to the field, to the form as a whole, to a flash, or to a 4xx JSON body.
    """

    code = "refused"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
