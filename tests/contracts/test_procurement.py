"""Procurement rules without a database: status machine, timeline, standstill and the scoring formula."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal

import pytest

from contracts.procurement import (
    TENDER_TRANSITIONS,
    BidInput,
    Criterion,
    ProcurementError,
    TenderStatus,
    Timeline,
    check_transition,
    score_lot,
    standstill_end,
    take_step,
    weights_problem,
)

QUALITY, PRICE = Criterion(1, "Kwaliteit", 60), Criterion(2, "Prijs", 40, is_price=True)
CLOSING = datetime(2026, 3, 1, 12, 0)
SUBMITTED = datetime(2026, 2, 20, 10, 0)


def _bid(i, price, *scores, **extra):
    return BidInput(id=i, bidder=f"B{i}", price=Decimal(price), submitted_at=extra.pop("at", SUBMITTED),
                    scores={1: [Decimal(s) for s in scores]}, **extra)


ALL_PAIRS = [(a, b) for a in TenderStatus for b in TenderStatus]


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS)
def test_every_transition_is_allowed_or_refused_as_written_down(current, target):
    if target in TENDER_TRANSITIONS[current]:
        check_transition(current, target, reason="reden")
    else:
        with pytest.raises(ProcurementError, match="kan niet naar"):
            check_transition(current, target, reason="reden")


def test_cancelling_needs_a_reason():
    with pytest.raises(ProcurementError, match="reden"):
        check_transition(TenderStatus.PUBLISHED, TenderStatus.CANCELLED, reason="  ")


def test_the_happy_path_runs_from_draft_to_contracted():
    path = [TenderStatus.DRAFT, TenderStatus.PUBLISHED, TenderStatus.CLOSED, TenderStatus.EVALUATED,
            TenderStatus.AWARD_ANNOUNCED, TenderStatus.STANDSTILL, TenderStatus.CONTRACTED]
    for current, target in itertools.pairwise(path):
        check_transition(current, target)
    assert TENDER_TRANSITIONS[TenderStatus.CONTRACTED] == frozenset()


@pytest.mark.parametrize(("timeline", "field"), [
    (Timeline(date(2026, 2, 1), date(2026, 1, 20), CLOSING, None), "questions_deadline"),
    (Timeline(date(2026, 2, 1), date(2026, 3, 5), CLOSING, None), "questions_deadline"),
    (Timeline(date(2026, 3, 1), None, CLOSING, None), "closing"),
    (Timeline(date(2026, 2, 1), None, CLOSING, date(2026, 2, 28)), "intended_award"),
    (Timeline(None, None, None, None, standstill_days=-1), "standstill_days"),
])
def test_contradicting_dates_name_the_field(timeline, field):
    assert field in [f for f, _ in timeline.problems()]


def test_consistent_dates_have_no_problems():
    assert Timeline(date(2026, 2, 1), date(2026, 2, 15), CLOSING, date(2026, 3, 20)).problems() == []


def test_standstill_is_twenty_calendar_days_by_default():
    assert standstill_end(date(2026, 3, 10)) == date(2026, 3, 30)
    assert standstill_end(date(2026, 12, 20)) == date(2027, 1, 9)
    assert standstill_end(date(2026, 3, 10), 10) == date(2026, 3, 20)


def test_weights_must_sum_to_100():
    assert weights_problem([60, 40]) is None
    assert "tellen op tot 90" in weights_problem([60, 30])
    with pytest.raises(ProcurementError) as info:
        score_lot([Criterion(1, "K", 50), PRICE], [], None, None, 1)
    assert info.value.field == "weights"


def test_worked_example_scoring_computed_by_hand():
    """Kwaliteit 60, prijs 40; three valid bids.

    A: € 2.000, quality 6   → price 40 × 2000/2000 = 40,00; quality 60 × 6/10 = 36,00; total 76,00
    B: € 2.500, quality 9   → price 40 × 2000/2500 = 32,00; quality 60 × 9/10 = 54,00; total 86,00
    C: € 2.400, quality 7,5 → price 40 × 2000/2400 = 33,33; quality 60 × 7,5/10 = 45,00; total 78,33
    Ranking B, C, A; with two to award, B and C win.
    """
    bids = [_bid(1, "2000", "6", "6"), _bid(2, "2500", "9", "9"), _bid(3, "2400", "7", "8")]
    ranked = score_lot([QUALITY, PRICE], bids, Decimal("3000"), CLOSING, award_count=2)
    assert [(s.bid.id, s.price_points, s.quality_points[1], s.total, s.rank, s.awarded) for s in ranked] == [
        (2, Decimal("32.00"), Decimal("54.00"), Decimal("86.00"), 1, True),
        (3, Decimal("33.33"), Decimal("45.00"), Decimal("78.33"), 2, True),
        (1, Decimal("40.00"), Decimal("36.00"), Decimal("76.00"), 3, False),
    ]


def test_invalid_bids_score_nothing_and_do_not_set_the_lowest_price():
    bids = [
        _bid(1, "1500", "8", knocked_out="geen VOG"),
        _bid(2, "3100", "8"),
        _bid(3, "1800", "8", at=datetime(2026, 3, 1, 12, 1)),
        _bid(4, "2000", "5", failed_selection=("Solvabiliteit",)),
        _bid(5, "2500", "7"),
    ]
    ranked = score_lot([QUALITY, PRICE], bids, Decimal("3000"), CLOSING, award_count=1)
    valid = [s for s in ranked if s.valid]
    assert [s.bid.id for s in valid] == [5] and valid[0].price_points == Decimal("40.00")
    reasons = {s.bid.id: s.invalid_reasons for s in ranked if not s.valid}
    assert reasons[1] == ["uitgesloten: geen VOG"]
    assert reasons[2] == ["prijs boven het plafond van € 3.000,00"]
    assert reasons[3] == ["ingediend na de sluiting"]
    assert reasons[4] == ["voldoet niet aan selectiecriterium Solvabiliteit"]
    assert all(s.rank is None and not s.awarded for s in ranked if not s.valid)


def test_ties_are_broken_by_quality_then_price_then_submission_and_exact_ties_flagged():
    # Same total 80: Y has more quality points, so Y ranks first.
    x = _bid(1, "2000", "6.66666666666666666666666666")  # quality 40,00 + price 40,00
    y = _bid(2, "4000", "10")                             # quality 60,00 + price 20,00
    first, second = score_lot([QUALITY, PRICE], [x, y], None, CLOSING, 1)
    assert (first.bid.id, first.total, second.total) == (2, Decimal("80.00"), Decimal("80.00"))
    assert (first.rank, second.rank, first.tie) == (1, 2, False)
    # Identical in every respect: same rank, flagged as a tie that needs a decision.
    a, b = _bid(1, "2000", "8"), _bid(2, "2000", "8")
    ranked = score_lot([QUALITY, PRICE], [a, b], None, CLOSING, 1)
    assert [s.rank for s in ranked] == [1, 1] and all(s.tie for s in ranked)


# --- the dates a step sets ------------------------------------------------------------------------


def test_publishing_without_a_date_publishes_today_and_keeps_a_given_one():
    day = date(2026, 5, 4)
    assert take_step(TenderStatus.DRAFT, TenderStatus.PUBLISHED, day).publication_date == day
    given = date(2026, 5, 1)
    assert take_step(TenderStatus.DRAFT, TenderStatus.PUBLISHED, day, publication_date=given).publication_date == given


def test_announcing_the_award_starts_the_standstill_today():
    step = take_step(TenderStatus.EVALUATED, TenderStatus.AWARD_ANNOUNCED, date(2026, 5, 4), standstill_days=15,
                     publication_date=date(2026, 3, 1))
    assert step.status == TenderStatus.AWARD_ANNOUNCED
    assert (step.award_announced_on, step.standstill_end) == (date(2026, 5, 4), date(2026, 5, 19))
    assert step.publication_date == date(2026, 3, 1)  # left as it was


def test_a_later_step_keeps_the_dates_and_an_illegal_one_is_refused():
    step = take_step(TenderStatus.AWARD_ANNOUNCED, TenderStatus.STANDSTILL, date(2026, 5, 6),
                     award_announced_on=date(2026, 5, 4), standstill_end_on=date(2026, 5, 24))
    assert (step.award_announced_on, step.standstill_end) == (date(2026, 5, 4), date(2026, 5, 24))
    with pytest.raises(ProcurementError):
        take_step(TenderStatus.DRAFT, TenderStatus.CLOSED, date(2026, 5, 6))
    with pytest.raises(ProcurementError) as refused:
        take_step(TenderStatus.DRAFT, TenderStatus.CANCELLED, date(2026, 5, 6), reason=" ")
    assert refused.value.field == "reason"
