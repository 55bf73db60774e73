"""Tests of :mod:`contracts.indicators`: facts of a traject, predicates, the catalogue, period bases and the
statistics, with worked examples computed by hand and properties (no database, no Flask)."""

from __future__ import annotations

import itertools
import os
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.dates import add_period
from contracts.events import Event, EventType, ExitReason, WorkKind
from contracts.indicators import (
    BASIS_LABELS,
    CODE_VALUES,
    DATE_FIELDS,
    EVERY,
    FACT_FIELDS,
    INDICATORS,
    LIGHT_LABELS,
    MIN_GROUP,
    ROW_FIELDS,
    All,
    Basis,
    Facts,
    Has,
    Indicator,
    Kind,
    Light,
    Not,
    OneOf,
    cost_per,
    cumulative_placed,
    euros_saved,
    expected_rate,
    fact_row,
    facts_of,
    fields_of,
    figure,
    holds,
    in_period,
    judge,
    judgeable,
    median,
    members,
    months_between,
    months_off_benefit,
    months_to_placement,
    rate,
    standardised_ratio,
    wilson,
)

E = EventType
D = date.fromisoformat
SETTINGS = settings(max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "200")), deadline=None)
Q4 = Decimal("0.0001")


def ev(n: int, event_type: EventType, day: str, **details) -> Event:
    return Event(id=f"e{n}", type=event_type, date=D(day), **details)


def history(*items) -> list[Event]:
    """``history(("started", "2026-01-10"), ("placement", "2026-03-01", {"kind": WorkKind.REGULAR}))``"""
    return [ev(i, E(kind), day, **(rest[0] if rest else {})) for i, (kind, day, *rest) in enumerate(items)]


def q4(value: Decimal) -> Decimal:
    return value.quantize(Q4)


REGULAR = {"kind": WorkKind.REGULAR, "hours_per_week": Decimal(32)}
TEMPORARY = {"kind": WorkKind.TEMPORARY, "hours_per_week": Decimal(20)}
SUBSIDISED = {"kind": WorkKind.SUBSIDISED, "hours_per_week": Decimal(36)}


# --- facts_of -----------------------------------------------------------------------------------------


def test_no_events_no_facts():
    assert facts_of([], 6) == Facts()
    assert all(getattr(facts_of([], 6), name) is None for name in FACT_FIELDS)


def test_a_full_traject_fills_each_field_with_its_first_date():
    events = history(
        ("accepted", "2026-01-08"),
        ("intake", "2026-01-12"),
        ("started", "2026-01-20"),
        ("placement", "2026-03-02", REGULAR),
        ("benefit_exit", "2026-03-31", {"reason": ExitReason.WORK.value}),
        ("still_employed", "2026-09-02"),   # 2 March + 6 months = 2 September: durable that day
        ("ended", "2026-09-30", {"reason": "afgerond"}),
        ("still_employed", "2026-12-01"),   # a later confirmation does not move durable_on
    )
    facts = facts_of(events, 6)
    assert facts == Facts(accepted_on=D("2026-01-08"), started_on=D("2026-01-20"), placed_on=D("2026-03-02"),
                          placement_kind="regular", durable_on=D("2026-09-02"), exited_on=D("2026-03-31"),
                          exit_reason="work", ended_on=D("2026-09-30"))


def test_refusal_return_and_dropout_are_their_own_facts():
    assert facts_of(history(("refused", "2026-01-09", {"reason": "vol"})), 6) == Facts(refused_on=D("2026-01-09"))
    returned = facts_of(history(("accepted", "2026-01-08"), ("returned", "2026-02-01", {"reason": "x"})), 6)
    assert (returned.accepted_on, returned.returned_on, returned.started_on) == (D("2026-01-08"), D("2026-02-01"),
                                                                                 None)
    dropped = facts_of(history(("accepted", "2026-01-08"), ("started", "2026-01-10"),
                               ("dropout", "2026-04-01", {"reason": "ziek"})), 6)
    assert (dropped.started_on, dropped.dropped_out_on) == (D("2026-01-10"), D("2026-04-01"))


def test_order_given_does_not_matter():
    events = history(("accepted", "2026-01-08"), ("started", "2026-01-20"), ("placement", "2026-03-02", REGULAR),
                     ("still_employed", "2026-09-02"), ("benefit_exit", "2026-04-01", {"reason": "work"}),
                     ("fall_back", "2026-10-01"))
    expected = facts_of(events, 6)
    rng = random.Random(7)
    for _ in range(10):
        shuffled = events[:]
        rng.shuffle(shuffled)
        assert facts_of(shuffled, 6) == expected


def test_durability_is_counted_in_calendar_months():
    # 31 August + 6 months = 28 February (add_period): a confirmation that day proves durability, the day before not.
    base = [("accepted", "2025-08-01"), ("started", "2025-08-04"), ("placement", "2025-08-31", REGULAR)]
    assert facts_of(history(*base, ("still_employed", "2026-02-28")), 6).durable_on == D("2026-02-28")
    assert facts_of(history(*base, ("still_employed", "2026-02-27")), 6).durable_on is None
    # the same confirmation proves a shorter term, and not a longer one
    assert facts_of(history(*base, ("still_employed", "2026-02-27")), 5).durable_on == D("2026-02-27")
    assert facts_of(history(*base, ("still_employed", "2026-02-28")), 7).durable_on is None


def test_a_too_early_confirmation_does_not_count_but_a_later_one_does():
    events = history(("accepted", "2026-01-05"), ("started", "2026-01-06"), ("placement", "2026-02-01", REGULAR),
                     ("still_employed", "2026-05-01"), ("still_employed", "2026-08-03"))
    assert facts_of(events, 6).durable_on == D("2026-08-03")


