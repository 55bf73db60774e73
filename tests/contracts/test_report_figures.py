"""The figures a report shows beside each other, worked by hand: the placement share of everyone referred
next to the share of the started trajecten; which groups are too small to judge; what a comparison with the
expected rate concludes; cost per result when nothing was approved (no database, no Flask)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from contracts.indicators import (
    EVERY,
    INDICATORS,
    MIN_GROUP,
    Basis,
    Facts,
    Figure,
    Kind,
    Light,
    Verdict,
    cost_per,
    cost_saving_ratio,
    fact_row,
    figure,
    judge_figure,
    verdict,
)

D = date.fromisoformat
YEAR = (D("2026-01-01"), D("2026-12-31"))


def row(referral: str, **facts) -> dict[str, object]:
    return fact_row(D(referral), Facts(**facts))


# Eight referred in 2026: one refused, one accepted and returned, one accepted and never started, five
# started, of whom two were placed (one of them in 2027, after the year).
REFERRED = [
    row("2026-01-10", refused_on=D("2026-01-12")),
    row("2026-01-10", accepted_on=D("2026-01-11"), returned_on=D("2026-02-01")),
    row("2026-02-01", accepted_on=D("2026-02-02")),
    row("2026-02-01", accepted_on=D("2026-02-02"), started_on=D("2026-02-10"), placed_on=D("2026-05-01"),
        placement_kind="regular"),
    row("2026-03-01", accepted_on=D("2026-03-02"), started_on=D("2026-03-10")),
    row("2026-03-01", accepted_on=D("2026-03-02"), started_on=D("2026-03-10")),
    row("2026-04-01", accepted_on=D("2026-04-02"), started_on=D("2026-04-10")),
    row("2026-11-01", accepted_on=D("2026-11-02"), started_on=D("2026-11-10"), placed_on=D("2027-01-15"),
        placement_kind="subsidised"),
]


def test_placement_of_everyone_referred_is_an_indicator_of_its_own():
    of_referred, of_started = INDICATORS["referred_placement_rate"], INDICATORS["placement_rate"]
    assert of_referred.kind == Kind.RATE and of_referred.denominator == EVERY
    assert of_referred.denominator_date == "referral_date"
    # The numerator is the placements count's, so the rate divides the same placements by more people.
    assert of_referred.numerator == INDICATORS["placements"].numerator
    assert of_referred.numerator_date == INDICATORS["placements"].numerator_date == "placed_on"
    # The labels say over whom each share is taken.
    assert "van alle verwezen cliënten" in of_referred.label
    assert "van de gestarte trajecten" in of_started.label
    assert "van de gestarte trajecten" in INDICATORS["work_exit_rate"].label


def test_refusals_and_returns_lower_the_share_of_everyone_referred_only():
    cohort_referred = figure(INDICATORS["referred_placement_rate"], REFERRED, Basis.COHORT, YEAR)
    cohort_started = figure(INDICATORS["placement_rate"], REFERRED, Basis.COHORT, YEAR)
    # Cohort: 2 placed of the 8 referred = 25%; of the 5 started = 40%.
    assert (cohort_referred.numerator, cohort_referred.denominator, cohort_referred.value) == (2, 8, Decimal("0.25"))
    assert (cohort_started.numerator, cohort_started.denominator, cohort_started.value) == (2, 5, Decimal("0.4"))
    # Events of 2026: one placement (1 May) over eight referrals = 12.5%, no interval.
    events = figure(INDICATORS["referred_placement_rate"], REFERRED, Basis.EVENT, YEAR)
    assert (events.numerator, events.denominator, events.value, events.interval) == (1, 8, Decimal("0.125"), None)


def test_a_count_is_exact_and_judged_however_small_a_rate_needs_a_group():
    small_count = Figure("referrals", Kind.COUNT, Basis.EVENT, YEAR, 3, None, Decimal(3), None)
    small_rate = Figure("placement_rate", Kind.RATE, Basis.COHORT, YEAR, 3, MIN_GROUP - 1, Decimal(3) / 9, None)
    big_rate = Figure("placement_rate", Kind.RATE, Basis.COHORT, YEAR, 5, MIN_GROUP, Decimal("0.5"), None)
    assert small_count.judgeable and not small_rate.judgeable and big_rate.judgeable


def test_a_target_is_judged_on_the_figure_in_the_targets_unit():
    count = Figure("referrals", Kind.COUNT, Basis.EVENT, YEAR, 9, None, Decimal(9), None)
    # 9 against 10 ± 1 is reached, although 9 trajecten is a small group: a count is exact.
    assert judge_figure(count, Decimal(10), Decimal(1)) == Light.REACHED
    # A rate's target is in percent: 50% of 12 against 55 ± 3 is nearly (gap 5 ≤ 6); against 60 ± 3 not.
    share = Figure("placement_rate", Kind.RATE, Basis.COHORT, YEAR, 6, 12, Decimal("0.5"), None)
    assert judge_figure(share, Decimal(55), Decimal(3)) == Light.NEARLY
    assert judge_figure(share, Decimal(60), Decimal(3)) == Light.NOT_REACHED
    # Lower is better for drop-out: 50% against 52 ± 0 is reached.
    dropout = Figure("dropout_rate", Kind.RATE, Basis.COHORT, YEAR, 6, 12, Decimal("0.5"), None)
    assert judge_figure(dropout, Decimal(52), Decimal(0)) == Light.REACHED
    # Nine started is too small to judge a rate.
    small = Figure("placement_rate", Kind.RATE, Basis.COHORT, YEAR, 9, 9, Decimal(1), None)
    assert judge_figure(small, Decimal(10), Decimal(1)) == Light.NO_JUDGEMENT


def test_the_verdict_on_observed_against_expected():
    assert verdict((Decimal("1.1"), Decimal("1.9")), MIN_GROUP) == Verdict.BETTER
    assert verdict((Decimal("0.2"), Decimal("0.9")), MIN_GROUP) == Verdict.WORSE
    assert verdict((Decimal("0.8"), Decimal("1.3")), MIN_GROUP) == Verdict.SIMILAR
    assert verdict(None, MIN_GROUP) == Verdict.SIMILAR
    # However clear the interval, nine started trajecten are too few.
    assert verdict((Decimal("1.1"), Decimal("1.9")), MIN_GROUP - 1) == Verdict.TOO_SMALL


def test_nothing_approved_is_no_cost_per_result():
    # A provider without approved invoices has placements but no known cost: no "€ 0,00 per plaatsing".
    assert cost_per(Decimal("0.00"), 4) is None
    assert cost_per(Decimal("1000.00"), 4) == Decimal("250.00")
    assert cost_saving_ratio(Decimal("0.00"), Decimal("5000.00")) is None
    assert cost_saving_ratio(Decimal("1000.00"), Decimal("0.00")) is None
    # 1,000.00 spent for 3,000.00 benefit saved: 0.33.
    assert cost_saving_ratio(Decimal("1000.00"), Decimal("3000.00")) == Decimal("0.33")
