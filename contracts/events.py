"""A traject's facts and events as the engine reads them.

The engine takes plain data, so that the web app, an import or a JSON file can all feed it. Events are
sorted into one canonical order before anything is computed, which is what makes the result the same
whatever order the events were given in.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from contracts.messages import DomainError


class EventType(enum.StrEnum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
    INTAKE = "intake"
    PLAN_SUBMITTED = "plan_submitted"
    PLAN_APPROVED = "plan_approved"
    STARTED = "started"
    PROGRESS_REPORT = "progress_report"
    PLACEMENT = "placement"
    PLACEMENT_ENDED = "placement_ended"
    STILL_EMPLOYED = "still_employed"
    BENEFIT_EXIT = "benefit_exit"
    DROPOUT = "dropout"
    RETURNED = "returned"
    ENDED = "ended"
    FALL_BACK = "fall_back"
    CORRECTION = "correction"


class WorkKind(enum.StrEnum):
    REGULAR = "regular"
    SUBSIDISED = "subsidised"
    TEMPORARY = "temporary"


class ExitReason(enum.StrEnum):
    WORK = "work"
    MOVED_AWAY = "moved_away"
    PARTNER_INCOME = "partner_income"
    OTHER = "other"


# Within one day, events are taken in the order a traject naturally runs; the id breaks the last ties.
_TYPE_ORDER = {t: i for i, t in enumerate(EventType)}


class EventError(DomainError):
    """An event that the engine cannot read; ``field`` names what is wrong."""

    code = "invalid_event"

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}", field)


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    type: EventType
    date: date
    kind: WorkKind | None = None
    hours_per_week: Decimal | None = None
    contract_months: int | None = None
    reason: str | None = None
    revokes: str | None = None
    open_ended: bool = False

    @property
    def sort_key(self) -> tuple[datetime.date, int, int, str]:
        # Ids are compared shorter first, so that numbered ids keep their numeric order ("9" before "10").
        return (self.date, _TYPE_ORDER[self.type], len(self.id), self.id)


@dataclass(frozen=True)
class Traject:
    """What the engine needs of a traject: who, at what price, since when, and what happened."""

    id: str
    referral_date: date
    events: tuple[Event, ...]
    client_group: str | None = None
    price: Decimal | None = None

    def ordered_events(self) -> list[Event]:
        return sorted(self.events, key=lambda e: e.sort_key)


def _date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise EventError(where, f"geen geldige datum (JJJJ-MM-DD): {value!r}") from None


def _decimal(value: Any, where: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise EventError(where, f"geen getal: {value!r}") from None
    if not number.is_finite() or number < 0:
        raise EventError(where, f"moet een getal van 0 of meer zijn: {value!r}")
    return number


def _enum(enum_cls: type[enum.Enum], value: Any, where: str) -> Any:
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_cls)
        raise EventError(where, f"onbekende waarde {value!r} (toegestaan: {allowed})") from None


def event_from_dict(data: dict[str, Any], where: str = "event") -> Event:
    if "id" not in data:
        raise EventError(f"{where}.id", "ontbreekt")
    event_type = _enum(EventType, data.get("type"), f"{where}.type")
    hours = data.get("hours_per_week")
    months = data.get("contract_months")
    kind = data.get("kind")
    if event_type == EventType.PLACEMENT:
        if kind is None:
            raise EventError(f"{where}.kind", "een plaatsing heeft een soort werk (regular, subsidised, temporary)")
        if hours is None:
            raise EventError(f"{where}.hours_per_week", "een plaatsing heeft een aantal uren per week")
    if event_type == EventType.CORRECTION and not data.get("revokes"):
        raise EventError(f"{where}.revokes", "een correctie noemt de gebeurtenis die zij intrekt")
    open_ended = data.get("open_ended", False)
    if not isinstance(open_ended, bool):
        raise EventError(f"{where}.open_ended", f"moet true of false zijn (zonder aanhalingstekens): {open_ended!r}")
    reason = data.get("reason")
    if event_type == EventType.BENEFIT_EXIT:
        reason = _enum(ExitReason, reason, f"{where}.reason").value
    if months is not None and (not isinstance(months, int) or months < 0):
        raise EventError(f"{where}.contract_months", f"moet een geheel aantal maanden zijn: {months!r}")
    return Event(
        id=str(data["id"]),
        type=event_type,
        date=_date(data.get("date"), f"{where}.date"),
        kind=_enum(WorkKind, kind, f"{where}.kind") if kind is not None else None,
        hours_per_week=_decimal(hours, f"{where}.hours_per_week") if hours is not None else None,
        contract_months=months,
        reason=reason,
        revokes=str(data["revokes"]) if data.get("revokes") else None,
        open_ended=open_ended,
    )


def traject_from_dict(data: dict[str, Any], where: str = "traject") -> Traject:
    if "id" not in data:
        raise EventError(f"{where}.id", "ontbreekt")
    events = tuple(
        event_from_dict(e, f"{where}.events[{i}]") for i, e in enumerate(data.get("events", []))
    )
    ids = [e.id for e in events]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise EventError(f"{where}.events", f"dubbele id's: {', '.join(duplicates)}")
    revocable = {e.id for e in events if e.type != EventType.CORRECTION}
    for i, event in enumerate(events):
        if event.revokes is not None and event.revokes not in revocable:
            raise EventError(f"{where}.events[{i}].revokes",
                             f"{event.revokes!r} is geen gebeurtenis van dit traject die een correctie kan intrekken")
    price = data.get("price")
    return Traject(
        id=str(data["id"]),
        referral_date=_date(data.get("referral_date"), f"{where}.referral_date"),
        events=events,
        client_group=data.get("client_group"),
        price=_decimal(price, f"{where}.price") if price is not None else None,
    )
