"""Contract-level rules: volume and budget ceilings, bonus and malus over a period."""

from __future__ import annotations

from decimal import Decimal

from contracts.engine import evaluate
from contracts.settlement import settle
from tests.contracts.helpers import REGULAR_FULLTIME, D, template, traject

AS_OF = D("2028-01-01")
START, END = D("2026-01-01"), D("2026-12-31")


def _started(i: int, placed: bool):
    events = [("plan_approved", "2026-02-01"), ("started", "2026-02-01")]
    if placed:
        events.append(("placement", "2026-04-01", REGULAR_FULLTIME))
    return traject(f"t{i:02d}", f"2026-01-{i + 1:02d}", *events)


def test_bonus_when_the_placement_rate_reaches_the_target():
    model = template("frame_contract_bonus_malus")
    results = [evaluate(model, _started(i, placed=i < 5), AS_OF) for i in range(10)]
    s = settle(model, results, START, END, AS_OF)
    bonus, malus = s.measures
    assert (bonus.numerator, bonus.denominator, bonus.rate) == (5, 10, Decimal(50))
    assert malus.judged and malus.rate == Decimal(50)
    assert bonus.numerator_ids == ("t00", "t01", "t02", "t03", "t04")
    [entitlement] = s.contract_entitlements
    # 5 placements at 59 days after start: 5 × € 1.500 = € 7.500; 10% bonus = € 750
    assert (entitlement.rule, entitlement.amount, entitlement.due_on) == ("placement_bonus", Decimal("750.00"), END)
    assert "5 van 10 gestarte trajecten = 50% ≥ 40%" in entitlement.explanation


def test_malus_below_the_minimum_and_no_judgement_for_small_groups():
    model = template("frame_contract_bonus_malus")
    results = [evaluate(model, _started(i, placed=i < 1), AS_OF) for i in range(10)]
    [malus] = settle(model, results, START, END, AS_OF).contract_entitlements
    assert (malus.rule, malus.amount) == ("placement_malus", Decimal("-75.00"))  # 5% of € 1.500
    few = settle(model, results[:9], START, END, AS_OF)
    assert few.contract_entitlements == [] and not few.measures[0].judged


def test_bonus_is_not_due_before_the_period_ends():
    model = template("frame_contract_bonus_malus")
    results = [evaluate(model, _started(i, placed=True), AS_OF) for i in range(10)]
    assert settle(model, results, START, END, D("2026-12-30")).contract_entitlements == []


def test_volume_ceiling_in_referral_order():
    model = template("caps")  # volume 50
    results = [evaluate(model, traject(f"t{i:03d}", "2026-01-01", ("intake", "2026-01-02")), AS_OF) for i in range(52)]
    s = settle(model, results, START, END, AS_OF)
    over = [e for e in s.traject_entitlements if e.flag == "volume_limit"]
    assert [e.traject_id for e in over] == ["t050", "t051"]
    assert all(e.amount == 0 and e.computed == Decimal("250.00") for e in over)
    assert s.total == 50 * Decimal("250.00")


def test_budget_ceiling_caps_the_entitlement_that_crosses_it_and_stops_the_rest():
    model = template("caps")  # budget € 100.000; € 3.000 per traject at most
    results = [
        evaluate(model, traject(f"t{i:02d}", "2026-01-01", ("intake", "2026-01-02"), ("started", "2026-01-05"),
                                ("placement", "2026-03-01", REGULAR_FULLTIME), ("still_employed", "2026-09-01")), AS_OF)
        for i in range(40)
    ]
    s = settle(model, results, START, END, AS_OF)
    assert s.total == Decimal("100000.00")
    flagged = [e for e in s.traject_entitlements if e.flag == "budget_limit"]
    assert flagged and all(e.computed is not None for e in flagged)
    assert sum(e.computed - e.amount for e in flagged) == 40 * Decimal("3000.00") - Decimal("100000.00")


def test_a_refused_referral_takes_no_place_under_the_volume_ceiling():
    model = template("caps")  # volume 50
    refused = [evaluate(model, traject(f"r{i}", "2026-01-01", ("refused", "2026-01-02")), AS_OF) for i in range(5)]
    accepted = [evaluate(model, traject(f"t{i:03d}", "2026-01-02", ("accepted", "2026-01-03"),
                                        ("intake", "2026-01-04")), AS_OF) for i in range(50)]
    s = settle(model, refused + accepted, START, END, AS_OF)
    assert not [e for e in s.traject_entitlements if e.flag == "volume_limit"]
    assert s.total == 50 * Decimal("250.00")


def test_rates_count_only_what_happened_by_the_as_of_date():
    model = template("frame_contract_bonus_malus")
    results = [evaluate(model, _started(i, placed=True), D("2026-01-31")) for i in range(10)]
    bonus = settle(model, results, START, END, D("2026-01-31")).measures[0]
    assert (bonus.numerator, bonus.denominator) == (0, 0)  # nobody had started by then
