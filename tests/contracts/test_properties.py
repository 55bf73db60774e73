"""Properties of the entitlement engine that hold for every valid payment model and every history.

The strategies build random *valid* payment models as JSON-like dicts (or take a shipped template) and
random event histories for one traject, then check what the engine promises whatever the input.
"""

from __future__ import annotations

import functools
import json
import os
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from contracts.dates import add_period
from contracts.engine import TrajectResult, evaluate
from contracts.events import Traject, traject_from_dict
from contracts.model import PaymentModel
from contracts.money import ZERO, to_cents
from tests.contracts.helpers import TEMPLATES

# PROPERTY_EXAMPLES=5000 for a deeper search than the everyday run.
SETTINGS = settings(max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "200")), deadline=None)

KINDS = ["regular", "subsidised", "temporary"]
REASONS = ["work", "moved_away", "partner_income", "other"]
BREAKS = ["placement_ended", "fall_back", "dropout", "returned"]
MILESTONE_EVENTS = ["started", "placement", "benefit_exit", "ended"]
CLIENT_GROUPS = ["jongeren", "statushouders"]
TEMPLATE_DATA = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(TEMPLATES.glob("*.json"))]

# --- payment models ---------------------------------------------------------------------------------


def money(low: int = 0, high: int = 5_000_00) -> st.SearchStrategy[str]:
    """A money string such as "750.00" or "12.5", from a number of cents."""
    return st.integers(low, high).map(lambda c: f"{c // 100}.{c % 100:02d}" if c % 7 else f"{c // 100}")


def percent_text(tenths: int) -> str:
    return f"{tenths // 10}" if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}"


percents = st.integers(0, 1000).map(percent_text)  # 0 .. 100 in steps of 0.1

periods = st.one_of(
    st.builds(lambda n: {"months": n}, st.integers(1, 12)),
    st.builds(lambda n: {"weeks": n}, st.integers(1, 30)),
    st.builds(lambda n: {"days": n}, st.integers(1, 365)),
    st.builds(lambda m, d: {"months": m, "days": d}, st.integers(0, 6), st.integers(1, 40)),
)


def sometimes(draw) -> bool:
    """True one time in three: conditions are drawn sparingly, so that histories still reach milestones."""
    return draw(st.integers(0, 2)) == 0


@st.composite
def milestone_defs(draw, event: str) -> dict:
    m: dict = {"event": event}
    if event == "placement":
        if sometimes(draw):
            m["kinds"] = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=3, unique=True))
        if sometimes(draw):
            m["min_hours_per_week"] = draw(st.one_of(st.integers(0, 40), st.sampled_from([12.5, 19.5, 31.75])))
        if sometimes(draw):
            m["min_contract_months"] = draw(st.integers(0, 12))
    if event == "benefit_exit" and sometimes(draw):
        m["reasons"] = draw(st.lists(st.sampled_from(REASONS), min_size=1, max_size=4, unique=True))
    if event in ("placement", "benefit_exit") and sometimes(draw):
        m["lasting_months"] = draw(st.integers(1, 9))
    return m


@st.composite
def amounts(draw, with_base: bool) -> dict:
    if with_base and draw(st.booleans()):
        return {"percent": draw(percents)}
    return {"amount": draw(money())}


def clawable(milestones: dict, names: list[str]) -> bool:
    """A clawback belongs to a rule with a milestone on a placement or an exit from the benefit."""
    return any(milestones[name]["event"] in ("placement", "benefit_exit") for name in names)


@st.composite
def clawbacks(draw) -> dict:
    breaks = st.one_of(st.just(["placement_ended", "fall_back"]), st.just(BREAKS),
                       st.lists(st.sampled_from(BREAKS), min_size=1, max_size=4, unique=True))
    return {"within": draw(periods), "on": draw(breaks)}


@st.composite
def increasing(draw, unit: str, count: int) -> list[str]:
    if unit == "percent":
        values = sorted(draw(st.lists(st.integers(0, 1000), min_size=count, max_size=count, unique=True)))
        return [percent_text(v) for v in values]
    values = sorted(draw(st.lists(st.integers(0, 6_000_00), min_size=count, max_size=count, unique=True)))
    return [f"{v // 100}.{v % 100:02d}" for v in values]


