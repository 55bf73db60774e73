"""Budget arithmetic: what open trajecten may still cost, what they will likely cost, and whether it fits.

A gemeente keeps a budget per year and per funding source (its own funds, a grant, a joint
arrangement). Against each budget line three figures are kept apart, because they answer different
questions:

* **realised**: approved invoices due in the year, money that is spent;
* **committed**: what the open trajecten may still cost *at most* under their payment models
  (:func:`max_cost` minus what approved invoices paid, see :func:`outlook_parts`). If realised plus
  committed fits the budget, no outcome of the open trajecten can overspend it;
* **expected**: what the open trajecten will *likely* still cost (:func:`outlook_parts`), from the
  average of finished trajecten under the same contract when there are enough of them, else a fixed
  share of the maximum;
* and in which budget year each falls due (:func:`in_year`).

:func:`warnings` turns these into signals for one budget line. A joint contract's contract-level
amounts (a bonus or malus) are split over the participating gemeenten with :func:`split`, whose
parts always add up to the whole, to the cent.

An audit found a budget table whose rows did not add up (budget plus carried-over did not equal spent
plus remaining). Figures that are entered or imported are therefore not trusted: :func:`reconcile`
computes the difference each row should have, so that a row that does not add up is shown rather than
silently used.

Money is ``Decimal`` euros, never float, rounded only with :func:`contracts.money.to_cents`. Pure Python:
no Flask, no database.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

from contracts.dates import add_period
from contracts.engine import evaluate
from contracts.events import Traject
from contracts.messages import N_
from contracts.model import Amount, PaymentModel, Rule
from contracts.money import ZERO, to_cents

K = TypeVar("K")
N = TypeVar("N")

OBSERVED = "observed"
DEFAULT = "default"


# --- cost of one traject --------------------------------------------------------------------------


def _amounts_of(rule: Rule) -> list[Amount]:
    amounts = [rule.amount] if rule.amount is not None else []
    amounts.extend(band.amount for band in rule.tempo_bands)
    amounts.extend(step.amount for step in rule.steps)
    return amounts


def _rule_max(rule: Rule, price: Decimal | None) -> Decimal:
    """The most one rule can pay one traject, with each entitlement rounded as the engine rounds it."""

    def cents(amount: Amount) -> Decimal:
        return to_cents(amount.value(price))

    if rule.type == "fee":
        assert rule.amount is not None, "the schema requires the amount of a fee"
        # The fee's own amount or a tempo band's; pro rata hours can only lower it.
        return max(cents(a) for a in [rule.amount, *(band.amount for band in rule.tempo_bands)])
    if rule.type == "tiers":
        # Tiers are alternatives: the provider is topped up to the highest tier, never beyond it.
        return max(cents(step.amount) for step in rule.steps)
    if rule.type == "tranches":
        return sum((cents(step.amount) for step in rule.steps), ZERO)
    if rule.type == "recurring":
        # Every period is its own entitlement, rounded on its own: count × the rounded amount.
        assert rule.amount is not None and rule.max_count is not None, "the schema requires both of a recurring fee"
        return cents(rule.amount) * rule.max_count
    raise ValueError(f"unknown rule type {rule.type!r}")


def max_cost(model: PaymentModel, client_group: str | None, price: Decimal | None) -> Decimal | None:
    """The most one traject can ever cost under ``model``'s traject rules, in cents.

    ``client_group`` and ``price`` (a negotiated price, or None) give the base price as the engine
    takes it (:meth:`PaymentModel.price_for`). Per rule: a fee pays at most the largest of its amount
    and its tempo-band amounts; tiers at most the highest tier; tranches the sum of all tranches; a
    recurring payment its amount times ``max_count``. The rules are summed and the traject ceiling,
    if the model has one, caps the sum. Each entitlement is rounded to the cent before summing, as the
    engine rounds it, so that the bound holds to the cent.

    The contract-level bonus and malus (``contract_rules``) are left out: they depend on the results
    of all trajecten under the contract together and are not a cost of one traject.

    Returns None when a percentage amount has no base price to take it of: the cost cannot be known.
    """
    base = model.price_for(client_group, price)
    used = [amount for rule in model.rules for amount in _amounts_of(rule)]
    if model.traject_ceiling is not None:
        used.append(model.traject_ceiling)
    if base is None and any(amount.percent is not None for amount in used):
        return None
    total = sum((_rule_max(rule, base) for rule in model.rules), ZERO)
    if model.traject_ceiling is not None:
        total = min(total, to_cents(model.traject_ceiling.value(base)))
    return to_cents(total)


# --- what one open traject may and will likely still cost -------------------------------------------
#
# The budget page sums these over tens of thousands of open trajecten, so the rule is written once over an
# arithmetic that is either Python integers (``CENTS``: tests, one traject) or SQL expressions (the budget
# service's, summed by the database in one statement). All amounts are whole cents: exact in both, where a
# database's decimal sum need not be.

# With at least this many finished trajecten under a contract their average total owed is the expectation of
# an open one; with fewer it is this share of the traject's maximum.
MIN_OBSERVED = 10
DEFAULT_SHARE = Decimal("0.5")


class Arithmetic(Protocol[N]):
    """The operations the outlook rule needs, on whole cents."""

    def greatest(self, a: N, b: N | int) -> N: ...

    def least(self, a: N, b: N | int) -> N: ...

    def share(self, amount: N, fraction: Decimal) -> N:
        """``amount × fraction`` rounded half up to the cent, for ``amount`` of 0 or more."""
        ...

    def either(self, value: N | None, absent: N | int, present: Callable[[N], N]) -> N:
        """``absent`` when ``value`` is unknown (None, NULL), else ``present(value)``."""
        ...

    def pick(self, condition: object, then: N | int, otherwise: N | int) -> N:
        """``then`` where ``condition`` holds, else ``otherwise``."""
        ...


class _Cents:
    def greatest(self, a: int, b: int) -> int:
        return max(a, b)

    def least(self, a: int, b: int) -> int:
        return min(a, b)

    def share(self, amount: int, fraction: Decimal) -> int:
        num, den = fraction.as_integer_ratio()
        return (2 * amount * num + den) // (2 * den)

    def either(self, value: int | None, absent: int, present: Callable[[int], int]) -> int:
        return absent if value is None else present(value)

    def pick(self, condition: object, then: int, otherwise: int) -> int:
        return then if condition else otherwise


CENTS: Arithmetic[int] = _Cents()


def observed_average(total_cents: int, count: int) -> int | None:
    """The average total owed of a contract's finished trajecten in whole cents (half up, never below 0), or
    None when there are too few of them to go by (fewer than :data:`MIN_OBSERVED`)."""
    if count < MIN_OBSERVED:
        return None
    return (2 * max(total_cents, 0) + count) // (2 * count)


@dataclass(frozen=True)
class Parts(Generic[N]):
    """What one open traject adds to the budget: at most (committed), likely (expected), and the part of both
    that is already owed and so falls due now."""

    committed: N
    expected: N
    now: N


def outlook_parts(ops: Arithmetic[N], most: N | None, owed: N, realised: N, observed: N | None) -> Parts[N]:
    """The budget's view of one open traject, in cents.

    ``most`` is its maximum cost (:func:`max_cost`; unknown counts 0), ``owed`` what it is owed so far,
    ``realised`` what approved invoices paid for it, ``observed`` the contract's :func:`observed_average`.

    * committed = most − realised, never below 0: whatever the outcome, it cannot cost more;
    * likely total = the observed average (never above the maximum), or :data:`DEFAULT_SHARE` of the maximum
      when too few trajecten finished; expected = the likely total, and at least what is owed, less realised,
      never below 0 nor above committed;
    * now = what is owed and not yet realised, within committed: it falls due already, the rest later.
    """

    def known(part: Callable[[N], N]) -> N:
        return ops.either(most, 0, part)

    def committed(m: N) -> N:
        return ops.greatest(m - realised, 0)  # type: ignore[operator]

    def expected(m: N) -> N:
        likely = ops.either(observed, ops.share(m, DEFAULT_SHARE), lambda o: ops.least(o, m))
        return ops.least(ops.greatest(ops.greatest(likely, owed) - realised, 0), committed(m))  # type: ignore[operator]

    def now(m: N) -> N:
        return ops.least(ops.greatest(owed - realised, 0), committed(m))  # type: ignore[operator]

    return Parts(known(committed), known(expected), known(now))


def falls_due_in(ops: Arithmetic[N], due_year: N | int, current_year: int) -> N:
    """The budget year of what a traject is still to earn: the year it likely falls due (:func:`due_on`),
    and never before the current one (what is overdue falls due now)."""
    return ops.greatest(due_year, current_year)  # type: ignore[arg-type]


def in_year(ops: Arithmetic[N], parts: Parts[N], due_year: N | int, year: int,
            current_year: int) -> tuple[N | int, N | int]:
    """(committed, expected) of one open traject that fall in budget ``year``: what is owed already in the
    current year, the rest in the year it likely falls due (:func:`falls_due_in`); nothing in a past year."""
    if year < current_year:
        return 0, 0
    later = falls_due_in(ops, due_year, current_year) == year
    now = parts.now if year == current_year else 0
    return (now + ops.pick(later, parts.committed - parts.now, 0),  # type: ignore[operator]
            now + ops.pick(later, parts.expected - parts.now, 0))  # type: ignore[operator]


@dataclass(frozen=True)
class TrajectCost:
    """What the budget keeps of one traject (app.projections writes it on the traject), in whole cents."""

    most: int | None  # its maximum cost; None when it cannot be known
    owed: int  # what it is owed as of the day it was computed
    owed_until: date | None  # the first later day on which ``owed`` may change with no new event; None: never
    due_year: int  # the year in which what is still to come likely falls due


def due_on(referral_date: date, started_on: date | None, placed_on: date | None, durability_months: int,
           max_duration_months: int) -> date:
    """When what a traject may still earn likely falls due: its durability outcome, at the end of the
    durability term after a placement; before a placement, the end of its maximum duration, by which a
    placement must have come."""
    if placed_on is not None:
        return add_period(placed_on, months=durability_months)
    return add_period(started_on or referral_date, months=max_duration_months)


def traject_cost(model: PaymentModel, traject: Traject, as_of: date, due: date) -> TrajectCost:
    """The kept cost of one traject as of ``as_of``.

    ``owed_until`` is the first day after ``as_of`` on which something falls due (an entitlement of the events
    already known, judged with no end date) or a known event takes effect: until then the engine's total as
    of any day is the one computed here, so the copy needs no recomputing before that day.
    """
    owed = evaluate(model, traject, as_of).total
    coming = [e.due_on for e in evaluate(model, traject, date.max).entitlements if e.due_on > as_of]
    coming += [e.date for e in traject.events if e.date > as_of]
    most = max_cost(model, traject.client_group, traject.price)
    return TrajectCost(most=None if most is None else cents(most), owed=cents(owed),
                       owed_until=min(coming) if coming else None, due_year=due.year)


def cents(amount: Decimal) -> int:
    """Whole cents of an amount in euros (rounded half up first)."""
    return int(to_cents(amount).scaleb(2))


# --- splitting an amount --------------------------------------------------------------------------


def split(amount: Decimal, weights: Mapping[K, int]) -> dict[K, Decimal]:
    """Split ``amount`` (whole cents) over the keys of ``weights`` in proportion to their weights.

    Largest-remainder method: every key first gets its proportional share rounded down to the cent,
    and the cents left over go one each to the keys with the largest remainders (ties to the key that
    sorts first), so the parts add up to exactly ``amount`` and each part is within one cent of its
    exact share. A negative amount is split as its absolute value and the parts get its sign. Keys with
    weight 0 get ``Decimal("0.00")``. The result keeps the order of ``weights``.

    Raises ValueError when there is nothing to split over (no keys, or all weights 0), when a weight
    is negative, or when ``amount`` is not in whole cents (then no split in cents can add up to it).
    """
    if amount != to_cents(amount):
        raise ValueError(f"amount {amount} is not in whole cents")
    if any(w < 0 for w in weights.values()):
        raise ValueError("weights must be 0 or more")
    total_weight = sum(weights.values())
    if total_weight == 0:
        raise ValueError("nothing to split over: no keys, or every weight is 0")
    sign = -1 if amount < 0 else 1
    cents = int(abs(amount).scaleb(2))
    parts: dict[K, int] = {}
    remainders: dict[K, int] = {}
    for key, weight in weights.items():
        parts[key], remainders[key] = divmod(cents * weight, total_weight)
    left = cents - sum(parts.values())
    for key in _by_remainder(remainders)[:left]:
        parts[key] += 1
    return {key: Decimal(sign * part).scaleb(-2) for key, part in parts.items()}


def _by_remainder(remainders: Mapping[K, int]) -> list[K]:
    """Keys by largest remainder first; equal remainders in the keys' own sort order."""
    ordered: Iterable[K] = sorted(remainders)  # type: ignore[type-var]
    return sorted(ordered, key=lambda key: -remainders[key])  # sorted() is stable: ties keep key order


