"""Small builders for engine tests: a traject from a few (type, date, details) tuples."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from contracts.events import traject_from_dict
from contracts.model import PaymentModel

TEMPLATES = Path(__file__).resolve().parents[2] / "contracts" / "templates"


def template(name: str) -> PaymentModel:
    return PaymentModel.from_file(TEMPLATES / f"{name}.json")


def traject(tid: str, referral: str, *events, group: str | None = None, price: str | None = None):
    """``traject("t1", "2026-01-05", ("started", "2026-01-10"), ("placement", "2026-03-01", {"kind": "regular"}))``"""
    items = []
    for i, item in enumerate(events):
        kind, day, *rest = item
        items.append({"id": f"{tid}-e{i}", "type": kind, "date": day, **(rest[0] if rest else {})})
    data = {"id": tid, "referral_date": referral, "events": items}
    if group:
        data["client_group"] = group
    if price:
        data["price"] = price
    return traject_from_dict(data)


def total(result) -> Decimal:
    return sum((e.amount for e in result.entitlements), Decimal("0.00"))


D = date.fromisoformat
REGULAR_FULLTIME = {"kind": "regular", "hours_per_week": 36, "contract_months": 12}