@st.composite
def fee_rules(draw, rid: str, milestones: dict, with_base: bool) -> dict:
    names = sorted(milestones)
    name = draw(st.sampled_from(names))
    rule = {"id": rid, "type": "fee", "milestone": name, "amount": draw(amounts(with_base))}
    if draw(st.integers(0, 3)) == 0:
        rule["unless"] = {"milestones": draw(st.lists(st.sampled_from(names), min_size=1, max_size=2)),
                          "within": draw(periods)}
    if draw(st.integers(0, 2)) == 0:
        days = sorted(draw(st.lists(st.integers(0, 720), min_size=1, max_size=4, unique=True)))
        rule["tempo"] = {"from": draw(st.sampled_from(["started", "referral"])),
                         "bands": [{"max_days": d, "amount": draw(amounts(with_base))} for d in days]}
    if milestones[name]["event"] == "placement" and draw(st.booleans()):
        rule["pro_rata_hours"] = {"base_hours": draw(st.sampled_from([16, 24, 32, 36, 38.5]))}
    if clawable(milestones, [name]) and draw(st.booleans()):
        rule["clawback"] = draw(clawbacks())
    return rule


@st.composite
def tiers_rules(draw, rid: str, milestones: dict, with_base: bool) -> dict:
    count = draw(st.integers(2, min(4, len(milestones))))
    chosen = draw(st.permutations(sorted(milestones)))[:count]
    unit = "percent" if with_base and draw(st.booleans()) else "amount"
    values = draw(increasing(unit, count))
    rule = {"id": rid, "type": "tiers",
            "tiers": [{"milestone": m, "amount": {unit: v}} for m, v in zip(chosen, values, strict=True)]}
    if clawable(milestones, chosen) and draw(st.integers(0, 3)):
        rule["clawback"] = draw(clawbacks())
    return rule


@st.composite
def tranches_rules(draw, rid: str, milestones: dict, with_base: bool) -> dict:
    count = draw(st.integers(1, 4))
    left = 1000  # tenths of a percent still to give out, so the percentages sum to at most 100
    steps = []
    for j in range(count):
        step = {"id": f"t{j}", "milestone": draw(st.sampled_from(sorted(milestones)))}
        if with_base and draw(st.booleans()):
            tenths = draw(st.integers(0, left))
            left -= tenths
            step["amount"] = {"percent": percent_text(tenths)}
        else:
            step["amount"] = {"amount": draw(money())}
        if j and draw(st.booleans()):
            step["after"] = f"t{draw(st.integers(0, j - 1))}"
        steps.append(step)
    rule = {"id": rid, "type": "tranches", "tranches": steps}
    if clawable(milestones, [step["milestone"] for step in steps]) and draw(st.booleans()):
        rule["clawback"] = draw(clawbacks())
    return rule


@st.composite
def recurring_rules(draw, rid: str, milestones: dict, with_base: bool) -> dict | None:
    placements = sorted(n for n, m in milestones.items() if m["event"] == "placement")
    if not placements:
        return None
    rule = {"id": rid, "type": "recurring", "milestone": draw(st.sampled_from(placements)),
            "every": draw(periods), "max_count": draw(st.integers(1, 12)), "amount": draw(amounts(with_base))}
    if draw(st.booleans()):
        rule["pro_rata_hours"] = {"base_hours": draw(st.sampled_from([16, 32, 36]))}
    return rule


RULE_BUILDERS = {"fee": fee_rules, "tiers": tiers_rules, "tranches": tranches_rules, "recurring": recurring_rules}


@st.composite
def random_models(draw, rule_types=tuple(RULE_BUILDERS), max_rules: int = 4, ceiling: bool | None = None) -> dict:
    with_base = draw(st.booleans())
    data: dict = {"schema_version": 1, "name": "Willekeurig model"}
    if with_base:
        data["base_price"] = {"default": draw(money(100_00, 5_000_00))}
        groups = draw(st.lists(st.sampled_from(CLIENT_GROUPS), unique=True, max_size=2))
        if groups:
            data["base_price"]["by_client_group"] = {g: draw(money(100_00, 6_000_00)) for g in groups}
    count = draw(st.integers(2 if "tiers" in rule_types else 1, 6))
    events = draw(st.lists(st.sampled_from(MILESTONE_EVENTS), min_size=count, max_size=count))
    milestones = {f"m{i}": draw(milestone_defs(event)) for i, event in enumerate(events)}
    data["milestones"] = milestones
    rules = []
    for i in range(draw(st.integers(1, max_rules))):
        rule_type = draw(st.sampled_from(rule_types if len(rule_types) == 1 else ["fee", *rule_types]))
        rule = draw(RULE_BUILDERS[rule_type](f"r{i}", milestones, with_base))
        if rule is not None:
            rules.append(rule)
    assume(rules)
    data["rules"] = rules
    if ceiling if ceiling is not None else draw(st.booleans()):
        if with_base and draw(st.booleans()):
            data["traject_ceiling"] = {"percent": percent_text(draw(st.integers(0, 1500)))}
        else:
            data["traject_ceiling"] = {"amount": draw(money(0, 8_000_00))}
    return data


