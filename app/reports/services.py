"""Provider performance in SQL: one grouped query per table, whatever the number of trajecten.

Every figure is a :class:`contracts.indicators.Figure` built from sums the database computes over the kept
fact columns of ``traject`` (see :mod:`app.reports.sql`), so a page over a million trajecten reads a few
hundred aggregated rows. The trajecten behind any figure come from :func:`members`, which uses the very same
SQL condition, so the list a user opens and the number on the page cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Select, and_, func, or_, select, true
from sqlalchemy.sql.expression import ColumnElement

from app.db import session
from app.models.clients import Client
from app.models.invoicing import Invoice, InvoiceLine
from app.models.procurement import Contract, Lot
from app.models.registers import Gemeente, Provider
from app.models.trajecten import Traject
from app.reports.sql import (
    column,
    condition,
    counted,
    days_between,
    earliest,
    months_between,
    scanned,
    tally,
)
from contracts.indicators import (
    EVERY,
    INDICATORS,
    Basis,
    Figure,
    Has,
    Indicator,
    Kind,
    Part,
    Verdict,
    cost_per,
    cost_saving_ratio,
    cumulative_placed,
    expected_rate,
    in_period,
    median_of_counts,
    rate,
    standardised_ratio,
    verdict,
    wilson,
)
from contracts.lifecycle import CLOSED_STATUSES
from contracts.messages import N_
from contracts.money import ZERO, to_cents
from contracts.worklist import Terms
from invoicing.status import APPROVED_STATUSES

# What a table can be grouped by: the traject column, and how to name its values.
GROUPS = {
    "provider": N_("aanbieder"),
    "contract": N_("contract"),
    "lot": N_("perceel"),
    "gemeente": N_("gemeente"),
    "client_group": N_("doelgroep"),
    "phase": N_("fase bij verwijzing"),
}
HORIZON_MONTHS = 12  # benefit saved is counted for at most this many months after the exit
COHORT_MONTHS = 12   # cohort curves run this many months from the start
# An open traject without any event for this long counts as parked: the work list's default term.
INACTIVE_DAYS = Terms().inactivity_days


NUMBERED_GROUPS = frozenset({"provider", "contract", "lot", "gemeente", "phase"})  # grouped by an id or a number


def group_column(name: str) -> ColumnElement:
    column = {"provider": Traject.provider_id, "contract": Traject.contract_id, "lot": Contract.lot_id,
              "gemeente": Traject.gemeente_id, "client_group": Traject.client_group,
              "phase": Traject.phase_at_referral}[name]
    return scanned(column)


def group_labels(name: str, keys: list) -> dict:
    """Readable names of group keys (a handful of rows, looked up after the aggregate)."""
    ids = [k for k in keys if k is not None]
    if name == "provider":
        return dict(session.execute(select(Provider.id, Provider.name).where(Provider.id.in_(ids))).all())
    if name == "contract":
        return dict(session.execute(select(Contract.id, Contract.number).where(Contract.id.in_(ids))).all())
    if name == "lot":
        return {i: f"{n} {t}" for i, n, t in session.execute(
            select(Lot.id, Lot.number, Lot.name).where(Lot.id.in_(ids))).all()}
    if name == "gemeente":
        return dict(session.execute(select(Gemeente.id, Gemeente.name).where(Gemeente.id.in_(ids))).all())
    if name == "phase":
        return {k: f"fase {k}" for k in ids}
    return {k: str(k) for k in ids}


@dataclass(frozen=True)
class Query:
    """What the user chose: period, basis, grouping and filters (by database id or code)."""

    period: tuple[date, date]
    basis: Basis = Basis.COHORT
    group_by: str = "provider"
    gemeente_ids: frozenset[int] | None = None  # None: all gemeenten the user may see
    provider_id: int | None = None
    contract_id: int | None = None
    lot_id: int | None = None
    client_group: str | None = None
    phase: int | None = None

    def scope(self) -> ColumnElement[bool]:
        parts = [true()]
        if self.gemeente_ids is not None:
            parts.append(scanned(Traject.gemeente_id).in_(sorted(self.gemeente_ids)))
        for value, attribute in ((self.provider_id, Traject.provider_id), (self.contract_id, Traject.contract_id),
                                 (self.lot_id, Contract.lot_id), (self.client_group, Traject.client_group),
                                 (self.phase, Traject.phase_at_referral)):
            if value is not None:
                parts.append(scanned(attribute) == value)
        return and_(*parts)

    @property
    def needs_contract(self) -> bool:
        return self.group_by == "lot" or self.lot_id is not None

    def in_play(self, indicators: list[Indicator]) -> ColumnElement[bool]:
        """Rows that can count at all: on a cohort basis those referred in the period; on an event basis those
        with one of the indicators' dates in it."""
        if self.basis == Basis.COHORT:
            # A range of ix_traject_cohort, which holds what the cohort reports count: the one date the
            # reports let lead the plan to an index (app.reports.sql.scanned).
            return Traject.referral_date.between(*self.period)
        dates = {ind.numerator_date for ind in indicators} | {ind.denominator_date for ind in indicators}
        return or_(*(scanned(getattr(Traject, d)).between(*self.period) for d in sorted(dates)))


