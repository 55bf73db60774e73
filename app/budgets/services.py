"""Budgets per gemeente, year and funding source, and what is realised, committed and expected against them.

The arithmetic lives in :mod:`invoicing.budget` (pure, tested on its own); this module gathers its inputs
from the database and stores what the pages and the import hand it, leaving the commit to the unit of work:

* :func:`realised` sums approved invoice lines in one query, per line gemeente and contract funding source;
* :func:`outlook` runs the payment engine over the open trajecten to find what they may still cost at most
  (committed) and will likely still cost (expected);
* :func:`positions` puts both next to the budget lines of a year, with the warnings and the reconciliation
  of the figures the budget's source reported;
* :func:`save` stores one budget line typed in the form, :func:`store` the lines of an imported file.

A row whose reported figures do not add up is stored all the same and flagged wherever it is shown: the
audit that found a budget table whose rows did not add up is the reason the figures are reconciled, not
trusted. What each figure means is written down in docs/budgets.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, NamedTuple

from flask import current_app
from sqlalchemy import func, select, true

from app.budgets.forms import DEFAULT_SOURCE
from app.db import session
from app.models.invoicing import Budget, Invoice, InvoiceLine
from app.models.procurement import Contract
from app.models.registers import Gemeente
from app.models.trajecten import Traject
from app.trajecten.services import PaymentModels, engine_ready, engine_traject
from contracts.engine import evaluate
from contracts.lifecycle import CLOSED_STATUSES, TrajectStatus
from contracts.messages import N_, DomainError, Message
from contracts.money import ZERO, to_cents
from invoicing.budget import (
    DEFAULT,
    BudgetFigures,
    Position,
    expected_cost,
    max_cost,
    reconcile,
    remaining,
    warnings,
)
from invoicing.budget import Warning as BudgetWarning
from invoicing.status import APPROVED_STATUSES

if TYPE_CHECKING:
    from app.budgets.imports import ImportRow

Key = tuple[int | None, str]  # (gemeente id, funding source)

# When too few finished trajecten are known, an open one is expected to cost this share of its maximum.
DEFAULT_SHARE = Decimal("0.5")
# A referral the provider refused never ran and never cost anything: it says nothing about what a running
# traject will cost, so it is left out of the observed average (as it is left out of the volume ceiling).
FINISHED_STATUSES = frozenset(CLOSED_STATUSES) - {TrajectStatus.REFUSED}



class BudgetError(DomainError):
    """A budget line the budget rules refuse."""

    code = "budget_rule"


# --- realised: approved invoices ------------------------------------------------------------------


def realised(year: int, gemeente_id: int | None = None) -> dict[Key, Decimal]:
    """Approved money per (gemeente, funding source) for lines falling due in ``year``, excluding VAT.

    One grouped query rather than a loop over invoices, so that the overview stays one round trip however
    many invoices there are. A line is charged to its own gemeente (a joint contract's lines each carry the
    client's gemeente, and a contract-level bonus is split into one line per gemeente) and to its contract's
    funding source. Only invoices in :data:`~invoicing.status.APPROVED_STATUSES` count: until an invoice is
    approved its money is a claim, not spending. The year is the year the line's entitlement fell due, not the
    invoice or payment date, because that is the budget year the obligation belongs to. Line amounts exclude
    VAT: the gemeente reclaims the VAT from the BTW-compensatiefonds, so budgets are kept excluding VAT too.
    A credit note's lines are negative and lower the sum. ``ix_invoice_line_realised`` holds every column
    the sum needs, so the database reads that index and not the lines; ``gemeente_id`` limits it to one.
    """
    stmt = (
        select(InvoiceLine.gemeente_id, Contract.funding_source, func.sum(InvoiceLine.amount))
        .join(Invoice, InvoiceLine.invoice_id == Invoice.id)
        .join(Contract, Invoice.contract_id == Contract.id)
        .where(Invoice.status.in_(sorted(APPROVED_STATUSES)),
               InvoiceLine.due_on.between(date(year, 1, 1), date(year, 12, 31)),
               InvoiceLine.gemeente_id == gemeente_id if gemeente_id is not None else true())
        .group_by(InvoiceLine.gemeente_id, Contract.funding_source)
    )
    return {(gemeente_id, source): to_cents(Decimal(total or 0))
            for gemeente_id, source, total in session.execute(stmt)}


# --- committed and expected: open trajecten -------------------------------------------------------


class Outlook(NamedTuple):
    """What the open trajecten of one (gemeente, funding source) may and will likely still cost.

    The first two fields are the pair the overview needs; the counts say what the figures rest on.
    """

    committed: Decimal
    expected: Decimal
    trajecten: int = 0  # open trajecten counted
    undetermined: int = 0  # open trajecten whose maximum cannot be known (counted as 0)
    by_default: int = 0  # open trajecten whose expectation is the default share, not an observed average


@dataclass
class _Sum:
    committed: Decimal = ZERO
    expected: Decimal = ZERO
    trajecten: int = 0
    undetermined: int = 0
    by_default: int = 0

    def outlook(self) -> Outlook:
        return Outlook(to_cents(self.committed), to_cents(self.expected), self.trajecten, self.undetermined,
                       self.by_default)


def _observed(contract_id: int, today: date, models: PaymentModels) -> tuple[Decimal | None, int]:
    """The average total owed of a contract's finished trajecten as of ``today``, and how many there are."""
    finished = session.scalars(engine_ready(select(Traject).where(
        Traject.contract_id == contract_id, Traject.open_lot_key.is_(None),
        Traject.status.in_(sorted(FINISHED_STATUSES))))).all()
    if not finished:
        return None, 0
    totals = [evaluate(models.of(t), engine_traject(t), today).total for t in finished]
    return sum(totals, ZERO) / len(totals), len(totals)


def outlook(today: date) -> dict[Key, Outlook]:
    """Committed and expected money of the open trajecten, per client's gemeente and contract funding source.

    For each open traject (``open_lot_key`` set), with what approved invoices already paid for it (its
    realised money) and what it is owed so far under its own contract version (outcomes a provider reported
    count once confirmed, as everywhere else):

    * committed = its maximum cost (:func:`~invoicing.budget.max_cost`) less what is realised: whatever the
      outcome, it cannot cost more, so realised plus committed within budget means no outcome overspends.
      Money owed but not yet on an approved invoice is still to be paid, so it stays in the commitment;
    * expected = its likely total (:func:`~invoicing.budget.expected_cost`: the average of the same contract's
      finished trajecten when there are enough of them, else half the maximum), and at least what it is
      already owed, less what is realised; never above committed.

    A traject whose maximum cannot be determined (a percentage of a price it has not got) counts 0 and is
    counted in ``undetermined``, so that the page can say so rather than silently under-report.

    Every traject is evaluated once; a contract's finished trajecten once per contract, not per open traject.
    The costs are charged to the client's gemeente, as a joint contract's invoices are.
    """
    models = PaymentModels()
    observed: dict[int, tuple[Decimal | None, int]] = {}
    sums: dict[Key, _Sum] = {}
    open_ones = session.scalars(engine_ready(select(Traject).where(Traject.open_lot_key.is_not(None))
                                             .order_by(Traject.id))).all()
    paid = dict(session.execute(
        select(InvoiceLine.traject_id, func.sum(InvoiceLine.amount)).join(Invoice)
        .where(Invoice.status.in_(sorted(APPROVED_STATUSES)), InvoiceLine.traject_id.is_not(None),
               InvoiceLine.traject_id.in_(select(Traject.id).where(Traject.open_lot_key.is_not(None))))
        .group_by(InvoiceLine.traject_id)).all())
    for traject in open_ones:
        entry = sums.setdefault((traject.gemeente_id, traject.contract.funding_source), _Sum())
        entry.trajecten += 1
        model = models.of(traject)
        most = max_cost(model, traject.client_group, traject.price)
        if most is None:
            entry.undetermined += 1
            continue
        owed = evaluate(model, engine_traject(traject), today).total
        if traject.contract_id not in observed:
            observed[traject.contract_id] = _observed(traject.contract_id, today, models)
        average, count = observed[traject.contract_id]
        likely, basis = expected_cost(most, average, count, default_share=DEFAULT_SHARE)
        realised = Decimal(paid.get(traject.id) or ZERO)
        committed = remaining(most, realised)
        entry.committed += committed
        entry.expected += min(remaining(max(likely, owed), realised), committed)
        entry.by_default += basis == DEFAULT
    return {key: entry.outlook() for key, entry in sums.items()}


# --- the overview ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """A horizontal bar in percentages of its scale (to one decimal, for drawing only): realised, expected
    after it, and where the budget ends."""

    realised: Decimal
    expected: Decimal
    budget: Decimal


@dataclass
class PositionRow:
    """One line of the overview: a budget line, or money charged to a (gemeente, source) with no budget."""

    gemeente_id: int | None
    gemeente: str
    funding_source: str
    budget: Budget | None
    position: Position
    outlook: Outlook
    warnings: list[BudgetWarning] = field(default_factory=list)

    @property
    def has_budget(self) -> bool:
        return self.budget is not None

    @property
    def reported(self) -> str:
        """Whether the source reported spent and remaining: "none", "partial" or "complete"."""
        if self.budget is None:
            return "none"
        given = [v is not None for v in (self.budget.spent_reported, self.budget.remaining_reported)]
        return "complete" if all(given) else ("partial" if any(given) else "none")

    @property
    def difference(self) -> Decimal | None:
        """How far the reported row is off (:func:`~invoicing.budget.reconcile`); None when it cannot be told."""
        if self.reported != "complete":
            return None
        b = self.budget
        return reconcile(BudgetFigures(b.amount, b.carried_over, b.spent_reported, b.remaining_reported))

    @property
    def adds_up(self) -> bool:
        return self.difference is None or self.difference == 0

    @property
    def bar(self) -> Bar | None:
        p = self.position
        realised_part, expected_part = max(p.realised, ZERO), max(p.expected, ZERO)
        scale = max(p.budget, realised_part + expected_part)
        if scale <= 0:
            return None

        def share(amount: Decimal) -> Decimal:
            return (amount / scale * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

        return Bar(share(realised_part), share(expected_part), share(max(p.budget, ZERO)))

    @property
    def used_share(self) -> int | None:
        """The forecast as a whole percentage of the budget, for the bar's text equivalent."""
        if self.position.budget <= 0:
            return None
        return int((self.position.forecast / self.position.budget * 100).to_integral_value())


@dataclass
class Totals:
    budget: Decimal = ZERO
    realised: Decimal = ZERO
    committed: Decimal = ZERO
    expected: Decimal = ZERO
    trajecten: int = 0

    @property
    def available(self) -> Decimal:
        return self.budget - self.realised - self.committed

    @property
    def forecast(self) -> Decimal:
        return self.realised + self.expected


def totals(rows: Iterable[PositionRow]) -> Totals:
    t = Totals()
    for row in rows:
        t.budget += row.position.budget
        t.realised += row.position.realised
        t.committed += row.position.committed
        t.expected += row.position.expected
        t.trajecten += row.outlook.trajecten
    return t


def settings() -> tuple[int, Decimal]:
    config = current_app.config
    return int(config["BUDGET_LATE_FROM_MONTH"]), Decimal(str(config["BUDGET_UNDERSPENT_SHARE"]))


def positions(year: int, today: date) -> list[PositionRow]:
    """The overview of ``year``: every budget line, and every (gemeente, source) with money but no budget.

    Commitments and expectations are reported against the current year only (an obligation may fall due up
    to two years after the referral, across budget years, and is not split over them): in the current year's
    view they all show, in other years' none. A (gemeente, source) that has money charged to it but no budget
    line is shown all the same, flagged, so that spending never disappears for want of a budget.
    """
    late_month, underspent = settings()
    spent = realised(year)
    ahead = outlook(today) if year == today.year else {}
    names = dict(session.execute(select(Gemeente.id, Gemeente.name)).all())
    none = Outlook(ZERO, ZERO)
    rows: list[PositionRow] = []
    seen: set[Key] = set()
    budgets = session.scalars(select(Budget).where(Budget.year == year)).all()
    for budget in budgets:
        key = (budget.gemeente_id, budget.funding_source)
        seen.add(key)
        coming = ahead.get(key, none)
        position = Position(year, budget.amount + budget.carried_over, spent.get(key, ZERO), coming.committed,
                            coming.expected)
        rows.append(PositionRow(budget.gemeente_id, names.get(budget.gemeente_id, ""), budget.funding_source,
                                budget, position, coming,
                                warnings(position, today, late_month, underspent)))
    for key in sorted(set(spent) | set(ahead), key=lambda k: (k[0] or 0, k[1])):
        if key in seen:
            continue
        coming = ahead.get(key, none)
        position = Position(year, ZERO, spent.get(key, ZERO), coming.committed, coming.expected)
        if not (position.realised or position.committed or position.expected or coming.undetermined):
            continue
        gemeente_id, source = key
        rows.append(PositionRow(gemeente_id, names.get(gemeente_id, "") if gemeente_id else "", source, None,
                                position, coming))
    rows.sort(key=lambda r: (r.gemeente.lower(), r.funding_source.lower()))
    return rows


# --- funding sources ------------------------------------------------------------------------------


def years_offered(year: int, today: date) -> list[int]:
    """The years the overview offers: every year with a budget line, around this year, and the one shown."""
    years = set(session.scalars(select(Budget.year).distinct())) | {today.year - 1, today.year, today.year + 1, year}
    return sorted(years, reverse=True)


def known_sources() -> list[str]:
    """Every funding source in use, on budgets and on contracts, for the form's suggestions."""
    found = set(session.scalars(select(Budget.funding_source).distinct()))
    found |= set(session.scalars(select(Contract.funding_source).distinct()))
    found.add(DEFAULT_SOURCE)
    return sorted(found, key=str.lower)


def canonical_source(typed: str, known: Iterable[str]) -> str:
    """The source as typed, white space tidied, in the spelling already in use when it differs only in case.

    Budgets meet invoices on the exact funding source text of the contract: "participatiebudget" typed for
    "Participatiebudget" would otherwise make a second budget line that no invoice is charged to.
    """
    tidy = re.sub(r"\s+", " ", typed or "").strip()
    for source in known:
        if source.lower() == tidy.lower():
            return source
    return tidy


def existing(gemeente_id: int, year: int, source: str) -> Budget | None:
    return session.scalar(select(Budget).where(Budget.gemeente_id == gemeente_id, Budget.year == year,
                                               func.lower(Budget.funding_source) == source.lower()))




@dataclass(frozen=True)
class BudgetValues:
    """One budget line as the form states it."""

    gemeente_id: int
    year: int
    funding_source: str
    amount: Decimal
    carried_over: Decimal
    spent_reported: Decimal | None
    remaining_reported: Decimal | None
    note: str


def save(budget: Budget | None, values: BudgetValues) -> Budget:
    """Store a new or edited budget line; a second line for the same gemeente, year and source is refused.

    The source is stored in the spelling already in use (:func:`canonical_source`), because budgets meet
    invoices on that exact text.
    """
    source = canonical_source(values.funding_source, known_sources())
    other = existing(values.gemeente_id, values.year, source)
    if other is not None and (budget is None or other.id != budget.id):
        raise BudgetError(Message(N_("Er is al een budget voor deze gemeente, dit jaar en deze financieringsbron.")),
                          "funding_source")
    record = budget or Budget()
    record.gemeente_id, record.year, record.funding_source = values.gemeente_id, values.year, source
    record.amount, record.carried_over = values.amount, values.carried_over
    record.spent_reported, record.remaining_reported = values.spent_reported, values.remaining_reported
    record.note = values.note.strip()
    session.add(record)
    session.flush()
    return record


def store(rows: list[ImportRow]) -> None:
    """Add or update a budget line per row, in the caller's transaction: a row states the whole line."""
    for item in rows:
        budget = existing(item.gemeente.id, item.year, item.source)
        values = {"amount": item.amount, "carried_over": item.carried_over, "spent_reported": item.spent,
                  "remaining_reported": item.remaining, "note": item.note}
        if budget is None:
            session.add(Budget(gemeente_id=item.gemeente.id, year=item.year, funding_source=item.source, **values))
            item.outcome = "new"
            continue
        changed = {name: value for name, value in values.items() if getattr(budget, name) != value}
        for name, value in changed.items():
            setattr(budget, name, value)
        item.outcome = "updated" if changed else "unchanged"
    session.flush()


