"""Calendar-aware date arithmetic: months are calendar months (31 January + 1 month = 28/29 February)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta


def add_period(start: date, months: int = 0, weeks: int = 0, days: int = 0) -> date:
    return start + relativedelta(months=months) + timedelta(weeks=weeks, days=days)


def period_from_spec(start: date, spec: Mapping[str, int]) -> date:
    """``{"months": 6}``, ``{"weeks": 4}`` or ``{"days": 90}`` after ``start``."""
    return add_period(start, months=spec.get("months", 0), weeks=spec.get("weeks", 0), days=spec.get("days", 0))


def describe_period(spec: Mapping[str, int]) -> str:
    parts = []
    for key, one, many in (("months", "maand", "maanden"), ("weeks", "week", "weken"), ("days", "dag", "dagen")):
        n = spec.get(key)
        if n:
            parts.append(f"{n} {one if n == 1 else many}")
    return " en ".join(parts) or "0 dagen"
