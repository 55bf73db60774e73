"""Run a payment model over a set of trajecten: what would it have paid, per traject and in total?

Input (JSON): either a list of trajecten, or an object::

    {"as_of": "2027-12-31",                      # optional, default: today
     "period": {"start": "2026-01-01", "end": "2026-12-31"},   # optional, for contract-level rules
     "trajecten": [ {traject}, ... ]}

A traject: ``{"id", "referral_date", "client_group"?, "price"?, "events": [{"id", "type", "date", ...}]}``
(see docs/payment-models.md). The output is a table for people or JSON for programs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from contracts.engine import Entitlement, TrajectResult, evaluate
from contracts.events import EventError, Traject, traject_from_dict
from contracts.model import PaymentModel
from contracts.money import ROUNDING_RULE, ZERO, format_eur
from contracts.settlement import Settlement, settle


@dataclass
class Simulation:
    model: PaymentModel
    as_of: date
    period: tuple[date, date]
    results: list[TrajectResult]
    settlement: Settlement

    @property
    def entitlements(self) -> list[Entitlement]:
        return self.settlement.traject_entitlements + self.settlement.contract_entitlements

    def totals(self) -> dict[str, Decimal]:
        per_rule: dict[str, Decimal] = {}
        for e in self.entitlements:
            per_rule[e.rule] = per_rule.get(e.rule, ZERO) + e.amount
        return dict(sorted(per_rule.items()))

    def as_dict(self) -> dict[str, Any]:
        by_traject: dict[str, list[dict[str, Any]]] = {}
        for e in self.settlement.traject_entitlements:
            by_traject.setdefault(e.traject_id, []).append(e.as_dict())
        return {
            "model": self.model.name,
            "as_of": self.as_of.isoformat(),
            "period": {"start": self.period[0].isoformat(), "end": self.period[1].isoformat()},
            "trajecten": [
                {"id": r.traject.id, "milestones": {k: v.isoformat() for k, v in r.milestones.items()},
                 "entitlements": by_traject.get(r.traject.id, []),
                 "total": str(sum((Decimal(e["amount"]) for e in by_traject.get(r.traject.id, [])), ZERO))}
                for r in self.results
            ],
            "contract": [e.as_dict() for e in self.settlement.contract_entitlements],
            "measures": [
                {"rule": m.rule, "numerator": m.numerator, "denominator": m.denominator,
                 "rate": str(m.rate) if m.rate is not None else None, "threshold": str(m.threshold),
                 "judged": m.judged, "numerator_trajecten": list(m.numerator_ids),
                 "denominator_trajecten": list(m.denominator_ids)}
                for m in self.settlement.measures
            ],
            "totals_by_rule": {k: str(v) for k, v in self.totals().items()},
            "total": str(self.settlement.total),
            "rounding": ROUNDING_RULE,
        }


def _date(value: Any, where: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise EventError(where, f"geen geldige datum (JJJJ-MM-DD): {value!r}") from None


def run(model: PaymentModel, data: Any, as_of: date | None = None) -> Simulation:
    if isinstance(data, list):
        data = {"trajecten": data}
    if not isinstance(data, dict) or not isinstance(data.get("trajecten"), list):
        raise EventError("trajecten", "verwacht een lijst van trajecten")
    as_of = as_of or (_date(data["as_of"], "as_of") if "as_of" in data else date.today())
    trajecten = [traject_from_dict(t, f"trajecten[{i}]") for i, t in enumerate(data["trajecten"])]
    period = None
    if "period" in data:
        period = (_date(data["period"].get("start"), "period.start"), _date(data["period"].get("end"), "period.end"))
    return run_trajecten(model, trajecten, as_of, period)


def run_trajecten(model: PaymentModel, trajecten: list[Traject], as_of: date,
                  period: tuple[date, date] | None = None) -> Simulation:
    """The simulation of trajecten already read (a file's, or a contract's own from the database)."""
    if period is None:
        first = min((t.referral_date for t in trajecten), default=as_of)
        period = (first, as_of)
    results = [evaluate(model, t, as_of) for t in trajecten]
    return Simulation(model, as_of, period, results, settle(model, results, period[0], period[1], as_of))


@dataclass(frozen=True)
class Change:
    """What one rule, or one traject, would be owed under the model in force and under the proposed one."""

    name: str
    before: Decimal
    after: Decimal

    @property
    def difference(self) -> Decimal:
        return self.after - self.before


@dataclass(frozen=True)
class Comparison:
    """A proposed model beside the one in force, over the same trajecten on the same day: the totals, the
    totals by rule (named by the proposal's label, else the current one's) and the trajecten whose total
    changes. Every figure is a sum of the two simulations' entitlements, so the differences by rule and by
    traject add up to the difference in total."""

    trajecten: int
    before: Decimal
    after: Decimal
    by_rule: tuple[Change, ...]
    changed: tuple[Change, ...]

    @property
    def difference(self) -> Decimal:
        return self.after - self.before


def _labels(model: PaymentModel) -> dict[str, str]:
    labels = {r.id: r.label or r.id for r in model.rules}
    labels.update({r.id: r.label or r.id for r in model.contract_rules})
    return labels


def totals_by_traject(sim: Simulation) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for e in sim.settlement.traject_entitlements:
        out[e.traject_id] = out.get(e.traject_id, ZERO) + e.amount
    return out


def compare(before: Simulation, after: Simulation) -> Comparison:
    """The proposed model's simulation (``after``) against the current one's, run over the same trajecten."""
    labels = {**_labels(before.model), **_labels(after.model)}
    was, now = before.totals(), after.totals()
    rules = tuple(Change(labels.get(rule, rule), was.get(rule, ZERO), now.get(rule, ZERO))
                  for rule in sorted({*was, *now}, key=lambda r: labels.get(r, r)))
    was_t, now_t = totals_by_traject(before), totals_by_traject(after)
    changed = tuple(Change(r.traject.id, was_t.get(r.traject.id, ZERO), now_t.get(r.traject.id, ZERO))
                    for r in before.results if was_t.get(r.traject.id, ZERO) != now_t.get(r.traject.id, ZERO))
    return Comparison(trajecten=len(before.results), before=before.settlement.total, after=after.settlement.total,
                      by_rule=rules, changed=changed)


def render_table(sim: Simulation) -> str:
    """A plain-text table: every entitlement with its traject, date, amount and explanation, then totals."""
    lines = [f"Betalingsmodel: {sim.model.name}", f"Peildatum: {sim.as_of.isoformat()}", ""]
    header = f"{'traject':<12} {'regel':<18} {'verschuldigd op':<15} {'bedrag':>14}  uitleg"
    lines += [header, "-" * len(header)]
    for e in sim.entitlements:
        flag = f" [{e.flag}]" if e.flag else ""
        lines.append(f"{e.traject_id or '(contract)':<12} {e.rule:<18} {e.due_on.isoformat():<15} "
                     f"{format_eur(e.amount):>14}  {e.explanation}{flag}")
    lines.append("")
    for m in sim.settlement.measures:
        rate = f"{m.rate:.1f}%" if m.rate is not None else "n.v.t."
        judged = "" if m.judged else " (te weinig trajecten om te beoordelen)"
        lines.append(f"{m.rule}: {m.numerator}/{m.denominator} = {rate} (norm {m.threshold}%){judged}")
    for rule, amount in sim.totals().items():
        lines.append(f"totaal {rule:<18} {format_eur(amount):>14}")
    lines.append(f"{'totaal':<25} {format_eur(sim.settlement.total):>14}  ({len(sim.results)} trajecten)")
    return "\n".join(lines)


def render_json(sim: Simulation) -> str:
    return json.dumps(sim.as_dict(), ensure_ascii=False, indent=2)
