"""What the tender and contract forms share: a payment model typed or pasted as JSON."""

from __future__ import annotations

from wtforms.validators import ValidationError

from app.i18n import translate
from app.parsing import ParseError, parse_json
from contracts.model import ModelError, PaymentModel


def parse_payment_model(field, text: str) -> dict | None:
    """The model in ``text`` if it is valid JSON and a valid payment model; otherwise every problem
    (``path: message``) goes to ``field`` and None comes back."""
    try:
        data = parse_json(text)
    except ParseError as error:
        raise ValidationError(translate(error.message)) from None
    try:
        PaymentModel.from_dict(data)
    except ModelError as exc:
        field.errors.extend(f"{path}: {message}" for path, message in exc.problems)
        return None
    return data
