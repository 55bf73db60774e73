"""Each role's start page as a work queue: what needs this user now, each count a link to the list that shows
exactly those records.

Every count is read with the condition its list filters on (the work list's kept actions, the invoice list's
``werk`` filter, the traject list's status, the budget page's signals, the targets' lights), never with a copy
of it, so that a count and the list it opens cannot disagree (tests/test_start_pages.py holds them to it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from app.budgets import services as budgets
from app.db import session
from app.invoicing.work import WORK_LABELS, Work, waiting
from app.models.procurement import Tender
from app.models.registers import Provider, QualityMark
from app.models.trajecten import Traject
from app.models.users import Role, User
from app.reports import targets
from app.scoping import traject_scope
from app.trajecten import worklist
from contracts.indicators import Light
from contracts.lifecycle import TrajectStatus
from contracts.messages import N_
from contracts.procurement import TenderStatus
from contracts.worklist import ACTION_LABELS, ActionKind


@dataclass(frozen=True)
class Item:
    """One line of a work queue: how many, of what, and the list that shows them."""

    key: str
    label: str  # a message id (N_), translated on the page
    count: int
    endpoint: str
    args: dict[str, Any] = field(default_factory=dict)
    urgent: bool = False  # past a deadline: shown first and marked
    amount: Decimal | None = None  # the money involved, where there is any
    when: date | None = None  # the nearest deadline, where there is one


@dataclass
class Queue:
    items: list[Item]
    budget_rows: list[budgets.PositionRow] = field(default_factory=list)  # management's glance, as bars
    year: int | None = None


# The work list's kinds as each role works them: a klantmanager their own caseload, a provider's user its
# trajecten. Overdue answers and reports are late already; the rest is due.
KLANTMANAGER_KINDS = (ActionKind.CONFIRM_OUTCOME, ActionKind.APPROVE_PLAN, ActionKind.DURABILITY_CHECK,
                      ActionKind.ANSWER_REFERRAL, ActionKind.PARKED, ActionKind.MAX_DURATION)
PROVIDER_KINDS = (ActionKind.ANSWER_REFERRAL, ActionKind.PROGRESS_REPORT, ActionKind.PARKED,
                  ActionKind.MAX_DURATION)
LATE = frozenset({ActionKind.ANSWER_REFERRAL, ActionKind.PROGRESS_REPORT})
TARGET_LABELS = {Light.NOT_REACHED: N_("doelen niet gehaald"), Light.NEARLY: N_("doelen bijna gehaald"),
                 Light.REACHED: N_("doelen gehaald")}


def _actions(user: User, today: date, kinds: tuple[ActionKind, ...], mine: bool) -> list[Item]:
    counts = worklist.counts(user, today, worklist.Filters(mine=mine))
    return [Item(f"action-{kind.value}", ACTION_LABELS[kind], counts[kind], "trajecten.worklist",
                 {"kind": kind.value, "mine": "1" if mine else "0"}, urgent=kind in LATE) for kind in kinds]


def _invoices(user: User, today: date, kinds: tuple[Work, ...]) -> list[Item]:
    items = []
    for work in kinds:
        found = waiting(work, user, today)
        items.append(Item(f"invoices-{work.value}", WORK_LABELS[work], found.count, "invoices.index",
                          {"werk": work.value}, urgent=work in (Work.OVERDUE, Work.REJECTED), amount=found.total))
    return items


def _new_referrals(user: User) -> Item:
    count = session.scalar(select(func.count()).select_from(Traject).where(
        traject_scope(user), Traject.status == TrajectStatus.REFERRED)) or 0
    return Item("new-referrals", N_("nieuwe verwijzingen, nog niet beantwoord"), count, "trajecten.index",
                {"status": TrajectStatus.REFERRED.value})


def _budget_signals(today: date) -> tuple[Item, list[budgets.PositionRow]]:
    rows = budgets.positions(today.year, today)
    return Item("budget-signals", N_("budgetregels met een signaal"), len(budgets.signalled(rows)),
                "budgets.index", {"jaar": today.year, "signalen": "1"}), rows


def _tenders(status: TenderStatus, label: str, deadline: Callable) -> Item:
    count, nearest = session.execute(select(func.count(), func.min(deadline(Tender))).where(
        Tender.status == status)).one()
    when = nearest.date() if isinstance(nearest, datetime) else nearest
    return Item(f"tenders-{status.value}", label, int(count), "tenders.index", {"status": status.value}, when=when)


def _expired_marks(today: date) -> Item:
    count = session.scalar(select(func.count()).select_from(Provider).where(
        Provider.quality_marks.any(QualityMark.valid_until < today))) or 0
    return Item("marks-expired", N_("aanbieders met een verlopen keurmerk"), count, "providers.index",
                {"marks": "expired"}, urgent=True)


def _lights(today: date, shown: tuple[Light, ...]) -> list[Item]:
    counted = targets.lights(today.year, today)
    return [Item(f"targets-{light.value}", TARGET_LABELS[light], counted[light], "reports.targets",
                 {"jaar": today.year}, urgent=light == Light.NOT_REACHED) for light in shown]


def queue(user: User, today: date) -> Queue:
    """The user's work queue, by role; empty for a role whose work does not come in as a queue (admin)."""
    role = user.role
    if role == Role.KLANTMANAGER:
        return Queue(_actions(user, today, KLANTMANAGER_KINDS, mine=True))
    if role == Role.PROVIDER:
        return Queue([_new_referrals(user), *_actions(user, today, PROVIDER_KINDS, mine=False),
                      *_invoices(user, today, (Work.SUBMIT, Work.REJECTED, Work.STATEMENTS))])
    if role == Role.FINANCE:
        signals, _rows = _budget_signals(today)
        return Queue([*_invoices(user, today, (Work.CHECK, Work.APPROVE, Work.REJECTED, Work.OVERDUE)), signals])
    if role == Role.INKOPER:
        return Queue([
            _tenders(TenderStatus.PUBLISHED, N_("aanbestedingen gepubliceerd; eerstvolgende sluiting"),
                     lambda t: t.closing_at),
            _tenders(TenderStatus.STANDSTILL, N_("aanbestedingen in de standstill; eerstvolgend einde"),
                     lambda t: t.standstill_end),
            _expired_marks(today),
            *_lights(today, (Light.NOT_REACHED, Light.NEARLY)),
        ])
    if role == Role.MANAGEMENT:
        signals, rows = _budget_signals(today)
        return Queue([*_lights(today, (Light.NOT_REACHED, Light.NEARLY, Light.REACHED)), signals],
                     budget_rows=[r for r in rows if r.has_budget], year=today.year)
    return Queue([])