def _base(query: Query, *columns) -> Select:
    """A report's SELECT over the trajecten, joined to their contract only when a lot filter or grouping
    needs it: the join would otherwise lead SQLite to walk the trajecten through an index."""
    stmt = select(*columns).select_from(Traject)
    if query.needs_contract:
        stmt = stmt.join(Contract, Contract.id == scanned(Traject.contract_id))
    return stmt


def _figure(indicator: Indicator, query: Query, k: int, n: int | None, value: Decimal | None = None) -> Figure:
    if indicator.kind == Kind.COUNT:
        return Figure(indicator.id, indicator.kind, query.basis, query.period, k, None, Decimal(k), None)
    if indicator.kind == Kind.RATE:
        interval = wilson(k, n) if query.basis == Basis.COHORT else None
        return Figure(indicator.id, indicator.kind, query.basis, query.period, k, n, rate(k, n), interval)
    return Figure(indicator.id, indicator.kind, query.basis, query.period, k, n, value, None)


@dataclass
class Table:
    """Figures per group and over all groups, for the indicators asked."""

    group_by: str
    indicators: list[Indicator]
    rows: list[tuple[object, str, dict[str, Figure]]]
    total: dict[str, Figure]
    costs: dict[object, Decimal] = field(default_factory=dict)  # kept approved cost per group, when asked


def _count(predicate, dated: str, query: Query) -> ColumnElement[int]:
    """How many rows in scope satisfy ``predicate`` with ``dated`` in the period. On a cohort basis the WHERE
    clause already holds the referral date to the period, so a plain fact is ``count(column)`` and needs no
    CASE per row (SQLite interprets every CASE for every row)."""
    if query.basis == Basis.COHORT and dated == "referral_date":
        if predicate == EVERY:
            return func.count()
        if isinstance(predicate, Has):
            return func.count(column(predicate.field))
        return func.sum(tally(condition(predicate)))
    return func.sum(tally(and_(condition(predicate), column(dated).between(*query.period))))


def table(query: Query, indicator_ids: list[str] | None = None, cost: bool = False) -> Table:
    """The figures of the indicators per group. With ``cost`` (cohort basis only) the same pass sums the
    approved cost the trajecten keep, so that :func:`money` needs no pass of its own for it."""
    if cost and query.basis != Basis.COHORT:
        raise ValueError("approved cost per group is kept by referral cohort only")
    indicators = [INDICATORS[i] for i in (indicator_ids or list(INDICATORS))]
    key = group_column(query.group_by)
    # Each distinct (predicate, date) is counted once, however many indicators share it.
    distinct: dict = {}
    for ind in indicators:
        for part in ("numerator", "denominator"):
            predicate = ind.numerator if part == "numerator" else ind.denominator
            distinct.setdefault((predicate, in_period(ind, query.basis, part)), len(distinct))
    sums = [_count(p, d, query) for p, d in distinct] + ([func.sum(Traject.approved_cost)] if cost else [])
    stmt = (_base(query, key.label("key"), *sums).where(query.scope(), query.in_play(indicators)).group_by(key))
    raw, costs = {}, {}
    for row in session.execute(stmt):
        if cost:
            costs[row[0]] = to_cents(Decimal(str(row[-1] or 0)))
        values = [int(v or 0) for v in row[1:len(distinct) + 1]]
        raw[row[0]] = [values[distinct[(ind.numerator if part == "numerator" else ind.denominator,
                                        in_period(ind, query.basis, part))]]
                       for ind in indicators for part in ("numerator", "denominator")]
    medians = {ind.id: _medians(query, ind) for ind in indicators if ind.kind == Kind.MEDIAN_DAYS}
    labels = group_labels(query.group_by, list(raw))
    rows = []
    totals = [0] * (2 * len(indicators))
    for group, values in raw.items():
        figures = {}
        for i, ind in enumerate(indicators):
            k, n = values[2 * i], values[2 * i + 1]
            totals[2 * i] += k
            totals[2 * i + 1] += n
            figures[ind.id] = _figure(ind, query, k, n, medians.get(ind.id, {}).get(group))
        rows.append((group, labels.get(group, "—") if group is not None else "—", figures))
    rows.sort(key=lambda r: str(r[1]))
    overall = {ind.id: _figure(ind, query, totals[2 * i], totals[2 * i + 1],
                               medians.get(ind.id, {}).get("__all__"))
               for i, ind in enumerate(indicators)}
    return Table(query.group_by, indicators, rows, overall, costs)


