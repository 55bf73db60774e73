"""The engine's rules one by one, each with a small history worked out by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from contracts.engine import evaluate
from contracts.events import EventError, traject_from_dict
from contracts.model import PaymentModel
from contracts.money import format_eur, to_cents
from tests.contracts.helpers import REGULAR_FULLTIME, D, template, total, traject

AS_OF = D("2028-01-01")


def _model(rules, milestones, **extra):
    return PaymentModel.from_dict({"schema_version": 1, "name": "test", "milestones": milestones, "rules": rules,
                                   **extra})


def test_rounding_is_half_up_to_the_cent_and_dutch_formatting():
    assert to_cents(Decimal("0.005")) == Decimal("0.01")
    assert to_cents(Decimal("2.345")) == Decimal("2.35")
    assert to_cents(Decimal("-2.345")) == Decimal("-2.35")
    assert format_eur(Decimal("2500")) == "€ 2.500,00"
    assert format_eur(Decimal("-1234567.891")) == "€ -1.234.567,89"


def test_durable_placement_needs_a_confirmation_after_six_months():
    model = template("no_cure_no_pay_handover")
    unconfirmed = traject("t", "2026-01-05", ("placement", "2026-03-01", REGULAR_FULLTIME))
    assert evaluate(model, unconfirmed, AS_OF).entitlements == []
    early = traject("t", "2026-01-05", ("placement", "2026-03-01", REGULAR_FULLTIME),
                    ("still_employed", "2026-08-31"))
    assert evaluate(model, early, AS_OF).entitlements == []
    on_time = traject("t", "2026-01-05", ("placement", "2026-03-01", REGULAR_FULLTIME),
                      ("still_employed", "2026-09-01"))
    [e] = evaluate(model, on_time, AS_OF).entitlements
    assert (e.amount, e.due_on, e.basis) == (Decimal("750.00"), D("2026-09-01"), ("t-e0", "t-e1"))


def test_month_arithmetic_is_calendar_aware():
    model = template("no_cure_no_pay_handover")
    t = traject("t", "2026-01-05", ("placement", "2026-08-31", REGULAR_FULLTIME), ("still_employed", "2027-02-28"))
    [e] = evaluate(model, t, AS_OF).entitlements
    assert e.due_on == D("2027-02-28")  # 31 August + 6 months = 28 February


def test_a_fall_back_inside_the_window_breaks_durability_but_a_later_placement_can_still_count():
    model = template("no_cure_no_pay_handover")
    t = traject("t", "2026-01-05", ("placement", "2026-03-01", REGULAR_FULLTIME), ("fall_back", "2026-05-01"),
                ("placement", "2026-06-01", REGULAR_FULLTIME), ("still_employed", "2026-12-01"))
    [e] = evaluate(model, t, AS_OF).entitlements
    assert e.due_on == D("2026-12-01") and e.basis == ("t-e2", "t-e3")


def test_exit_bonus_checks_the_reason_and_is_clawed_back_after_a_fall_back():
    model = template("fixed_fee_exit_bonus")
    moved = traject("t", "2026-01-05", ("started", "2026-01-10"),
                    ("benefit_exit", "2026-04-01", {"reason": "moved_away"}))
    assert [e.rule for e in evaluate(model, moved, AS_OF).entitlements] == ["effort"]
    fell_back = traject("t", "2026-01-05", ("started", "2026-01-10"),
                        ("benefit_exit", "2026-04-01", {"reason": "work"}), ("fall_back", "2026-07-15"))
    result = evaluate(model, fell_back, AS_OF).entitlements
    assert [(e.key, e.amount, e.due_on) for e in result] == [
        ("effort", Decimal("1500.00"), D("2026-01-10")),
        ("exit_bonus", Decimal("1000.00"), D("2026-04-01")),
        ("exit_bonus/terugvordering", Decimal("-1000.00"), D("2026-07-15")),
    ]
    assert result[2].voids == "exit_bonus"
    assert "terugval in de uitkering op 2026-07-15, binnen 6 maanden na 2026-04-01" in result[2].explanation
    late = traject("t", "2026-01-05", ("benefit_exit", "2026-04-01", {"reason": "work"}), ("fall_back", "2026-10-01"))
    assert total(evaluate(model, late, AS_OF)) == Decimal("1000.00")  # after the window: no clawback


def test_tranches_need_their_predecessor():
    model = template("tranches")
    no_start = traject("t", "2026-01-05", ("placement", "2026-03-01", REGULAR_FULLTIME),
                       ("still_employed", "2026-09-02"))
    assert evaluate(model, no_start, AS_OF).entitlements == []
    full = traject("t", "2026-01-05", ("started", "2026-01-10"), ("placement", "2026-03-01", REGULAR_FULLTIME),
                   ("still_employed", "2026-09-02"))
    assert [(e.key, e.amount) for e in evaluate(model, full, AS_OF).entitlements] == [
        ("tranches/start", Decimal("900.00")), ("tranches/placement", Decimal("1200.00")),
        ("tranches/durable", Decimal("900.00")),
    ]


def test_tranche_clawback_when_the_job_ends_within_three_months():
    model = template("tranches")
    t = traject("t", "2026-01-05", ("started", "2026-01-10"), ("placement", "2026-03-01", REGULAR_FULLTIME),
                ("placement_ended", "2026-04-15"))
    result = evaluate(model, t, AS_OF).entitlements
    assert [(e.key, e.amount) for e in result] == [
        ("tranches/start", Decimal("900.00")), ("tranches/placement", Decimal("1200.00")),
        ("tranches/placement/terugvordering", Decimal("-1200.00")),
    ]


@pytest.mark.parametrize(("placed", "amount", "note"), [
    ("2026-04-10", "2000.00", "tempo: 90 dagen, binnen 90"),
    ("2026-04-11", "1500.00", "tempo: 91 dagen, binnen 180"),
    ("2027-01-10", "1000.00", "tempo: 365 dagen, binnen 365"),
    ("2027-01-11", "500.00", "tempo: 366 dagen, buiten de tempobanden"),
])
def test_tempo_bands_count_days_from_the_start(placed, amount, note):
    t = traject("t", "2025-12-01", ("started", "2026-01-10"), ("placement", placed, REGULAR_FULLTIME))
    [e] = evaluate(template("tempo"), t, AS_OF).entitlements
    assert e.amount == Decimal(amount) and note in e.explanation


def test_pro_rata_monthly_payments_stop_at_the_break_and_need_confirmation():
    model = template("part_time_pro_rata")
    t = traject("t", "2026-01-05", ("placement", "2026-02-01", {"kind": "subsidised", "hours_per_week": 24}),
                ("still_employed", "2026-05-01"), ("placement_ended", "2026-06-15"),
                ("placement", "2026-07-01", {"kind": "subsidised", "hours_per_week": 24}),
                ("still_employed", "2026-08-01"))
    result = evaluate(model, t, AS_OF).entitlements
    # Confirmed through 1 May: months ending 1 Mar, 1 Apr, 1 May. The month ending 1 Jun was never confirmed
    # while the placement ran (it ended 15 Jun): the 1 Aug confirmation is the next placement's, and staying in
    # work is read as durability is (contracts.durability), so it pays nothing for the first.
    assert [(e.key, e.amount, e.due_on) for e in result] == [
        ("monthly/1", Decimal("750.00"), D("2026-05-01")),
        ("monthly/2", Decimal("750.00"), D("2026-05-01")),
        ("monthly/3", Decimal("750.00"), D("2026-05-01")),
    ]
    assert "€ 1.000,00 × 24/32 uur" in result[0].explanation


def test_recurring_payments_stop_at_max_count():
    model = template("stay_in_work")
    t = traject("t", "2026-01-05", ("placement", "2026-02-02", {"kind": "temporary", "hours_per_week": 20}),
                ("still_employed", "2027-01-01"))
    result = evaluate(model, t, AS_OF).entitlements
    assert [e.key for e in result] == ["placement_fee"] + [f"stay_in_work/{n}" for n in range(1, 7)]
    assert total(evaluate(model, t, AS_OF)) == Decimal("500.00") + 6 * Decimal("150.00")


@pytest.mark.parametrize(("group", "price", "expected"), [
    (None, None, "2000.00"), ("jongeren", None, "2500.00"), ("arbeidsbeperkt", None, "3500.00"),
    ("onbekend", None, "2000.00"), ("jongeren", "2750.00", "2750.00"),
])
def test_differential_and_negotiated_prices(group, price, expected):
    t = traject("t", "2026-01-05", ("started", "2026-01-10"), ("placement", "2026-03-01", REGULAR_FULLTIME),
                group=group, price=price)
    assert total(evaluate(template("differential_prices"), t, AS_OF)) == Decimal(expected)


def test_traject_ceiling_caps_and_flags():
    model = template("caps")
    t = traject("t", "2026-01-05", ("intake", "2026-01-07"), ("started", "2026-01-10"),
                ("placement", "2026-03-01", REGULAR_FULLTIME), ("still_employed", "2026-09-01"))
    result = evaluate(model, t, AS_OF).entitlements
    assert [(e.key, e.amount, e.flag) for e in result] == [
        ("intake", Decimal("250.00"), None), ("start", Decimal("750.00"), None),
        ("placement", Decimal("1500.00"), None), ("durable", Decimal("500.00"), "traject_ceiling"),
    ]
    assert result[3].computed == Decimal("1000.00")
    assert "afgetopt op het trajectplafond van € 3.000,00" in result[3].explanation


def test_a_correction_keeps_what_was_due_and_adds_a_clawback():
    model = template("tranches")
    t = traject("t", "2026-01-05", ("started", "2026-01-10"), ("placement", "2026-03-01", REGULAR_FULLTIME),
                ("correction", "2026-03-20", {"revokes": "t-e1", "reason": "plaatsing bestond niet"}))
    before = evaluate(model, t, D("2026-03-19")).entitlements
    after = evaluate(model, t, AS_OF).entitlements
    assert [(e.key, e.amount) for e in before] == [("tranches/start", Decimal("900.00")),
                                                   ("tranches/placement", Decimal("1200.00"))]
    assert [(e.key, e.amount, e.due_on) for e in after] == [
        ("tranches/start", Decimal("900.00"), D("2026-01-10")),
        ("tranches/placement", Decimal("1200.00"), D("2026-03-01")),
        ("tranches/placement/correctie/t-e2", Decimal("-1200.00"), D("2026-03-20")),
    ]
    assert "(plaatsing bestond niet)" in after[2].explanation and after[2].voids == "tranches/placement"


def test_a_correction_before_anything_was_due_leaves_no_trace():
    model = template("tranches")
    t = traject("t", "2026-01-05", ("placement", "2026-03-01", REGULAR_FULLTIME),
                ("correction", "2026-03-20", {"revokes": "t-e0"}))
    assert evaluate(model, t, AS_OF).entitlements == []


def test_what_a_correction_makes_possible_is_due_from_the_correction_on():
    """A wrongly recorded result blocked the handover fee; revoking it makes the fee due, but not in the past."""
    model = template("no_cure_no_pay_handover")
    t = traject("t", "2026-01-05", ("ended", "2026-01-20"), ("placement", "2026-02-01", REGULAR_FULLTIME),
                ("still_employed", "2026-08-03"), ("correction", "2027-03-01", {"revokes": "t-e1"}))
    result = evaluate(model, t, AS_OF).entitlements
    assert [(e.key, e.amount, e.due_on) for e in result] == [
        ("result", Decimal("750.00"), D("2026-08-03")),
        ("handover", Decimal("100.00"), D("2027-03-01")),
        ("result/correctie/t-e3", Decimal("-750.00"), D("2027-03-01")),
    ]


@pytest.mark.parametrize(("data", "field"), [
    ({"id": "t", "referral_date": "2026-13-01", "events": []}, "traject.referral_date"),
    ({"id": "t", "referral_date": "2026-01-01", "events": [{"id": "a", "type": "hired", "date": "2026-01-02"}]},
     "traject.events[0].type"),
    ({"id": "t", "referral_date": "2026-01-01", "events": [{"id": "a", "type": "placement", "date": "2026-01-02",
                                                             "hours_per_week": 20}]}, "traject.events[0].kind"),
    ({"id": "t", "referral_date": "2026-01-01", "events": [{"id": "a", "type": "placement", "date": "2026-01-02",
                                                             "kind": "regular", "hours_per_week": -1}]},
     "traject.events[0].hours_per_week"),
    ({"id": "t", "referral_date": "2026-01-01", "events": [{"id": "a", "type": "correction", "date": "2026-01-02"}]},
     "traject.events[0].revokes"),
    ({"id": "t", "referral_date": "2026-01-01", "events": [{"id": "a", "type": "correction", "date": "2026-01-02",
                                                             "revokes": "zz"}]}, "traject.events[0].revokes"),
    ({"id": "t", "referral_date": "2026-01-01", "events": [{"id": "a", "type": "started", "date": "2026-01-02"},
                                                            {"id": "a", "type": "ended", "date": "2026-01-03"}]},
     "traject.events"),
])
def test_bad_traject_input_names_the_field(data, field):
    with pytest.raises(EventError) as info:
        traject_from_dict(data)
    assert info.value.field == field


def test_a_later_genuine_placement_after_a_correction_gets_a_key_of_its_own():
    model = template("stay_in_work")
    t = traject("t", "2026-01-05", ("placement", "2026-02-02", REGULAR_FULLTIME),
                ("correction", "2026-02-20", {"revokes": "t-e0"}),
                ("placement", "2026-03-02", REGULAR_FULLTIME), ("still_employed", "2026-04-01"))
    result = evaluate(model, t, AS_OF).entitlements
    assert [(e.key, e.amount, e.due_on) for e in result] == [
        ("placement_fee", Decimal("500.00"), D("2026-02-02")),
        ("placement_fee/correctie/t-e1", Decimal("-500.00"), D("2026-02-20")),
        ("placement_fee@t-e1", Decimal("500.00"), D("2026-03-02")),
        ("stay_in_work/1", Decimal("150.00"), D("2026-04-01")),
    ]


def test_confirmations_after_a_correction_do_not_pay_for_the_revoked_placement():
    model = template("stay_in_work")
    t = traject("t", "2026-01-05", ("placement", "2026-02-02", REGULAR_FULLTIME),
                ("correction", "2026-02-20", {"revokes": "t-e0"}), ("still_employed", "2026-06-01"))
    assert total(evaluate(model, t, AS_OF)) == Decimal("0.00")


def test_after_a_tier_is_clawed_back_the_provider_keeps_the_best_tier_that_stands():
    model = PaymentModel.from_dict({
        "schema_version": 1, "name": "t",
        "milestones": {"effort": {"event": "ended"}, "work": {"event": "placement", "kinds": ["regular"]}},
        "rules": [{"id": "price", "type": "tiers", "clawback": {"within": {"months": 3}, "on": ["fall_back"]},
                   "tiers": [{"milestone": "effort", "amount": {"amount": "700.00"}},
                             {"milestone": "work", "amount": {"amount": "1000.00"}}]}],
    })
    t = traject("t", "2026-01-05", ("placement", "2026-02-01", REGULAR_FULLTIME), ("ended", "2026-02-15"),
                ("fall_back", "2026-03-01"))
    result = evaluate(model, t, AS_OF).entitlements
    assert [(e.key, e.amount) for e in result] == [
        ("price/work", Decimal("1000.00")),
        ("price/work/terugvordering", Decimal("-1000.00")),
        ("price/effort/aanvulling/2026-03-01", Decimal("700.00")),
    ]


def test_tempo_ignores_a_start_recorded_after_the_placement():
    t = traject("t", "2026-01-01", ("placement", "2026-02-01", REGULAR_FULLTIME), ("started", "2026-03-01"))
    [e] = evaluate(template("tempo"), t, AS_OF).entitlements
    assert e.amount == Decimal("2000.00") and "31 dagen" in e.explanation  # counted from the referral


def test_an_open_ended_contract_meets_any_minimum_length():
    model = template("no_cure_less_pay_tiers")
    t = traject("t", "2026-01-05", ("started", "2026-01-10"),
                ("placement", "2026-03-01", {"kind": "regular", "hours_per_week": 24, "open_ended": True}))
    assert total(evaluate(model, t, AS_OF)) == Decimal("2500.00")


def test_exit_reasons_and_corrections_of_corrections_are_refused():
    with pytest.raises(EventError) as info:
        traject("t", "2026-01-05", ("benefit_exit", "2026-02-01", {"reason": "verhuisd"}))
    assert info.value.field == "traject.events[0].reason"
    with pytest.raises(EventError) as info:
        traject("t", "2026-01-05", ("started", "2026-02-01"), ("correction", "2026-02-02", {"revokes": "t-e0"}),
                ("correction", "2026-02-03", {"revokes": "t-e1"}))
    assert info.value.field == "traject.events[2].revokes"


def test_open_ended_must_be_a_real_boolean():
    with pytest.raises(EventError) as info:
        traject("t", "2026-01-05", ("placement", "2026-03-01", {"kind": "regular", "hours_per_week": 24,
                                                               "open_ended": "false"}))
    assert info.value.field == "traject.events[0].open_ended"