# --- reconciling budget rows ----------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetFigures:
    """One budget row as entered or imported, not yet trusted."""

    budget: Decimal
    carried_over: Decimal  # overgeheveld from the previous year (may be negative)
    spent: Decimal  # besteed, as the row states
    remaining: Decimal  # resterend, as the row states


def reconcile(f: BudgetFigures) -> Decimal:
    """How far the row is off: ``budget + carried_over - spent - remaining``; 0 means it adds up.

    Not rounded: a difference of a fraction of a cent is still a row that does not add up.
    """
    return f.budget + f.carried_over - f.spent - f.remaining


# --- warnings for one budget line -----------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """Where one budget line stands in its year."""

    year: int
    budget: Decimal  # budget + carried over: what may be spent this year
    realised: Decimal  # approved invoices due this year
    committed: Decimal  # at most still to come on open trajecten
    expected: Decimal  # likely still to come on open trajecten

    @property
    def forecast(self) -> Decimal:
        """What the year will likely cost: realised plus expected."""
        return self.realised + self.expected

    @property
    def available(self) -> Decimal:
        """What is left for new trajecten if the open ones cost the most they can."""
        return self.budget - self.realised - self.committed


class Warning(enum.StrEnum):
    """A signal on a budget line; shadows the builtin ``Warning`` only inside this module."""

    OVER_BUDGET = "over_budget"
    COMMITTED_OVER = "committed_over"
    UNDERSPENT = "underspent"