@pytest.mark.parametrize("brk", [("placement_ended", "2026-04-01"), ("fall_back", "2026-04-01"),
                                 ("dropout", "2026-04-01", {"reason": "x"})])
def test_a_break_between_placement_and_confirmation_voids_durability(brk):
    base = [("accepted", "2026-01-05"), ("started", "2026-01-06"), ("placement", "2026-02-01", REGULAR)]
    assert facts_of(history(*base, ("still_employed", "2026-08-01")), 6).durable_on == D("2026-08-01")
    assert facts_of(history(*base, brk, ("still_employed", "2026-08-01")), 6).durable_on is None


def test_a_break_after_the_confirmation_does_not_undo_durability():
    events = history(("accepted", "2026-01-05"), ("started", "2026-01-06"), ("placement", "2026-02-01", REGULAR),
                     ("still_employed", "2026-08-01"), ("placement_ended", "2026-08-02"))
    assert facts_of(events, 6).durable_on == D("2026-08-01")


def test_same_day_break_follows_the_canonical_order():
    # On the confirmation day an end of the placement sorts before STILL_EMPLOYED (breaks), a drop-out after it.
    base = [("accepted", "2026-01-05"), ("started", "2026-01-06"), ("placement", "2026-02-01", REGULAR)]
    ended = history(*base, ("still_employed", "2026-08-01"), ("placement_ended", "2026-08-01"))
    dropped = history(*base, ("still_employed", "2026-08-01"), ("dropout", "2026-08-01", {"reason": "x"}))
    assert facts_of(ended, 6).durable_on is None
    assert facts_of(dropped, 6).durable_on == D("2026-08-01")


def test_placement_ended_then_new_placement_judges_the_new_one_on_its_own():
    events = history(("accepted", "2026-01-05"), ("started", "2026-01-06"),
                     ("placement", "2026-02-01", TEMPORARY), ("placement_ended", "2026-03-31"),
                     ("placement", "2026-05-04", REGULAR),
                     ("still_employed", "2026-08-03"),    # six months after the first, but that one ended
                     ("still_employed", "2026-11-04"))    # six months after the second
    facts = facts_of(events, 6)
    assert facts.placed_on == D("2026-02-01")
    assert facts.placement_kind == "temporary"           # the kind of the first placement
    assert facts.durable_on == D("2026-11-04")


def test_durable_on_is_the_earliest_over_all_placements():
    events = history(("accepted", "2026-01-05"), ("started", "2026-01-06"),
                     ("placement", "2026-02-02", SUBSIDISED), ("still_employed", "2026-03-02"),
                     ("placement_ended", "2026-03-10"), ("placement", "2026-04-01", REGULAR),
                     ("still_employed", "2026-05-01"))
    assert facts_of(events, 1).durable_on == D("2026-03-02")
    assert facts_of(events, 1).placement_kind == "subsidised"


def test_exit_then_fall_back():
    events = history(("accepted", "2026-01-05"), ("started", "2026-01-06"), ("placement", "2026-02-02", REGULAR),
                     ("benefit_exit", "2026-03-01", {"reason": "work"}), ("fall_back", "2026-07-15"),
                     ("benefit_exit", "2026-09-01", {"reason": "moved_away"}), ("fall_back", "2026-10-01"))
    facts = facts_of(events, 6)
    assert (facts.exited_on, facts.exit_reason, facts.fell_back_on) == (D("2026-03-01"), "work", D("2026-07-15"))


def test_fall_back_before_the_exit_is_not_a_fall_back_after_it():
    events = history(("accepted", "2026-01-05"), ("started", "2026-01-06"), ("placement", "2026-02-02", REGULAR),
                     ("fall_back", "2026-03-01"), ("benefit_exit", "2026-06-01", {"reason": "partner_income"}))
    facts = facts_of(events, 6)
    assert facts.exited_on == D("2026-06-01")
    assert facts.fell_back_on is None


def test_fall_back_after_a_placement_without_exit():
    events = history(("accepted", "2026-01-05"), ("started", "2026-01-06"), ("placement", "2026-02-02", REGULAR),
                     ("fall_back", "2026-03-01"))
    facts = facts_of(events, 6)
    assert (facts.exited_on, facts.fell_back_on) == (None, D("2026-03-01"))
    # ... which the fall-back rate (over exits) does not count
    row = fact_row(D("2026-01-01"), facts)
    assert not holds(INDICATORS["fall_back_rate"].numerator, row)


def test_corrections_are_applied():
    events = [*history(("accepted", "2026-01-05"), ("started", "2026-01-06"),
                       ("placement", "2026-02-02", REGULAR)),
              Event(id="c1", type=E.CORRECTION, date=D("2026-02-10"), revokes="e2", reason="geen contract")]
    facts = facts_of(events, 6)
    assert facts.placed_on is None and facts.placement_kind is None
    assert facts.started_on == D("2026-01-06")


@pytest.mark.parametrize("months", [-1, "6", 1.5])
def test_durability_months_must_be_a_whole_number(months):
    with pytest.raises(ValueError, match="durability_months"):
        facts_of([], months)


def test_fact_row_is_referral_date_plus_facts():
    row = fact_row(D("2026-01-01"), Facts(started_on=D("2026-01-10")))
    assert tuple(row) == ROW_FIELDS
    assert row["referral_date"] == D("2026-01-01") and row["started_on"] == D("2026-01-10")


# --- predicates ---------------------------------------------------------------------------------------


