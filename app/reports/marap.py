"""The management report (marap) of one gemeente over a period: what came in, what went out and why, where
the trajecten stand, what was achieved, what it cost against the budget, and how providers compare.

Every section is one grouped query (set-based, so the report takes the same few queries for a hundred or a
million trajecten). The page, the XLSX and the PDF all render this one :class:`Marap`, so they cannot differ.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select

from app.budgets.services import realised
from app.db import session
from app.models.invoicing import Budget
from app.models.registers import Gemeente
from app.models.trajecten import Traject
from app.reports.services import Money, Query, Table, money, table, totals_of
from app.reports.sql import month_of, scanned, year_of
from contracts.events import ExitReason, WorkKind
from contracts.indicators import Basis
from contracts.lifecycle import TrajectStatus
from contracts.messages import N_

# The indicators the provider comparison of a marap shows (all are on a cohort basis).
MARAP_INDICATORS = ("referrals", "acceptance_rate", "starts", "placements", "placement_rate", "referred_placement_rate",
                    "regular_placement_rate", "subsidised_placement_rate", "durable_placements", "durable_rate",
                    "dropout_rate", "return_rate", "days_to_start", "days_to_placement")
CLOSING = {"refused_on": N_("geweigerd door de aanbieder"), "returned_on": N_("teruggemeld"),
           "dropped_out_on": N_("uitgevallen"), "ended_on": N_("beëindigd")}


@dataclass
class Marap:
    gemeente: str
    gemeente_id: int
    period: tuple[date, date]
    made_on: date
    months: list[tuple[str, int, int]]            # (yyyy-mm, referred, closed)
    closed_by_reason: list[tuple[str, int]]       # closing fact → count of trajecten closed in the period
    exits_by_reason: list[tuple[str, int]]        # ExitReason value → exits from benefit in the period
    placements_by_kind: list[tuple[str, int]]     # WorkKind value → first placements in the period
    status: list[tuple[str, int]]                 # TrajectStatus value → trajecten referred up to the end
    budget: list[tuple[str, Decimal, Decimal]]    # funding source → (budget incl. carried over, realised)
    comparison: Table
    costs: dict[object, Money]
    costs_total: Money

    @property
    def referred(self) -> int:
        return sum(m[1] for m in self.months)

    @property
    def closed(self) -> int:
        return sum(m[2] for m in self.months)


def _closed_on():
    return func.coalesce(Traject.refused_on, Traject.returned_on, Traject.dropped_out_on, Traject.ended_on)


def _by_month(column, where, first: date, last: date) -> dict[str, int]:
    year, month = year_of(column), month_of(column)
    stmt = (select(year, month, func.count()).where(where, column.between(first, last)).group_by(year, month))
    return {f"{int(y):04d}-{int(m):02d}": int(n) for y, m, n in session.execute(stmt)}


def _months(first: date, last: date) -> list[str]:
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def build(gemeente_id: int, period: tuple[date, date], today: date) -> Marap:
    first, last = period
    gemeente = session.get(Gemeente, gemeente_id)
    # Read the gemeente's trajecten as a table scan (see app.reports.sql.scanned), except for the referrals
    # per month, which the index on (gemeente, referral date) answers by itself.
    mine = scanned(Traject.gemeente_id) == gemeente_id
    referred = _by_month(Traject.referral_date, Traject.gemeente_id == gemeente_id, first, last)

    # Closures per month, closures by reason, exits by reason and placements by kind in one pass over the
    # gemeente's trajecten that closed, left benefit or were placed since the period began, grouped by the
    # day each closed (some hundreds of rows).
    def within(column):
        return column.between(first, last)

    closed_on = _closed_on()
    # Every count below needs one of these dates in the period, so a row without any on or after its first
    # day cannot count and is left out before the sums.
    recent = or_(*(getattr(Traject, name) >= first for name in (*CLOSING, "exited_on", "placed_on")))
    sums = [func.sum(case((within(getattr(Traject, name)), 1), else_=0)) for name in CLOSING]
    sums += [func.sum(case((and_(within(Traject.exited_on), Traject.exit_reason == r.value), 1), else_=0))
             for r in ExitReason]
    sums += [func.sum(case((and_(within(Traject.placed_on), Traject.placement_kind == k.value), 1), else_=0))
             for k in WorkKind]
    counts = [0] * len(sums)
    closed: dict[str, int] = defaultdict(int)
    stmt = select(closed_on, func.count(), *sums).where(mine, recent).group_by(closed_on)
    for day, n, *values in session.execute(stmt):
        counts = [c + int(v or 0) for c, v in zip(counts, values, strict=True)]
        if day is not None and first <= day <= last:
            closed[f"{day.year:04d}-{day.month:02d}"] += int(n)
    months = [(m, referred.get(m, 0), closed.get(m, 0)) for m in _months(first, last)]
    reasons = list(zip(CLOSING.values(), counts[:len(CLOSING)], strict=True))
    exits = dict(zip((r.value for r in ExitReason), counts[len(CLOSING):len(CLOSING) + len(ExitReason)],
                     strict=True))
    kinds = dict(zip((k.value for k in WorkKind), counts[len(CLOSING) + len(ExitReason):], strict=True))
    # Read in order from ix_traject_gemeente_status alone.
    status = dict(session.execute(select(Traject.status, func.count()).where(
        Traject.gemeente_id == gemeente_id, Traject.referral_date <= last).group_by(Traject.status)).all())

    spent = realised(last.year, gemeente_id)
    budgets = session.scalars(select(Budget).where(Budget.gemeente_id == gemeente_id, Budget.year == last.year)
                              .order_by(Budget.funding_source)).all()
    sources = {b.funding_source: b.amount + b.carried_over for b in budgets}
    for (g, source), _amount in spent.items():
        if g == gemeente_id:
            sources.setdefault(source, Decimal("0.00"))
    budget = [(source, amount, spent.get((gemeente_id, source), Decimal("0.00")))
              for source, amount in sorted(sources.items())]

    query = Query(period=period, basis=Basis.COHORT, group_by="provider", gemeente_ids=frozenset({gemeente_id}))
    comparison = table(query, list(MARAP_INDICATORS), cost=True)  # the same pass sums the cost for money()
    costs = money(query, today, comparison)
    return Marap(
        gemeente=gemeente.name, gemeente_id=gemeente_id, period=period, made_on=today, months=months,
        closed_by_reason=reasons,
        exits_by_reason=[(r.value, int(exits.get(r.value, 0))) for r in ExitReason],
        placements_by_kind=[(k.value, int(kinds.get(k.value, 0))) for k in WorkKind],
        status=[(s.value, int(status.get(s, 0))) for s in TrajectStatus],
        budget=budget, comparison=comparison, costs=costs, costs_total=totals_of(costs),
    )