model_dicts = st.one_of(random_models(), st.sampled_from(TEMPLATE_DATA))


def compile_model(data: dict) -> PaymentModel:
    """Every generated model must be valid: a ModelError here is a bug in the strategy."""
    return _compiled(json.dumps(data, sort_keys=True))


@functools.lru_cache(maxsize=512)
def _compiled(text: str) -> PaymentModel:
    return PaymentModel.from_dict(json.loads(text))


# --- histories --------------------------------------------------------------------------------------

NOISE_TYPES = [
    "accepted", "intake", "started", "plan_approved", "progress_report", "placement", "still_employed",
    "benefit_exit", "fall_back", "placement_ended", "dropout", "returned", "ended",
]
REFERRAL = date(2026, 1, 5)
HORIZON = 730  # events fall within about two years after the referral


def placement_fields(draw) -> dict:
    fields = {
        "kind": draw(st.sampled_from(["regular", "regular", "subsidised", "temporary"])),
        "hours_per_week": draw(st.one_of(st.integers(0, 40), st.sampled_from(["12.5", "19.5", "31.75", "36"]))),
    }
    if draw(st.integers(0, 3)):
        fields["contract_months"] = draw(st.integers(0, 24))
    if draw(st.integers(0, 4)) == 0:
        fields["open_ended"] = True
    return fields


@st.composite
def traject_dicts(draw) -> dict:
    """A history as it might run: a start, placements with confirmations and breaks, exits, noise, corrections."""
    referral = REFERRAL + timedelta(days=draw(st.integers(0, 365)))
    events: list[dict] = []

    def add(event_type: str, offset: int, **fields) -> None:
        day = referral + timedelta(days=min(offset, HORIZON))
        events.append({"id": f"e{len(events)}", "type": event_type, "date": day.isoformat(), **fields})

    if draw(st.integers(0, 4)):
        add("started", draw(st.integers(0, 90)))
    for _ in range(draw(st.integers(0, 3))):
        placed = draw(st.integers(0, 540))
        add("placement", placed, **placement_fields(draw))
        if draw(st.integers(0, 2)):
            first, step = draw(st.integers(0, 60)), draw(st.integers(14, 62))
            for n in range(draw(st.integers(1, 12))):
                add("still_employed", placed + first + n * step)
        if draw(st.booleans()):
            add(draw(st.sampled_from(BREAKS)), placed + draw(st.integers(0, 180)))
    for _ in range(draw(st.integers(0, 2))):
        exited = draw(st.integers(0, 600))
        add("benefit_exit", exited, reason=draw(st.sampled_from(["work", "work", *REASONS])))
        if draw(st.integers(0, 2)) == 0:
            add("fall_back", exited + draw(st.integers(0, 300)))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(NOISE_TYPES))
        extra = placement_fields(draw) if kind == "placement" else {}
        if kind == "benefit_exit":
            extra = {"reason": draw(st.sampled_from(REASONS))}
        add(kind, draw(st.integers(0, HORIZON)), **extra)
    if draw(st.integers(0, 2)) == 0:
        add("ended", draw(st.integers(0, HORIZON)))
    for n in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2])) if events else 0):
        facts = [e for e in events if e["type"] != "correction"]
        placements = [e for e in facts if e["type"] == "placement"]
        target = draw(st.sampled_from(placements if placements and draw(st.booleans()) else facts))
        day = date.fromisoformat(target["date"]) + timedelta(days=draw(st.integers(1, 300)))
        events.append({"id": f"x{n}", "type": "correction", "date": day.isoformat(), "revokes": target["id"]})
    data = {"id": "t1", "referral_date": referral.isoformat(), "events": events}
    group = draw(st.one_of(st.none(), st.sampled_from([*CLIENT_GROUPS, "onbekend"])))
    if group is not None:
        data["client_group"] = group
    if draw(st.integers(0, 4)) == 0:
        data["price"] = draw(money(0, 6_000_00))
    return data