def row_of(referral: str = "2026-01-01", **facts) -> dict[str, object]:
    return fact_row(D(referral), Facts(**facts))


def test_has():
    assert holds(Has("started_on"), row_of(started_on=D("2026-01-02")))
    assert not holds(Has("started_on"), row_of())
    assert holds(Has("referral_date"), row_of())


def test_one_of():
    regular = OneOf("placement_kind", frozenset({"regular"}))
    assert holds(regular, row_of(placement_kind="regular"))
    assert not holds(regular, row_of(placement_kind="subsidised"))
    assert not holds(regular, row_of())
    assert holds(OneOf("placement_kind", {"regular", "subsidised"}), row_of(placement_kind=WorkKind.SUBSIDISED))


def test_all_and_not_and_every():
    both = All((Has("started_on"), Has("placed_on")))
    assert holds(both, row_of(started_on=D("2026-01-02"), placed_on=D("2026-02-02")))
    assert not holds(both, row_of(started_on=D("2026-01-02")))
    assert holds(Not(Has("placed_on")), row_of())
    assert not holds(Not(Has("placed_on")), row_of(placed_on=D("2026-02-02")))
    assert holds(EVERY, row_of()) and not holds(Not(EVERY), row_of())
    started_not_placed = All((Has("started_on"), Not(Has("placed_on"))))
    assert holds(started_not_placed, row_of(started_on=D("2026-01-02")))
    assert not holds(started_not_placed, row_of(started_on=D("2026-01-02"), placed_on=D("2026-02-02")))


def test_predicates_are_values():
    assert OneOf("exit_reason", ["work"]) == OneOf("exit_reason", frozenset({"work"}))
    assert All([Has("started_on")]) == All((Has("started_on"),))
    assert len({Has("started_on"), Has("started_on"), EVERY, All(())}) == 2


def test_fields_of():
    predicate = All((Has("started_on"), Not(OneOf("exit_reason", {"work"})), EVERY))
    assert fields_of(predicate) == {"started_on", "exit_reason"}
    assert fields_of(EVERY) == frozenset()


def test_misspelt_fields_and_codes_are_refused():
    with pytest.raises(ValueError, match="onbekend veld"):
        Has("placed")
    with pytest.raises(ValueError, match="gecodeerd"):
        OneOf("placed_on", {"regular"})
    with pytest.raises(ValueError, match="regulier"):
        OneOf("placement_kind", {"regulier"})
    with pytest.raises(ValueError, match="nooit waar"):
        OneOf("exit_reason", set())
    with pytest.raises(TypeError):
        All(("started_on",))
    with pytest.raises(TypeError):
        Not(True)
    with pytest.raises(TypeError):
        holds("started_on", row_of())


def test_a_row_missing_a_field_is_an_error_not_false():
    with pytest.raises(KeyError):
        holds(Has("started_on"), {"referral_date": D("2026-01-01")})


def test_code_values_are_the_enums():
    assert CODE_VALUES["placement_kind"] == {k.value for k in WorkKind}
    assert CODE_VALUES["exit_reason"] == {r.value for r in ExitReason}


# --- the catalogue ------------------------------------------------------------------------------------

REQUIRED = {"referrals", "acceptance_rate", "refusal_rate", "starts", "placement_rate", "regular_placement_rate",
            "subsidised_placement_rate", "durable_rate", "dropout_rate", "return_rate", "exit_rate",
            "fall_back_rate", "days_to_start", "days_to_placement"}
LOWER_IS_BETTER = {"refusal_rate", "dropout_rate", "return_rate", "fall_back_rate", "days_to_start",
                   "days_to_placement"}
RATES = [i for i in INDICATORS.values() if i.kind == Kind.RATE]


def test_catalogue_has_the_required_indicators():
    assert set(INDICATORS) >= REQUIRED
    assert all(INDICATORS[i].kind == Kind.COUNT for i in ("referrals", "starts"))
    assert all(INDICATORS[i].kind == Kind.MEDIAN_DAYS for i in ("days_to_start", "days_to_placement"))
    assert {i.id for i in INDICATORS.values() if not i.higher_is_better} == LOWER_IS_BETTER


def test_denominators_and_dates_of_the_required_rates():
    started, accepted, exited = Has("started_on"), Has("accepted_on"), Has("exited_on")
    expected = {"acceptance_rate": (EVERY, "accepted_on", "referral_date"),
                "refusal_rate": (EVERY, "refused_on", "referral_date"),
                "placement_rate": (started, "placed_on", "started_on"),
                "regular_placement_rate": (started, "placed_on", "started_on"),
                "subsidised_placement_rate": (started, "placed_on", "started_on"),
                "durable_rate": (started, "durable_on", "started_on"),
                "dropout_rate": (started, "dropped_out_on", "started_on"),
                "return_rate": (accepted, "returned_on", "accepted_on"),
                "exit_rate": (started, "exited_on", "started_on"),
                "fall_back_rate": (exited, "fell_back_on", "exited_on")}
    for key, (denominator, numerator_date, denominator_date) in expected.items():
        indicator = INDICATORS[key]
        assert (indicator.denominator, indicator.numerator_date, indicator.denominator_date) == \
            (denominator, numerator_date, denominator_date), key
    assert INDICATORS["referrals"].numerator_date == "referral_date"
    assert INDICATORS["starts"].numerator == started and INDICATORS["starts"].numerator_date == "started_on"
    assert (INDICATORS["days_to_start"].start, INDICATORS["days_to_start"].end) == ("referral_date", "started_on")
    assert (INDICATORS["days_to_placement"].start, INDICATORS["days_to_placement"].end) == ("started_on", "placed_on")


