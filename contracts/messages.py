"""Messages of the pure packages: Dutch text that the app can still show in the user's language."""

from __future__ import annotations


class Message(str):
    """A Dutch message that the app can translate: it is the Dutch text, and carries its template
    (a msgid, marked with :func:`N_`) and parameters so that the app can render it in English."""

    template: str
    params: dict

    def __new__(cls, template: str, **params: object) -> Message:
        shown = {k: ", ".join(map(str, v)) if isinstance(v, list | tuple) else v for k, v in params.items()}
        message = super().__new__(cls, template % shown if params else template)
        message.template = template
        message.params = params
        return message


def N_(text: str) -> str:
    """Marks a Dutch text for the app's translation catalog; the pure package never translates."""
    return text
