"""Budgets per gemeente, year and funding source, and what is realised, committed and expected against them.

The arithmetic lives in :mod:`invoicing.budget` (pure, tested on its own); this module gathers its inputs
from the database and stores what the pages and the import hand it, leaving the commit to the unit of work:

* :func:`realised` sums approved invoice lines in one query, per line gemeente and contract funding source;
* :func:`outlook` sums what the open trajecten may still cost at most (committed) and will likely still cost
  (expected) in a year, from what each keeps of the payment engine (app.projections), in SQL;
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
from sqlalchemy import BigInteger, case, cast, func, null, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.budgets.forms import DEFAULT_SOURCE
from app.db import session
from app.models.invoicing import Budget, Invoice, InvoiceLine
from app.models.procurement import Contract
from app.models.registers import Gemeente
from app.models.trajecten import Traject
from contracts.lifecycle import CLOSED_STATUSES, TrajectStatus
from contracts.messages import N_, DomainError, Message
from contracts.money import ZERO, to_cents
from invoicing.budget import (
    BudgetFigures,
    Position,
    falls_due_in,
    in_year,
    observed_average,
    outlook_parts,
    reconcile,
    warnings,
)
from invoicing.budget import Warning as BudgetWarning
from invoicing.status import APPROVED_STATUSES

if TYPE_CHECKING:
    from app.budgets.imports import ImportRow

Key = tuple[int | None, str]  # (gemeente id, funding source)

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
    """What the open trajecten of one (gemeente, funding source) may and will likely still cost in a year.

    The first two fields are the pair the overview needs; the counts say what the figures rest on.
    """

    committed: Decimal
    expected: Decimal
    trajecten: int = 0  # open trajecten with money in the year
    undetermined: int = 0  # open trajecten whose maximum cannot be known (counted as 0)
    by_default: int = 0  # open trajecten whose expectation is the default share, not an observed average


class _Extreme(FunctionElement):
    """GREATEST / LEAST of two non-NULL integers: SQLite spells them as its two-argument max and min."""

    type = BigInteger()
    inherit_cache = True


class _Greatest(_Extreme):
    name = "greatest"
    inherit_cache = True


class _Least(_Extreme):
    name = "least"
    inherit_cache = True


@compiles(_Greatest)
@compiles(_Least)
def _extreme(element, compiler, **kw):
    name = element.name if compiler.dialect.name != "sqlite" else {"greatest": "max", "least": "min"}[element.name]
    return f"{name}({compiler.process(element.clauses, **kw)})"


class _SqlCents:
    """:class:`invoicing.budget.Arithmetic` as SQL expressions over integer columns, for the database to sum."""

    def greatest(self, a, b):
        return _Greatest(a, b)

    def least(self, a, b):
        return _Least(a, b)

    def share(self, amount, fraction: Decimal):
        num, den = fraction.as_integer_ratio()
        return cast((amount * (2 * num) + den) // (2 * den), BigInteger)

    def either(self, value, absent, present):
        return case((value.is_(None), absent), else_=present(value))

    def pick(self, condition, then, otherwise):
        return case((condition, then), else_=otherwise)


SQL_CENTS = _SqlCents()


def observed() -> dict[int, int | None]:
    """The observed average (:func:`~invoicing.budget.observed_average`) of every contract with finished
    trajecten, from their kept owed totals: one grouped query. A referral the provider refused never ran, so
    it is no finished traject (:data:`FINISHED_STATUSES`)."""
    rows = session.execute(select(Traject.contract_id, func.sum(Traject.cost_owed_cents), func.count())
                           .where(Traject.status.in_(sorted(FINISHED_STATUSES)))
                           .group_by(Traject.contract_id))
    return {contract_id: observed_average(int(total or 0), count) for contract_id, total, count in rows}


def outlook(today: date, year: int | None = None) -> dict[Key, Outlook]:
    """Committed and expected money of the open trajecten in budget ``year`` (default: today's), per client's
    gemeente and contract funding source: the rule of :func:`invoicing.budget.outlook_parts` summed by the
    database over the kept outlook of every open traject (``open_lot_key`` set), in one grouped statement
    after the one that finds the contracts' observed averages.

    Per traject, what it is owed and not yet paid falls in the current year; the rest of its commitment and
    expectation in the year it likely falls due (``cost_due_year``, :func:`invoicing.budget.in_year`). A
    traject whose maximum cannot be known counts 0 and is counted in ``undetermined``; the costs are charged to
    the client's gemeente, as a joint contract's invoices are.
    """
    year = today.year if year is None else year
    if year < today.year:
        return {}
    averages = {cid: avg for cid, avg in observed().items() if avg is not None}
    t = Traject.__table__.c
    average = case(averages, value=t.contract_id, else_=null()) if averages else null()
    realised = cast(func.round(t.approved_cost * 100), BigInteger)
    parts = outlook_parts(SQL_CENTS, t.cost_max_cents, t.cost_owed_cents, realised, average)
    due_year = func.coalesce(t.cost_due_year, today.year)
    committed, expected = in_year(SQL_CENTS, parts, due_year, year, today.year)
    # Every open traject counts in the current year (what it owes falls due now); later, those due then.
    counted = true() if year == today.year else falls_due_in(SQL_CENTS, due_year, today.year) == year

    def count(condition):
        return func.sum(case((condition, 1), else_=0))

    stmt = (select(t.gemeente_id, Contract.funding_source, func.sum(committed), func.sum(expected),
                   count(counted), count(counted & t.cost_max_cents.is_(None)),
                   count(counted & t.cost_max_cents.is_not(None) & average.is_(None)))
            .select_from(Traject.__table__.join(Contract, Contract.id == t.contract_id))
            .where(t.open_lot_key.is_not(None))
            .group_by(t.gemeente_id, Contract.funding_source))
    return {(gemeente_id, source): Outlook(_euros(committed), _euros(expected), int(n or 0), int(undetermined or 0),
                                           int(default or 0))
            for gemeente_id, source, committed, expected, n, undetermined, default in session.execute(stmt)}


def _euros(cents: int | None) -> Decimal:
    return Decimal(int(cents or 0)).scaleb(-2)


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


def signalled(rows: Iterable[PositionRow]) -> list[PositionRow]:
    """The lines that need someone's attention: a warning, or money charged without a budget."""
    return [row for row in rows if row.warnings or not row.has_budget]


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

    Commitments and expectations are spread over the years they likely fall due in (:func:`outlook`): what is
    owed already in the current year, the rest in its year; a past year has none. A (gemeente, source) that
    has money charged to it but no budget line is shown all the same, flagged, so that spending never
    disappears for want of a budget.
    """
    late_month, underspent = settings()
    spent = realised(year)
    ahead = outlook(today, year)
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