def test_labels_and_definitions_are_distinct():
    labels = [i.label for i in INDICATORS.values()]
    definitions = [i.definition for i in INDICATORS.values()]
    assert len(set(labels)) == len(labels)
    assert len(set(definitions)) == len(definitions)
    assert all(" gedeeld door " in i.definition for i in RATES)


def codes(field):
    return st.one_of(st.none(), st.sampled_from(sorted(CODE_VALUES[field])))


DAYS = st.one_of(st.none(), st.dates(date(2024, 1, 1), date(2027, 12, 31)))
ROWS = st.fixed_dictionaries({
    name: (codes(name) if name in CODE_VALUES else
           st.dates(date(2024, 1, 1), date(2027, 12, 31)) if name == "referral_date" else DAYS)
    for name in ROW_FIELDS
})


@SETTINGS
@given(ROWS)
def test_every_numerator_implies_its_denominator(row):
    for indicator in INDICATORS.values():
        if holds(indicator.numerator, row):
            assert holds(indicator.denominator, row), indicator.id


@SETTINGS
@given(ROWS)
def test_every_part_holds_only_where_its_date_and_median_days_are_known(row):
    for indicator in INDICATORS.values():
        if holds(indicator.numerator, row):
            assert row[indicator.numerator_date] is not None, indicator.id
            if indicator.kind == Kind.MEDIAN_DAYS:
                assert row[indicator.start] is not None and row[indicator.end] is not None
        if indicator.kind != Kind.COUNT and holds(indicator.denominator, row):
            assert row[indicator.denominator_date] is not None, indicator.id


def test_kind_of_placement_is_checked():
    row = row_of(started_on=D("2026-01-02"), placed_on=D("2026-02-02"), placement_kind="subsidised")
    assert holds(INDICATORS["placement_rate"].numerator, row)
    assert holds(INDICATORS["subsidised_placement_rate"].numerator, row)
    assert not holds(INDICATORS["regular_placement_rate"].numerator, row)
    # placed but never started: in no placement rate at all
    unstarted = row_of(placed_on=D("2026-02-02"), placement_kind="regular")
    assert not any(holds(INDICATORS[k].numerator, unstarted) for k in ("placement_rate", "regular_placement_rate"))


def test_exit_rate_counts_every_reason_work_exit_rate_only_work():
    moved = row_of(started_on=D("2026-01-02"), exited_on=D("2026-03-01"), exit_reason="moved_away")
    assert holds(INDICATORS["exit_rate"].numerator, moved)
    assert not holds(INDICATORS["work_exit_rate"].numerator, moved)


def spec(kind, numerator, denominator, numerator_date, denominator_date, start=None, end=None):
    return {"kind": kind, "numerator": numerator, "denominator": denominator, "numerator_date": numerator_date,
            "denominator_date": denominator_date, "start": start, "end": end}


@pytest.mark.parametrize("bad, message", [
    (spec(kind=Kind.RATE, numerator=Has("placed_on"), denominator=Has("started_on"),
          numerator_date="placed_on", denominator_date="started_on"), "binnen de noemer"),
    (spec(kind=Kind.COUNT, numerator=Has("started_on"), denominator=Has("started_on"),
          numerator_date="started_on", denominator_date="started_on"), "geen noemer"),
    (spec(kind=Kind.RATE, numerator=All((Has("started_on"), Has("placed_on"))), denominator=Has("started_on"),
          numerator_date="durable_on", denominator_date="started_on"), "garandeert geen durable_on"),
    (spec(kind=Kind.RATE, numerator=Has("started_on"), denominator=EVERY,
          numerator_date="started_on", denominator_date="placed_on"), "garandeert geen placed_on"),
    (spec(kind=Kind.RATE, numerator=Has("started_on"), denominator=EVERY,
          numerator_date="placement_kind", denominator_date="referral_date"), "geen datumveld"),
    (spec(kind=Kind.MEDIAN_DAYS, numerator=Has("started_on"), denominator=EVERY,
          numerator_date="started_on", denominator_date="referral_date"), "begin- en einddatumveld"),
    (spec(kind=Kind.MEDIAN_DAYS, numerator=Has("started_on"), denominator=EVERY, start="started_on",
          end="placed_on", numerator_date="started_on", denominator_date="referral_date"), "niet dat begin"),
    (spec(kind=Kind.RATE, numerator=Has("started_on"), denominator=EVERY, start="referral_date",
          end="started_on", numerator_date="started_on", denominator_date="referral_date"), "alleen een mediaan"),
])
def test_an_inconsistent_indicator_cannot_be_made(bad, message):
    with pytest.raises(ValueError, match=message):
        Indicator(id="x", label="x", definition="x", **bad)


def test_an_indicator_needs_predicates():
    with pytest.raises(TypeError):
        Indicator("x", "x", "x", Kind.COUNT, "started_on", EVERY, "started_on", "started_on")


# --- period basis -------------------------------------------------------------------------------------


def test_in_period():
    placement = INDICATORS["placement_rate"]
    assert in_period(placement, Basis.COHORT, "numerator") == "referral_date"
    assert in_period(placement, Basis.COHORT, "denominator") == "referral_date"
    assert in_period(placement, Basis.EVENT, "numerator") == "placed_on"
    assert in_period(placement, Basis.EVENT, "denominator") == "started_on"
    assert in_period(placement, "event", "numerator") == "placed_on"
    with pytest.raises(ValueError):
        in_period(placement, Basis.EVENT, "teller")
    with pytest.raises(ValueError):
        in_period(placement, "kalender", "numerator")
    assert set(BASIS_LABELS) == set(Basis) and len(set(BASIS_LABELS.values())) == len(Basis)