def as_of_for(referral: str, days: int) -> date:
    return date.fromisoformat(referral) + timedelta(days=days)


# Half of the time long after everything happened, else any day in the traject's life.
as_of_days = st.one_of(st.just(1100), st.integers(0, 1100))


def run(model_data: dict, traject_data: dict, as_of: date) -> TrajectResult:
    return evaluate(compile_model(model_data), traject_from_dict(traject_data), as_of)


def total(result: TrajectResult) -> Decimal:
    return sum((e.amount for e in result.entitlements), ZERO)


# --- counterexamples, replayed on every run -----------------------------------------------------------
# Small histories on which a property below failed because of an engine bug. Each is replayed as an explicit
# example: a ``BUG_*`` one keeps its property failing deterministically until the engine is fixed; a
# ``REGRESSION_*`` one was fixed in the engine and stays so that the bug cannot come back unnoticed.


def _placement(eid: str, day: str, kind: str = "regular", hours: int = 36) -> dict:
    return {"id": eid, "type": "placement", "date": day, "kind": kind, "hours_per_week": hours}


def _event(eid: str, kind: str, day: str, **fields) -> dict:
    return {"id": eid, "type": kind, "date": day, **fields}


def _history(*events: dict) -> dict:
    return {"id": "t1", "referral_date": REFERRAL.isoformat(), "events": list(events)}


def _days(day: str) -> int:
    return (date.fromisoformat(day) - REFERRAL).days


def _template(name: str) -> dict:
    return json.loads((TEMPLATES / f"{name}.json").read_text(encoding="utf-8"))


_PLACEMENT_FEE = {
    "schema_version": 1, "name": "plaatsingsvergoeding", "milestones": {"placement": {"event": "placement"}},
    "rules": [{"id": "placement_fee", "type": "fee", "milestone": "placement", "amount": {"amount": "500.00"}}],
}

# Fixed: a higher tier reached first and clawed back made a lower tier reached later worth nothing (_tiers
# counted the clawed-back tier as paid). Without the regular job the subsidised one earns 1000.00; with it 0.00.
REGRESSION_TIER_CLAWBACK = (
    {"schema_version": 1, "name": "treden met terugvordering",
     "milestones": {"subsidised": {"event": "placement", "kinds": ["subsidised"]},
                    "regular": {"event": "placement", "kinds": ["regular"]}},
     "rules": [{"id": "price", "type": "tiers",
                "tiers": [{"milestone": "subsidised", "amount": {"amount": "1000.00"}},
                          {"milestone": "regular", "amount": {"amount": "2500.00"}}],
                "clawback": {"within": {"months": 3}, "on": ["placement_ended"]}}]},
    _history(_event("ended_job", "placement_ended", "2026-04-01"), _placement("sub", "2026-05-01", "subsidised")),
    _days("2027-01-01"),
    [_placement("better", "2026-03-01", "regular")],
)

# Fixed: two tiers reached through one regular placement that ends the same day are both clawed back, but
# after the first clawback _tiers topped up to the second tier, which the same break voids next. The top-up's
# own clawback was settled before the top-up itself (same day, order 1 before order 2 in _settle), found
# nothing granted and was dropped: 100.00 stayed paid for a voided placement. With a subsidised placement the
# day before the total was 0.00, so the better outcome paid less.
REGRESSION_TIER_TOP_UP_TO_A_VOIDED_TIER = (
    {"schema_version": 1, "name": "treden, dezelfde dag beëindigd",
     "milestones": {"regular": {"event": "placement", "kinds": ["regular"]},
                    "regular_30h": {"event": "placement", "kinds": ["regular"], "min_hours_per_week": 30},
                    "subsidised": {"event": "placement", "kinds": ["subsidised"]}},
     "rules": [{"id": "price", "type": "tiers",
                "tiers": [{"milestone": "regular", "amount": {"amount": "100.00"}},
                          {"milestone": "regular_30h", "amount": {"amount": "200.00"}},
                          {"milestone": "subsidised", "amount": {"amount": "300.00"}}],
                "clawback": {"within": {"months": 1}, "on": ["placement_ended"]}}]},
    _history(_placement("job", "2026-03-06", "regular"), _event("ended_job", "placement_ended", "2026-03-06")),
    _days("2027-01-01"),
    [_placement("better", "2026-03-05", "subsidised")],
)