def figures_for(query: Query, indicator_ids: list[str], groups: set) -> dict[object, dict[str, Figure]]:
    """The figures of some groups, all from one grouped :func:`table`; a group without trajecten gets what an
    empty group has (a count of 0, a rate or median without a value)."""
    found = {key: figures for key, _label, figures in table(query, indicator_ids).rows}
    empty = {i: _figure(INDICATORS[i], query, 0, 0) for i in indicator_ids}
    return {group: found.get(group, empty) for group in groups}


def _medians(query: Query, indicator: Indicator) -> dict:
    """Median days per group and over all, from a histogram the database counts (group, days, how many):
    days take a few hundred values, so this reads a few hundred rows instead of sorting every traject."""
    days = days_between(getattr(Traject, indicator.start), getattr(Traject, indicator.end))
    key = group_column(query.group_by)
    stmt = (_base(query, key, days, func.count())
            .where(query.scope(), counted(indicator, "numerator", query.basis, query.period)).group_by(key, days))
    per_group: dict = defaultdict(lambda: defaultdict(int))
    for group, d, n in session.execute(stmt):
        per_group[group][int(d)] += int(n)
        per_group["__all__"][int(d)] += int(n)
    return {g: median_of_counts(counts).quantize(Decimal("0.1")) for g, counts in per_group.items()}


def members(query: Query, indicator_id: str, part: Part, group: object | None, limit: int = 500):
    """The trajecten counted in a figure's numerator or denominator (the same SQL condition as the number)."""
    indicator = INDICATORS[indicator_id]
    stmt = (_base(query, Traject).where(query.scope(), counted(indicator, part, query.basis, query.period))
            .order_by(Traject.id))
    if group is not None:
        stmt = stmt.where(group_column(query.group_by) == group)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return list(session.scalars(stmt.limit(limit))), total


# --- fair comparison ------------------------------------------------------------------------------


@dataclass
class Standardised:
    provider_id: int
    provider: str
    placed: int
    started: int
    actual: Decimal | None
    expected: Decimal | None
    ratio: Decimal | None
    interval: tuple[Decimal, Decimal] | None

    @property
    def verdict(self) -> Verdict:
        return verdict(self.interval, self.started)


def _standardised(cells: dict[int, dict[tuple, tuple[int, int]]]) -> list[Standardised]:
    """Each provider's rate beside the rate its mix of client groups and phases would predict (indirect
    standardisation against all providers' rates in each stratum), with their ratio and its interval, from the
    counts (numerator, denominator) per provider and stratum (client group, phase)."""
    reference: dict = defaultdict(lambda: [0, 0])
    for strata in cells.values():
        for stratum, (k, n) in strata.items():
            reference[stratum][0] += k
            reference[stratum][1] += n
    names = group_labels("provider", list(cells))
    out = []
    for provider_id, strata in cells.items():
        k = sum(c[0] for c in strata.values())
        n = sum(c[1] for c in strata.values())
        expected = expected_rate({s: c[1] for s, c in strata.items()},
                                 {s: (v[0], v[1]) for s, v in reference.items()})
        ratio = standardised_ratio(k, n, expected)
        out.append(Standardised(provider_id, names.get(provider_id, "—"), k, n, rate(k, n), expected,
                                ratio[0] if ratio else None, ratio[1] if ratio else None))
    return sorted(out, key=lambda s: s.provider)


# --- creaming and parking -------------------------------------------------------------------------