# Four trajecten: two referred in 2025 (one placed in 2026), two referred in 2026 (one placed, one not started).
ROWS_2025_2026 = [
    row_of("2025-10-01", accepted_on=D("2025-10-03"), started_on=D("2025-10-15"), placed_on=D("2026-02-01"),
           placement_kind="regular"),
    row_of("2025-11-01", accepted_on=D("2025-11-03"), started_on=D("2025-11-20")),
    row_of("2026-01-05", accepted_on=D("2026-01-06"), started_on=D("2026-01-10"), placed_on=D("2026-03-01"),
           placement_kind="subsidised"),
    row_of("2026-02-01", refused_on=D("2026-02-03")),
]
YEAR_2026 = (D("2026-01-01"), D("2026-12-31"))


def test_cohort_and_event_basis_give_different_numbers_and_say_which():
    placement = INDICATORS["placement_rate"]
    cohort = figure(placement, ROWS_2025_2026, Basis.COHORT, YEAR_2026)
    event = figure(placement, ROWS_2025_2026, Basis.EVENT, YEAR_2026)
    # cohort 2026: referred in 2026 and started: one; of those placed: one → 1/1, with an interval
    assert (cohort.basis, cohort.numerator, cohort.denominator, cohort.value) == (Basis.COHORT, 1, 1, Decimal(1))
    assert cohort.interval == wilson(1, 1)
    # events of 2026: two placements (one from a 2025 start), one start → 2/1 = 200%, no interval
    assert (event.basis, event.numerator, event.denominator, event.value) == (Basis.EVENT, 2, 1, Decimal(2))
    assert event.interval is None
    assert event.period == YEAR_2026
    # even where the event ratio looks like a share (1 acceptance in 2026 over 2 referrals in 2026) it is no
    # share of one group, so it gets no interval; the cohort figure of the same words does
    accepted = figure(INDICATORS["acceptance_rate"], ROWS_2025_2026, Basis.EVENT, YEAR_2026)
    assert (accepted.numerator, accepted.denominator, accepted.value, accepted.interval) == (1, 2, Decimal("0.5"),
                                                                                           None)
    assert figure(INDICATORS["acceptance_rate"], ROWS_2025_2026, Basis.COHORT, YEAR_2026).interval == wilson(1, 2)


def test_members_are_the_rows_behind_the_number():
    placement = INDICATORS["placement_rate"]
    placed = members(placement, ROWS_2025_2026, "numerator", Basis.EVENT, YEAR_2026)
    assert [r["referral_date"] for r in placed] == [D("2025-10-01"), D("2026-01-05")]
    referred = members(INDICATORS["referrals"], ROWS_2025_2026, "numerator", Basis.COHORT, YEAR_2026)
    assert len(referred) == figure(INDICATORS["referrals"], ROWS_2025_2026, Basis.COHORT, YEAR_2026).numerator == 2
    with pytest.raises(ValueError, match="periode"):
        members(placement, ROWS_2025_2026, "numerator", Basis.EVENT, (D("2026-12-31"), D("2026-01-01")))


def test_period_bounds_are_both_included():
    referrals = INDICATORS["referrals"]
    assert figure(referrals, ROWS_2025_2026, Basis.COHORT, (D("2026-01-05"), D("2026-02-01"))).numerator == 2
    assert figure(referrals, ROWS_2025_2026, Basis.COHORT, (D("2026-01-06"), D("2026-01-31"))).numerator == 0


def test_count_and_median_figures():
    starts = figure(INDICATORS["starts"], ROWS_2025_2026, Basis.EVENT, (D("2025-01-01"), D("2026-12-31")))
    assert (starts.numerator, starts.denominator, starts.value, starts.size) == (3, None, Decimal(3), 3)
    days = figure(INDICATORS["days_to_start"], ROWS_2025_2026, Basis.COHORT, (D("2025-01-01"), D("2026-12-31")))
    # 14, 19 and 5 days from referral to start, out of 4 referrals: median 14 over 3 values
    assert (days.numerator, days.denominator, days.value, days.size) == (3, 4, Decimal(14), 3)
    to_placement = figure(INDICATORS["days_to_placement"], ROWS_2025_2026, Basis.COHORT,
                          (D("2025-01-01"), D("2026-12-31")))
    # 109 days (15-10 → 01-02) and 50 days (10-01 → 01-03): median 79.5, of 3 started
    assert (to_placement.numerator, to_placement.denominator, to_placement.value) == (2, 3, Decimal("79.5"))


def test_an_empty_period_gives_no_values_and_no_exceptions():
    empty = (D("2030-01-01"), D("2030-12-31"))
    for indicator in INDICATORS.values():
        result = figure(indicator, ROWS_2025_2026, Basis.COHORT, empty)
        assert result.numerator == 0
        if indicator.kind == Kind.COUNT:
            assert result.value == 0
        else:
            assert result.denominator == 0 and result.value is None and result.interval is None
        assert result.judgeable is (indicator.kind == Kind.COUNT)  # a count is exact, however small
    assert figure(INDICATORS["placement_rate"], [], Basis.EVENT, YEAR_2026).value is None