# Tiers under a traject ceiling: started and placed in regular work on the same day, the placement tier pays
# the difference (1000.00) on top of the start tier, but _settle grants same-day entitlements in key order,
# so "price/placement" comes before "price/start" and the ceiling (1500.00) cuts the start tier to 500.00.
# When the placement ends and its 1000.00 is clawed back, _tiers sees the start tier as fully paid (its own
# bookkeeping is before the ceiling) and tops up nothing: 500.00 in all, where the start alone earns 1000.00.
BUG_TIER_CEILING_SAME_DAY = (
    {"schema_version": 1, "name": "treden onder een plafond", "traject_ceiling": {"amount": "1500.00"},
     "milestones": {"start": {"event": "started"}, "placement": {"event": "placement", "kinds": ["regular"]}},
     "rules": [{"id": "price", "type": "tiers",
                "tiers": [{"milestone": "start", "amount": {"amount": "1000.00"}},
                          {"milestone": "placement", "amount": {"amount": "2000.00"}}],
                "clawback": {"within": {"months": 3}, "on": ["placement_ended"]}}]},
    _history(_event("s", "started", "2026-02-02"), _event("pe", "placement_ended", "2026-03-15")),
    _days("2027-01-01"),
    [_placement("better", "2026-02-02", "regular")],
)

# Fixed (found by the property below): a tier whose result was clawed back could never be earned again. An exit
# from benefit for "another reason" on 6 January pays the lowest tier (0.01); adding an exit for work on 5 January
# that is voided the same day by the end of the placement made the engine look only at that first exit, so the
# 6 January exit no longer counted and the better history paid nothing. Now a later result reaches the tier anew.
REGRESSION_TIER_REACHED_AGAIN_AFTER_CLAWBACK = (
    {"schema_version": 1, "name": "treden, opnieuw bereikt",
     "milestones": {"work": {"event": "benefit_exit", "reasons": ["work"]}, "exit": {"event": "benefit_exit"}},
     "rules": [{"id": "r0", "type": "tiers",
                "tiers": [{"milestone": "exit", "amount": {"amount": "0.01"}},
                          {"milestone": "work", "amount": {"amount": "0.02"}}],
                "clawback": {"within": {"months": 1}, "on": ["placement_ended", "fall_back"]}}]},
    _history(_event("later", "benefit_exit", "2026-01-06", reason="moved_away"),
             _event("ended_job", "placement_ended", "2026-01-05"), _event("end", "ended", "2026-01-05")),
    _days("2029-01-01"),
    [_event("better", "benefit_exit", "2026-01-05", reason="work")],
)

# Fixed: tempo from "started" fell back to the referral date while the start was not known yet; once a start
# dated after the placement was known, the same placement fee got another band: 1500.00 became 2000.00.
REGRESSION_TEMPO_START_AFTER_PLACEMENT = (
    _template("tempo"),
    _history(_placement("p", "2026-06-01"), _event("s", "started", "2026-07-01")),
    _days("2026-06-15"), _days("2027-01-01"),
)

# Fixed: after the first correction the fee was "still owed" (same key and amount, now from the other
# placement), so the second correction reversed that rebased fee: the fee due 2026-03-01 moved to 2026-03-10.
REGRESSION_TWO_CORRECTIONS_MOVE_DUE_DATE = (
    _PLACEMENT_FEE,
    _history(_placement("p1", "2026-03-01"), _placement("p2", "2026-03-10"),
             _event("x1", "correction", "2026-03-20", revokes="p1"),
             _event("x2", "correction", "2026-04-01", revokes="p2")),
    _days("2026-03-05"), _days("2027-01-01"),
)

# Fixed: the fee re-earned after the first correction ("placement_fee@x1", 100.00) silently disappeared
# when the second correction revoked its placement, because its key was already in kept_keys.
REGRESSION_TWO_CORRECTIONS_DROP_ENTITLEMENT = (
    {**_PLACEMENT_FEE, "rules": [{**_PLACEMENT_FEE["rules"][0], "amount": {"amount": "100.00"},
                                  "tempo": {"from": "referral",
                                            "bands": [{"max_days": 40, "amount": {"amount": "500.00"}}]}}]},
    _history(_placement("p1", "2026-01-20"), _placement("p2", "2026-03-01"),
             _event("x1", "correction", "2026-04-01", revokes="p1"),
             _event("x2", "correction", "2026-05-01", revokes="p2")),
    _days("2026-04-15"), _days("2027-01-01"),
)

