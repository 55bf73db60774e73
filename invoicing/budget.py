"""Budget arithmetic: what open trajecten may still cost, what they will likely cost, and whether it fits.

A gemeente keeps a budget per year and per funding source (its own funds, a grant, a joint
arrangement). Against each budget line three figures are kept apart, because they answer different
questions:

* **realised**: approved invoices due in the year, money that is spent;
* **committed**: what the open trajecten may still cost *at most* under their payment models
  (:func:`max_cost` minus what is already owed, see :func:`remaining`). If realised plus committed
  fits the budget, no outcome of the open trajecten can overspend it;
* **expected**: what the open trajecten will *likely* still cost (:func:`expected_cost`), from the
  average of finished trajecten under the same contract when there are enough of them, else a fixed
  share of the maximum.

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

from contracts.messages import N_
from contracts.model import Amount, PaymentModel, Rule
from contracts.money import ZERO, to_cents

K = TypeVar("K")

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


def expected_cost(
    max_total: Decimal,
    observed_average: Decimal | None,
    observed_count: int,
    min_observed: int = 10,
    default_share: Decimal = Decimal("0.5"),
) -> tuple[Decimal, str]:
    """What one traject will likely cost in total, in cents, and the basis of that estimate.

    With at least ``min_observed`` finished trajecten under the same contract, their average total
    owed ("observed"), never above ``max_total`` (nor below zero); with fewer, too few to go by,
    ``default_share`` of ``max_total`` ("default").
    """
    if observed_average is not None and observed_count >= min_observed:
        return to_cents(min(max(observed_average, ZERO), max_total)), OBSERVED
    return to_cents(default_share * max_total), DEFAULT


def remaining(total: Decimal, owed_so_far: Decimal) -> Decimal:
    """What is still to come of ``total`` once ``owed_so_far`` is owed; never below zero."""
    return max(total - owed_so_far, ZERO)


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
