"""Payment models: JSON documents, validated by a JSON Schema and by the rules a schema cannot say.

``PaymentModel.from_dict`` validates a document and compiles it into frozen objects the engine reads
fast; every problem comes back at once in a :class:`ModelError` whose lines each name the field.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from contracts.events import EventType, ExitReason, WorkKind
from contracts.messages import DomainError
from contracts.money import HUNDRED, format_eur, format_percent, percent_of

SCHEMA_PATH = Path(__file__).parent / "schema" / "payment-model.v1.json"
SCHEMA_VERSION = 1
JSON = dict[str, Any]  # a payment model, or a part of one, as parsed from its JSON text
Period = Mapping[str, int]  # {"months": 6}, {"weeks": 4} or {"days": 90}
Problems = list[tuple[str, str]]  # (field path, Dutch message)
LASTING_EVENTS = frozenset({EventType.PLACEMENT, EventType.BENEFIT_EXIT})


class ModelError(DomainError):
    """An invalid payment model. ``problems`` is a list of (field path, Dutch message)."""

    code = "invalid_payment_model"

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


def model_path(parts: Iterable[str | int]) -> str:
    """A path in a document as its problems name it: ``rules[0].amount.amount``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(model)"


# Any: jsonschema types an error's fields as possibly unset, though an error it reports always has them.
_SCHEMA_MESSAGES: dict[str, Callable[[Any], str]] = {
    "required": lambda e: f"verplicht veld {e.message.split(chr(39))[1]!r} ontbreekt",
    "additionalProperties": lambda e: "onbekend veld: " + e.message.split("(")[-1].rstrip(")"),
    "enum": lambda e: f"onbekende waarde {e.instance!r}; toegestaan: {', '.join(map(str, e.validator_value))}",
    "const": lambda e: f"moet {e.validator_value!r} zijn",
    "type": lambda e: f"verwacht {e.validator_value}, kreeg {type(e.instance).__name__}",
    "minItems": lambda e: f"minstens {e.validator_value} onderdelen nodig",
    "minProperties": lambda e: "mag niet leeg zijn" if e.validator_value == 1 else e.message,
    "maxProperties": lambda e: "geef één van 'amount' of 'percent', niet beide",
    "minimum": lambda e: f"moet {e.validator_value} of meer zijn",
    "exclusiveMinimum": lambda e: f"moet groter zijn dan {e.validator_value}",
    "uniqueItems": lambda e: "bevat dubbele waarden",
    "minLength": lambda e: "mag niet leeg zijn",
}


def _schema_message(error: ValidationError) -> str:
    if error.validator == "pattern":
        pattern = str(error.validator_value)
        if "\\.[0-9]{1,2}" in pattern:
            return f'moet een bedrag van 0 of meer zijn, als tekst, bijv. "750.00" (kreeg {error.instance!r})'
        if "\\.[0-9]+" in pattern:
            return f"moet een percentage van 0 of meer zijn, als tekst, bijv. \"70\" (kreeg {error.instance!r})"
        return f"ongeldige naam {error.instance!r}: alleen kleine letters, cijfers en _"
    handler = _SCHEMA_MESSAGES.get(str(error.validator))
    return handler(error) if handler else error.message