# Fixed: after a correction the rebased fee is renamed "placement_fee@x1" (250.00), but its clawback voided
# "placement_fee" (500.00, already corrected) instead.
REGRESSION_CLAWBACK_AFTER_CORRECTION = (
    {**_PLACEMENT_FEE, "rules": [{**_PLACEMENT_FEE["rules"][0], "pro_rata_hours": {"base_hours": 32},
                                  "clawback": {"within": {"months": 3}, "on": ["placement_ended"]}}]},
    _history(_placement("p1", "2026-03-01", hours=32), _placement("p2", "2026-03-10", hours=16),
             _event("x1", "correction", "2026-04-01", revokes="p1"),
             _event("pe", "placement_ended", "2026-04-15")),
    _days("2027-01-01"),
)

# Fixed: correcting an entitlement the traject ceiling had cut to 0.00 added a 0.00 "correction" voiding a
# zero amount (a rule clawback of 0.00 is left out).
REGRESSION_ZERO_CORRECTION = (
    {"schema_version": 1, "name": "plafond", "traject_ceiling": {"amount": "100.00"},
     "milestones": {"start": {"event": "started"}, "placement": {"event": "placement"}},
     "rules": [{"id": "start_fee", "type": "fee", "milestone": "start", "amount": {"amount": "100.00"}},
               {"id": "placement_fee", "type": "fee", "milestone": "placement", "amount": {"amount": "50.00"}}]},
    _history(_event("s", "started", "2026-02-01"), _placement("p1", "2026-03-01"),
             _event("x1", "correction", "2026-04-01", revokes="p1")),
    _days("2027-01-01"),
)

# Fixed: the "before" and "after" states of a correction were computed with events dated after the
# correction, so the placement of 2026-04-01 made the fee look "still owed" on 2026-03-20 and the fee due
# 2026-03-01 (p1, revoked) turned into a fee due 2026-04-01.
REGRESSION_CORRECTION_SEES_LATER_EVENTS = (
    _template("stay_in_work"),
    _history(_placement("p1", "2026-03-01"), _event("x1", "correction", "2026-03-20", revokes="p1"),
             _placement("p2", "2026-04-01"), _event("pe", "placement_ended", "2026-05-01")),
    _days("2026-03-25"), _days("2027-01-01"),
)


# --- properties -------------------------------------------------------------------------------------


@SETTINGS
@given(model_dicts, traject_dicts(), as_of_days)
def test_no_entitlement_key_appears_twice(model_data, traject_data, days):
    result = run(model_data, traject_data, as_of_for(traject_data["referral_date"], days))
    keys = [e.key for e in result.entitlements]
    assert len(keys) == len(set(keys)), keys


@SETTINGS
@given(random_models(ceiling=True), traject_dicts(), as_of_days)
def test_a_traject_never_gets_more_than_its_ceiling(model_data, traject_data, days):
    model = compile_model(model_data)
    traject = traject_from_dict(traject_data)
    result = evaluate(model, traject, as_of_for(traject_data["referral_date"], days))
    ceiling = to_cents(model.traject_ceiling.value(model.price_for(traject.client_group, traject.price)))
    assert total(result) <= ceiling, [e.as_dict() for e in result.entitlements]


# Fixed: a correction revoked the first placement, so the fee re-earned by a second placement became known
# only on the correction's date, but its clawback (the placement ended the day before) kept that earlier date
# and came before what it takes back.
REGRESSION_CLAWBACK_BEFORE_CORRECTED_FEE = (
    {**_PLACEMENT_FEE, "rules": [{**_PLACEMENT_FEE["rules"][0],
                                  "clawback": {"within": {"months": 3}, "on": ["placement_ended"]}}]},
    {"id": "t1", "referral_date": "2026-01-05", "events": [
        _placement("e0", "2026-01-05"), _event("e1", "placement_ended", "2026-01-06"),
        _placement("e2", "2026-01-06"), _event("x0", "correction", "2026-01-07", revokes="e0")]},
    1100,
)


