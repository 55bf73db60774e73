"""Every check on a payment model has a test: the problem names the field and says what is wrong in Dutch.

Each case builds a model twice from the same recipe: once with the mistake (``ok=False``), which must be
refused with a problem at the expected field path, and once corrected (``ok=True``), which must validate.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from contracts.model import ModelError, PaymentModel
from tests.contracts.helpers import TEMPLATES

MILESTONES = {
    "start": {"event": "started", "description": "start van het traject"},
    "job": {"event": "placement", "kinds": ["regular"], "description": "plaatsing in regulier werk"},
    "any_job": {"event": "placement", "description": "plaatsing in werk"},
    "durable": {"event": "placement", "kinds": ["regular"], "lasting_months": 6},
    "exit": {"event": "benefit_exit", "reasons": ["work"]},
    "end": {"event": "ended"},
}


def fee(**fields) -> dict:
    return {"id": "fee", "type": "fee", "milestone": "start", "amount": {"amount": "100.00"}, **fields}


def tiers(*steps, **fields) -> dict:
    return {"id": "price", "type": "tiers", "tiers": list(steps), **fields}


def tranches(*steps, **fields) -> dict:
    return {"id": "price", "type": "tranches", "tranches": list(steps), **fields}


def recurring(**fields) -> dict:
    return {"id": "monthly", "type": "recurring", "milestone": "job", "every": {"months": 1}, "max_count": 6,
            "amount": {"amount": "250.00"}, **fields}


def step(milestone: str, amount: str | None = None, percent: str | None = None, **fields) -> dict:
    value = {"amount": amount} if amount is not None else {"percent": percent}
    return {"milestone": milestone, "amount": value, **fields}


def contract_rule(**fields) -> dict:
    return {"id": "bonus", "type": "bonus", "numerator": "job", "denominator": "started", "threshold": "40",
            "amount": {"amount": "1000.00"}, **fields}


def model(*rules: dict, drop: tuple[str, ...] = (), milestones: dict | None = None, **top) -> dict:
    """A valid model (a start fee under a base price) with the given rules, fields replaced or dropped."""
    data = {
        "schema_version": 1,
        "name": "Testmodel",
        "base_price": {"default": "2000.00", "by_client_group": {"jongeren": "2500.00"}},
        "milestones": copy.deepcopy(MILESTONES) if milestones is None else milestones,
        "rules": list(rules) or [fee()],
    }
    data.update(top)
    for key in drop:
        data.pop(key)
    return data


def with_milestone(name: str, definition: dict) -> dict:
    return {**copy.deepcopy(MILESTONES), name: definition}


def problems_of(data: dict) -> list[tuple[str, str]]:
    with pytest.raises(ModelError) as raised:
        PaymentModel.from_dict(data)
    problems = raised.value.problems
    assert problems, "a ModelError without problems"
    assert all(isinstance(path, str) and isinstance(message, str) for path, message in problems)
    return problems


def assert_problem(data: dict, path: str, fragment: str) -> None:
    problems = problems_of(data)
    hits = [message for p, message in problems if p == path]
    assert hits, f"no problem at {path!r}; got {problems!r}"
    assert any(fragment in message for message in hits), f"{fragment!r} not in {hits!r}"


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[bool], dict]
    path: str
    fragment: str


CASES = [
    # --- required fields and the envelope ---------------------------------------------------------
    Case("missing name", lambda ok: model() if ok else model(drop=("name",)),
         "(model)", "verplicht veld 'name' ontbreekt"),
    Case("missing milestones", lambda ok: model() if ok else model(drop=("milestones",)),
         "(model)", "verplicht veld 'milestones' ontbreekt"),
    Case("missing rules", lambda ok: model() if ok else model(drop=("rules",)),
         "(model)", "verplicht veld 'rules' ontbreekt"),
    Case("missing schema_version", lambda ok: model() if ok else model(drop=("schema_version",)),
         "(model)", "verplicht veld 'schema_version' ontbreekt"),
    Case("wrong schema_version", lambda ok: model(schema_version=1 if ok else 2), "schema_version", "moet 1 zijn"),
    Case("schema_version as text", lambda ok: model(schema_version=1 if ok else "1"), "schema_version", "moet 1 zijn"),
    Case("empty name", lambda ok: model(name="Model" if ok else ""), "name", "mag niet leeg zijn"),
    Case("name not a string", lambda ok: model(name="Model" if ok else 7), "name", "verwacht string, kreeg int"),
    Case("unknown top-level field",
         lambda ok: model(description="uitleg") if ok else model(price={"default": "1.00"}), "price", "onbekend veld"),
    Case("rules not a list", lambda ok: model() if ok else model(rules={"fee": fee()}), "rules", "verwacht array"),
    # --- unknown fields inside ---------------------------------------------------------------------
    Case("unknown field in a fee rule", lambda ok: model(fee(label="start") if ok else fee(bonus="5.00")),
         "rules[0].bonus", "onbekend veld"),
    Case("unknown field in a tiers rule",
         lambda ok: model(tiers(step("start", "1.00"), step("job", "2.00"), **({} if ok else {"milestone": "job"}))),
         "rules[0].milestone", "onbekend veld"),
    Case("unknown field in a milestone",
         lambda ok: model(milestones=with_milestone("x", {"event": "placement",
                                                           ("kinds" if ok else "kind"): ["regular"]})),
         "milestones.x.kind", "onbekend veld"),
    Case("unknown field in an amount",
         lambda ok: model(fee(amount={"amount": "1.00"} if ok else {"amount": "1.00", "currency": "EUR"})),
         "rules[0].amount.currency", "onbekend veld"),
    Case("unknown field in contract_limits",
         lambda ok: model(contract_limits={"volume": 5} if ok else {"volume": 5, "trajecten": 5}),
         "contract_limits.trajecten", "onbekend veld"),
    # --- enumerations ------------------------------------------------------------------------------
    Case("unknown event type",
         lambda ok: model(milestones=with_milestone("x", {"event": "placement" if ok else "hired"})),
         "milestones.x.event", "onbekende waarde 'hired'"),
    Case("unknown rule type", lambda ok: model(fee(type="fee" if ok else "bonus")),
         "rules[0].type", "onbekende waarde 'bonus'"),
    Case("unknown work kind",
         lambda ok: model(milestones=with_milestone("x", {"event": "placement",
                                                           "kinds": ["regular", "temporary" if ok else "fulltime"]})),
         "milestones.x.kinds[1]", "onbekende waarde 'fulltime'"),
    Case("unknown exit reason",
         lambda ok: model(milestones=with_milestone("x", {"event": "benefit_exit",
                                                           "reasons": ["partner_income" if ok else "pension"]})),
         "milestones.x.reasons[0]", "onbekende waarde 'pension'"),
    Case("duplicate work kinds",
         lambda ok: model(milestones=with_milestone("x", {"event": "placement",
                                                           "kinds": ["regular", "subsidised" if ok else "regular"]})),
         "milestones.x.kinds", "dubbele waarden"),
    Case("clawback on an event that is no break",
         lambda ok: model(fee(milestone="job", clawback={"within": {"months": 3},
                                                         "on": ["placement_ended" if ok else "ended"]})),
         "rules[0].clawback.on[0]", "onbekende waarde 'ended'"),
    Case("tempo from an unknown moment",
         lambda ok: model(fee(milestone="job", tempo={"from": "started" if ok else "intake",
                                                      "bands": [{"max_days": 90, "amount": {"amount": "9.00"}}]})),
         "rules[0].tempo.from", "onbekende waarde 'intake'"),
    # --- amounts -----------------------------------------------------------------------------------
    Case("negative amount", lambda ok: model(fee(amount={"amount": "5.00" if ok else "-5.00"})),
         "rules[0].amount.amount", "moet een bedrag van 0 of meer zijn"),
    Case("amount with a decimal comma", lambda ok: model(fee(amount={"amount": "7.50" if ok else "7,50"})),
         "rules[0].amount.amount", "(kreeg '7,50')"),
    Case("amount as a number", lambda ok: model(fee(amount={"amount": "7.50" if ok else 7.5})),
         "rules[0].amount.amount", "verwacht string, kreeg float"),
    Case("amount with three decimals", lambda ok: model(fee(amount={"amount": "7.51" if ok else "7.505"})),
         "rules[0].amount.amount", "bijv. \"750.00\""),
    Case("percent with a percent sign", lambda ok: model(fee(amount={"percent": "70" if ok else "70%"})),
         "rules[0].amount.percent", "moet een percentage van 0 of meer zijn"),
    Case("negative percent", lambda ok: model(fee(amount={"percent": "5" if ok else "-5"})),
         "rules[0].amount.percent", "percentage van 0 of meer"),
    Case("both amount and percent",
         lambda ok: model(fee(amount={"amount": "5.00"} if ok else {"amount": "5.00", "percent": "10"})),
         "rules[0].amount", "geef één van 'amount' of 'percent', niet beide"),
    Case("empty amount", lambda ok: model(fee(amount={"amount": "5.00"} if ok else {})),
         "rules[0].amount", "mag niet leeg zijn"),
    Case("negative base price", lambda ok: model(base_price={"default": "2000.00" if ok else "-2000.00"}),
         "base_price.default", "bedrag van 0 of meer"),
    Case("bad client-group price",
         lambda ok: model(base_price={"default": "2000.00",
                                      "by_client_group": {"jongeren": "2500.00" if ok else "€ 2500"}}),
         "base_price.by_client_group.jongeren", "bedrag van 0 of meer"),
    Case("bad budget", lambda ok: model(contract_limits={"budget": "100000.00" if ok else "100.000,00"}),
         "contract_limits.budget", "bedrag van 0 of meer"),
    Case("bad traject ceiling", lambda ok: model(traject_ceiling={"amount": "3000.00" if ok else "3000 euro"}),
         "traject_ceiling.amount", "bedrag van 0 of meer"),
    # --- collections and names ---------------------------------------------------------------------
    Case("empty milestones", lambda ok: model(fee(milestone="x"), milestones={"x": {"event": "started"}} if ok else {}),
         "milestones", "mag niet leeg zijn"),
    Case("uppercase milestone name",
         lambda ok: model(milestones=with_milestone("intake" if ok else "Intake", {"event": "intake"})),
         "milestones", "ongeldige naam 'Intake'"),
    Case("milestone name with a dash",
         lambda ok: model(milestones=with_milestone("first_job" if ok else "first-job", {"event": "placement"})),
         "milestones", "ongeldige naam 'first-job'"),
    Case("uppercase rule id", lambda ok: model(fee(id="fee" if ok else "Fee")),
         "rules[0].id", "ongeldige naam 'Fee': alleen kleine letters, cijfers en _"),
    Case("rule id starting with a digit", lambda ok: model(fee(id="fee1" if ok else "1fee")),
         "rules[0].id", "ongeldige naam '1fee'"),
    Case("uppercase client group",
         lambda ok: model(base_price={"default": "1.00",
                                      "by_client_group": {"jongeren" if ok else "Jongeren": "2.00"}}),
         "base_price.by_client_group", "ongeldige naam 'Jongeren'"),
    Case("rule without a milestone",
         lambda ok: model(fee() if ok else {k: v for k, v in fee().items() if k != "milestone"}),
         "rules[0]", "verplicht veld 'milestone' ontbreekt"),
    Case("rule without an amount", lambda ok: model(fee() if ok else {k: v for k, v in fee().items() if k != "amount"}),
         "rules[0]", "verplicht veld 'amount' ontbreekt"),
    Case("tranche without an id",
         lambda ok: model(tranches({"milestone": "start", "amount": {"percent": "30"}, **({"id": "a"} if ok else {})})),
         "rules[0].tranches[0]", "verplicht veld 'id' ontbreekt"),
    Case("lasting_months zero",
         lambda ok: model(milestones=with_milestone("x", {"event": "placement", "lasting_months": 1 if ok else 0})),
         "milestones.x.lasting_months", "moet 1 of meer zijn"),
    Case("negative min_hours_per_week",
         lambda ok: model(milestones=with_milestone("x", {"event": "placement",
                                                           "min_hours_per_week": 0 if ok else -1})),
         "milestones.x.min_hours_per_week", "moet 0 of meer zijn"),
    Case("pro rata over zero hours",
         lambda ok: model(fee(milestone="job", pro_rata_hours={"base_hours": 32 if ok else 0})),
         "rules[0].pro_rata_hours.base_hours", "moet groter zijn dan 0"),
    Case("empty period", lambda ok: model(recurring(every={"weeks": 4} if ok else {})),
         "rules[0].every", "mag niet leeg zijn"),
    Case("recurring max_count zero", lambda ok: model(recurring(max_count=1 if ok else 0)),
         "rules[0].max_count", "moet 1 of meer zijn"),
    # --- references between parts ------------------------------------------------------------------
    Case("rule referencing an unknown milestone",
         lambda ok: model(fee(), fee(id="placement_fee", milestone="job" if ok else "placment")),
         "rules[1].milestone", "onbekende mijlpaal 'placment'"),
    Case("unless naming an unknown milestone",
         lambda ok: model(fee(milestone="end", unless={"milestones": ["job", "durable" if ok else "duurzaam"],
                                                       "within": {"months": 7}})),
         "rules[0].unless.milestones[1]", "onbekende mijlpaal 'duurzaam'"),
    Case("duplicate rule ids", lambda ok: model(fee(), fee(id="fee2" if ok else "fee", milestone="job")),
         "rules[1].id", "dubbele regel-id 'fee'"),
    # --- milestone conditions on the wrong event ---------------------------------------------------
    Case("kinds on started",
         lambda ok: model(milestones=with_milestone("x", {"event": "placement" if ok else "started",
                                                           "kinds": ["regular"]})),
         "milestones.x.kinds", "geldt alleen voor een plaatsing"),
    Case("min_hours_per_week on benefit_exit",
         lambda ok: model(milestones=with_milestone("x", {"event": "placement" if ok else "benefit_exit",
                                                           "min_hours_per_week": 20})),
         "milestones.x.min_hours_per_week", "geldt alleen voor een plaatsing"),
    Case("min_contract_months on ended",
         lambda ok: model(milestones=with_milestone("x", {"event": "placement" if ok else "ended",
                                                           "min_contract_months": 6})),
         "milestones.x.min_contract_months", "geldt alleen voor een plaatsing"),
    Case("reasons on placement",
         lambda ok: model(milestones=with_milestone("x", {"event": "benefit_exit" if ok else "placement",
                                                           "reasons": ["work"]})),
         "milestones.x.reasons", "redenen horen alleen bij uitstroom uit de uitkering"),
    Case("lasting_months on started",
         lambda ok: model(milestones=with_milestone("x", {"event": "benefit_exit" if ok else "started",
                                                           "lasting_months": 6})),
         "milestones.x.lasting_months", "duurzaamheid geldt alleen voor 'placement' of 'benefit_exit'"),
    # --- tiers -------------------------------------------------------------------------------------
    Case("fewer than two tiers",
         lambda ok: model(tiers(step("start", "100.00"), *([step("job", "200.00")] if ok else []))),
         "rules[0].tiers", "minstens 2 onderdelen nodig"),
    Case("tier milestone unknown",
         lambda ok: model(tiers(step("start", "100.00"), step("job" if ok else "baan", "200.00"))),
         "rules[0].tiers[1].milestone", "onbekende mijlpaal 'baan'"),
    Case("tiers with the same milestone twice",
         lambda ok: model(tiers(step("start", "100.00"), step("job", "200.00"),
                                step("durable" if ok else "start", "300.00"))),
         "rules[0].tiers[2].milestone", "overlapt met tiers[0]"),
    Case("tiers not increasing",
         lambda ok: model(tiers(step("start", "100.00"), step("job", "300.00"),
                                step("durable", "400.00" if ok else "250.00"))),
         "rules[0].tiers[2].amount", "elke trede is meer waard dan de vorige"),
    Case("tiers with equal amounts",
         lambda ok: model(tiers(step("start", percent="70"), step("job", percent="80" if ok else "70"))),
         "rules[0].tiers[1].amount", "elke trede is meer waard"),
    Case("tiers mixing units",
         lambda ok: model(tiers(step("start", percent="70"),
                                step("job", percent="100") if ok else step("job", amount="2500.00"))),
         "rules[0].tiers", "alle treden gebruiken dezelfde eenheid"),
    Case("tier percent over 100",
         lambda ok: model(tiers(step("start", percent="70"), step("job", percent="100" if ok else "120"))),
         "rules[0].tiers[1].amount.percent", "hoogstens 100%"),
    # --- tranches ----------------------------------------------------------------------------------
    Case("tranche after a missing tranche",
         lambda ok: model(tranches(step("start", percent="30", id="start"),
                                   step("job", percent="70", id="job", after="start" if ok else "intake"))),
         "rules[0].tranches[1].after", "de voorgaande tranche 'intake' bestaat niet"),
    Case("tranche after a later tranche",
         lambda ok: model(tranches(step("start", percent="30", id="start", **({} if ok else {"after": "job"})),
                                   step("job", percent="70", id="job", **({"after": "start"} if ok else {})))),
         "rules[0].tranches[0].after", "voorgaande tranche 'job'"),
    Case("tranche after itself",
         lambda ok: model(tranches(step("start", percent="30", id="start"),
                                   step("job", percent="70", id="job", after="start" if ok else "job"))),
         "rules[0].tranches[1].after", "voorgaande tranche 'job'"),
    Case("duplicate tranche ids",
         lambda ok: model(tranches(step("start", percent="30", id="a"), step("job", percent="30", id="b"),
                                   step("durable", percent="40", id="c" if ok else "a"))),
         "rules[0].tranches[2].id", "dubbele tranche-id 'a'"),
    Case("tranche percentages over 100",
         lambda ok: model(tranches(step("start", percent="30", id="a"), step("job", percent="40", id="b"),
                                   step("durable", percent="30" if ok else "40", id="c"))),
         "rules[0].tranches", "de percentages tellen op tot 110%: meer dan 100%"),
    Case("one tranche over 100 percent",
         lambda ok: model(tranches(step("start", percent="100" if ok else "100.5", id="a"))),
         "rules[0].tranches[0].amount.percent", "hoogstens 100%"),
    Case("tranche milestone unknown",
         lambda ok: model(tranches(step("start" if ok else "begin", percent="30", id="a"))),
         "rules[0].tranches[0].milestone", "onbekende mijlpaal 'begin'"),
    # --- tempo, recurring, pro rata ----------------------------------------------------------------
    Case("tempo bands not increasing",
         lambda ok: model(fee(milestone="job", tempo={"from": "started", "bands": [
             {"max_days": 90, "amount": {"amount": "2000.00"}},
             {"max_days": 180 if ok else 60, "amount": {"amount": "1500.00"}},
         ]})),
         "rules[0].tempo.bands[1].max_days", "tempobanden lopen op"),
    Case("tempo bands with the same maximum",
         lambda ok: model(fee(milestone="job", tempo={"from": "referral", "bands": [
             {"max_days": 90, "amount": {"amount": "2000.00"}},
             {"max_days": 180, "amount": {"amount": "1500.00"}},
             {"max_days": 365 if ok else 180, "amount": {"amount": "1000.00"}},
         ]})),
         "rules[0].tempo.bands[2].max_days", "tempobanden lopen op"),
    Case("clawback on a fee for the start",
         lambda ok: model(fee(milestone="job" if ok else "start",
                              clawback={"within": {"months": 3}, "on": ["placement_ended"]})),
         "rules[0].clawback", "terugvorderen kan alleen bij een mijlpaal op plaatsing of uitstroom"),
    Case("clawback on tiers without a placement or exit",
         lambda ok: model(tiers(step("start", "100.00"), step("exit" if ok else "end", "200.00"),
                                clawback={"within": {"months": 3}, "on": ["fall_back"]})),
         "rules[0].clawback", "terugvorderen kan alleen"),
    Case("recurring on a non-placement milestone", lambda ok: model(recurring(milestone="job" if ok else "exit")),
         "rules[0].milestone", "horen bij een plaatsing"),
    Case("pro rata on a non-placement milestone",
         lambda ok: model(fee(milestone="durable" if ok else "start", pro_rata_hours={"base_hours": 32})),
         "rules[0].milestone", "doorlopende en naar uren berekende betalingen horen bij een plaatsing"),
    # --- percentages need a base price -------------------------------------------------------------
    Case("percent fee without base price",
         lambda ok: model(fee(amount={"percent": "40"}), drop=() if ok else ("base_price",)),
         "rules[0].amount", "een percentage heeft een basisprijs nodig"),
    Case("percent tiers without base price",
         lambda ok: model(fee(), tiers(step("start", percent="70"), step("job", percent="100")),
                          drop=() if ok else ("base_price",)),
         "rules[1].tiers[0].amount", "basisprijs nodig"),
    Case("percent tranche without base price",
         lambda ok: model(tranches(step("start", "100.00", id="a"), step("job", percent="50", id="b")),
                          drop=() if ok else ("base_price",)),
         "rules[0].tranches[1].amount", "basisprijs nodig"),
    Case("percent tempo band without base price",
         lambda ok: model(fee(milestone="job", tempo={"from": "started", "bands": [
             {"max_days": 90, "amount": {"percent": "120"}}]}), drop=() if ok else ("base_price",)),
         "rules[0].tempo.bands[0].amount", "basisprijs nodig"),
    Case("percent traject ceiling without base price",
         lambda ok: model(traject_ceiling={"percent": "100"}, drop=() if ok else ("base_price",)),
         "traject_ceiling", "basisprijs nodig"),
    # --- contract rules and limits -----------------------------------------------------------------
    Case("contract rule with an unknown numerator",
         lambda ok: model(contract_rules=[contract_rule(numerator="job" if ok else "plaatsing")]),
         "contract_rules[0].numerator", "onbekende mijlpaal 'plaatsing'"),
    Case("contract rule sharing an unknown rule",
         lambda ok: model(fee(), contract_rules=[contract_rule(
             amount={"percent_of_rules": {"percent": "10", "rules": ["fee" if ok else "placement_fee"]}})]),
         "contract_rules[0].amount.percent_of_rules.rules[0]", "onbekende regel 'placement_fee'"),
    Case("contract rule threshold over 100",
         lambda ok: model(contract_rules=[contract_rule(threshold="100" if ok else "140")]),
         "contract_rules[0].threshold", "een percentage is hoogstens 100"),
    Case("contract rule with an unknown denominator",
         lambda ok: model(contract_rules=[contract_rule(denominator="accepted" if ok else "placements")]),
         "contract_rules[0].denominator", "onbekende waarde 'placements'"),
    Case("contract rule of an unknown type",
         lambda ok: model(contract_rules=[contract_rule(type="malus" if ok else "penalty")]),
         "contract_rules[0].type", "onbekende waarde 'penalty'"),
    Case("contract rule with both a fixed amount and a share",
         lambda ok: model(fee(), contract_rules=[contract_rule(amount={"amount": "1.00", **({} if ok else {
             "percent_of_rules": {"percent": "10", "rules": ["fee"]}})})]),
         "contract_rules[0].amount", "niet beide"),
    Case("contract rule min_trajecten zero",
         lambda ok: model(contract_rules=[contract_rule(min_trajecten=1 if ok else 0)]),
         "contract_rules[0].min_trajecten", "moet 1 of meer zijn"),
    Case("volume limit zero", lambda ok: model(contract_limits={"volume": 1 if ok else 0}),
         "contract_limits.volume", "moet 1 of meer zijn"),
    Case("volume limit not a whole number", lambda ok: model(contract_limits={"volume": 50 if ok else 50.5}),
         "contract_limits.volume", "verwacht integer"),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_check_names_the_field_and_says_what_is_wrong(case: Case):
    assert_problem(case.build(False), case.path, case.fragment)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_the_corrected_variant_is_accepted(case: Case):
    compiled = PaymentModel.from_dict(case.build(True))
    assert isinstance(compiled, PaymentModel)


def test_the_case_ids_are_distinct():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))


def test_a_model_error_reads_as_its_problems():
    with pytest.raises(ModelError) as raised:
        PaymentModel.from_dict(model(fee(amount={"amount": "-5.00"})))
    error = raised.value
    assert isinstance(error, ValueError)
    assert str(error).startswith("rules[0].amount.amount: moet een bedrag van 0 of meer zijn")


def test_a_document_that_is_not_an_object_is_refused():
    assert_problem([], "(model)", "verwacht object, kreeg list")


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.json")), ids=lambda p: p.stem)
def test_every_shipped_template_validates(path: Path):
    data = json.loads(path.read_text(encoding="utf-8"))
    compiled = PaymentModel.from_dict(data)
    assert compiled.name == data["name"]
    assert compiled.source == data
    assert {r.id for r in compiled.rules} == {r["id"] for r in data["rules"]}


def test_there_are_shipped_templates():
    assert len(list(TEMPLATES.glob("*.json"))) >= 10


def test_several_semantic_problems_are_reported_at_once():
    data = model(
        fee(milestone="placment"),
        fee(id="fee", milestone="job"),
        tiers(step("start", "300.00"), step("job", "200.00"), id="tiers"),
        tranches(step("start", percent="60", id="a"), step("job", percent="60", id="b", after="c")),
        recurring(milestone="start"),
        milestones=with_milestone("x", {"event": "started", "lasting_months": 6, "reasons": ["work"]}),
        contract_rules=[contract_rule(numerator="nope", threshold="101")],
    )
    problems = problems_of(data)
    expected = {
        ("milestones.x.reasons", "redenen horen alleen bij uitstroom"),
        ("milestones.x.lasting_months", "duurzaamheid geldt alleen"),
        ("rules[0].milestone", "onbekende mijlpaal 'placment'"),
        ("rules[1].id", "dubbele regel-id 'fee'"),
        ("rules[2].tiers[1].amount", "elke trede is meer waard"),
        ("rules[3].tranches[1].after", "voorgaande tranche 'c'"),
        ("rules[3].tranches", "meer dan 100%"),
        ("rules[4].milestone", "horen bij een plaatsing"),
        ("contract_rules[0].numerator", "onbekende mijlpaal 'nope'"),
        ("contract_rules[0].threshold", "hoogstens 100"),
    }
    for path, fragment in expected:
        assert any(p == path and fragment in m for p, m in problems), f"missing {path}: {fragment}; got {problems}"
    assert len(problems) == len(expected)


def test_several_schema_problems_are_reported_at_once():
    data = model(fee(amount={"amount": "-5.00"}, bonus=True), schema_version=2, extra=1)
    problems = problems_of(data)
    paths = {path for path, _ in problems}
    assert {"schema_version", "extra", "rules[0].bonus", "rules[0].amount.amount"} <= paths


def test_unknown_milestone_lists_the_known_ones():
    problems = problems_of(model(fee(milestone="baan")))
    assert problems == [("rules[0].milestone",
                         "onbekende mijlpaal 'baan' (bekend: any_job, durable, end, exit, job, start)")]


def test_a_valid_model_compiles_to_what_it_says():
    data = model(
        fee(label="start"),
        tiers(step("start", percent="70"), step("job", percent="100"), id="tiers"),
        traject_ceiling={"percent": "110"},
        contract_limits={"volume": 10, "budget": "5000.50"},
    )
    compiled = PaymentModel.from_dict(data)
    assert compiled.base_price == Decimal("2000.00")
    assert compiled.price_for("jongeren", None) == Decimal("2500.00")
    assert compiled.price_for("onbekend", None) == Decimal("2000.00")
    assert compiled.price_for("jongeren", Decimal("1800.00")) == Decimal("1800.00")
    assert compiled.volume_limit == 10
    assert compiled.budget_limit == Decimal("5000.50")
    assert compiled.traject_ceiling.value(Decimal("2000.00")) == Decimal("2200.00")
