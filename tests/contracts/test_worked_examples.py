"""The worked examples of the domain brief, reproduced to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from contracts.engine import evaluate
from tests.contracts.helpers import REGULAR_FULLTIME, D, template, total, traject

AS_OF = D("2028-01-01")


def _twenty_clients_five_results():
    """Twenty trajecten; five clients work six months in regular jobs, fifteen end without a result."""
    trajecten = []
    for i in range(20):
        if i < 5:
            trajecten.append(traject(
                f"t{i}", "2026-01-05", ("started", "2026-01-12"), ("placement", "2026-03-01", REGULAR_FULLTIME),
                ("ended", "2026-03-01"), ("still_employed", "2026-09-02"),
            ))
        else:
            trajecten.append(traject(f"t{i}", "2026-01-05", ("started", "2026-01-12"), ("ended", "2026-07-01")))
    return trajecten


def test_no_cure_no_pay_with_handover_fee_only_without_result_pays_5250():
    model = template("no_cure_no_pay_handover")
    results = [evaluate(model, t, AS_OF) for t in _twenty_clients_five_results()]
    assert sum(total(r) for r in results) == Decimal("5250.00")
    with_result = results[0].entitlements
    assert [(e.rule, e.amount, e.due_on) for e in with_result] == [("result", Decimal("750.00"), D("2026-09-02"))]
    without = results[10].entitlements
    assert [(e.rule, e.amount, e.due_on) for e in without] == [("handover", Decimal("100.00"), D("2027-02-01"))]
    assert without[0].explanation == (
        "€ 100,00: overdrachtsgesprek zonder resultaat; "
        "geen zes maanden aaneengesloten regulier werk zonder uitkering binnen 7 maanden"
    )


def test_the_same_clients_with_the_handover_fee_for_everyone_pay_5750():
    model = template("no_cure_no_pay_handover_always")
    results = [evaluate(model, t, AS_OF) for t in _twenty_clients_five_results()]
    assert sum(total(r) for r in results) == Decimal("5750.00")


def test_handover_fee_is_not_due_before_the_window_has_passed():
    model = template("no_cure_no_pay_handover")
    t = traject("t", "2026-01-05", ("started", "2026-01-12"), ("ended", "2026-07-01"))
    assert evaluate(model, t, D("2027-01-31")).entitlements == []
    assert total(evaluate(model, t, D("2027-02-01"))) == Decimal("100.00")


@pytest.mark.parametrize(
    ("events", "expected", "explanations"),
    [
        ([("started", "2026-02-01")], "1750.00", ["70% van € 2.500,00: inspanning zonder uitstroom"]),
        (
            [("started", "2026-02-01"), ("placement", "2026-05-01", {"kind": "subsidised", "hours_per_week": 32})],
            "2250.00",
            ["70% van € 2.500,00: inspanning zonder uitstroom",
             "90% van € 2.500,00: uitstroom naar gesubsidieerd werk"],
        ),
        (
            [("started", "2026-02-01"), ("placement", "2026-05-01", {"kind": "regular", "hours_per_week": 24,
                                                                      "contract_months": 6})],
            "2500.00",
            ["70% van € 2.500,00: inspanning zonder uitstroom",
             "100% van € 2.500,00: uitstroom naar regulier werk, contract ≥ 6 maanden en ≥ 20 uur per week"],
        ),
    ],
)
def test_no_cure_less_pay_tiers_pay_1750_2250_2500(events, expected, explanations):
    result = evaluate(template("no_cure_less_pay_tiers"), traject("t", "2026-01-15", *events), AS_OF)
    assert total(result) == Decimal(expected)
    assert [e.explanation.split(" (")[0] for e in result.entitlements] == explanations


def test_tiers_pay_the_difference_when_a_higher_tier_follows():
    result = evaluate(template("no_cure_less_pay_tiers"), traject(
        "t", "2026-01-15", ("started", "2026-02-01"),
        ("placement", "2026-05-01", {"kind": "subsidised", "hours_per_week": 32}),
        ("placement", "2026-09-01", {"kind": "regular", "hours_per_week": 36, "contract_months": 12}),
    ), AS_OF)
    assert [e.amount for e in result.entitlements] == [Decimal("1750.00"), Decimal("500.00"), Decimal("250.00")]
    assert "waarvan € 2.250,00 al eerder voor een lagere trede" in result.entitlements[2].explanation


def test_regular_work_below_20_hours_is_only_the_effort_tier():
    result = evaluate(template("no_cure_less_pay_tiers"), traject(
        "t", "2026-01-15", ("started", "2026-02-01"),
        ("placement", "2026-05-01", {"kind": "regular", "hours_per_week": 16, "contract_months": 12}),
    ), AS_OF)
    assert total(result) == Decimal("1750.00")