@SETTINGS
@given(model_dicts, traject_dicts(), as_of_days)
@example(*REGRESSION_CLAWBACK_AFTER_CORRECTION)
@example(*REGRESSION_ZERO_CORRECTION)
@example(*REGRESSION_CLAWBACK_BEFORE_CORRECTED_FEE)
def test_every_clawback_voids_an_earlier_entitlement_of_the_same_output(model_data, traject_data, days):
    result = run(model_data, traject_data, as_of_for(traject_data["referral_date"], days))
    by_key = {e.key: e for e in result.entitlements}
    for clawback in result.entitlements:
        if clawback.voids is None:
            continue
        voided = by_key.get(clawback.voids)
        assert voided is not None, f"{clawback.key} voids {clawback.voids}, which is not in the output"
        assert voided.voids is None or voided.amount < 0, "only a clawback may void another clawback"
        assert voided.amount > 0 or voided.voids is not None, f"{clawback.key} voids {voided.amount}"
        assert clawback.amount == -voided.amount, (clawback.key, clawback.amount, voided.amount)
        assert voided.due_on <= clawback.due_on, (clawback.key, clawback.due_on, voided.due_on)
        if voided.voids is None:
            assert -clawback.amount <= voided.amount


@st.composite
def qualifying_events(draw, milestone: dict, referral: date, known: list[str]) -> list[dict]:
    """Events that reach ``milestone``: a matching event, and for a lasting placement a confirmation."""
    day = referral + timedelta(days=draw(st.integers(0, HORIZON)))
    if known and draw(st.booleans()):  # just before something that already happened, such as a break
        day = date.fromisoformat(draw(st.sampled_from(known))) - timedelta(days=draw(st.integers(0, 60)))
    event = {"id": "better", "type": milestone["event"], "date": day.isoformat()}
    if milestone["event"] == "placement":
        event["kind"] = draw(st.sampled_from(milestone.get("kinds", KINDS)))
        event["hours_per_week"] = str(Decimal(str(milestone.get("min_hours_per_week", 0))) + draw(st.integers(0, 8)))
        event["contract_months"] = milestone.get("min_contract_months", 0) + draw(st.integers(0, 12))
    if milestone["event"] == "benefit_exit":
        event["reason"] = draw(st.sampled_from(milestone.get("reasons", REASONS)))
    events = [event]
    if milestone["event"] == "placement" and "lasting_months" in milestone:
        confirmed = add_period(day, months=milestone["lasting_months"], days=draw(st.integers(0, 30)))
        events.append({"id": "better_confirmed", "type": "still_employed", "date": confirmed.isoformat()})
    return events


@st.composite
def better_tier_outcomes(draw) -> tuple[dict, dict, int, list[dict]]:
    """A tiered model, a history, an as-of day and events that reach a tier above every tier reached so far."""
    model_data = draw(random_models(rule_types=("tiers",), max_rules=1))
    traject_data = draw(traject_dicts())
    days = draw(as_of_days)
    before = run(model_data, traject_data, as_of_for(traject_data["referral_date"], days))
    steps = model_data["rules"][0]["tiers"]
    reached = [j for j, s in enumerate(steps) if s["milestone"] in before.milestones]
    higher = [j for j in range(len(steps)) if j > max(reached, default=-1)]
    assume(higher)
    target = steps[draw(st.sampled_from(higher))]
    breaks = [e["date"] for e in traject_data["events"] if e["type"] in BREAKS]
    known = breaks if breaks and draw(st.booleans()) else [e["date"] for e in traject_data["events"]]
    added = draw(qualifying_events(model_data["milestones"][target["milestone"]],
                                   date.fromisoformat(traject_data["referral_date"]), known))
    return model_data, traject_data, days, added


@SETTINGS
@given(better_tier_outcomes())
@example(REGRESSION_TIER_CLAWBACK)
@example(REGRESSION_TIER_TOP_UP_TO_A_VOIDED_TIER)
@example(BUG_TIER_CEILING_SAME_DAY)
@example(REGRESSION_TIER_REACHED_AGAIN_AFTER_CLAWBACK)
def test_a_better_outcome_never_pays_less_under_tiers(scenario):
    model_data, traject_data, days, added = scenario
    as_of = as_of_for(traject_data["referral_date"], days)
    before = run(model_data, traject_data, as_of)
    after = run(model_data, {**traject_data, "events": traject_data["events"] + added}, as_of)
    assert total(after) >= total(before), (
        [e.as_dict() for e in before.entitlements], [e.as_dict() for e in after.entitlements])