@dataclass
class Selection:
    """Signs of creaming (refusing or returning the harder clients) and parking (no activity)."""

    provider_id: int
    provider: str
    by_phase: dict[int | None, dict[str, Figure]] = field(default_factory=dict)
    open: int = 0
    inactive: int = 0

    @property
    def inactive_share(self) -> Decimal | None:
        return rate(self.inactive, self.open)


def fairness(query: Query, today: date, indicator_id: str = "placement_rate",
             inactive_days: int = INACTIVE_DAYS) -> tuple[list[Standardised], list[Selection]]:
    """The comparison page's two tables from one pass over the trajecten in scope, grouped by provider, client
    group and phase: the standardised rates (the indicator per stratum, :func:`_standardised`) and the signs of
    creaming and parking (refusals and returns per phase; open trajecten, and those without an event for
    ``inactive_days`` as of today, per provider), all sums over those cells.

    Each part counts only the rows it would have read on its own (``played``): the WHERE clause takes the
    union of what the parts need, and a stratum appears in a part only when a row of that part is in it."""
    indicator, refusal, returns = INDICATORS[indicator_id], INDICATORS["refusal_rate"], INDICATORS["return_rate"]
    rated = query.in_play([indicator])
    signs = query.in_play([refusal, returns])
    is_open = scanned(Traject.status).not_in(sorted(CLOSED_STATUSES))
    quiet = and_(is_open, Traject.last_event_on < today - timedelta(days=inactive_days))
    counts = [func.sum(tally(counted(ind, part, query.basis, query.period)))
              for ind in (indicator, refusal, returns) for part in ("numerator", "denominator")]
    provider, group, phase = (scanned(Traject.provider_id), scanned(Traject.client_group),
                              scanned(Traject.phase_at_referral))
    stmt = (_base(query, provider, group, phase, func.sum(tally(rated)), func.sum(tally(signs)), *counts,
                  func.sum(tally(is_open)), func.sum(tally(quiet)))
            .where(query.scope(), or_(rated, signs, is_open)).group_by(provider, group, phase))
    cells: dict[int, dict[tuple, tuple[int, int]]] = defaultdict(dict)
    per_phase: dict[tuple[int, object], list[int]] = {}
    found: dict[int, Selection] = {}
    for provider_id, group_key, phase_key, in_rated, in_signs, k, n, rk, rn, tk, tn, open_, inactive in (
            session.execute(stmt)):
        if in_rated:
            cells[provider_id][(group_key, phase_key)] = (int(k or 0), int(n or 0))
        if in_signs:
            sums = per_phase.setdefault((provider_id, phase_key), [0, 0, 0, 0])
            for i, value in enumerate((rk, rn, tk, tn)):
                sums[i] += int(value or 0)
        entry = found.setdefault(provider_id, Selection(provider_id, ""))
        entry.open += int(open_ or 0)
        entry.inactive += int(inactive or 0)
    for (provider_id, phase_key), (rk, rn, tk, tn) in per_phase.items():
        found[provider_id].by_phase[phase_key] = {"refusal_rate": _figure(refusal, query, rk, rn),
                                                  "return_rate": _figure(returns, query, tk, tn)}
    names = group_labels("provider", list(found))
    for entry in found.values():
        entry.provider = names.get(entry.provider_id, "—")
    return _standardised(dict(cells)), sorted(found.values(), key=lambda s: s.provider)


# --- cohorts --------------------------------------------------------------------------------------


def cohort_curves(query: Query, horizon: int = COHORT_MONTHS) -> dict[str, list[tuple[int, Decimal]]]:
    """Per provider, the share of the trajecten started in the period that were placed within 0..horizon
    months of their start (counted in SQL per provider and month, accumulated here)."""
    started = scanned(Traject.started_on).between(*query.period)
    months = months_between(Traject.started_on, Traject.placed_on)
    provider = scanned(Traject.provider_id)
    stmt = (_base(query, provider, months.label("m"), func.count())
            .where(query.scope(), started).group_by(provider, months))
    per: dict = defaultdict(list)
    for provider_id, m, n in session.execute(stmt):
        per[provider_id].extend([int(m) if m is not None else None] * int(n))
    names = group_labels("provider", list(per))
    return {names.get(p, "—"): cumulative_placed(values, horizon) for p, values in sorted(
        per.items(), key=lambda item: names.get(item[0], ""))}


# --- costs and savings ----------------------------------------------------------------------------