def test_figure_size_and_judgeable():
    rows = [row_of("2026-01-05", started_on=D("2026-01-10")) for _ in range(MIN_GROUP - 1)]
    assert not figure(INDICATORS["placement_rate"], rows, Basis.COHORT, YEAR_2026).judgeable
    rows.append(row_of("2026-01-05", started_on=D("2026-01-10"), placed_on=D("2026-02-10"), placement_kind="regular"))
    result = figure(INDICATORS["placement_rate"], rows, Basis.COHORT, YEAR_2026)
    assert (result.size, result.value, result.judgeable) == (MIN_GROUP, Decimal("0.1"), True)


# --- statistics: rate and Wilson ----------------------------------------------------------------------


def test_rate():
    assert rate(89, 274) == Decimal(89) / Decimal(274)
    assert q4(rate(89, 274)) == Decimal("0.3248")   # the Work First unit: 32.5%, against a norm of 38%
    assert rate(0, 0) is None and rate(0, 5) == 0


def test_wilson_worked_examples():
    # 0/10: centre = (0 + 3.8416/20) / 1.38416 = 0.138770; half = 1.96/1.38416 × √(3.8416/400) = 0.138770
    low, high = wilson(0, 10)
    assert low == 0 and q4(high) == Decimal("0.2775")
    # 5/10: centre 0.5; half = 1.96/1.38416 × √(0.025 + 0.009604) = 1.416021 × 0.186022 = 0.263411
    assert tuple(map(q4, wilson(5, 10))) == (Decimal("0.2366"), Decimal("0.7634"))
    # 89/274 (Work First): p = 0.324818, z²/n = 0.014020, scale 1.014020;
    # centre = (0.324818 + 0.007010) / 1.014020 = 0.327240;
    # half = 1.96/1.014020 × √(0.219309/274 + 3.8416/300304) = 1.932901 × √0.000813190 = 1.932901 × 0.028517
    #      = 0.055120 → (0.272120, 0.382360)
    assert tuple(map(q4, wilson(89, 274))) == (Decimal("0.2721"), Decimal("0.3824"))
    # 10/10 mirrors 0/10
    low, high = wilson(10, 10)
    assert q4(low) == Decimal("0.7225") and high == 1


def test_wilson_edges():
    assert wilson(0, 0) is None
    for bad in [(-1, 5), (6, 5), (1, -1)]:
        with pytest.raises(ValueError):
            wilson(*bad)
    with pytest.raises(TypeError):
        wilson(1, 2, z=1.96)
    with pytest.raises(ValueError):
        wilson(1, 2, z=Decimal(0))
    # a wider z gives a wider interval
    narrow, wide = wilson(5, 10, Decimal("1.645")), wilson(5, 10)
    assert wide[0] < narrow[0] and narrow[1] < wide[1]


