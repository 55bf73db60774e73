"""Numbers and dates as people write them, in a form or in a file: one reader of each for the whole app.

Before, a form's amount went through Babel while the imports had their own regular expressions and a score
field replaced a comma by a point, so "12.5" was twelve and a half in one place and refused in another. Now
every reader calls :func:`parse_number` (and :func:`parse_amount` for euros), which asks Babel for the
number strictly in the writer's language first (the user's language in a form, Dutch in a file) and then in
the other one, so ``1.234,56``, ``1234,56``, ``1234.56`` and ``1,234.56`` are all read, while ``12.34.5``,
``1,2,3`` and ``1 234`` are refused instead of guessed. Where both languages could read a number
(``1.234``), the writer's language decides. What cannot be read raises a :class:`ParseError` with a message
for the user; the caller puts it at its field or cell.

Traject references: ``T000012``, ``t12`` or ``12``, as a spreadsheet or a provider writes them.

Dates: ``dd-mm-jjjj`` as people type them and ISO (``jjjj-mm-dd``) as ``<input type=date>`` and
spreadsheets send them, through :data:`DATE_FORMATS` and :func:`parse_date`.

JSON typed in a form or uploaded (a payment model, a simulation's trajecten): :func:`parse_json`, which refuses
what Python's reader would let through or break on, NaN, Infinity and nesting too deep to read.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.numbers import NumberFormatError, parse_decimal

from app.scoping import MAX_ID
from contracts.messages import N_, DomainError, Message

# The first is also how a form writes a date back into <input type=date>, which takes nothing else.
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y")
LANGUAGES = ("nl", "en")
CENT = Decimal("0.01")

# Digits with group and decimal marks only: Babel would also read "NaN", "Infinity" and "1E5".
_WRITTEN_NUMBER = re.compile(r"[+-]?\d[\d.,]*")
_TRAJECT_NUMBER = re.compile(r"[Tt]?0*(\d{1,10})")
_NOISE = str.maketrans({"€": None, " ": None, "\u00a0": None, "\u202f": None, "\u2212": "-"})

BAD_NUMBER = N_("Vul een getal in, bijvoorbeeld 32 of 32,5.")
BAD_AMOUNT = N_("Vul een bedrag in euro's in, bijvoorbeeld 1.234,56.")
TWO_DECIMALS = N_("Hoogstens twee cijfers achter de komma.")
AMOUNT_DECIMALS = N_("Een bedrag heeft hoogstens twee cijfers achter de komma.")
NEGATIVE_AMOUNT = N_("Een bedrag kan niet negatief zijn.")
BAD_DATE = N_("Vul een geldige datum in, bijvoorbeeld 31-12-2026 of 2026-12-31.")
TOO_LARGE = N_("Dit getal is te groot.")
AMOUNT_TOO_LARGE = N_("Dit bedrag is te groot.")
BAD_JSON = N_("Geen geldige JSON (regel %(line)s, kolom %(col)s): %(msg)s")
JSON_NOT_A_NUMBER = N_("Geen geldige JSON: NaN en Infinity zijn geen getallen.")
JSON_TOO_DEEP = N_("Geen geldige JSON: te diep genest.")
MAX_JSON_DEPTH = 64

# The widest number column is Numeric(12, 2): ten digits before the comma. Larger is never a real amount,
# count or rate here, and would overflow the column (PostgreSQL) or the money arithmetic.
MAX_NUMBER = Decimal("9999999999.99")


class ParseError(DomainError):
    """A number, amount or date that cannot be read; ``message`` says how to write it."""

    code = "unreadable_value"


def parse_number(text: str, locale: str = "nl") -> Decimal:
    """The number ``text`` says, read strictly in ``locale`` and else in the other language.

    A euro sign and spaces around or inside the number are ignored (Excel writes "€ 1.234,56"), but a space
    as a group separator is not read: "1 234" might be two numbers.
    """
    written = text.strip()
    cleaned = written.translate(_NOISE)
    if " " not in written.strip("€ \u00a0") and _WRITTEN_NUMBER.fullmatch(cleaned):
        preferred = locale.split("_")[0].lower()
        for language in sorted(LANGUAGES, key=lambda lang: lang != preferred):
            try:
                number = parse_decimal(cleaned, locale=language, strict=True)
            except NumberFormatError:
                continue
            if abs(number) > MAX_NUMBER:
                raise ParseError(Message(TOO_LARGE))
            return number
    raise ParseError(Message(BAD_NUMBER))


def parse_amount(text: str, locale: str = "nl", *, negative: bool = False) -> Decimal:
    """An amount in euros: a number with at most two decimals, in cents; negative only when ``negative``."""
    try:
        number = parse_number(text, locale)
    except ParseError as error:
        too_large = error.message.template == TOO_LARGE
        raise ParseError(Message(AMOUNT_TOO_LARGE if too_large else BAD_AMOUNT)) from None
    if number < 0 and not negative:
        raise ParseError(Message(NEGATIVE_AMOUNT))
    if number.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ParseError(Message(AMOUNT_DECIMALS))
    return number.quantize(CENT)


def parse_date(text: str) -> date:
    """A date written as dd-mm-jjjj or jjjj-mm-dd."""
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    raise ParseError(Message(BAD_DATE))


def traject_number(text: str) -> int | None:
    """``T000012``, ``t12`` and ``12`` all mean traject 12 (a traject's reference is ``T`` and six digits)."""
    match = _TRAJECT_NUMBER.fullmatch(text.strip())
    number = int(match.group(1)) if match else None
    return number if number is not None and 0 < number <= MAX_ID else None


class _NotANumber(ValueError):
    pass


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e400 is read as infinity
        raise _NotANumber(text)
    return number


def _refuse_constant(text: str) -> Any:
    raise _NotANumber(text)


def _depth(value: Any) -> int:
    """How deeply ``value`` nests, counted without recursion so that no input can exhaust the stack."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def parse_json(text: str | bytes) -> Any:
    """The value ``text`` holds as JSON, with finite numbers only and at most :data:`MAX_JSON_DEPTH` levels of
    nesting (a payment model needs five); otherwise a :class:`ParseError` that says why."""
    try:
        value = json.loads(text, parse_float=_finite, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise ParseError(Message(BAD_JSON, line=error.lineno, col=error.colno, msg=error.msg)) from None
    except _NotANumber:
        raise ParseError(Message(JSON_NOT_A_NUMBER)) from None
    except (RecursionError, UnicodeDecodeError):
        raise ParseError(Message(JSON_TOO_DEEP)) from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise ParseError(Message(JSON_TOO_DEEP))
    return value
