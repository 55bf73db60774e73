"""Every number, percentage, amount and date the app shows, in one notation per language.

Why one module. Figures used to be formatted where they were shown: ``"%.2f"`` on the comparison ("1.38"
beside "40,0%"), raw Decimals on the targets page ("64.00"), Babel's short date, which in English is the
American ``12/3/26``, next to a ``dd-mm-yyyy`` written by hand in the same row. Here each kind of value has
one function, on Babel and following the user's language; :func:`init_app` registers them as the Jinja
filters (``number``, ``percent``, ``money``, ``days``, ``dateformat``, ``datetimeformat``) that every
template uses, and Python code that writes text for people (PDF, messages) calls the same functions.

Dates are day-first in both languages, with the year in full: ``03-12-2026`` in Dutch, ``03/12/2026`` in
English (the British order: the product is Dutch, its English readers read Dutch dates). Times are shown
in the configured time zone (Europe/Amsterdam) by flask-babel's conversion.
"""

from __future__ import annotations

from datetime import date as Date
from datetime import datetime as DateTime
from decimal import Decimal

from flask import Flask
from flask_babel import format_currency, format_date, format_datetime, format_decimal, format_percent, get_locale
from flask_babel import gettext as _

NONE = "—"

# Date patterns per style and language (CLDR syntax). Anything not listed falls back to Dutch.
DATE_PATTERNS = {
    "short": {"nl": "dd-MM-yyyy", "en": "dd/MM/yyyy"},
    "medium": {"nl": "d MMM yyyy", "en": "d MMM yyyy"},
    "long": {"nl": "d MMMM yyyy", "en": "d MMMM yyyy"},
}
TIME_PATTERN = "HH:mm"


def _language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "nl"


def _pattern(style: str) -> str:
    if style not in DATE_PATTERNS:
        raise ValueError(f"unknown date style {style!r} (use {', '.join(DATE_PATTERNS)})")
    patterns = DATE_PATTERNS[style]
    return patterns.get(_language(), patterns["nl"])


def _digits(places: int) -> str:
    return "#,##0" + ("." + "0" * places if places else "")


def number(value: Decimal | int | None, places: int | None = None) -> str:
    """A number with grouping; ``places`` fixes the decimals (2 gives ``1,38``), otherwise up to three."""
    if value is None:
        return NONE
    return format_decimal(value, _digits(places) if places is not None else "#,##0.###")


def percent(share: Decimal | None, places: int = 1) -> str:
    """A share (0..1) as a percentage: ``63,8%`` (``63.8%`` in English)."""
    if share is None:
        return NONE
    return format_percent(share, _digits(places) + "%")


def percent_points(value: Decimal | None, places: int = 1) -> str:
    """A value already in percent (a target of 38 means 38%), in the notation of :func:`percent`."""
    return percent(value / 100 if value is not None else None, places)


def money(amount: Decimal | None) -> str:
    """Euros: ``€ 2.500,00`` in Dutch, ``€2,500.00`` in English; no amount is ``—``, never ``€ 0,00``."""
    return format_currency(amount, "EUR") if amount is not None else NONE


def days(value: Decimal | int | None) -> str:
    """A (median) number of days: ``14,5 d``."""
    if value is None:
        return NONE
    return _("%(d)s d", d=format_decimal(value, "#,##0.#"))


def date(value: Date | None, style: str = "short") -> str:
    """A date in one of the styles ``short`` (03-12-2026), ``medium`` (3 dec. 2026), ``long`` (3 december 2026)."""
    if value is None:
        return NONE
    return format_date(value, _pattern(style))


def datetime(value: DateTime | None, style: str = "short") -> str:
    """A moment as :func:`date` writes the day, with the time: ``03-12-2026 14:05`` (Amsterdam time)."""
    if value is None:
        return NONE
    return format_datetime(value, f"{_pattern(style)} {TIME_PATTERN}")


def init_app(app: Flask) -> None:
    """Register the filters, after flask-babel: ``dateformat`` and ``datetimeformat`` replace its own."""
    app.jinja_env.filters.update(number=number, percent=percent, percent_points=percent_points, money=money,
                                 days=days, dateformat=date, datetimeformat=datetime)
    app.jinja_env.globals.update(money=money)