@SETTINGS
@given(st.integers(1, 100_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_the_rate_and_lies_in_zero_one(kn):
    k, n = kn
    low, high = wilson(k, n)
    assert 0 <= low <= Decimal(k) / Decimal(n) <= high <= 1
    if 0 < k < n:
        assert low < Decimal(k) / Decimal(n) < high


def test_judgeable():
    assert MIN_GROUP == 10
    assert not judgeable(9) and judgeable(10) and not judgeable(0)


def test_median():
    assert median([]) is None
    assert median([7]) == 7
    assert median([30, 10, 20]) == 20
    assert median([40, 10, 30, 20]) == 25
    assert median([1, 2]) == Decimal("1.5")


# --- indirect standardisation --------------------------------------------------------------------------

GENERAL, YOUNG = ("algemeen", 1), ("jongeren", 3)
# Provider A: algemeen/1 8 of 20 placed, jongeren/3 1 of 10 → 9/30 = 30%.
# Provider B: algemeen/1 3 of 5 placed,  jongeren/3 4 of 25 → 7/30 = 23.3%.
REFERENCE = {GENERAL: (11, 25), YOUNG: (5, 35)}  # both together: 11/25 = 0.44 and 5/35 = 1/7


def test_expected_rate_and_ratio_worked_example():
    # A: (20 × 0.44 + 10 × 1/7) / 30 = (44/5 + 10/7) / 30 = (358/35) / 30 = 179/525 = 0.340952…
    expected_a = expected_rate({GENERAL: 20, YOUNG: 10}, REFERENCE)
    assert expected_a == Decimal(179) / Decimal(525)
    # B: (5 × 0.44 + 25 × 1/7) / 30 = (11/5 + 25/7) / 30 = (202/35) / 30 = 101/525 = 0.192381…
    expected_b = expected_rate({GENERAL: 5, YOUNG: 25}, REFERENCE)
    assert expected_b == Decimal(101) / Decimal(525)
    # A: 0.3 / (179/525) = 157.5/179 = 0.8799; B: (7/30) / (101/525) = 3675/3030 = 1.2129.
    # A has the higher raw rate, but B does better than its harder mix predicts.
    ratio_a, interval_a = standardised_ratio(9, 30, expected_a)
    ratio_b, _ = standardised_ratio(7, 30, expected_b)
    assert q4(ratio_a) == Decimal("0.8799") and q4(ratio_b) == Decimal("1.2129")
    # interval: Wilson 9/30 = (0.166646, 0.478761), each divided by 0.340952 → (0.4888, 1.4042)
    low, high = wilson(9, 30)
    assert interval_a == (low / expected_a, high / expected_a)
    assert (q4(interval_a[0]), q4(interval_a[1])) == (Decimal("0.4888"), Decimal("1.4042"))
    assert interval_a[0] < ratio_a < interval_a[1]


def test_a_stratum_without_reference_gets_the_overall_rate():
    overall = Decimal(16) / Decimal(60)                     # (11 + 5) / (25 + 35)
    assert expected_rate({("statushouders", 2): 4}, REFERENCE) == overall
    with_empty = {**REFERENCE, ("statushouders", 2): (0, 0)}
    assert expected_rate({("statushouders", 2): 4}, with_empty) == overall
    # 10 × 0.44 + 10 × 16/60 = 4.4 + 2.666… = 7.0666… over 20 = 0.353333…
    assert q4(expected_rate({GENERAL: 10, ("statushouders", 2): 10}, REFERENCE)) == Decimal("0.3533")


def test_expected_rate_empty_cases():
    assert expected_rate({}, REFERENCE) is None
    assert expected_rate({GENERAL: 0}, REFERENCE) is None
    assert expected_rate({GENERAL: 3}, {}) is None
    assert expected_rate({GENERAL: 3}, {GENERAL: (0, 0)}) is None
    with pytest.raises(ValueError, match="referentie"):
        expected_rate({GENERAL: 3}, {GENERAL: (5, 4)})
    with pytest.raises(ValueError, match="mix"):
        expected_rate({GENERAL: -1}, REFERENCE)


def test_standardised_ratio_empty_cases():
    assert standardised_ratio(0, 0, Decimal("0.3")) is None
    assert standardised_ratio(3, 10, None) is None
    assert standardised_ratio(3, 10, Decimal(0)) is None
    assert standardised_ratio(3, 10, Decimal("0.3"))[0] == 1
    with pytest.raises(TypeError):
        standardised_ratio(3, 10, 0.3)


STRATA = [("algemeen", 1), ("algemeen", 2), ("jongeren", 3), ("statushouders", 4)]


@SETTINGS
@given(st.lists(st.integers(0, 200).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
                min_size=len(STRATA), max_size=len(STRATA)),
       st.integers(1, 5))
def test_a_provider_with_the_overall_mix_is_expected_to_score_the_overall_rate(counts, scale):
    reference = dict(zip(STRATA, counts, strict=True))
    total_k, total_n = sum(k for k, _ in counts), sum(n for _, n in counts)
    mix = {s: n * scale for s, (_, n) in reference.items()}
    if total_n == 0:
        assert expected_rate(mix, reference) is None
    else:
        assert expected_rate(mix, reference) == rate(total_k, total_n)


# --- targets and the traffic light --------------------------------------------------------------------

T, TOL = Decimal(160), Decimal(1)


@pytest.mark.parametrize("value, light", [
    ("161", Light.REACHED), ("160", Light.REACHED), ("159", Light.REACHED),   # 159 against 160 counts as reached
    ("158.99", Light.NEARLY), ("158", Light.NEARLY),
    ("157.99", Light.NOT_REACHED), ("0", Light.NOT_REACHED),
])
def test_judge_higher_is_better(value, light):
    assert judge(Decimal(value), T, TOL, n=200) == light


@pytest.mark.parametrize("value, light", [
    ("0.05", Light.REACHED), ("0.10", Light.REACHED), ("0.12", Light.REACHED),
    ("0.1201", Light.NEARLY), ("0.14", Light.NEARLY),
    ("0.1401", Light.NOT_REACHED), ("1", Light.NOT_REACHED),
])
def test_judge_lower_is_better(value, light):
    # a drop-out target of 10% with a tolerance of 2 percentage points
    assert judge(Decimal(value), Decimal("0.10"), Decimal("0.02"), n=50, higher_is_better=False) == light


def test_judge_without_enough_to_judge():
    assert judge(None, T, TOL, n=200) == Light.NO_JUDGEMENT
    assert judge(Decimal(1), Decimal("0.4"), Decimal("0.05"), n=MIN_GROUP - 1) == Light.NO_JUDGEMENT
    assert judge(Decimal(1), Decimal("0.4"), Decimal("0.05"), n=MIN_GROUP) == Light.REACHED
    assert judge(Decimal(1), Decimal("0.4"), Decimal("0.05"), n=29, min_n=30) == Light.NO_JUDGEMENT
    assert judge(Decimal(1), Decimal("0.4"), Decimal("0.05"), n=30, min_n=30) == Light.REACHED


def test_judge_with_zero_tolerance_and_bad_input():
    assert judge(Decimal(160), T, Decimal(0), n=200) == Light.REACHED
    assert judge(Decimal("159.99"), T, Decimal(0), n=200) == Light.NOT_REACHED
    with pytest.raises(ValueError):
        judge(Decimal(160), T, Decimal(-1), n=200)
    with pytest.raises(TypeError):
        judge(159.0, T, TOL, n=200)


def test_light_labels():
    assert set(LIGHT_LABELS) == set(Light)
    assert LIGHT_LABELS[Light.REACHED] == "gehaald"


# --- months, the cohort curve and money -----------------------------------------------------------------


@pytest.mark.parametrize("a, b, months", [
    ("2026-01-15", "2026-02-15", 1), ("2026-01-15", "2026-02-14", 0), ("2026-01-15", "2026-01-15", 0),
    ("2025-01-31", "2025-02-28", 1),    # common year: 31 January + 1 month = 28 February
    ("2024-01-31", "2024-02-28", 0),    # leap year: the month is completed on 29 February ...
    ("2024-01-31", "2024-02-29", 1),    # ... and not before
    ("2026-01-31", "2026-03-30", 1), ("2026-01-31", "2026-03-31", 2),
    ("2025-03-10", "2026-03-09", 11), ("2025-03-10", "2026-03-10", 12),
])
def test_months_between(a, b, months):
    assert months_between(D(a), D(b)) == months


def test_months_between_refuses_a_reversed_order():
    with pytest.raises(ValueError):
        months_between(D("2026-02-01"), D("2026-01-31"))


@SETTINGS
@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.integers(0, 60), st.integers(0, 400))
def test_months_between_is_the_inverse_of_add_period(a, m, extra_days):
    assert months_between(a, add_period(a, months=m)) == m
    b = a + timedelta(days=extra_days)
    r = months_between(a, b)
    assert add_period(a, months=r) <= b < add_period(a, months=r + 1)


def test_months_to_placement():
    assert months_to_placement(row_of(started_on=D("2026-01-10"), placed_on=D("2026-04-09"))) == 2
    assert months_to_placement(row_of(started_on=D("2026-01-10"))) is None


def test_cumulative_placed_worked_example():
    # five started: placed in month 0, 2, 2 and 7, one not placed
    curve = cumulative_placed([0, 2, None, 2, 7], 3)
    assert curve == [(0, Decimal("0.2")), (1, Decimal("0.2")), (2, Decimal("0.6")), (3, Decimal("0.6"))]
    assert cumulative_placed([0, 2, None, 2, 7], 7)[-1] == (7, Decimal("0.8"))
    assert cumulative_placed([None, None], 0) == [(0, Decimal(0))]
    assert cumulative_placed([], 12) == []


def test_cumulative_placed_refuses_bad_input():
    with pytest.raises(ValueError):
        cumulative_placed([1, -1], 3)
    with pytest.raises(ValueError):
        cumulative_placed([1], -1)


@SETTINGS
@given(st.lists(st.one_of(st.none(), st.integers(0, 30)), max_size=60), st.integers(0, 24))
def test_cumulative_placed_rises_to_the_share_placed_within_the_horizon(months, horizon):
    curve = cumulative_placed(months, horizon)
    if not months:
        assert curve == []
        return
    assert [m for m, _ in curve] == list(range(horizon + 1))
    shares = [share for _, share in curve]
    assert all(a <= b for a, b in itertools.pairwise(shares))
    within = sum(1 for m in months if m is not None and m <= horizon)
    assert shares[-1] == rate(within, len(months))
    assert all(0 <= s <= 1 for s in shares)


def test_months_off_benefit():
    exit_day = D("2026-01-15")
    assert months_off_benefit(None, None, D("2026-12-31"), 12) == 0
    assert months_off_benefit(exit_day, None, D("2026-12-31"), 12) == 11      # as_of first: 15-01 → 31-12
    assert months_off_benefit(exit_day, None, D("2027-06-30"), 12) == 12      # the horizon first
    assert months_off_benefit(exit_day, D("2026-05-20"), D("2027-06-30"), 12) == 4   # the fall-back first
    assert months_off_benefit(exit_day, D("2026-02-14"), D("2027-06-30"), 12) == 0   # back within a month
    assert months_off_benefit(exit_day, None, D("2026-01-01"), 12) == 0       # exit after as_of
    assert months_off_benefit(exit_day, None, D("2027-06-30"), 0) == 0
    with pytest.raises(ValueError):
        months_off_benefit(exit_day, None, D("2027-06-30"), -1)


def test_euros_saved():
    assert euros_saved(7, Decimal("1234.56")) == Decimal("8641.92")
    assert euros_saved(0, Decimal("1234.56")) == Decimal("0.00")
    assert euros_saved(1, Decimal("0.005")) == Decimal("0.01")               # half up, to cents
    assert str(euros_saved(3, Decimal("1000"))) == "3000.00"
    with pytest.raises(TypeError):
        euros_saved(3, 1000.0)
    with pytest.raises(ValueError):
        euros_saved(-1, Decimal(1000))
    with pytest.raises(ValueError):
        euros_saved(3, Decimal(-1))


def test_cost_per():
    assert cost_per(Decimal("10000.00"), 3) == Decimal("3333.33")
    assert cost_per(Decimal("10000.00"), 0) is None
    with pytest.raises(TypeError):
        cost_per(10000.0, 3)


def test_date_fields_are_the_dates():
    assert set(DATE_FIELDS) == {"referral_date", *(f for f in FACT_FIELDS if f.endswith("_on"))}
    assert "placement_kind" not in DATE_FIELDS and "exit_reason" not in DATE_FIELDS


@given(st.lists(st.integers(0, 400), max_size=60))
def test_the_median_of_counts_is_the_median_of_the_values_written_out(values):
    from collections import Counter

    from contracts.indicators import median_of_counts

    assert median_of_counts(Counter(values)) == median(values)


def test_median_of_counts_by_hand():
    from contracts.indicators import median_of_counts

    assert median_of_counts({4: 1, 10: 1, 19: 1, 20: 1}) == Decimal("14.5")
    assert median_of_counts({3: 2, 7: 1}) == Decimal(3)
    assert median_of_counts({}) is None


def test_the_column_groups_name_only_indicators_of_the_catalogue_each_once():
    from contracts.indicators import COLUMN_GROUPS, INDICATORS

    named = [i for _key, _label, ids in COLUMN_GROUPS for i in ids]
    assert len(named) == len(set(named)) and set(named) <= set(INDICATORS)


def test_an_indicator_of_no_group_falls_in_the_other_group_which_is_offered_only_then():
    from contracts.indicators import OTHER_GROUP, column_group, column_groups

    assert column_group("placements") == "plaatsing" and column_group("nieuw") == OTHER_GROUP[0]
    assert [k for k, _l in column_groups(["days_to_start", "referrals"])] == ["instroom", "doorlooptijd"]
    assert [k for k, _l in column_groups(["referrals", "nieuw"])] == ["instroom", OTHER_GROUP[0]]
