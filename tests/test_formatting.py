"""One formatter for numbers, percentages, money and dates, in Dutch and in English, and the templates that
use it instead of formatting by hand."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from flask_babel import force_locale

from app import clock, formatting

NBSP = "\xa0"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.mark.parametrize(("language", "expected"), [
    ("nl", {"ratio": "1,38", "big": "1.234,5", "whole": "38", "share": "63,8%", "points": "64,0%",
            "money": f"€{NBSP}2.500,00", "days": "14,5 d", "short": "03-12-2026", "medium": "3 dec 2026",
            "long": "3 december 2026", "moment": "03-12-2026 14:05"}),
    ("en", {"ratio": "1.38", "big": "1,234.5", "whole": "38", "share": "63.8%", "points": "64.0%",
            "money": "€2,500.00", "days": "14.5 d", "short": "03/12/2026", "medium": "3 Dec 2026",
            "long": "3 December 2026", "moment": "03/12/2026 14:05"}),
])
def test_one_notation_per_language(ctx, language, expected):
    with force_locale(language):
        got = {"ratio": formatting.number(Decimal("1.3771"), 2), "big": formatting.number(Decimal("1234.5")),
               "whole": formatting.number(Decimal("38.00"), 0), "share": formatting.percent(Decimal("0.638")),
               "points": formatting.percent_points(Decimal("64.00")), "money": formatting.money(Decimal("2500")),
               "days": formatting.days(Decimal("14.5")), "short": formatting.date(date(2026, 12, 3)),
               "medium": formatting.date(date(2026, 12, 3), "medium").replace(".", ""),
               "long": formatting.date(date(2026, 12, 3), "long"),
               # 13:05 UTC is 14:05 in Amsterdam in winter.
               "moment": formatting.datetime(datetime(2026, 12, 3, 13, 5, tzinfo=UTC))}
    assert got == expected


def test_nothing_to_show_is_a_dash(ctx):
    assert {formatting.number(None), formatting.percent(None), formatting.money(None), formatting.days(None),
            formatting.date(None), formatting.datetime(None)} == {"—"}
    with pytest.raises(ValueError):
        formatting.date(date(2026, 1, 1), "yearly")


def test_the_templates_use_the_formatter_filters(app):
    for name in ("number", "percent", "percent_points", "money", "days"):
        assert app.jinja_env.filters[name] is getattr(formatting, name)
    assert app.jinja_env.filters["dateformat"] is formatting.date
    assert app.jinja_env.filters["datetimeformat"] is formatting.datetime
    assert app.jinja_env.globals["money"] is formatting.money


# Python's %-formats, rounding, strftime, and flask-babel's own filters, which bypass the one formatter.
HAND_FORMATTING = re.compile(r"""['"]%[-+ 0#]*\d*\.\d+[fdg]['"]|\|\s*round\b|strftime|format_date\(|"""
                             r"""format_decimal\(|format_percent\(|\|\s*format\(\s*[^)]*\.\d|"""
                             r"""[|(]\s*["']?(decimal|number|percent|currency|scientific|time)format\b""")


def test_no_template_formats_a_figure_by_hand():
    found = [f"{path.relative_to(TEMPLATES)}:{n}: {line.strip()}"
             for path in sorted(TEMPLATES.rglob("*.html"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if HAND_FORMATTING.search(line)]
    assert found == []


def test_a_date_in_a_domain_message_is_written_like_every_other_date(ctx):
    from app.i18n import translate
    from contracts.messages import N_, Message

    message = Message(N_("Trajectplan ingediend op %(date)s."), date=date(2026, 12, 3))
    assert message == "Trajectplan ingediend op 03-12-2026."
    with force_locale("en"):
        assert translate(message) == "Traject plan submitted on 03/12/2026."
    with force_locale("nl"):
        assert translate(message) == "Trajectplan ingediend op 03-12-2026."


US_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2}\b")
DUTCH_DATE = re.compile(r"\b\d{2}-\d{2}-\d{4}\b")
ENGLISH_DATE = re.compile(r"\b\d{2}/\d{2}/\d{4}\b")


def test_the_work_list_writes_every_date_in_one_notation_per_language(as_role, world):
    """A row shows when a signal is due and explains it with the dates of the traject: one notation."""
    c = as_role("klantmanager")
    with clock.frozen(world.traject.referral_date + timedelta(days=400)):  # everything is overdue by then
        dutch = c.get("/werklijst").get_data(as_text=True).split("<tbody>", 1)[1]
        c.get("/taal/en")
        english = c.get("/werklijst").get_data(as_text=True).split("<tbody>", 1)[1]
    assert len(DUTCH_DATE.findall(dutch)) > 2 and not ENGLISH_DATE.search(dutch) and not US_DATE.search(dutch)
    assert len(ENGLISH_DATE.findall(english)) > 2 and not DUTCH_DATE.search(english)
    assert not US_DATE.search(english)