WARNING_LABELS: dict[Warning, str] = {
    Warning.OVER_BUDGET: N_("verwachte uitgaven boven het budget"),
    Warning.COMMITTED_OVER: N_("maximale verplichtingen boven het budget"),
    Warning.UNDERSPENT: N_("groot deel van het budget blijft onbenut"),
}


def warnings(
    p: Position,
    today: date,
    late_from_month: int = 10,
    underspent_share: Decimal = Decimal("0.75"),
) -> list[Warning]:
    """The warnings for one budget line on ``today``, in the order of :class:`Warning`.

    * OVER_BUDGET: the forecast is above the budget (exactly at the budget is not over);
    * COMMITTED_OVER: the forecast fits, but realised plus committed does not: the worst case of the
      open trajecten would overspend;
    * UNDERSPENT: late in the budget's own year (from the first day of month ``late_from_month``) the
      forecast is below ``underspent_share`` of the budget: much will be left unspent. It can come
      together with COMMITTED_OVER (likely underspent, though the worst case does not fit).

    A budget of 0 with nothing realised and nothing expected is a line not in use: no warnings.
    """
    if p.budget == ZERO and p.realised == ZERO and p.expected == ZERO:
        return []
    found = []
    if p.forecast > p.budget:
        found.append(Warning.OVER_BUDGET)
    elif p.realised + p.committed > p.budget:
        found.append(Warning.COMMITTED_OVER)
    late = today.year == p.year and today >= date(p.year, late_from_month, 1)
    if late and p.forecast < underspent_share * p.budget:
        found.append(Warning.UNDERSPENT)
    return found
