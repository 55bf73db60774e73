"""Performance indicators, defined once: what is counted, over which trajecten, dated by which fact.

Why this module exists. The rekenkamer audits behind this project all found the same faults in municipal
reports: targets and results counted with different denominators; "outflow % of inflow", "outflow % of
active trajecten" and "share of outflow that went to work" mixed from one year to the next; outflow credited
without evidence; percentages of groups of seven shown as if they were facts; providers ranked on raw rates
although one got the clients who were nearly ready for work and the other did not. Each of those faults is
made impossible here rather than warned against:

* an indicator is one record (:class:`Indicator`) that names its numerator and its denominator as
  predicates over the same per-traject fact rows, and the numerator of a rate must imply its denominator
  (checked when the catalogue is built), so a rate is always "these trajecten out of those" and never
  exceeds 100% on a cohort basis;
* the facts of a traject (:class:`Facts`) come from one function over the events the payment engine uses
  (confirmed outcomes, corrections applied), so a report cannot credit what the engine would not pay for;
* every figure says its period basis (:class:`Basis`): a cohort of referrals, or the events of a period; the
  two are different numbers, and :func:`figure` keeps the basis and the period with the number;
* the list of trajecten behind any number is :func:`members` of the same predicate, so "open the list" and
  the number cannot disagree;
* small groups get a size, a Wilson interval and no traffic light below :data:`MIN_GROUP`;
* providers are compared against what their mix of clients would predict (indirect standardisation);
* targets carry a tolerance and the traffic light is one function (:func:`judge`);
* all arithmetic is Decimal or exact fractions, never float; money is rounded by :func:`contracts.money.to_cents`.

The app keeps one fact row per traject (``referral_date`` plus :data:`FACT_FIELDS`) and compiles the
predicates to SQL; :func:`holds` evaluates them in Python, and the tests hold the two meanings together.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from fractions import Fraction
from typing import Any, Literal, cast

from contracts.dates import add_period
from contracts.durability import durable_on
from contracts.events import Event, EventType, ExitReason, WorkKind
from contracts.lifecycle import effective
from contracts.messages import N_
from contracts.money import to_cents

E = EventType

# --- facts of one traject ---------------------------------------------------------------------------

FACT_FIELDS = ("accepted_on", "refused_on", "started_on", "placed_on", "placement_kind", "durable_on",
               "exited_on", "exit_reason", "dropped_out_on", "returned_on", "ended_on", "fell_back_on")
# A fact row is the referral date plus the facts; predicates may name only these fields.
ROW_FIELDS = ("referral_date", *FACT_FIELDS)
DATE_FIELDS = tuple(f for f in ROW_FIELDS if f == "referral_date" or f.endswith("_on"))
# Coded fields and the values they may take, so that a misspelt code ("regulier") is refused, not never true.
CODE_VALUES: dict[str, frozenset[str]] = {
    "placement_kind": frozenset(k.value for k in WorkKind),
    "exit_reason": frozenset(r.value for r in ExitReason),
}


@dataclass(frozen=True)
class Facts:
    """What one traject achieved, each as the date it first happened (None: not, or not yet)."""

    accepted_on: date | None = None
    refused_on: date | None = None
    started_on: date | None = None
    placed_on: date | None = None          # the first placement (any kind)
    placement_kind: str | None = None      # WorkKind value of that first placement
    durable_on: date | None = None         # the day a placement proved durable
    exited_on: date | None = None          # first exit from benefit
    exit_reason: str | None = None         # ExitReason value of that exit
    dropped_out_on: date | None = None
    returned_on: date | None = None
    ended_on: date | None = None
    fell_back_on: date | None = None       # first fall-back after the exit (or after the placement if no exit)


assert tuple(f.name for f in fields(Facts)) == FACT_FIELDS


_FIRST_OF = {
    E.ACCEPTED: "accepted_on", E.REFUSED: "refused_on", E.STARTED: "started_on", E.PLACEMENT: "placed_on",
    E.BENEFIT_EXIT: "exited_on", E.DROPOUT: "dropped_out_on", E.RETURNED: "returned_on", E.ENDED: "ended_on",
}


def facts_of(events: Iterable[Event], durability_months: int) -> Facts:
    """The facts of one traject from its events as the payment engine sees them.

    Events are taken in :attr:`Event.sort_key` order (so the order given does not matter). Corrections are
    applied here as well (:func:`contracts.lifecycle.effective`), so a raw history gives the same facts as
    one already corrected; that outcomes are *confirmed* is the caller's promise.

    Durable is :func:`contracts.durability.durable_on` with ``durability_months``, the rule the engine pays
    by: a confirmation of the same, unbroken placement on or after its date plus the term. ``durable_on`` is
    the date of that confirmation, the earliest over all placements. Kind and hours of the placement do not
    matter here: this is the one cross-contract indicator; which placements a contract pays for is the
    engine's matter.
    """
    if not isinstance(durability_months, int) or durability_months < 0:
        raise ValueError(f"durability_months moet een geheel aantal maanden van 0 of meer zijn: {durability_months!r}")
    ordered = effective(events)
    found: dict[str, Any] = {}  # the fields of Facts: dates, a kind, a reason
    for event in ordered:
        name = _FIRST_OF.get(event.type)
        if name is not None and name not in found:
            found[name] = event.date
            if event.type == E.PLACEMENT:
                found["placement_kind"] = event.kind.value if event.kind is not None else None
            elif event.type == E.BENEFIT_EXIT:
                found["exit_reason"] = event.reason
    found["durable_on"] = durable_on(ordered, durability_months)
    found["fell_back_on"] = _fell_back_on(ordered)
    return Facts(**found)


def _fell_back_on(ordered: list[Event]) -> date | None:
    exit_at = next((i for i, e in enumerate(ordered) if e.type == E.BENEFIT_EXIT), None)
    placement_at = next((i for i, e in enumerate(ordered) if e.type == E.PLACEMENT), None)
    after = exit_at if exit_at is not None else placement_at
    if after is None:
        return None
    return next((e.date for e in ordered[after + 1:] if e.type == E.FALL_BACK), None)


def fact_row(referral_date: date, facts: Facts) -> dict[str, object]:
    """The row the app stores per traject and the predicates read: the referral date and the facts."""
    return {"referral_date": referral_date, **{name: getattr(facts, name) for name in FACT_FIELDS}}


# --- predicates -------------------------------------------------------------------------------------


def _known_field(field: str) -> None:
    if field not in ROW_FIELDS:
        raise ValueError(f"onbekend veld {field!r} (toegestaan: {', '.join(ROW_FIELDS)})")


@dataclass(frozen=True)
class Has:
    """The field is not None: the thing happened."""

    field: str

    def __post_init__(self) -> None:
        _known_field(self.field)


@dataclass(frozen=True)
class OneOf:
    """The coded field has one of these values (None is never one of them)."""

    field: str
    values: frozenset[str]

    def __post_init__(self) -> None:
        if self.field not in CODE_VALUES:
            raise ValueError(f"{self.field!r} is geen gecodeerd veld (toegestaan: {', '.join(CODE_VALUES)})")
        values = frozenset(str(v) for v in self.values)
        if not values:
            raise ValueError(f"OneOf({self.field!r}) zonder waarden is nooit waar")
        unknown = sorted(values - CODE_VALUES[self.field])
        if unknown:
            raise ValueError(f"onbekende waarde(n) voor {self.field}: {', '.join(unknown)}")
        object.__setattr__(self, "values", values)


@dataclass(frozen=True)
class All:
    """Every part holds; ``All(())`` always holds."""

    parts: tuple[Predicate, ...]

    def __post_init__(self) -> None:
        parts = tuple(self.parts)
        for part in parts:
            _check_predicate(part)
        object.__setattr__(self, "parts", parts)


@dataclass(frozen=True)
class Not:
    part: Predicate

    def __post_init__(self) -> None:
        _check_predicate(self.part)


Predicate = Has | OneOf | All | Not
EVERY = All(())


def _check_predicate(predicate: object) -> None:
    if not isinstance(predicate, Has | OneOf | All | Not):
        raise TypeError(f"geen predicaat: {predicate!r}")


def holds(predicate: Predicate, row: Mapping[str, object]) -> bool:
    """Whether the predicate holds for a fact row. A field missing from the row is an error, not False."""
    if isinstance(predicate, Has):
        return row[predicate.field] is not None
    if isinstance(predicate, OneOf):
        value = row[predicate.field]
        return value is not None and str(value) in predicate.values
    if isinstance(predicate, All):
        return all(holds(part, row) for part in predicate.parts)
    if isinstance(predicate, Not):
        return not holds(predicate.part, row)
    raise TypeError(f"geen predicaat: {predicate!r}")


def fields_of(predicate: Predicate) -> frozenset[str]:
    """The row fields a predicate reads (the columns its SQL needs)."""
    if isinstance(predicate, Has | OneOf):
        return frozenset({predicate.field})
    if isinstance(predicate, All):
        return frozenset().union(*(fields_of(p) for p in predicate.parts))
    if isinstance(predicate, Not):
        return fields_of(predicate.part)
    raise TypeError(f"geen predicaat: {predicate!r}")


def _implies(a: Predicate, b: Predicate) -> bool:
    """Whether ``a`` implies ``b`` by its structure alone. Conservative: False means "not shown", and the
    catalogue is written so that what must be shown is shown."""
    if a == b:
        return True
    if isinstance(b, All):
        return all(_implies(a, part) for part in b.parts)
    if isinstance(a, All):
        return any(_implies(part, b) for part in a.parts)
    if isinstance(a, OneOf) and isinstance(b, Has):
        return a.field == b.field
    if isinstance(a, OneOf) and isinstance(b, OneOf):
        return a.field == b.field and a.values <= b.values
    return False


def _dates(predicate: Predicate, field: str) -> bool:
    """Whether every row where ``predicate`` holds has a date in ``field``."""
    return field == "referral_date" or _implies(predicate, Has(field))


# --- the indicator catalogue ------------------------------------------------------------------------


class Kind(enum.StrEnum):
    COUNT = "count"
    RATE = "rate"
    MEDIAN_DAYS = "median_days"


@dataclass(frozen=True)
class Indicator:
    """One indicator. A rate is ``numerator / denominator`` over fact rows; a count counts the numerator; a
    median is over the days from ``start`` to ``end`` of the rows where the numerator holds, and its
    denominator is the population those rows come from (a median over the placed alone says nothing about
    how many were placed, so the figure shows both)."""

    id: str
    label: str
    definition: str
    kind: Kind
    numerator: Predicate
    denominator: Predicate
    numerator_date: str
    denominator_date: str
    higher_is_better: bool = True
    start: str | None = None
    end: str | None = None

    def __post_init__(self) -> None:
        problem = self._problem()
        if problem:
            raise ValueError(f"indicator {self.id!r}: {problem}")

    def _problem(self) -> str | None:
        if not self.id or not self.label or not self.definition:
            return "id, label en definitie zijn verplicht"
        _check_predicate(self.numerator)
        _check_predicate(self.denominator)
        for name in (self.numerator_date, self.denominator_date):
            if name not in DATE_FIELDS:
                return f"{name!r} is geen datumveld"
        if not _dates(self.numerator, self.numerator_date):
            return f"de teller garandeert geen {self.numerator_date}"
        if self.kind == Kind.COUNT:
            if self.denominator != EVERY:
                return "een telling heeft geen noemer (EVERY)"
        else:
            if not _implies(self.numerator, self.denominator):
                return "de teller valt niet binnen de noemer"
            if not _dates(self.denominator, self.denominator_date):
                return f"de noemer garandeert geen {self.denominator_date}"
        if self.kind == Kind.MEDIAN_DAYS:
            if self.start not in DATE_FIELDS or self.end not in DATE_FIELDS:
                return "een mediaan in dagen heeft een begin- en einddatumveld"
            if not (_dates(self.numerator, self.start) and _dates(self.numerator, self.end)):
                return "de teller garandeert niet dat begin- en einddatum bekend zijn"
        elif self.start is not None or self.end is not None:
            return "alleen een mediaan heeft een begin en einde"
        return None


def _count(id: str, label: str, definition: str, counted: Predicate, dated: str) -> Indicator:
    return Indicator(id, label, definition, Kind.COUNT, counted, EVERY, dated, dated)


def _rate(id: str, label: str, definition: str, extra: Predicate, of: Predicate, dated: str, of_dated: str,
          higher_is_better: bool = True) -> Indicator:
    """A rate whose numerator is its denominator *and* ``extra``: it cannot count outside its population."""
    parts = of.parts if isinstance(of, All) else (of,)
    return Indicator(id, label, definition, Kind.RATE, All((*parts, extra)), of, dated, of_dated, higher_is_better)


STARTED = Has("started_on")
ACCEPTED = Has("accepted_on")
EXITED = Has("exited_on")
PLACED = Has("placed_on")
PLACEMENTS = All((STARTED, PLACED))

_CATALOGUE = (
    _count("referrals", N_("Verwijzingen"),
           N_("Aantal verwijzingen naar een aanbieder, gedateerd op de verwijsdatum; elke verwijzing telt één "
              "keer, wat er ook daarna gebeurde."),
           EVERY, "referral_date"),
    _rate("acceptance_rate", N_("Acceptatie"),
          N_("Geaccepteerde verwijzingen gedeeld door alle verwijzingen."),
          ACCEPTED, EVERY, "accepted_on", "referral_date"),
    _rate("refusal_rate", N_("Weigering"),
          N_("Door de aanbieder geweigerde verwijzingen gedeeld door alle verwijzingen."),
          Has("refused_on"), EVERY, "refused_on", "referral_date", higher_is_better=False),
    _count("starts", N_("Gestarte trajecten"),
           N_("Aantal trajecten dat is gestart, gedateerd op de startdatum."),
           STARTED, "started_on"),
    _count("placements", N_("Plaatsingen"),
           N_("Aantal gestarte trajecten met een eerste plaatsing in werk van welke soort ook, gedateerd op die "
              "plaatsing."),
           PLACEMENTS, "placed_on"),
    _rate("placement_rate", N_("Plaatsing, van de gestarte trajecten"),
          N_("Gestarte trajecten met een plaatsing in werk van welke soort ook (regulier, gesubsidieerd of "
             "tijdelijk) gedeeld door alle gestarte trajecten; alleen de eerste plaatsing telt."),
          PLACED, STARTED, "placed_on", "started_on"),
    # The share many municipal reports use: everyone referred, so that what refusals, returns and trajecten
    # that never start cost is in the figure. Its numerator is the placements count's, so beside
    # placement_rate it divides the very same placements by more people.
    Indicator("referred_placement_rate", N_("Plaatsing, van alle verwezen cliënten"),
              N_("Verwijzingen waarvan het gestarte traject tot een plaatsing in werk van welke soort ook "
                 "leidde gedeeld door alle verwijzingen, ook de geweigerde, teruggemelde en nooit gestarte; "
                 "alleen de eerste plaatsing telt."),
              Kind.RATE, PLACEMENTS, EVERY, "placed_on", "referral_date"),
    _rate("regular_placement_rate", N_("Plaatsing in regulier werk"),
          N_("Gestarte trajecten waarvan de eerste plaatsing regulier werk was gedeeld door alle gestarte "
             "trajecten."),
          All((PLACED, OneOf("placement_kind", frozenset({WorkKind.REGULAR.value})))), STARTED,
          "placed_on", "started_on"),
    _rate("subsidised_placement_rate", N_("Plaatsing in gesubsidieerd werk"),
          N_("Gestarte trajecten waarvan de eerste plaatsing werk met loonkostensubsidie was gedeeld door alle "
             "gestarte trajecten."),
          All((PLACED, OneOf("placement_kind", frozenset({WorkKind.SUBSIDISED.value})))), STARTED,
          "placed_on", "started_on"),
    _count("durable_placements", N_("Duurzame plaatsingen"),
           N_("Aantal gestarte trajecten met een plaatsing die duurzaam bleek, gedateerd op de bevestiging dat "
              "de cliënt na de duurzaamheidstermijn nog werkte."),
           All((STARTED, Has("durable_on"))), "durable_on"),
    _rate("durable_rate", N_("Duurzame plaatsing"),
          N_("Gestarte trajecten met een plaatsing die duurzaam bleek (na de termijn bevestigd nog in werk, "
             "zonder einde, terugval of uitval daartussen) gedeeld door alle gestarte trajecten."),
          Has("durable_on"), STARTED, "durable_on", "started_on"),
    _rate("dropout_rate", N_("Uitval"),
          N_("Gestarte trajecten waarin de cliënt is uitgevallen gedeeld door alle gestarte trajecten."),
          Has("dropped_out_on"), STARTED, "dropped_out_on", "started_on", higher_is_better=False),
    _rate("return_rate", N_("Terugverwijzing"),
          N_("Geaccepteerde verwijzingen die de aanbieder heeft teruggemeld gedeeld door alle geaccepteerde "
             "verwijzingen."),
          Has("returned_on"), ACCEPTED, "returned_on", "accepted_on", higher_is_better=False),
    _count("exits", N_("Uitstroom uit de uitkering"),
           N_("Aantal gestarte trajecten met uitstroom uit de uitkering om welke reden ook, gedateerd op de "
              "uitstroom."),
           All((STARTED, EXITED)), "exited_on"),
    _rate("exit_rate", N_("Uitstroom"),
          N_("Gestarte trajecten met uitstroom uit de uitkering om welke reden ook (ook verhuizing of inkomen "
             "van een partner) gedeeld door alle gestarte trajecten."),
          EXITED, STARTED, "exited_on", "started_on"),
    _rate("work_exit_rate", N_("Uitstroom naar werk, van de gestarte trajecten"),
          N_("Gestarte trajecten met uitstroom uit de uitkering met als reden werk gedeeld door alle gestarte "
             "trajecten."),
          All((EXITED, OneOf("exit_reason", frozenset({ExitReason.WORK.value})))), STARTED,
          "exited_on", "started_on"),
    _rate("fall_back_rate", N_("Terugval"),
          N_("Trajecten die na uitstroom weer in de uitkering kwamen gedeeld door alle trajecten met "
             "uitstroom uit de uitkering."),
          Has("fell_back_on"), EXITED, "fell_back_on", "exited_on", higher_is_better=False),
    Indicator("days_to_start", N_("Dagen tot start"),
              N_("Mediaan van het aantal dagen van verwijzing tot start over de gestarte trajecten, naast het "
                 "aantal verwijzingen waaruit zij komen."),
              Kind.MEDIAN_DAYS, STARTED, EVERY, "started_on", "referral_date", higher_is_better=False,
              start="referral_date", end="started_on"),
    Indicator("days_to_placement", N_("Dagen tot plaatsing"),
              N_("Mediaan van het aantal dagen van start tot eerste plaatsing over de gestarte en geplaatste "
                 "trajecten, naast het aantal gestarte trajecten waaruit zij komen."),
              Kind.MEDIAN_DAYS, All((STARTED, PLACED)), STARTED, "placed_on", "started_on",
              higher_is_better=False, start="started_on", end="placed_on"),
)

INDICATORS: dict[str, Indicator] = {indicator.id: indicator for indicator in _CATALOGUE}
assert len(INDICATORS) == len(_CATALOGUE), "dubbele indicator-id's"


# --- period basis -----------------------------------------------------------------------------------


class Basis(enum.StrEnum):
    COHORT = "cohort"
    EVENT = "event"


# The basis in one word, where a line says what the figures cover ("cohort", "gebeurtenis").
BASIS_NAMES = {Basis.COHORT: N_("cohort"), Basis.EVENT: N_("gebeurtenis")}

BASIS_LABELS = {
    Basis.COHORT: N_("cohort: trajecten verwezen in de periode, met alles wat zij tot nu toe bereikten"),
    Basis.EVENT: N_("gebeurtenis: wat in de periode gebeurde, ongeacht wanneer het traject begon"),
}

Part = Literal["numerator", "denominator"]
Period = tuple[date, date]  # first and last day, both included


def in_period(indicator: Indicator, basis: Basis, part: Part) -> str:
    """The date field of a fact row that must fall in the period for the row to count in ``part``.

    On a cohort basis it is always the referral date: numerator and denominator are the same group of
    trajecten (those referred in the period), so a rate is a share of that group, with a Wilson interval;
    recent cohorts have had less time, so their rates still rise.

    On an event basis each part is dated by its own fact: "placements in 2026" over "starts in 2026". Those
    are events of the period and not the same trajecten (a placement in March may come from a start in the
    year before), so the ratio is no share of a group, can exceed 100% and gets no interval. The two bases
    give different numbers for the same words, which is exactly the fault the audits found; hence the page
    states the basis beside every figure, and :class:`Figure` carries it.
    """
    basis = Basis(basis)
    if part not in ("numerator", "denominator"):
        raise ValueError(f"part is 'numerator' of 'denominator', niet {part!r}")
    if basis == Basis.COHORT:
        return "referral_date"
    return indicator.numerator_date if part == "numerator" else indicator.denominator_date


def members(indicator: Indicator, rows: Iterable[Mapping[str, object]], part: Part, basis: Basis,
            period: Period) -> list[Mapping[str, object]]:
    """The fact rows behind the numerator or denominator of a figure: the list a user opens from the number."""
    first, last = period
    if first > last:
        raise ValueError(f"periode begint na haar einde: {first} > {last}")
    predicate = indicator.numerator if part == "numerator" else indicator.denominator
    dated = in_period(indicator, basis, part)
    return [row for row in rows
            if holds(predicate, row) and row[dated] is not None and first <= cast(date, row[dated]) <= last]


@dataclass(frozen=True)
class Figure:
    """One number with everything that must be shown beside it."""

    indicator: str
    kind: Kind
    basis: Basis
    period: Period
    numerator: int                 # rows counted (count), in the numerator (rate), behind the median (median)
    denominator: int | None        # the population (rate, median); None for a count
    value: Decimal | None          # count, share 0..1 (more on an event basis), median days; None when empty
    interval: tuple[Decimal, Decimal] | None  # Wilson 95%, for cohort rates only

    @property
    def size(self) -> int:
        """The group the value rests on: the denominator of a rate, the values behind a median, a count."""
        return self.denominator if self.kind == Kind.RATE and self.denominator is not None else self.numerator

    @property
    def judgeable(self) -> bool:
        """Whether the figure may be judged at all. A count is exact, not an estimate from a sample, so it is
        judged however small; a rate or a median needs a group of :data:`MIN_GROUP`. Every page, file and
        traffic light reads this one answer ("te klein om te oordelen" is its negation)."""
        return self.kind == Kind.COUNT or judgeable(self.size)


def figure(indicator: Indicator, rows: Iterable[Mapping[str, object]], basis: Basis, period: Period) -> Figure:
    """The indicator over fact rows, for a period on a basis (the Python twin of the app's SQL)."""
    rows = list(rows)
    basis = Basis(basis)
    top = members(indicator, rows, "numerator", basis, period)
    k = len(top)
    if indicator.kind == Kind.COUNT:
        return Figure(indicator.id, indicator.kind, basis, period, k, None, Decimal(k), None)
    n = len(members(indicator, rows, "denominator", basis, period))
    if indicator.kind == Kind.RATE:
        interval = wilson(k, n) if basis == Basis.COHORT else None
        return Figure(indicator.id, indicator.kind, basis, period, k, n, rate(k, n), interval)
    assert indicator.start is not None and indicator.end is not None, "a duration is measured between two dates"
    days = [(cast(date, row[indicator.end]) - cast(date, row[indicator.start])).days for row in top]
    return Figure(indicator.id, indicator.kind, basis, period, k, n, median(days), None)


# --- statistics -------------------------------------------------------------------------------------

DIGITS = 28                       # significant digits of every quotient returned
INTERVAL_PLACES = Decimal("1e-12")  # interval bounds are rounded outwards to this
Z95 = Decimal("1.96")
MIN_GROUP = 10
ZERO = Decimal(0)
ONE = Decimal(1)


def _no_float(**values: object) -> None:
    for name, value in values.items():
        if isinstance(value, float):
            raise TypeError(f"{name} is een float; gebruik Decimal")


def _counts(k: int, n: int) -> None:
    if not (isinstance(k, int) and isinstance(n, int)) or not 0 <= k <= n:
        raise ValueError(f"nodig: gehele getallen 0 <= k <= n, niet k={k!r}, n={n!r}")


def _decimal(value: Fraction) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = DIGITS
        return Decimal(value.numerator) / Decimal(value.denominator)


def rate(k: int, n: int) -> Decimal | None:
    """``k / n``, or None when ``n`` is 0 (an empty group has no rate, and no exception either)."""
    if n == 0:
        return None
    return _decimal(Fraction(k, n))


def wilson(k: int, n: int, z: Decimal = Z95) -> tuple[Decimal, Decimal] | None:
    """The Wilson score interval for ``k`` out of ``n`` (95% with the default z), as fractions 0..1.

    centre = (p + z²/2n) / (1 + z²/n);  half = z / (1 + z²/n) × √(p(1−p)/n + z²/4n²);  p = k/n.
    Unlike p ± z√(p(1−p)/n) it stays within [0, 1] and is not empty at 0 or n. Bounds are rounded outwards
    to 12 decimals, so the interval always contains k/n. None when n is 0.
    """
    _counts(k, n)
    _no_float(z=z)
    if not isinstance(z, Decimal) or not z > 0:
        raise ValueError(f"z moet een Decimal groter dan 0 zijn: {z!r}")
    if n == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 50
        big_k, big_n = Decimal(k), Decimal(n)
        p = big_k / big_n
        z2 = z * z
        scale = 1 + z2 / big_n
        centre = (p + z2 / (2 * big_n)) / scale
        half = z / scale * (p * (1 - p) / big_n + z2 / (4 * big_n * big_n)).sqrt()
        low = ZERO if k == 0 else max(ZERO, centre - half)
        high = ONE if k == n else min(ONE, centre + half)
        return low.quantize(INTERVAL_PLACES, rounding=ROUND_FLOOR), high.quantize(INTERVAL_PLACES,
                                                                                  rounding=ROUND_CEILING)


def judgeable(n: int) -> bool:
    """Whether a group is large enough for a percentage to be judged against a target."""
    return n >= MIN_GROUP


def median(values: Sequence[int]) -> Decimal | None:
    """The median (mean of the middle two for an even count); None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return Decimal(ordered[middle])
    return (Decimal(ordered[middle - 1]) + Decimal(ordered[middle])) / 2


def median_of_counts(counts: Mapping[int, int]) -> Decimal | None:
    """The median of values given as value → how often it occurs: the same as :func:`median` of the values
    written out, without writing them out (a database returns a few hundred day counts, not every traject)."""
    total = sum(counts.values())
    if total == 0:
        return None
    wanted = [(total - 1) // 2, total // 2]  # the middle position(s), counted from 0
    found: list[int] = []
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        while wanted and wanted[0] < seen:
            found.append(value)
            wanted.pop(0)
    return (Decimal(found[0]) + Decimal(found[1])) / 2


def expected_rate(mix: Mapping[object, int], reference: Mapping[object, tuple[int, int]]) -> Decimal | None:
    """The rate a provider would have with its own mix of clients and everyone's results per stratum.

    Indirect standardisation: Σ n_s × (k_s / n_s) / Σ n_s, with ``mix`` the provider's n per stratum (say
    (client group, phase)) and ``reference`` the (k, n) per stratum over all providers. A stratum absent from
    the reference, or with n 0 there, has no rate of its own and contributes the overall reference rate
    Σk / Σn: "as good as average". None when the mix is empty or there is no reference at all. Computed in
    exact fractions and rounded once, so a provider whose mix is the overall mix gets exactly the overall rate.
    """
    total_k = total_n = 0
    for stratum, (k_s, n_s) in reference.items():
        try:
            _counts(k_s, n_s)
        except ValueError as error:
            raise ValueError(f"referentie {stratum!r}: {error}") from None
        total_k += k_s
        total_n += n_s
    size = 0
    expected = Fraction(0)
    for stratum, n_s in mix.items():
        if not isinstance(n_s, int) or n_s < 0:
            raise ValueError(f"mix {stratum!r}: aantal moet een geheel getal van 0 of meer zijn, niet {n_s!r}")
        if n_s == 0:
            continue
        k_r, n_r = reference.get(stratum, (0, 0))
        if n_r:
            stratum_rate = Fraction(k_r, n_r)
        elif total_n:
            stratum_rate = Fraction(total_k, total_n)
        else:
            return None
        expected += n_s * stratum_rate
        size += n_s
    if size == 0:
        return None
    return _decimal(expected / size)


def standardised_ratio(k: int, n: int, expected: Decimal | None
                       ) -> tuple[Decimal, tuple[Decimal, Decimal] | None] | None:
    """Observed over expected rate (1 = as expected for this mix of clients), with an interval.

    The interval is the Wilson interval of the observed rate divided by the expected rate: it treats the
    expected rate as known, which is fair when the reference group is much larger than the provider's own.
    None when n is 0 or there is no (or a zero) expected rate.
    """
    _counts(k, n)
    _no_float(expected=expected)
    if n == 0 or expected is None or expected <= 0:
        return None
    with localcontext() as ctx:
        ctx.prec = DIGITS
        ratio = Decimal(k) / Decimal(n) / expected
        bounds = wilson(k, n)
        interval = (bounds[0] / expected, bounds[1] / expected) if bounds is not None else None
    return ratio, interval


class Light(enum.StrEnum):
    REACHED = "reached"
    NEARLY = "nearly"
    NOT_REACHED = "not_reached"
    NO_JUDGEMENT = "no_judgement"


LIGHT_LABELS = {
    Light.REACHED: N_("gehaald"),
    Light.NEARLY: N_("bijna gehaald"),
    Light.NOT_REACHED: N_("niet gehaald"),
    Light.NO_JUDGEMENT: N_("geen oordeel: te weinig trajecten of geen waarde"),
}


def judge(value: Decimal | None, target: Decimal, tolerance: Decimal, n: int, higher_is_better: bool = True,
          min_n: int = MIN_GROUP) -> Light:
    """The traffic light for a value against a target with a tolerance ("159 against 160 counts as reached").

    Higher is better: reached when value ≥ target − tolerance, nearly when value ≥ target − 2 × tolerance,
    else not reached; lower is better mirrors that (value ≤ target + tolerance, ...). No judgement when there
    is no value or the group has fewer than ``min_n`` trajecten. Value, target and tolerance are in the same
    unit (a count, a share 0..1 or days); the tolerance is not a percentage of the target.
    """
    _no_float(value=value, target=target, tolerance=tolerance)
    if tolerance < 0:
        raise ValueError(f"de tolerantie kan niet negatief zijn: {tolerance}")
    if value is None or n < min_n:
        return Light.NO_JUDGEMENT
    gap = target - value if higher_is_better else value - target  # how far on the wrong side
    if gap <= tolerance:
        return Light.REACHED
    if gap <= 2 * tolerance:
        return Light.NEARLY
    return Light.NOT_REACHED


PERCENT = Decimal(100)


def target_basis(indicator: Indicator) -> Basis:
    """The basis a target for the indicator is judged on: a count on the events of the year ("160
    placements in 2026"), a rate or a median on the trajecten referred in the year, a share of one group."""
    return Basis.EVENT if indicator.kind == Kind.COUNT else Basis.COHORT


def judge_figure(figure: Figure, target: Decimal, tolerance: Decimal) -> Light:
    """The traffic light of a figure against a target. Targets for rates are set in percent (38 for 38%),
    counts and medians in their own unit; a figure that is not :attr:`Figure.judgeable` gets no judgement."""
    indicator = INDICATORS[figure.indicator]
    value = figure.value
    if value is not None and figure.kind == Kind.RATE:
        value = value * PERCENT
    light = judge(value, target, tolerance, figure.size, indicator.higher_is_better, min_n=0)
    return light if figure.judgeable else Light.NO_JUDGEMENT


class Verdict(enum.StrEnum):
    """What observed against expected says, read from the interval of their ratio."""

    BETTER = "better"
    WORSE = "worse"
    SIMILAR = "similar"
    TOO_SMALL = "too_small"


VERDICT_LABELS = {
    Verdict.BETTER: N_("beter dan verwacht"),
    Verdict.WORSE: N_("slechter dan verwacht"),
    Verdict.SIMILAR: N_("niet te onderscheiden van verwacht"),
    Verdict.TOO_SMALL: N_("te klein om te oordelen"),
}


def verdict(interval: tuple[Decimal, Decimal] | None, n: int) -> Verdict:
    """Better or worse than expected only when the whole 95% interval of observed/expected lies above or
    below 1, and only from a group of :data:`MIN_GROUP`: a ratio alone, on a handful, says nothing."""
    if not judgeable(n):
        return Verdict.TOO_SMALL
    if interval is not None and interval[0] > ONE:
        return Verdict.BETTER
    if interval is not None and interval[1] < ONE:
        return Verdict.WORSE
    return Verdict.SIMILAR


def months_between(a: date, b: date) -> int:
    """Whole calendar months completed from ``a`` to ``b``: the largest m with ``add_period(a, m) <= b``.

    This is the inverse of :func:`contracts.dates.add_period`, which the durability rule uses, so that
    ``months_between(a, add_period(a, m)) == m`` always: 15-01 → 15-02 is 1, 15-01 → 14-02 is 0, and
    31-01 → 28-02 is 1 in a common year (31 January + 1 month = 28 February) but 0 in a leap year, where
    the month is completed on 29-02. Raises ValueError when ``b`` is before ``a``.
    """
    if b < a:
        raise ValueError(f"{b} ligt vóór {a}")
    months = (b.year - a.year) * 12 + b.month - a.month
    if add_period(a, months=months) > b:
        months -= 1
    return months


def months_to_placement(row: Mapping[str, object]) -> int | None:
    """Whole months from start to first placement of a started traject (None when not placed)."""
    started, placed = row["started_on"], row["placed_on"]
    if started is None or placed is None:
        return None
    return months_between(cast(date, started), cast(date, placed))


def cumulative_placed(months_to_placement: Sequence[int | None], horizon: int) -> list[tuple[int, Decimal]]:
    """For a group of started trajecten, the share placed within 0, 1, ..., ``horizon`` months of the start.

    ``months_to_placement`` has one entry per started traject: whole months to its first placement, or None
    when not placed. Cumulative, so never decreasing. An empty group gives an empty curve.
    """
    if not isinstance(horizon, int) or horizon < 0:
        raise ValueError(f"de horizon moet een geheel aantal maanden van 0 of meer zijn: {horizon!r}")
    for m in months_to_placement:
        if m is not None and (not isinstance(m, int) or m < 0):
            raise ValueError(f"maanden tot plaatsing moeten gehele getallen van 0 of meer zijn: {m!r}")
    size = len(months_to_placement)
    if size == 0:
        return []
    by_month = [0] * (horizon + 1)
    for m in months_to_placement:
        if m is not None and m <= horizon:
            by_month[m] += 1
    curve, placed = [], 0
    for month, count in enumerate(by_month):
        placed += count
        curve.append((month, _decimal(Fraction(placed, size))))
    return curve


def months_off_benefit(exited_on: date | None, fell_back_on: date | None, as_of: date, horizon_months: int) -> int:
    """Whole months off benefit from the exit until the fall-back, the horizon's end or ``as_of``, whichever
    comes first (0 when there was no exit, or the exit lies after ``as_of``)."""
    if not isinstance(horizon_months, int) or horizon_months < 0:
        raise ValueError(f"de horizon moet een geheel aantal maanden van 0 of meer zijn: {horizon_months!r}")
    if exited_on is None:
        return 0
    ends = [as_of, add_period(exited_on, months=horizon_months)]
    if fell_back_on is not None:
        ends.append(fell_back_on)
    end = min(ends)
    return months_between(exited_on, end) if end >= exited_on else 0


def euros_saved(months: int, monthly_benefit: Decimal) -> Decimal:
    """Benefit saved: whole months off benefit × the monthly benefit, rounded to cents."""
    _no_float(monthly_benefit=monthly_benefit)
    if not isinstance(months, int) or months < 0:
        raise ValueError(f"maanden moet een geheel getal van 0 of meer zijn: {months!r}")
    if not isinstance(monthly_benefit, Decimal) or not monthly_benefit.is_finite() or monthly_benefit < 0:
        raise ValueError(f"de maandelijkse uitkering moet een Decimal van 0 of meer zijn: {monthly_benefit!r}")
    return to_cents(Decimal(months) * monthly_benefit)


def cost_per(amount: Decimal, count: int) -> Decimal | None:
    """Cost per result (say per durable placement), in cents; None when there were no results, or when
    nothing was approved: a provider whose invoices are not yet approved has an unknown cost per placement,
    not one of € 0,00."""
    _no_float(amount=amount)
    if not isinstance(count, int) or count < 0:
        raise ValueError(f"het aantal moet een geheel getal van 0 of meer zijn: {count!r}")
    if count == 0 or amount == 0:
        return None
    return to_cents(amount / count)


def cost_saving_ratio(cost: Decimal, saved: Decimal) -> Decimal | None:
    """Cost over benefit saved, to two decimals (under 1 it costs less than it saves); None when either is
    zero, for the same reason as :func:`cost_per`."""
    _no_float(cost=cost, saved=saved)
    if cost == 0 or saved == 0:
        return None
    return (cost / saved).quantize(Decimal("0.01"))


# The indicators in the groups a wide table's columns are shown or hidden by; an indicator of no group falls in
# OTHER_GROUP, so that a new one is never left without a column to show it.
COLUMN_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("instroom", N_("Instroom"), ("referrals", "acceptance_rate", "refusal_rate", "starts")),
    ("plaatsing", N_("Plaatsingen"), ("placements", "placement_rate", "referred_placement_rate",
                                      "regular_placement_rate", "subsidised_placement_rate", "durable_placements",
                                      "durable_rate")),
    ("uitstroom", N_("Uitstroom en uitval"), ("dropout_rate", "return_rate", "exits", "exit_rate",
                                              "work_exit_rate", "fall_back_rate")),
    ("doorlooptijd", N_("Doorlooptijden"), ("days_to_start", "days_to_placement")),
)
OTHER_GROUP = ("overig", N_("Overige indicatoren"))
_GROUP_OF = {indicator: key for key, _label, ids in COLUMN_GROUPS for indicator in ids}


def column_group(indicator_id: str) -> str:
    return _GROUP_OF.get(indicator_id, OTHER_GROUP[0])


def column_groups(indicator_ids: Iterable[str]) -> list[tuple[str, str]]:
    """(key, label) of the groups the given indicators fall in, in the table's order."""
    used = {column_group(i) for i in indicator_ids}
    return [(key, label) for key, label, _ids in (*COLUMN_GROUPS, (*OTHER_GROUP, ())) if key in used]
