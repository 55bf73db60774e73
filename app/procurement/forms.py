"""What the tender and contract forms share: a payment model typed or pasted as JSON."""

from __future__ import annotations

import json

from flask_babel import gettext as _
from wtforms.validators import ValidationError

from contracts.model import ModelError, PaymentModel


def parse_payment_model(field, text: str) -> dict | None:
    """The model in ``text`` if it is valid JSON and a valid payment model; otherwise every problem
    (``path: message``) goes to ``field`` and None comes back."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(_("Geen geldige JSON (regel %(line)s, kolom %(col)s): %(msg)s",
                                line=exc.lineno, col=exc.colno, msg=exc.msg)) from None
    try:
        PaymentModel.from_dict(data)
    except ModelError as exc:
        field.errors.extend(f"{path}: {message}" for path, message in exc.problems)
        return None
    return data