@dataclass
class Money:
    """Costs and benefit saved of a group of trajecten, with the counts they are divided by."""

    cost: Decimal
    placements: int
    durable: int
    months_saved: int
    euros_saved: Decimal

    @property
    def per_placement(self) -> Decimal | None:
        return cost_per(self.cost, self.placements)

    @property
    def per_durable(self) -> Decimal | None:
        return cost_per(self.cost, self.durable)

    @property
    def cost_saving_ratio(self) -> Decimal | None:
        return cost_saving_ratio(self.cost, self.euros_saved)


MONEY_DEFINITIONS = {
    "cost": N_("Goedgekeurde, geëxporteerde en betaalde factuurregels van de trajecten in de groep (zonder btw); "
               "op cohortbasis de trajecten verwezen in de periode, op gebeurtenisbasis de regels die in de "
               "periode verschuldigd werden."),
    "per_placement": N_("Kosten gedeeld door het aantal plaatsingen van dezelfde groep."),
    "per_durable": N_("Kosten gedeeld door het aantal duurzame plaatsingen van dezelfde groep."),
    "saved": N_("Per traject met uitstroom: hele maanden van uitstroom tot terugval, tot de peildatum of tot "
                "%(horizon)s maanden na de uitstroom (wat het eerst komt) maal de maandelijkse uitkering van "
                "de cliënt; opgeteld."),
    "ratio": N_("Kosten gedeeld door bespaarde uitkering: onder 1 kost het minder dan het bespaart."),
}


MONEY_COUNTS = ["placements", "durable_placements"]


def money(query: Query, as_of: date, counts: Table | None = None) -> dict[object, Money]:
    """Per group: cost (approved invoice lines), placements, durable placements and benefit saved.

    The placements come from ``counts``, a :func:`table` of the same query holding :data:`MONEY_COUNTS`
    (made here when not given; the marap passes its comparison). On a cohort basis the cost is the approved
    cost each traject keeps (``app.projections``), summed in that same table; on an event basis it is
    the lines that fell due in the period, joined to their traject. The benefit saved is summed over the
    trajecten with an exit, the only ones that need their client."""
    key = group_column(query.group_by)
    cohort = query.basis == Basis.COHORT
    counts = counts or table(query, MONEY_COUNTS, cost=cohort)
    costs = counts.costs
    if not cohort:
        lines = (_base(query, key, func.sum(InvoiceLine.amount))
                 .join(InvoiceLine, InvoiceLine.traject_id == Traject.id)
                 .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
                 .where(Invoice.status.in_(sorted(APPROVED_STATUSES)), query.scope(),
                        InvoiceLine.due_on.between(*query.period))
                 .group_by(key))
        costs = {group: to_cents(Decimal(str(total or 0))) for group, total in session.execute(lines)}
    referred = Traject.referral_date.between(*query.period) if cohort else true()
    # Months off benefit per exit take a dozen values: the database counts trajecten and sums their benefit
    # per (group, months), and the clamp to 0..horizon and the products follow here, exactly.
    months = months_between(Traject.exited_on, earliest(Traject.fell_back_on, as_of))
    exited = and_(scanned(Traject.exited_on) <= as_of,
                  scanned(Traject.exited_on).between(*query.period) if not cohort else true())
    saved = (_base(query, key, months, func.count(), func.sum(Client.monthly_benefit))
             .join(Client, Client.id == scanned(Traject.client_id))
             .where(query.scope(), referred, exited).group_by(key, months))
    savings: dict = defaultdict(lambda: [0, ZERO])
    for group, m, n, benefit in session.execute(saved):
        m = min(max(int(m), 0), HORIZON_MONTHS)
        savings[group][0] += m * int(n)
        savings[group][1] += m * Decimal(str(benefit or 0))
    placed = {group: (figures["placements"].numerator, figures["durable_placements"].numerator)
              for group, _label, figures in counts.rows}
    out = {}
    # On an event basis a group can have cost or savings in the period without a placement in it.
    for group in dict.fromkeys([*placed, *costs, *savings]):
        m, euros = savings.get(group, (0, ZERO))
        out[group] = Money(costs.get(group, ZERO), *placed.get(group, (0, 0)), m, to_cents(euros))
    return out


def totals_of(rows: dict[object, Money]) -> Money:
    return Money(sum((m.cost for m in rows.values()), ZERO), sum(m.placements for m in rows.values()),
                 sum(m.durable for m in rows.values()), sum(m.months_saved for m in rows.values()),
                 sum((m.euros_saved for m in rows.values()), ZERO))
