"""One reader of numbers, amounts and dates for forms and imports (app.parsing), on Babel."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from app.parsing import MAX_NUMBER, ParseError, parse_amount, parse_date, parse_json, parse_number

SETTINGS = settings(max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "300")), deadline=None)
DECIMALS = st.decimals(min_value=-MAX_NUMBER, max_value=MAX_NUMBER, places=4, allow_nan=False, allow_infinity=False)


@SETTINGS
@given(DECIMALS, st.sampled_from(["nl", "en"]), st.booleans())
def test_a_number_written_in_a_language_reads_back_as_the_same_value(value, language, grouped):
    written = format_decimal(value, format="#,##0.####" if grouped else "0.####", locale=language)
    assert parse_number(written, language) == value


@SETTINGS
@given(st.decimals(min_value=Decimal("0"), max_value=Decimal("1e9"), places=2, allow_nan=False,
                   allow_infinity=False), st.sampled_from(["nl", "en"]))
def test_an_amount_written_in_a_language_reads_back_in_cents(value, language):
    written = format_decimal(value, format="#,##0.00", locale=language)
    amount = parse_amount(written, language)
    assert amount == value and amount.as_tuple().exponent == -2


@pytest.mark.parametrize(("written", "locale", "value"), [
    ("1.234,56", "nl", "1234.56"), ("1234,56", "nl", "1234.56"), ("1234.56", "nl", "1234.56"),
    ("1,234.56", "nl", "1234.56"), ("1.234", "nl", "1234"), ("1,234", "nl", "1.234"),
    ("1.234", "en", "1.234"), ("1,234", "en", "1234"), ("1.234,56", "en", "1234.56"),
    ("€ 950", "nl", "950"), ("€\u00a01.250,00", "nl", "1250.00"), ("-3,5", "nl", "-3.5"), ("\u22123,5", "nl", "-3.5"),
    ("32,5", "en_GB", "32.5"),
])
def test_the_writers_language_decides_what_both_could_mean(written, locale, value):
    assert parse_number(written, locale) == Decimal(value)


@pytest.mark.parametrize("written", ["", "abc", "12.34.5", "1,2,3", "1 234", "NaN", "Infinity", "1E5", "1,23,4.5",
                                     "--1", "12-"])
def test_what_is_no_number_is_refused_with_a_message(written):
    with pytest.raises(ParseError) as refused:
        parse_number(written)
    assert str(refused.value.message) == "Vul een getal in, bijvoorbeeld 32 of 32,5."


@pytest.mark.parametrize(("written", "message"), [
    ("veel", "Vul een bedrag in euro's in, bijvoorbeeld 1.234,56."),
    ("-5,00", "Een bedrag kan niet negatief zijn."),
    ("1,234", "Een bedrag heeft hoogstens twee cijfers achter de komma."),
])
def test_an_amount_is_refused_with_what_to_write_instead(written, message):
    with pytest.raises(ParseError) as refused:
        parse_amount(written)
    assert str(refused.value.message) == message


def test_a_negative_amount_is_read_where_it_is_allowed():
    assert parse_amount("-5,00", negative=True) == Decimal("-5.00")


@SETTINGS
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_a_date_reads_back_from_both_ways_of_writing_it(day):
    assert parse_date(day.strftime("%d-%m-%Y")) == day == parse_date(day.isoformat())


@pytest.mark.parametrize("written", ["31-02-2026", "2026/12/31", "12-31-2026", "morgen", ""])
def test_what_is_no_date_is_refused(written):
    with pytest.raises(ParseError):
        parse_date(written)


@SETTINGS
@given(st.decimals(min_value=MAX_NUMBER + Decimal("0.01"), max_value=Decimal("1e40"), places=2),
       st.sampled_from(["nl", "en"]), st.booleans())
def test_a_number_no_column_can_hold_is_refused_as_too_large(value, language, negative):
    written = f"{-value if negative else value:f}".replace(".", "," if language == "nl" else ".")
    with pytest.raises(ParseError, match="te groot"):
        parse_number(written, language)
    with pytest.raises(ParseError, match="bedrag is te groot"):
        parse_amount(written, language, negative=True)


@pytest.mark.parametrize("text", ["NaN", "[NaN]", '{"a": Infinity}', "-Infinity", "1e400", '{"a": [1e999]}',
                                  "[" * 100_000 + "]" * 100_000, "[" * 65 + "]" * 65, "{", "\ud800", b"\xff"])
def test_json_that_is_not_finite_too_deep_or_broken_is_refused(text):
    with pytest.raises(ParseError):
        parse_json(text)


def test_json_within_the_limits_is_read_as_python_reads_it():
    assert parse_json('{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
    assert parse_json("[" * 64 + "]" * 64) is not None
