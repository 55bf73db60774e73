"""Moments: stored as naive UTC, typed and shown as Amsterdam wall-clock time, across a change of summer time."""

from __future__ import annotations

from datetime import datetime

import pytest

from app import clock


@pytest.mark.parametrize(("utc", "local"), [
    (datetime(2026, 1, 15, 11, 0), datetime(2026, 1, 15, 12, 0)),     # winter: UTC+1
    (datetime(2026, 7, 15, 10, 0), datetime(2026, 7, 15, 12, 0)),     # summer: UTC+2
    # 29 March 2026: at 01:00 UTC the clocks go from 02:00 to 03:00.
    (datetime(2026, 3, 29, 0, 59), datetime(2026, 3, 29, 1, 59)),
    (datetime(2026, 3, 29, 1, 0), datetime(2026, 3, 29, 3, 0)),
    # 25 October 2026: at 01:00 UTC the clocks go from 03:00 back to 02:00.
    (datetime(2026, 10, 24, 23, 59), datetime(2026, 10, 25, 1, 59)),
    (datetime(2026, 10, 25, 1, 0), datetime(2026, 10, 25, 2, 0, fold=1)),
])
def test_stored_utc_is_shown_in_amsterdam_and_back(utc, local):
    assert clock.to_local(utc) == local
    assert clock.to_utc(local) == utc


def test_the_hour_that_occurs_twice_is_read_as_the_first():
    # 02:30 on 25 October 2026 happens at 00:30 UTC (summer time) and at 01:30 UTC; a person typing it means the first.
    assert clock.to_local(datetime(2026, 10, 25, 0, 30)) == datetime(2026, 10, 25, 2, 30)
    assert clock.to_utc(datetime(2026, 10, 25, 2, 30)) == datetime(2026, 10, 25, 0, 30)
    assert clock.to_local(datetime(2026, 10, 25, 1, 30)) == datetime(2026, 10, 25, 2, 30)  # the second one


def test_the_skipped_hour_is_read_with_the_winter_offset():
    assert clock.to_utc(datetime(2026, 3, 29, 2, 30)) == datetime(2026, 3, 29, 1, 30)


def test_none_stays_none():
    assert clock.to_local(None) is None and clock.to_utc(None) is None
