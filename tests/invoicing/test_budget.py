"""Budget arithmetic: worked examples computed by hand, and properties that hold for every input."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from contracts.engine import evaluate
from contracts.events import traject_from_dict
from contracts.model import PaymentModel
from invoicing.budget import (
    CENTS,
    WARNING_LABELS,
    BudgetFigures,
    Parts,
    Position,
    Warning,
    due_on,
    in_year,
    max_cost,
    observed_average,
    outlook_parts,
    reconcile,
    split,
    warnings,
)
from tests.contracts.helpers import REGULAR_FULLTIME, D, template, total, traject
from tests.contracts.test_properties import as_of_days, as_of_for, compile_model, model_dicts, traject_dicts

E = Decimal
LATE = D("2026-12-31")


def fee_and_tiers_model(**changes) -> PaymentModel:
    """A fee with tempo bands (counted from the referral) and tiers of a base price of € 2.000."""
    data = {
        "schema_version": 1,
        "name": "Intake met tempobanden plus treden",
        "base_price": {"default": "2000.00"},
        "milestones": {
            "intake": {"event": "intake"},
            "start": {"event": "started"},
            "placement": {"event": "placement", "kinds": ["regular"]},
        },
        "rules": [
            {"id": "intake", "type": "fee", "milestone": "intake", "amount": {"amount": "250.00"},
             "tempo": {"from": "referral", "bands": [{"max_days": 30, "amount": {"amount": "400.00"}},
                                                     {"max_days": 90, "amount": {"amount": "300.00"}}]}},
            {"id": "price", "type": "tiers", "tiers": [{"milestone": "start", "amount": {"percent": "40"}},
                                                       {"milestone": "placement", "amount": {"percent": "100"}}]},
        ],
        **changes,
    }
    return PaymentModel.from_dict(data)


# --- max_cost ---------------------------------------------------------------------------------------


def test_max_cost_of_a_fee_with_tempo_bands_plus_tiers():
    # Fee: max(250.00, 400.00, 300.00) = 400.00 (the fastest band).
    # Tiers of 2000.00: 40% = 800.00 or 100% = 2000.00, alternatives: the highest, 2000.00.
    # 400.00 + 2000.00 = 2400.00
    model = fee_and_tiers_model()
    assert max_cost(model, None, None) == E("2400.00")
    # The bound is reached: intake after 15 days (band 400.00), start (800.00), placement (+1200.00).
    fast = traject("t1", "2026-01-05", ("intake", "2026-01-20"), ("started", "2026-02-01"),
                   ("placement", "2026-04-01", REGULAR_FULLTIME))
    assert total(evaluate(model, fast, LATE)) == E("2400.00")


def test_max_cost_of_the_tiers_template_is_the_highest_tier():
    # 70% / 90% / 100% of 2500.00 = 1750.00 / 2250.00 / 2500.00: the highest, not their sum (6500.00).
    assert max_cost(template("no_cure_less_pay_tiers"), None, None) == E("2500.00")


def test_max_cost_leaves_out_the_contract_bonus_and_malus():
    # Product price 1200.00 + placement fee max(800.00, 1500.00, 1100.00) = 1500.00 -> 2700.00.
    # The 10% bonus over placement fees is a contract-level amount, not a cost of one traject.
    assert max_cost(template("frame_contract_bonus_malus"), None, None) == E("2700.00")


def test_max_cost_of_tranches_is_their_sum():
    # 30% + 40% + 30% of 3000.00 = 900.00 + 1200.00 + 900.00 = 3000.00
    assert max_cost(template("tranches"), None, None) == E("3000.00")


def test_max_cost_of_tranches_rounds_each_tranche_as_the_engine_does():
    # Negotiated price 1000.05: 30% = 300.015 -> 300.02; 40% = 400.02; 30% = 300.015 -> 300.02.
    # Sum of the rounded tranches: 1000.06 (one cent above the price itself, as the engine pays it).
    model = template("tranches")
    assert max_cost(model, None, E("1000.05")) == E("1000.06")
    paid = traject("t1", "2026-01-05", ("started", "2026-01-10"), ("placement", "2026-02-01", REGULAR_FULLTIME),
                   ("still_employed", "2026-08-03"), price="1000.05")
    assert total(evaluate(model, paid, LATE)) == E("1000.06")


def test_max_cost_of_recurring_is_amount_times_max_count():
    # 1000.00 a month, at most 12 months (pro rata below 32 hours only lowers it): 12000.00
    assert max_cost(template("part_time_pro_rata"), None, None) == E("12000.00")
    # 500.00 at placement + 6 × 150.00 for staying in work = 1400.00
    assert max_cost(template("stay_in_work"), None, None) == E("1400.00")


def test_max_cost_of_recurring_rounds_each_period():
    # 3.3335% of 1000.00 = 33.335 -> 33.34 per period; 12 × 33.34 = 400.08 (not 12 × 33.335 = 400.02).
    model = PaymentModel.from_dict({
        "schema_version": 1, "name": "Maandbedrag in procenten", "base_price": {"default": "1000.00"},
        "milestones": {"in_work": {"event": "placement"}},
        "rules": [{"id": "monthly", "type": "recurring", "milestone": "in_work", "every": {"months": 1},
                   "max_count": 12, "amount": {"percent": "3.3335"}}],
    })
    assert max_cost(model, None, None) == E("400.08")


def test_a_traject_ceiling_below_the_rules_caps_the_sum():
    # 250.00 + 750.00 + 1500.00 + 1000.00 = 3500.00, ceiling 3000.00 -> 3000.00
    assert max_cost(template("caps"), None, None) == E("3000.00")


def test_a_traject_ceiling_above_the_rules_does_not_raise_the_sum():
    # Rules 400.00 + 2000.00 = 2400.00 under a ceiling of 5000.00 -> 2400.00
    assert max_cost(fee_and_tiers_model(traject_ceiling={"amount": "5000.00"}), None, None) == E("2400.00")


def test_a_percentage_ceiling_takes_the_traject_price():
    # Ceiling 110% of 2000.00 = 2200.00 < 2400.00 -> 2200.00; at a negotiated 3000.00:
    # rules 400.00 + 3000.00 = 3400.00, ceiling 110% = 3300.00 -> 3300.00
    model = fee_and_tiers_model(traject_ceiling={"percent": "110"})
    assert max_cost(model, None, None) == E("2200.00")
    assert max_cost(model, None, E("3000.00")) == E("3300.00")


@pytest.mark.parametrize(("group", "price", "expected"), [
    ("jongeren", None, "2500.00"),        # tiers 40%/100% of the group price 2500.00 -> 2500.00
    ("arbeidsbeperkt", None, "3500.00"),  # 100% of 3500.00
    ("onbekend", None, "2000.00"),        # an unknown group takes the default price 2000.00
    (None, None, "2000.00"),
    ("jongeren", "2750.00", "2750.00"),   # a negotiated price goes before the group's price
])
def test_max_cost_of_a_percentage_model_takes_the_client_groups_price(group, price, expected):
    model = template("differential_prices")
    assert max_cost(model, group, E(price) if price else None) == E(expected)


def test_max_cost_is_unknown_when_a_percentage_has_no_base_price():
    # A model without a default price (the schema asks for one, so built by hand): for a group without
    # its own price there is nothing to take 40% or 100% of.
    model = dataclasses.replace(template("differential_prices"), base_price=None)
    assert max_cost(model, "onbekend", None) is None
    assert max_cost(model, None, None) is None
    # With the group's own price, or a negotiated one, it is known again.
    assert max_cost(model, "jongeren", None) == E("2500.00")
    assert max_cost(model, None, E("1234.56")) == E("1234.56")


def test_a_model_of_fixed_amounts_needs_no_base_price():
    # caps.json has no base price and no percentages: still 3000.00
    assert template("caps").base_price is None
    assert max_cost(template("caps"), None, None) == E("3000.00")


# --- the outlook of one open traject (in cents) -----------------------------------------------------


def test_observed_average_needs_ten_finished_trajecten_and_rounds_half_up():
    # 12 finished, 22000.00 in all: 1833.333... -> 1833.33
    assert observed_average(2_200_000, 12) == 183_333
    # 10 finished, 10000.05 in all: 1000.005 -> 1000.01 (half up)
    assert observed_average(1_000_005, 10) == 100_001
    assert observed_average(1_000_000, 10) == 100_000  # exactly MIN_OBSERVED counts
    assert observed_average(1_000_000, 9) is None  # too few to go by
    assert observed_average(-5_000, 10) == 0  # clawbacks beyond earnings: never an expectation below 0


def test_outlook_parts_worked_example_of_docs_budgets():
    # docs/budgets.md: tiers of 2500.00 (70% at the start), started, owed 1750.00 not yet approved,
    # no finished trajecten: committed 2500.00, likely 1250.00 but owed 1750.00, so expected 1750.00, of which
    # the 1750.00 owed falls due now.
    assert outlook_parts(CENTS, 250_000, 175_000, 0, None) == Parts(250_000, 175_000, 175_000)
    # the 1750.00 approved: committed 750.00, expected max(1250, 1750) - 1750 = 0, nothing owed unpaid
    assert outlook_parts(CENTS, 250_000, 175_000, 175_000, None) == Parts(75_000, 0, 0)
    # only accepted: owed nothing, committed 2500.00, expected half of it
    assert outlook_parts(CENTS, 250_000, 0, 0, None) == Parts(250_000, 125_000, 0)


def test_outlook_parts_observed_is_capped_at_the_maximum_and_default_rounds_half_up():
    # an observed 2600.00 (an older, dearer model) is capped at the maximum 2500.00
    assert outlook_parts(CENTS, 250_000, 0, 0, 260_000).expected == 250_000
    assert outlook_parts(CENTS, 250_000, 0, 0, 100_000).expected == 100_000
    # 0.5 × 0.05 = 0.025 -> 0.03
    assert outlook_parts(CENTS, 5, 0, 0, None).expected == 3


def test_outlook_parts_of_an_unknown_maximum_count_nothing():
    assert outlook_parts(CENTS, None, 10_000, 0, 50_000) == Parts(0, 0, 0)


def test_outlook_parts_never_below_zero_when_more_was_paid_than_the_maximum():
    # 3500.00 paid of a 3000.00 maximum (an old invoice under a dearer version)
    assert outlook_parts(CENTS, 300_000, 350_000, 350_000, None) == Parts(0, 0, 0)


def test_in_year_puts_what_is_owed_now_and_the_rest_in_its_year():
    parts = Parts(committed=250_000, expected=175_000, now=100_000)
    assert in_year(CENTS, parts, 2028, 2026, 2026) == (100_000, 100_000)  # this year: only what is owed
    assert in_year(CENTS, parts, 2028, 2027, 2026) == (0, 0)
    assert in_year(CENTS, parts, 2028, 2028, 2026) == (150_000, 75_000)  # the rest when it falls due
    assert in_year(CENTS, parts, 2026, 2026, 2026) == (250_000, 175_000)  # all of it this year
    assert in_year(CENTS, parts, 2024, 2026, 2026) == (250_000, 175_000)  # overdue: falls due now
    assert in_year(CENTS, parts, 2028, 2025, 2026) == (0, 0)  # a past year has none


def test_due_on_is_the_durability_outcome_or_the_end_of_the_maximum_duration():
    # placed 31 January, six months of durability: 31 July
    assert due_on(D("2026-01-05"), D("2026-01-10"), D("2026-01-31"), 6, 24) == D("2026-07-31")
    # not placed: 24 months from the start; 29 February + 12 months is 28 February
    assert due_on(D("2025-12-01"), D("2024-02-29"), None, 6, 12) == D("2025-02-28")
    # not started: from the referral
    assert due_on(D("2026-03-15"), None, None, 6, 24) == D("2028-03-15")


cents_amounts = st.integers(0, 10**9)


@given(st.one_of(st.none(), cents_amounts), cents_amounts, st.integers(-10**6, 10**9),
       st.one_of(st.none(), cents_amounts))
def test_outlook_parts_are_ordered_and_bounded(most, owed, realised, observed):
    p = outlook_parts(CENTS, most, owed, realised, observed)
    assert 0 <= p.now <= p.expected <= p.committed
    if most is None:
        assert p == Parts(0, 0, 0)
    else:
        assert p.committed == max(most - realised, 0)
        assert realised + p.committed >= most  # paid plus committed covers the worst case


@given(cents_amounts, cents_amounts, cents_amounts, st.integers(2020, 2035), st.integers(2024, 2030))
def test_in_year_spreads_the_whole_commitment_over_the_years(most, owed, realised, due_year, current):
    parts = outlook_parts(CENTS, most, owed, realised, None)
    years = [in_year(CENTS, parts, due_year, y, current) for y in range(current - 2, current + 12)]
    assert sum(c for c, _e in years) == parts.committed
    assert sum(e for _c, e in years) == parts.expected


# --- split ------------------------------------------------------------------------------------------


def test_split_in_three_gives_the_extra_cent_to_the_key_that_sorts_first():
    # 10000 cents / 3 = 3333 remainder 1 each: the one cent left goes to A (ties: first in sort order)
    assert split(E("100.00"), {"A": 1, "B": 1, "C": 1}) == {"A": E("33.34"), "B": E("33.33"), "C": E("33.33")}
    parts = split(E("100.00"), {"C": 1, "B": 1, "A": 1})
    assert parts == {"A": E("33.34"), "B": E("33.33"), "C": E("33.33")}
    assert list(parts) == ["C", "B", "A"]  # the result keeps the order of the weights


def test_split_by_number_of_trajecten_with_a_zero_weight():
    # 1000.00 over 7 + 2 + 0 = 9: 700000/9 = 77777 r 7; 200000/9 = 22222 r 2; 1 cent left -> a (r 7)
    parts = split(E("1000.00"), {"a": 7, "b": 2, "c": 0})
    assert parts == {"a": E("777.78"), "b": E("222.22"), "c": E("0.00")}
    assert str(parts["c"]) == "0.00"


def test_split_gives_the_cent_to_the_largest_remainder_before_sort_order():
    # 1 cent over A:1, B:2: A 1/3 = 0 r 1, B 2/3 = 0 r 2 -> B gets the cent although A sorts first
    assert split(E("0.01"), {"A": 1, "B": 2}) == {"A": E("0.00"), "B": E("0.01")}


def test_split_of_a_negative_amount_keeps_the_sign():
    # A malus of -100.00: the parts of 100.00, negated
    parts = split(E("-100.00"), {"A": 1, "B": 1, "C": 1, "D": 0})
    assert parts == {"A": E("-33.34"), "B": E("-33.33"), "C": E("-33.33"), "D": E("0.00")}
    assert str(parts["D"]) == "0.00"  # not "-0.00"


def test_split_of_zero():
    assert split(E("0.00"), {"A": 3, "B": 1}) == {"A": E("0.00"), "B": E("0.00")}


@pytest.mark.parametrize(("amount", "weights"), [
    ("100.00", {}),
    ("100.00", {"A": 0, "B": 0}),
    ("100.00", {"A": 2, "B": -1}),
    ("100.005", {"A": 1, "B": 1}),
])
def test_split_refuses_what_cannot_be_split(amount, weights):
    with pytest.raises(ValueError):
        split(E(amount), weights)


# --- reconcile --------------------------------------------------------------------------------------


def test_a_row_that_adds_up_reconciles_to_zero():
    # 100000.00 + (-5000.00) = 95000.00 = 60000.00 spent + 35000.00 remaining
    row = BudgetFigures(budget=E("100000.00"), carried_over=E("-5000.00"), spent=E("60000.00"), remaining=E("35000.00"))
    assert reconcile(row) == 0


def test_a_row_that_does_not_add_up_shows_the_difference():
    # 100000.00 + 2500.00 - 60000.00 - 43500.00 = -1000.00: the row claims 1000.00 more than there is
    row = BudgetFigures(budget=E("100000.00"), carried_over=E("2500.00"), spent=E("60000.00"), remaining=E("43500.00"))
    assert reconcile(row) == E("-1000.00")
    # a carried-over amount forgotten in the remainder: 100000.00 + 2500.00 - 60000.00 - 40000.00 = 2500.00
    assert reconcile(dataclasses.replace(row, remaining=E("40000.00"))) == E("2500.00")


# --- warnings ---------------------------------------------------------------------------------------


def position(**changes) -> Position:
    base = {"year": 2026, "budget": E("100000.00"), "realised": E("40000.00"),
            "committed": E("50000.00"), "expected": E("40000.00")}
    return Position(**{**base, **changes})


SPRING = D("2026-03-01")


def test_position_forecast_and_available():
    p = position()
    assert p.forecast == E("80000.00")  # 40000.00 realised + 40000.00 expected
    assert p.available == E("10000.00")  # 100000.00 - 40000.00 - 50000.00


def test_a_forecast_above_the_budget_is_over_budget():
    # 40000.00 + 60000.01 = 100000.01 > 100000.00
    assert warnings(position(expected=E("60000.01"), committed=E("70000.00")), SPRING) == [Warning.OVER_BUDGET]


def test_a_forecast_exactly_at_the_budget_is_not_over():
    # 40000.00 + 60000.00 = 100000.00, and worst case 40000.00 + 60000.00 = 100000.00: both fit
    assert warnings(position(expected=E("60000.00"), committed=E("60000.00")), SPRING) == []


def test_a_worst_case_that_does_not_fit_is_committed_over():
    # forecast 40000.00 + 50000.00 = 90000.00 fits; worst case 40000.00 + 60000.01 = 100000.01 does not
    p = position(expected=E("50000.00"), committed=E("60000.01"))
    assert warnings(p, SPRING) == [Warning.COMMITTED_OVER]
    assert p.available == E("-0.01")


def test_over_budget_is_not_also_committed_over():
    # forecast 110000.00 > budget: over budget; the worst case 120000.00 is then no separate warning
    assert warnings(position(expected=E("70000.00"), committed=E("80000.00")), SPRING) == [Warning.OVER_BUDGET]


def test_much_left_late_in_the_year_is_underspent():
    # 1 October 2026: forecast 40000.00 + 34999.99 = 74999.99 < 0.75 × 100000.00 = 75000.00
    p = position(expected=E("34999.99"))
    assert warnings(p, D("2026-10-01")) == [Warning.UNDERSPENT]
    assert warnings(p, D("2026-12-31")) == [Warning.UNDERSPENT]


def test_underspent_boundaries():
    low = position(expected=E("34999.99"))
    assert warnings(low, D("2026-09-30")) == []  # the day before month 10 is not late
    assert warnings(low, D("2027-11-01")) == []  # another year is never late
    assert warnings(low, D("2025-11-01")) == []
    # exactly three quarters: 40000.00 + 35000.00 = 75000.00 is not below 75000.00
    assert warnings(position(expected=E("35000.00")), D("2026-11-01")) == []


def test_underspent_with_other_settings():
    # late from 1 July, below half: 40000.00 + 9999.99 = 49999.99 < 50000.00
    p = position(expected=E("9999.99"))
    assert warnings(p, D("2026-07-01"), late_from_month=7, underspent_share=E("0.5")) == [Warning.UNDERSPENT]
    assert warnings(p, D("2026-06-30"), late_from_month=7, underspent_share=E("0.5")) == []
    assert warnings(position(expected=E("10000.00")), D("2026-07-01"), late_from_month=7,
                    underspent_share=E("0.5")) == []


def test_underspent_can_come_with_a_worst_case_that_does_not_fit():
    # forecast 40000.00 + 30000.00 = 70000.00 < 75000.00 in November, worst case 40000.00 + 60000.01 over
    p = position(expected=E("30000.00"), committed=E("60000.01"))
    assert warnings(p, D("2026-11-15")) == [Warning.COMMITTED_OVER, Warning.UNDERSPENT]


def test_an_empty_budget_line_gets_no_warning():
    empty = Position(year=2026, budget=E("0.00"), realised=E("0.00"), committed=E("0.00"), expected=E("0.00"))
    assert warnings(empty, D("2026-12-01")) == []
    # but spending on a budget of 0 is over budget
    assert warnings(dataclasses.replace(empty, realised=E("0.01")), D("2026-12-01")) == [Warning.OVER_BUDGET]


def test_every_warning_has_a_dutch_label():
    assert set(WARNING_LABELS) == set(Warning)
    assert WARNING_LABELS[Warning.OVER_BUDGET] == "verwachte uitgaven boven het budget"
    assert all(isinstance(label, str) and label for label in WARNING_LABELS.values())
    assert len(set(WARNING_LABELS.values())) == len(Warning)


# --- properties -------------------------------------------------------------------------------------

cents_amounts = st.integers(-10**10, 10**10).map(lambda c: Decimal(c).scaleb(-2))
weight_maps = st.dictionaries(st.sampled_from("ABCDEFGH"), st.integers(0, 1000), min_size=1).filter(
    lambda w: sum(w.values()) > 0)


@given(cents_amounts, weight_maps)
def test_split_parts_add_up_exactly_and_stay_within_a_cent_of_their_share(amount, weights):
    parts = split(amount, weights)
    assert set(parts) == set(weights)
    assert sum(parts.values(), Decimal(0)) == amount
    total_weight = sum(weights.values())
    for key, part in parts.items():
        exact = Fraction(amount) * weights[key] / total_weight
        assert abs(Fraction(part) - exact) < Fraction(1, 100), (key, part, exact)
        assert part == part.quantize(Decimal("0.01"))
        if weights[key] == 0:
            assert part == 0


@settings(max_examples=200, deadline=None)
@given(model_dicts, traject_dicts(), as_of_days)
def test_the_engine_never_pays_a_traject_more_than_max_cost(model_data, traject_data, days):
    model = compile_model(model_data)
    t = traject_from_dict(traject_data)
    bound = max_cost(model, t.client_group, t.price)
    assume(bound is not None)
    result = evaluate(model, t, as_of_for(traject_data["referral_date"], days))
    assert total(result) <= bound, [e.as_dict() for e in result.entitlements]


money_values = st.integers(-10**9, 10**9).map(lambda c: Decimal(c).scaleb(-2))


@given(money_values, money_values, money_values, money_values, st.booleans())
def test_reconcile_is_zero_exactly_when_the_row_adds_up(budget, carried, spent, rest, make_it_add_up):
    if make_it_add_up:
        rest = budget + carried - spent
    row = BudgetFigures(budget=budget, carried_over=carried, spent=spent, remaining=rest)
    assert (reconcile(row) == 0) == (spent + rest == budget + carried)
    if make_it_add_up:
        assert reconcile(row) == 0


