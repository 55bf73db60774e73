"""The retention rule, without a database: when a record's period has run out."""

from __future__ import annotations

from datetime import date

from contracts.retention import RULES, RetentionKind, client_period_start, due_on, is_due, traject_end


def test_every_kind_has_a_rule_with_a_period():
    assert set(RULES) == set(RetentionKind)
    assert all(rule.months > 0 or rule.days > 0 for rule in RULES.values())


def test_an_import_file_is_due_on_the_seventh_day_after_its_upload():
    uploaded = date(2026, 2, 25)
    assert due_on(RetentionKind.IMPORT_FILE, uploaded) == date(2026, 3, 4)  # February has 28 days in 2026
    assert not is_due(RetentionKind.IMPORT_FILE, uploaded, date(2026, 3, 3))
    assert is_due(RetentionKind.IMPORT_FILE, uploaded, date(2026, 3, 4))


def test_a_client_is_due_five_calendar_years_after_the_last_traject_ended():
    ended = date(2024, 2, 29)
    assert due_on(RetentionKind.CLIENT, ended) == date(2029, 2, 28)
    assert not is_due(RetentionKind.CLIENT, ended, date(2029, 2, 27))
    assert is_due(RetentionKind.CLIENT, ended, date(2029, 2, 28))


def test_an_open_traject_keeps_the_client_whatever_ended_before():
    assert client_period_start([date(2010, 1, 1), None], date(2009, 1, 1)) is None
    assert not is_due(RetentionKind.CLIENT, None, date(2100, 1, 1))
    assert client_period_start([date(2010, 1, 1), date(2012, 5, 1)], date(2009, 1, 1)) == date(2012, 5, 1)
    assert client_period_start([], date(2009, 1, 1)) == date(2009, 1, 1)  # never referred: from registration


def test_a_traject_ends_on_the_last_day_it_was_touched_once_closed():
    assert traject_end(False, date(2020, 1, 1)) is None
    assert traject_end(True, date(2020, 1, 1), None, date(2020, 6, 1)) == date(2020, 6, 1)
