"""Contract-level rules over all trajecten of a contract: volume and budget ceilings, bonus and malus.

A traject's own entitlements come from :mod:`contracts.engine`; this module takes them all together,
because a ceiling or a placement rate only exists for the contract as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from contracts.engine import Entitlement, TrajectResult
from contracts.events import EventType
from contracts.model import ContractRule, PaymentModel
from contracts.money import HUNDRED, ZERO, format_eur, format_percent, percent_of, to_cents

DENOMINATOR_LABELS = {
    "referrals": "verwijzingen",
    "accepted": "geaccepteerde verwijzingen",
    "started": "gestarte trajecten",
}


@dataclass(frozen=True)
class RateMeasure:
    """A contract rule's rate: the figure, its parts and the trajecten behind each part."""

    rule: str
    numerator: int
    denominator: int
    rate: Decimal | None
    threshold: Decimal
    judged: bool
    numerator_ids: tuple[str, ...]
    denominator_ids: tuple[str, ...]


@dataclass
class Settlement:
    traject_entitlements: list[Entitlement]
    contract_entitlements: list[Entitlement]
    measures: list[RateMeasure]

    @property
    def total(self) -> Decimal:
        return sum((e.amount for e in self.traject_entitlements + self.contract_entitlements), ZERO)


def _apply_limits(model: PaymentModel, results: list[TrajectResult]) -> list[Entitlement]:
    """Entitlements past the volume ceiling (in referral order) or the budget ceiling are not owed.

    A referral the provider refused and never accepted is no traject, so it takes no place under the
    volume ceiling.
    """
    ordered = sorted(results, key=lambda r: (r.traject.referral_date, r.traject.id))
    counted = [r for r in ordered if not (EventType.REFUSED in r.happened and EventType.ACCEPTED not in r.happened)]
    over_volume = {r.traject.id for r in counted[model.volume_limit:]} if model.volume_limit else set()
    entitlements = sorted(
        (e for r in ordered for e in r.entitlements), key=lambda e: (e.due_on, e.traject_id, e.key)
    )
    spent = ZERO
    granted: dict[tuple[str, str], Decimal] = {}
    out = []
    for e in entitlements:
        if e.traject_id in over_volume:
            out.append(_not_owed(e, "volume_limit", f"volumeplafond van {model.volume_limit} trajecten bereikt"))
            continue
        if e.voids is not None:
            amount = -granted.get((e.traject_id, e.voids), ZERO)
            if amount:
                spent += amount
                out.append(replace(e, amount=amount) if amount != e.amount else e)
            continue
        budget = model.budget_limit
        if budget is not None and spent + e.amount > budget:
            room = max(budget - spent, ZERO)
            if room == ZERO:
                out.append(_not_owed(e, "budget_limit", f"budgetplafond van {format_eur(budget)} bereikt"))
                continue
            e = replace(e, amount=room, flag="budget_limit", computed=e.amount,
                        explanation=e.explanation + f"; afgetopt op het budgetplafond van {format_eur(budget)}")
        spent += e.amount
        granted[(e.traject_id, e.key)] = e.amount
        out.append(e)
    return out


def _not_owed(e: Entitlement, flag: str, why: str) -> Entitlement:
    explanation = f"{e.explanation}; niet verschuldigd: {why}"
    return replace(e, amount=ZERO, flag=flag, computed=e.amount, explanation=explanation)


def _in_denominator(result: TrajectResult, denominator: str) -> bool:
    if denominator == "referrals":
        return True
    wanted = EventType.ACCEPTED if denominator == "accepted" else EventType.STARTED
    return wanted in result.happened


def _measure(rule: ContractRule, cohort: list[TrajectResult], as_of: date) -> RateMeasure:
    denominator = [r for r in cohort if _in_denominator(r, rule.denominator)]
    numerator = [r for r in denominator if rule.numerator in r.milestones and r.milestones[rule.numerator] <= as_of]
    rate = (Decimal(len(numerator)) * HUNDRED / len(denominator)) if denominator else None
    return RateMeasure(
        rule=rule.id, numerator=len(numerator), denominator=len(denominator), rate=rate, threshold=rule.threshold,
        judged=len(denominator) >= rule.min_trajecten,
        numerator_ids=tuple(r.traject.id for r in numerator), denominator_ids=tuple(r.traject.id for r in denominator),
    )


def settle(
    model: PaymentModel, results: list[TrajectResult], period_start: date, period_end: date, as_of: date
) -> Settlement:
    """Apply the contract's ceilings and settle its bonus and malus rules for one period.

    The cohort is the trajecten referred within the period; a bonus or malus is due at the period's end
    (and only once the as-of date has reached it), computed over the entitlements due within the period.
    """
    entitlements = _apply_limits(model, results)
    cohort = [r for r in results if period_start <= r.traject.referral_date <= period_end]
    measures, contract = [], []
    for rule in model.contract_rules:
        measure = _measure(rule, cohort, as_of)
        measures.append(measure)
        if as_of < period_end or not measure.judged or measure.rate is None:
            continue
        applies = measure.rate >= rule.threshold if rule.type == "bonus" else measure.rate < rule.threshold
        if not applies:
            continue
        if rule.fixed is not None:
            base_text, value = format_eur(rule.fixed), rule.fixed
        else:
            assert rule.percent_of_rules is not None, "a rule without a fixed amount has a percentage of rules"
            percent, rule_ids = rule.percent_of_rules
            fees = sum(
                (e.amount for e in entitlements if e.rule in rule_ids and period_start <= e.due_on <= period_end),
                ZERO,
            )
            value = percent_of(percent, fees)
            base_text = f"{format_percent(percent)} van {format_eur(fees)} ({', '.join(rule_ids)})"
        sign = Decimal(1) if rule.type == "bonus" else Decimal(-1)
        comparison = "≥" if rule.type == "bonus" else "<"
        contract.append(Entitlement(
            key=f"contract/{rule.id}/{period_start.isoformat()}/{period_end.isoformat()}",
            traject_id="", rule=rule.id, due_on=period_end, amount=sign * to_cents(value),
            explanation=(f"{'Bonus' if rule.type == 'bonus' else 'Malus'} {base_text}: {rule.label}; "
                         f"{measure.numerator} van {measure.denominator} {DENOMINATOR_LABELS[rule.denominator]} = "
                         f"{format_percent(to_cents(measure.rate))} {comparison} {format_percent(rule.threshold)}"),
            basis=measure.numerator_ids,
        ))
    return Settlement(entitlements, contract, measures)
