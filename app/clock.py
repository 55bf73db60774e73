"""The one clock: what day it is for the gemeente, and what moment it is, in one place that tests can set.

A social service works on Amsterdam days: an event recorded at 00:30 local time belongs to that day, although
the server's UTC clock still says yesterday. Every "today" in the app comes from :func:`today`, so a test (or a
demo) can fix the date once with :func:`frozen` instead of patching ``date.today`` in a dozen modules.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Europe/Amsterdam")

_fixed: date | None = None
_fixed_moment: datetime | None = None


def today() -> date:
    """The date in Amsterdam, or the date a test or the demo set."""
    if _fixed is not None:
        return _fixed
    return datetime.now(LOCAL_ZONE).date()


def now() -> datetime:
    """This moment, aware, in UTC: store it naive (see ``app.db.utcnow``), show it in Amsterdam time; or the
    moment a test set with :func:`moment_frozen` (session timeouts, lock-outs and two-factor codes follow it)."""
    if _fixed_moment is not None:
        return _fixed_moment
    return datetime.now(UTC)


def to_local(moment: datetime | None) -> datetime | None:
    """A stored moment (naive UTC) as the wall clock in Amsterdam showed it, naive, for a form or a page."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).astimezone(LOCAL_ZONE).replace(tzinfo=None)


def to_utc(moment: datetime | None) -> datetime | None:
    """A moment typed as Amsterdam wall-clock time (naive) as it is stored: naive UTC.

    In the hour that occurs twice when summer time ends the first one (still summer time) is meant; a time
    in the hour skipped when summer time starts is read with the winter offset, as a clock not yet moved on."""
    if moment is None:
        return None
    return moment.replace(tzinfo=LOCAL_ZONE).astimezone(UTC).replace(tzinfo=None)


def day_start(day: date) -> datetime:
    """The first moment of an Amsterdam day as it is stored (naive UTC): a filter "from" this day, or "through"
    the day before. A day lasts 23 or 25 hours when the clocks change, so a day's end is the next one's start."""
    return to_utc(datetime.combine(day, time.min))


def now_local() -> datetime:
    """This moment on the wall clock in Amsterdam, naive, to the minute: what a form proposes as "now"."""
    return datetime.now(LOCAL_ZONE).replace(tzinfo=None, second=0, microsecond=0)


def set_today(day: date | None) -> None:
    """Fix :func:`today` to ``day`` (None: follow the real clock again)."""
    global _fixed
    _fixed = day


@contextmanager
def frozen(day: date) -> Iterator[date]:
    """``with frozen(date(2026, 3, 1)):`` the app's today is that day; the real clock comes back afterwards."""
    before = _fixed
    set_today(day)
    try:
        yield day
    finally:
        set_today(before)


@contextmanager
def moment_frozen(moment: datetime) -> Iterator[datetime]:
    """``with moment_frozen(datetime(2026, 3, 1, 9, tzinfo=UTC)):`` :func:`now` is that moment until the block
    ends; a test moves time on by opening another block."""
    global _fixed_moment
    before = _fixed_moment
    _fixed_moment = moment.astimezone(UTC)
    try:
        yield _fixed_moment
    finally:
        _fixed_moment = before