def _schema_problems(data: Any) -> list[tuple[str, str]]:
    validator = Draft202012Validator(schema())
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        if error.validator in ("allOf", "if", "then"):
            continue
        path = list(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = error.schema.get("properties", {})
            for extra in sorted(set(error.instance) - set(allowed)):
                problems.append((model_path([*path, extra]), "onbekend veld"))
            continue
        problems.append((model_path(path), _schema_message(error)))
    return problems


# --- compiled model -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Amount:
    """A fixed amount or a percentage of the traject's base price."""

    fixed: Decimal | None = None
    percent: Decimal | None = None

    @classmethod
    def parse(cls, data: JSON) -> Amount:
        if "amount" in data:
            return cls(fixed=Decimal(data["amount"]))
        return cls(percent=Decimal(data["percent"]))

    def value(self, base_price: Decimal | None) -> Decimal:
        if self.fixed is not None:
            return self.fixed
        assert self.percent is not None, "parse() gives an amount or a percentage"
        return percent_of(self.percent, base_price or Decimal(0))

    def describe(self, base_price: Decimal | None) -> str:
        if self.fixed is not None:
            return format_eur(self.fixed)
        assert self.percent is not None, "parse() gives an amount or a percentage"
        return f"{format_percent(self.percent)} van {format_eur(base_price or Decimal(0))}"


@dataclass(frozen=True, slots=True)
class Milestone:
    name: str
    event: EventType
    description: str
    kinds: frozenset[WorkKind] | None = None
    min_hours_per_week: Decimal | None = None
    min_contract_months: int | None = None
    reasons: frozenset[str] | None = None
    lasting_months: int | None = None


@dataclass(frozen=True, slots=True)
class Clawback:
    within: Period
    on: frozenset[EventType]


@dataclass(frozen=True, slots=True)
class TempoBand:
    max_days: int
    amount: Amount


@dataclass(frozen=True, slots=True)
class Step:
    """One tier or tranche: reached when its milestone is, worth its amount."""

    id: str
    milestone: str
    amount: Amount
    label: str
    after: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    type: str
    label: str
    milestone: str | None = None
    amount: Amount | None = None
    unless_milestones: tuple[str, ...] = ()
    unless_within: Period | None = None
    tempo_from: str | None = None
    tempo_bands: tuple[TempoBand, ...] = ()
    pro_rata_base_hours: Decimal | None = None
    clawback: Clawback | None = None
    steps: tuple[Step, ...] = ()
    every: Period | None = None
    max_count: int | None = None


@dataclass(frozen=True, slots=True)
class ContractRule:
    id: str
    type: str
    label: str
    numerator: str
    denominator: str
    threshold: Decimal
    min_trajecten: int
    fixed: Decimal | None
    percent_of_rules: tuple[Decimal, tuple[str, ...]] | None


@dataclass(frozen=True)
class PaymentModel:
    name: str
    description: str
    base_price: Decimal | None
    prices_by_group: dict[str, Decimal]
    traject_ceiling: Amount | None
    milestones: dict[str, Milestone]
    rules: tuple[Rule, ...]
    contract_rules: tuple[ContractRule, ...]
    volume_limit: int | None
    budget_limit: Decimal | None
    source: JSON

    @classmethod
    def from_dict(cls, data: Any) -> PaymentModel:
        problems = _schema_problems(data)
        if problems:
            raise ModelError(problems)
        problems = _semantic_problems(data)
        if problems:
            raise ModelError(problems)
        return _compile(data)

    @classmethod
    def from_file(cls, path: str | Path) -> PaymentModel:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def price_for(self, client_group: str | None, negotiated: Decimal | None) -> Decimal | None:
        """The traject's base price: a negotiated price, else the client group's, else the default."""
        if negotiated is not None:
            return negotiated
        if client_group is not None and client_group in self.prices_by_group:
            return self.prices_by_group[client_group]
        return self.base_price


# --- rules a schema cannot say --------------------------------------------------------------------


def _amounts_in(data: JSON) -> list[tuple[str, JSON]]:
    """Every amount object in the model with its path."""
    found = []
    for i, rule in enumerate(data.get("rules", [])):
        base = f"rules[{i}]"
        if "amount" in rule:
            found.append((f"{base}.amount", rule["amount"]))
        for j, band in enumerate(rule.get("tempo", {}).get("bands", [])):
            found.append((f"{base}.tempo.bands[{j}].amount", band["amount"]))
        for key in ("tiers", "tranches"):
            for j, step in enumerate(rule.get(key, [])):
                found.append((f"{base}.{key}[{j}].amount", step["amount"]))
    if "traject_ceiling" in data:
        found.append(("traject_ceiling", data["traject_ceiling"]))
    return found


def _check_milestone(name: str, m: JSON, problems: Problems) -> None:
    event = m["event"]
    where = f"milestones.{name}"
    for key in ("kinds", "min_hours_per_week", "min_contract_months"):
        if key in m and event != EventType.PLACEMENT:
            message = f"geldt alleen voor een plaatsing (event 'placement'), niet voor {event!r}"
            problems.append((f"{where}.{key}", message))
    if "reasons" in m and event != EventType.BENEFIT_EXIT:
        problems.append((f"{where}.reasons", "redenen horen alleen bij uitstroom uit de uitkering ('benefit_exit')"))
    if "lasting_months" in m and event not in LASTING_EVENTS:
        problems.append((f"{where}.lasting_months", "duurzaamheid geldt alleen voor 'placement' of 'benefit_exit'"))


def _ref(name: str, milestones: JSON, where: str, problems: Problems) -> None:
    if name not in milestones:
        known = ", ".join(sorted(milestones)) or "geen"
        problems.append((where, f"onbekende mijlpaal {name!r} (bekend: {known})"))


def _check_steps(rule: JSON, where: str, milestones: JSON, problems: Problems) -> None:
    key = "tiers" if rule["type"] == "tiers" else "tranches"
    steps = rule[key]
    for j, step in enumerate(steps):
        _ref(step["milestone"], milestones, f"{where}.{key}[{j}].milestone", problems)
        if "percent" in step["amount"] and Decimal(step["amount"]["percent"]) > HUNDRED:
            problems.append((f"{where}.{key}[{j}].amount.percent", "een trede of tranche is hoogstens 100%"))
    units = {"percent" if "percent" in s["amount"] else "amount" for s in steps}
    if key == "tiers":
        seen: dict[str, int] = {}
        for j, step in enumerate(steps):
            if step["milestone"] in seen:
                first = seen[step["milestone"]]
                message = f"overlapt met tiers[{first}]: dezelfde mijlpaal staat er twee keer in"
                problems.append((f"{where}.tiers[{j}].milestone", message))
            seen.setdefault(step["milestone"], j)
        if len(units) > 1:
            message = "alle treden gebruiken dezelfde eenheid: allemaal 'amount' of allemaal 'percent'"
            problems.append((f"{where}.tiers", message))
        else:
            unit = units.pop()
            values = [Decimal(s["amount"][unit]) for s in steps]
            for j in range(1, len(values)):
                if values[j] <= values[j - 1]:
                    message = "treden zijn alternatieven van laag naar hoog: elke trede is meer waard dan de vorige"
                    problems.append((f"{where}.tiers[{j}].amount", message))
    else:
        ids = [s["id"] for s in steps]
        for j, step in enumerate(steps):
            if ids.count(step["id"]) > 1 and ids.index(step["id"]) != j:
                problems.append((f"{where}.tranches[{j}].id", f"dubbele tranche-id {step['id']!r}"))
            after = step.get("after")
            if after is not None and after not in ids[:j]:
                problems.append((f"{where}.tranches[{j}].after",
                                 f"de voorgaande tranche {after!r} bestaat niet (eerder in de lijst)"))
        percents = [Decimal(s["amount"]["percent"]) for s in steps if "percent" in s["amount"]]
        if sum(percents, Decimal(0)) > HUNDRED:
            problems.append((f"{where}.tranches", f"de percentages tellen op tot {sum(percents)}%: meer dan 100%"))


def _semantic_problems(data: JSON) -> Problems:
    problems: list[tuple[str, str]] = []
    milestones = data["milestones"]
    for name, m in milestones.items():
        _check_milestone(name, m, problems)
    rule_ids: list[str] = []
    for i, rule in enumerate(data["rules"]):
        where = f"rules[{i}]"
        if rule["id"] in rule_ids:
            problems.append((f"{where}.id", f"dubbele regel-id {rule['id']!r}"))
        rule_ids.append(rule["id"])
        if "milestone" in rule:
            _ref(rule["milestone"], milestones, f"{where}.milestone", problems)
        for j, name in enumerate(rule.get("unless", {}).get("milestones", [])):
            _ref(name, milestones, f"{where}.unless.milestones[{j}]", problems)
        bands = rule.get("tempo", {}).get("bands", [])
        for j in range(1, len(bands)):
            if bands[j]["max_days"] <= bands[j - 1]["max_days"]:
                message = "tempobanden lopen op: elke band een later maximum"
                problems.append((f"{where}.tempo.bands[{j}].max_days", message))
        if rule["type"] in ("tiers", "tranches"):
            _check_steps(rule, where, milestones, problems)
        if "clawback" in rule:
            steps = rule.get("tiers", rule.get("tranches", []))
            named = [rule["milestone"]] if "milestone" in rule else [step["milestone"] for step in steps]
            events = {milestones[n]["event"] for n in named if n in milestones}
            if events and not events & LASTING_EVENTS:
                message = "terugvorderen kan alleen bij een mijlpaal op plaatsing of uitstroom uit de uitkering"
                problems.append((f"{where}.clawback", message))
        needs_placement = rule["type"] == "recurring" or "pro_rata_hours" in rule
        milestone = milestones.get(rule.get("milestone", ""))
        if needs_placement and milestone is not None and milestone["event"] != EventType.PLACEMENT:
            message = "doorlopende en naar uren berekende betalingen horen bij een plaatsing"
            problems.append((f"{where}.milestone", message))
    for i, rule in enumerate(data.get("contract_rules", [])):
        where = f"contract_rules[{i}]"
        _ref(rule["numerator"], milestones, f"{where}.numerator", problems)
        share = rule["amount"].get("percent_of_rules")
        for j, rule_id in enumerate(share["rules"] if share else []):
            if rule_id not in rule_ids:
                problems.append((f"{where}.amount.percent_of_rules.rules[{j}]", f"onbekende regel {rule_id!r}"))
        if Decimal(rule["threshold"]) > HUNDRED:
            problems.append((f"{where}.threshold", "een percentage is hoogstens 100"))
    if "base_price" not in data:
        for path, amount in _amounts_in(data):
            if "percent" in amount:
                problems.append((path, "een percentage heeft een basisprijs nodig: vul 'base_price' in"))
    return problems


def _compile(data: JSON) -> PaymentModel:
    milestones = {
        name: Milestone(
            name=name,
            event=EventType(m["event"]),
            description=m.get("description", name.replace("_", " ")),
            kinds=frozenset(WorkKind(k) for k in m["kinds"]) if "kinds" in m else None,
            min_hours_per_week=Decimal(str(m["min_hours_per_week"])) if "min_hours_per_week" in m else None,
            min_contract_months=m.get("min_contract_months"),
            reasons=frozenset(ExitReason(r).value for r in m["reasons"]) if "reasons" in m else None,
            lasting_months=m.get("lasting_months"),
        )
        for name, m in data["milestones"].items()
    }
    rules = []
    for r in data["rules"]:
        clawback = r.get("clawback")
        steps = tuple(
            Step(id=s.get("id", s["milestone"]), milestone=s["milestone"], amount=Amount.parse(s["amount"]),
                 label=s.get("label", milestones[s["milestone"]].description), after=s.get("after"))
            for s in r.get("tiers", r.get("tranches", []))
        )
        rules.append(Rule(
            id=r["id"],
            type=r["type"],
            label=r.get("label", r["id"].replace("_", " ")),
            milestone=r.get("milestone"),
            amount=Amount.parse(r["amount"]) if "amount" in r else None,
            unless_milestones=tuple(r.get("unless", {}).get("milestones", ())),
            unless_within=r.get("unless", {}).get("within"),
            tempo_from=r.get("tempo", {}).get("from"),
            tempo_bands=tuple(
                TempoBand(b["max_days"], Amount.parse(b["amount"])) for b in r.get("tempo", {}).get("bands", ())
            ),
            pro_rata_base_hours=Decimal(str(r["pro_rata_hours"]["base_hours"])) if "pro_rata_hours" in r else None,
            clawback=(Clawback(clawback["within"], frozenset(EventType(e) for e in clawback["on"]))
                      if clawback else None),
            steps=steps,
            every=r.get("every"),
            max_count=r.get("max_count"),
        ))
    contract_rules = []
    for c in data.get("contract_rules", []):
        share = c["amount"].get("percent_of_rules")
        contract_rules.append(ContractRule(
            id=c["id"], type=c["type"], label=c.get("label", c["id"].replace("_", " ")),
            numerator=c["numerator"], denominator=c["denominator"], threshold=Decimal(c["threshold"]),
            min_trajecten=c.get("min_trajecten", 1),
            fixed=Decimal(c["amount"]["amount"]) if "amount" in c["amount"] else None,
            percent_of_rules=(Decimal(share["percent"]), tuple(share["rules"])) if share else None,
        ))
    base = data.get("base_price", {})
    limits = data.get("contract_limits", {})
    return PaymentModel(
        name=data["name"],
        description=data.get("description", ""),
        base_price=Decimal(base["default"]) if "default" in base else None,
        prices_by_group={k: Decimal(v) for k, v in base.get("by_client_group", {}).items()},
        traject_ceiling=Amount.parse(data["traject_ceiling"]) if "traject_ceiling" in data else None,
        milestones=milestones,
        rules=tuple(rules),
        contract_rules=tuple(contract_rules),
        volume_limit=limits.get("volume"),
        budget_limit=Decimal(limits["budget"]) if "budget" in limits else None,
        source=data,
    )