@SETTINGS
@given(st.data(), model_dicts, traject_dicts(), as_of_days)
def test_the_order_of_the_events_does_not_matter(data, model_data, traject_data, days):
    as_of = as_of_for(traject_data["referral_date"], days)
    shuffled = {**traject_data, "events": data.draw(st.permutations(traject_data["events"]), label="events")}
    expected = [e.as_dict() for e in run(model_data, traject_data, as_of).entitlements]
    assert [e.as_dict() for e in run(model_data, shuffled, as_of).entitlements] == expected


@SETTINGS
@given(model_dicts, traject_dicts(), as_of_days)
def test_recomputing_gives_the_same_result(model_data, traject_data, days):
    as_of = as_of_for(traject_data["referral_date"], days)
    model = compile_model(model_data)
    traject: Traject = traject_from_dict(traject_data)
    first = evaluate(model, traject, as_of)
    second = evaluate(model, traject, as_of)
    assert first.entitlements == second.entitlements
    assert first.milestones == second.milestones
    fresh = run(json.loads(json.dumps(model_data)), json.loads(json.dumps(traject_data)), as_of)
    assert [e.as_dict() for e in fresh.entitlements] == [e.as_dict() for e in first.entitlements]


@SETTINGS
@given(model_dicts, traject_dicts(), st.integers(0, 1100), as_of_days)
@example(*REGRESSION_TEMPO_START_AFTER_PLACEMENT)
@example(*REGRESSION_TWO_CORRECTIONS_MOVE_DUE_DATE)
@example(*REGRESSION_TWO_CORRECTIONS_DROP_ENTITLEMENT)
@example(*REGRESSION_CORRECTION_SEES_LATER_EVENTS)
def test_a_later_as_of_only_adds_entitlements_or_clawbacks(model_data, traject_data, days1, days2):
    assume(days1 != days2)
    early, late = sorted([days1, days2])
    referral = traject_data["referral_date"]
    then = run(model_data, traject_data, as_of_for(referral, early))
    now = {e.key: e for e in run(model_data, traject_data, as_of_for(referral, late)).entitlements}
    for e in then.entitlements:
        assert e.key in now, f"{e.key} ({e.amount} on {e.due_on}) disappeared"
        assert (now[e.key].amount, now[e.key].due_on) == (e.amount, e.due_on), (e.as_dict(), now[e.key].as_dict())


@SETTINGS
@given(model_dicts, traject_dicts(), st.integers(0, 1100), as_of_days)
def test_what_a_later_as_of_adds_is_due_after_the_earlier_one(model_data, traject_data, days1, days2):
    """The past is settled: everything due by an earlier as-of date was already known on it."""
    assume(days1 != days2)
    early, late = sorted([days1, days2])
    referral = traject_data["referral_date"]
    then = {e.key for e in run(model_data, traject_data, as_of_for(referral, early)).entitlements}
    cutoff = as_of_for(referral, early)
    for e in run(model_data, traject_data, as_of_for(referral, late)).entitlements:
        assert e.key in then or e.due_on > cutoff, f"{e.key} ({e.amount} on {e.due_on}) appeared after {cutoff}"


@SETTINGS
@given(model_dicts, traject_dicts(), as_of_days)
def test_amounts_are_decimals_in_whole_cents(model_data, traject_data, days):
    result = run(model_data, traject_data, as_of_for(traject_data["referral_date"], days))
    for e in result.entitlements:
        assert isinstance(e.amount, Decimal)
        assert e.amount.as_tuple().exponent == -2, e.amount
        if e.computed is not None:
            assert isinstance(e.computed, Decimal) and e.computed.as_tuple().exponent == -2, e.computed


@SETTINGS
@given(model_dicts, traject_dicts(), as_of_days)
def test_nothing_is_due_after_the_as_of_date(model_data, traject_data, days):
    as_of = as_of_for(traject_data["referral_date"], days)
    result = run(model_data, traject_data, as_of)
    assert all(e.due_on <= as_of for e in result.entitlements), [e.as_dict() for e in result.entitlements]


@settings(max_examples=100, deadline=None)
@given(random_models())
def test_the_model_strategy_only_builds_valid_models(model_data):
    model = compile_model(model_data)
    assert [r.id for r in model.rules] == [r["id"] for r in model_data["rules"]]
