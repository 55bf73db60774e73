"""Tests of :mod:`contracts.worklist`: due dates worked out by hand from a replayed traject and the terms."""

from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.dates import add_period
from contracts.events import Event, EventType, WorkKind
from contracts.lifecycle import State, replay
from contracts.messages import Message
from contracts.worklist import (
    ACTION_LABELS,
    Action,
    ActionKind,
    Terms,
    actions,
    quarter_bounds,
    report_due,
    signals,
)

E = EventType
K = ActionKind
D = date.fromisoformat
TERMS = Terms()

SETTINGS = settings(max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "200")), deadline=None)


def ev(eid: str, kind: EventType, day: str) -> Event:
    if kind == E.PLACEMENT:
        return Event(id=eid, type=kind, date=D(day), kind=WorkKind.REGULAR, hours_per_week=Decimal("32"),
                     contract_months=12)
    return Event(id=eid, type=kind, date=D(day))


def state(referral: str, *items: tuple[EventType, str]) -> State:
    """The replayed state of a traject referred on ``referral`` with events (type, date)."""
    return replay(D(referral), [ev(f"e{i}", kind, day) for i, (kind, day) in enumerate(items)])


def kinds(found: list[Action]) -> list[ActionKind]:
    return [a.kind for a in found]


def one(found: list[Action], kind: ActionKind) -> Action:
    matching = [a for a in found if a.kind == kind]
    assert len(matching) == 1, kinds(found)
    return matching[0]


# --- terms and quarters -------------------------------------------------------------------------------


def test_default_terms():
    assert (TERMS.acceptance_days, TERMS.inactivity_days, TERMS.durability_months, TERMS.max_duration_months,
            TERMS.warn_before_end_days) == (10, 60, 6, 24, 30)


def test_every_action_kind_has_a_label():
    assert set(ACTION_LABELS) == set(ActionKind)


@pytest.mark.parametrize(("day", "start", "end"), [
    ("2026-01-01", "2026-01-01", "2026-03-31"),
    ("2026-01-15", "2026-01-01", "2026-03-31"),
    ("2026-03-31", "2026-01-01", "2026-03-31"),
    ("2026-04-01", "2026-04-01", "2026-06-30"),
    ("2026-05-20", "2026-04-01", "2026-06-30"),
    ("2026-09-30", "2026-07-01", "2026-09-30"),
    ("2026-12-01", "2026-10-01", "2026-12-31"),
    ("2026-12-31", "2026-10-01", "2026-12-31"),
    ("2024-02-29", "2024-01-01", "2024-03-31"),
    ("2024-03-31", "2024-01-01", "2024-03-31"),
    ("2000-02-29", "2000-01-01", "2000-03-31"),
])
def test_quarter_bounds(day, start, end):
    assert quarter_bounds(D(day)) == (D(start), D(end))


@SETTINGS
@given(st.dates(min_value=date(1901, 1, 1), max_value=date(9998, 12, 31)))
def test_quarter_bounds_hold_the_day_and_cover_three_whole_months(day):
    start, end = quarter_bounds(day)
    assert start <= day <= end
    assert start.day == 1 and start.month in (1, 4, 7, 10) and start.year == day.year
    after = end + timedelta(days=1)
    assert after.day == 1 and after.month == (start.month + 2) % 12 + 1
    assert 90 <= (end - start).days + 1 <= 92


@pytest.mark.parametrize(("start", "months", "expected"), [
    ("2026-01-31", 6, "2026-07-31"),
    ("2025-08-31", 6, "2026-02-28"),
    ("2023-08-31", 6, "2024-02-29"),
    ("2026-01-31", 1, "2026-02-28"),
    ("2024-12-15", 24, "2026-12-15"),
])
def test_calendar_month_arithmetic(start, months, expected):
    assert add_period(D(start), months=months) == D(expected)


# --- answer the referral ------------------------------------------------------------------------------


def test_answer_referral_is_due_acceptance_days_after_referral():
    s = state("2026-03-02")
    action = one(actions(s, TERMS), K.ANSWER_REFERRAL)
    assert action.due == D("2026-03-12")
    assert "02-03-2026" in action.explanation
    assert action.explanation.params == {"date": D("2026-03-02"), "days": 10}


def test_answer_referral_signal_appears_on_its_due_day_not_before():
    s = state("2026-03-02")
    assert K.ANSWER_REFERRAL not in kinds(signals(s, TERMS, D("2026-03-11")))
    assert K.ANSWER_REFERRAL in kinds(signals(s, TERMS, D("2026-03-12")))
    assert K.ANSWER_REFERRAL in kinds(signals(s, TERMS, D("2026-03-20")))


def test_nothing_else_is_due_the_day_before_the_answer():
    assert signals(state("2026-03-02"), TERMS, D("2026-03-11")) == []


def test_answer_referral_gone_once_accepted():
    s = state("2026-03-02", (E.ACCEPTED, "2026-03-05"))
    assert K.ANSWER_REFERRAL not in kinds(actions(s, TERMS))


def test_refused_referral_has_no_actions_at_all():
    s = state("2026-03-02", (E.REFUSED, "2026-03-05"))
    assert actions(s, TERMS) == []
    assert actions(s, TERMS) == []


def test_custom_acceptance_days_move_the_answer():
    s = state("2026-03-02")
    terms = Terms(acceptance_days=5)
    assert one(actions(s, terms), K.ANSWER_REFERRAL).due == D("2026-03-07")
    assert K.ANSWER_REFERRAL in kinds(signals(s, terms, D("2026-03-07")))
    assert K.ANSWER_REFERRAL not in kinds(signals(s, terms, D("2026-03-06")))


# --- plan and outcomes --------------------------------------------------------------------------------


def test_approve_plan_when_submitted_and_not_approved():
    s = state("2026-03-02", (E.ACCEPTED, "2026-03-05"), (E.PLAN_SUBMITTED, "2026-03-10"))
    action = one(actions(s, TERMS), K.APPROVE_PLAN)
    assert action.due == D("2026-03-10")
    assert "10-03-2026" in action.explanation
    assert K.APPROVE_PLAN in kinds(signals(s, TERMS, D("2026-03-10")))


def test_approve_plan_gone_once_approved():
    s = state("2026-03-02", (E.ACCEPTED, "2026-03-05"), (E.PLAN_SUBMITTED, "2026-03-10"),
              (E.PLAN_APPROVED, "2026-03-12"))
    assert K.APPROVE_PLAN not in kinds(actions(s, TERMS))


def test_no_approve_plan_without_a_plan():
    s = state("2026-03-02", (E.ACCEPTED, "2026-03-05"), (E.INTAKE, "2026-03-08"))
    assert K.APPROVE_PLAN not in kinds(actions(s, TERMS))


def test_confirm_outcome_when_something_is_unconfirmed():
    s = state("2026-03-02", (E.ACCEPTED, "2026-03-05"))
    reported = (D("2026-03-25"), D("2026-03-20"))
    action = one(actions(s, TERMS, unconfirmed=reported), K.CONFIRM_OUTCOME)
    assert action.due == D("2026-03-20")  # from the earliest outcome reported
    assert action.explanation.params == {"count": 2}
    assert "2 gemeld resultaat" in action.explanation
    assert K.CONFIRM_OUTCOME in kinds(signals(s, TERMS, D("2026-03-20"), unconfirmed=reported))
    assert K.CONFIRM_OUTCOME not in kinds(signals(s, TERMS, D("2026-03-19"), unconfirmed=reported))


def test_no_confirm_outcome_when_nothing_is_unconfirmed():
    s = state("2026-03-02", (E.ACCEPTED, "2026-03-05"))
    assert K.CONFIRM_OUTCOME not in kinds(actions(s, TERMS))


# --- progress reports ---------------------------------------------------------------------------------

STARTED = ((E.ACCEPTED, "2026-06-03"), (E.STARTED, "2026-07-01"))


def test_progress_report_due_at_the_end_of_the_start_quarter_when_there_is_none():
    s = state("2026-06-01", *STARTED)  # started 1 July: the third quarter
    action = one(actions(s, TERMS), K.PROGRESS_REPORT)
    assert action.due == D("2026-09-30")
    assert "30-09-2026" in action.explanation
    assert K.PROGRESS_REPORT not in kinds(signals(s, TERMS, D("2026-09-29")))
    assert K.PROGRESS_REPORT in kinds(signals(s, TERMS, D("2026-09-30")))
    # Still missing a quarter on: the missed quarter stays due, it is not forgiven.
    assert one(signals(s, TERMS, D("2027-01-15")), K.PROGRESS_REPORT).due == D("2026-09-30")


def test_a_report_makes_the_next_quarter_due():
    s = state("2026-06-01", *STARTED, (E.PROGRESS_REPORT, "2026-08-05"))
    assert one(actions(s, TERMS), K.PROGRESS_REPORT).due == D("2026-12-31")
    assert K.PROGRESS_REPORT not in kinds(signals(s, TERMS, D("2026-11-23")))


@pytest.mark.parametrize(("report", "due"), [("2026-09-30", "2026-12-31"), ("2026-10-01", "2027-03-31"),
                                             ("2026-10-05", "2027-03-31"), ("2026-12-31", "2027-03-31")])
def test_a_report_counts_for_the_quarter_it_falls_in(report, due):
    s = state("2026-06-01", *STARTED, (E.PROGRESS_REPORT, "2026-08-05"), (E.PROGRESS_REPORT, report))
    assert one(actions(s, TERMS), K.PROGRESS_REPORT).due == D(due)


@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.one_of(st.none(), st.integers(0, 2000)))
def test_report_due_is_a_quarter_end_after_the_start_and_after_the_last_reports_quarter(start, offset):
    last = None if offset is None else start + timedelta(days=offset)
    due = report_due(start, last)
    assert due == quarter_bounds(due)[1] and due >= start
    if last is not None:
        assert due > quarter_bounds(last)[1]
        assert due <= quarter_bounds(quarter_bounds(last)[1] + timedelta(days=1))[1]
    else:
        assert due == quarter_bounds(start)[1]


def test_no_progress_report_before_start():
    s = state("2026-06-01", (E.ACCEPTED, "2026-06-03"))
    assert K.PROGRESS_REPORT not in kinds(actions(s, TERMS))
    assert K.MAX_DURATION not in kinds(actions(s, TERMS))


# --- durability ---------------------------------------------------------------------------------------

PLACED = ((E.ACCEPTED, "2025-12-03"), (E.STARTED, "2026-01-05"), (E.PLACEMENT, "2026-01-31"))


def test_durability_check_due_calendar_months_after_placement():
    s = state("2025-12-01", *PLACED)
    action = one(actions(s, TERMS), K.DURABILITY_CHECK)
    assert action.due == D("2026-07-31")
    assert action.explanation.params == {"date": D("2026-01-31"), "months": 6}


def test_durability_check_from_month_end_lands_on_end_of_february():
    s = state("2025-06-02", (E.ACCEPTED, "2025-06-03"), (E.STARTED, "2025-07-01"), (E.PLACEMENT, "2025-08-31"))
    assert one(actions(s, TERMS), K.DURABILITY_CHECK).due == D("2026-02-28")


def test_durability_check_signal_on_its_due_day_not_before():
    s = state("2025-12-01", *PLACED)
    assert K.DURABILITY_CHECK not in kinds(signals(s, TERMS, D("2026-07-30")))
    assert K.DURABILITY_CHECK in kinds(signals(s, TERMS, D("2026-07-31")))


def test_still_employed_before_the_check_date_does_not_remove_it():
    s = state("2025-12-01", *PLACED, (E.STILL_EMPLOYED, "2026-07-30"))
    assert K.DURABILITY_CHECK in kinds(actions(s, TERMS))


@pytest.mark.parametrize("confirmed", ["2026-07-31", "2026-08-15"])
def test_still_employed_on_or_after_the_check_date_removes_it(confirmed):
    s = state("2025-12-01", *PLACED, (E.STILL_EMPLOYED, confirmed))
    assert K.DURABILITY_CHECK not in kinds(actions(s, TERMS))


def test_durability_check_persists_after_the_end_while_placement_runs():
    s = state("2025-12-01", *PLACED, (E.ENDED, "2026-03-01"))
    found = actions(s, TERMS)
    assert kinds(found) == [K.DURABILITY_CHECK]
    assert found[0].due == D("2026-07-31")


def test_durability_check_gone_when_placement_ended():
    s = state("2025-12-01", *PLACED, (E.PLACEMENT_ENDED, "2026-03-01"))
    assert K.DURABILITY_CHECK not in kinds(actions(s, TERMS))


def test_durability_check_follows_the_new_placement():
    s = state("2025-12-01", *PLACED, (E.STILL_EMPLOYED, "2026-03-01"), (E.PLACEMENT_ENDED, "2026-03-15"),
              (E.PLACEMENT, "2026-04-10"))
    assert one(actions(s, TERMS), K.DURABILITY_CHECK).due == D("2026-10-10")


def test_custom_durability_months():
    s = state("2025-12-01", *PLACED)
    assert one(actions(s, Terms(durability_months=3)), K.DURABILITY_CHECK).due == D("2026-04-30")


# --- parked -------------------------------------------------------------------------------------------


def test_parked_due_inactivity_days_after_last_event():
    s = state("2026-03-02", (E.ACCEPTED, "2026-03-05"), (E.INTAKE, "2026-03-10"))
    action = one(actions(s, TERMS), K.PARKED)
    assert action.due == D("2026-05-09")
    assert "10-03-2026" in action.explanation


def test_parked_from_the_referral_when_nothing_happened():
    s = state("2026-03-02")
    assert one(actions(s, TERMS), K.PARKED).due == D("2026-05-01")


def test_parked_counts_from_the_latest_date_not_the_latest_typed():
    s = replay(D("2026-03-02"), [ev("b", E.INTAKE, "2026-03-10"), ev("a", E.ACCEPTED, "2026-03-05")])
    assert one(actions(s, TERMS), K.PARKED).due == D("2026-05-09")


def test_custom_inactivity_days():
    s = state("2026-03-02", (E.ACCEPTED, "2026-03-05"), (E.INTAKE, "2026-03-10"))
    assert one(actions(s, Terms(inactivity_days=30)), K.PARKED).due == D("2026-04-09")


def test_parked_signal_from_its_due_day():
    s = state("2026-03-02", (E.ACCEPTED, "2026-03-05"), (E.INTAKE, "2026-03-10"))
    assert K.PARKED not in kinds(signals(s, TERMS, D("2026-05-08")))
    assert K.PARKED in kinds(signals(s, TERMS, D("2026-05-09")))


# --- maximum duration ---------------------------------------------------------------------------------


def test_max_duration_warns_thirty_days_before_the_end():
    s = state("2024-12-01", (E.ACCEPTED, "2024-12-02"), (E.STARTED, "2024-12-15"))
    action = one(actions(s, TERMS), K.MAX_DURATION)
    assert action.due == D("2026-11-15")
    assert action.explanation.params == {"start": D("2024-12-15"), "months": 24, "end": D("2026-12-15")}


def test_max_duration_signal_from_its_due_day():
    s = state("2024-12-01", (E.ACCEPTED, "2024-12-02"), (E.STARTED, "2024-12-15"),
              (E.PROGRESS_REPORT, "2026-10-01"))
    assert K.MAX_DURATION not in kinds(signals(s, TERMS, D("2026-11-14")))
    assert K.MAX_DURATION in kinds(signals(s, TERMS, D("2026-11-15")))


def test_custom_max_duration_and_warning():
    s = state("2024-12-01", (E.ACCEPTED, "2024-12-02"), (E.STARTED, "2024-12-15"))
    terms = Terms(max_duration_months=12, warn_before_end_days=10)
    assert one(actions(s, terms), K.MAX_DURATION).due == D("2025-12-05")


# --- closed trajecten, ordering, signals --------------------------------------------------------------


@pytest.mark.parametrize("closing", [E.ENDED, E.DROPOUT, E.RETURNED])
def test_closed_traject_without_placement_has_no_actions(closing):
    s = state("2026-03-02", (E.ACCEPTED, "2026-03-05"), (E.PLAN_SUBMITTED, "2026-03-10"),
              (E.STARTED, "2026-03-15"), (closing, "2026-04-01"))
    assert actions(s, TERMS) == []


@pytest.mark.parametrize("closing", [E.ENDED, E.DROPOUT, E.RETURNED])
def test_closed_traject_with_placement_has_only_the_durability_check(closing):
    s = state("2025-12-01", *PLACED, (closing, "2026-03-01"))
    assert kinds(actions(s, TERMS)) == [K.DURABILITY_CHECK]


def test_closed_traject_still_asks_to_confirm_reported_outcomes():
    # A still-employed confirmation may be reported after the end; it still needs confirming.
    s = state("2025-12-01", *PLACED, (E.ENDED, "2026-03-01"))
    assert sorted(kinds(actions(s, TERMS, unconfirmed=(D("2026-02-01"),)))) == sorted(
        [K.CONFIRM_OUTCOME, K.DURABILITY_CHECK])


def test_actions_are_sorted_by_due_date():
    s = state("2025-12-01", *PLACED, (E.PLAN_SUBMITTED, "2025-12-20"))
    found = actions(s, TERMS, unconfirmed=(D("2026-02-01"),))
    assert kinds(found) == [K.APPROVE_PLAN, K.CONFIRM_OUTCOME, K.PROGRESS_REPORT, K.PARKED, K.DURABILITY_CHECK,
                            K.MAX_DURATION]
    assert [a.due for a in found] == sorted(a.due for a in found)


def test_worked_due_dates_of_a_placed_traject():
    s = state("2025-12-01", *PLACED, (E.PLAN_SUBMITTED, "2025-12-20"))
    found = {a.kind: a.due for a in actions(s, TERMS, unconfirmed=(D("2026-02-01"),))}
    assert found == {
        K.APPROVE_PLAN: D("2025-12-20"),
        K.CONFIRM_OUTCOME: D("2026-02-01"),  # the day the outcome awaiting confirmation was reported
        K.PROGRESS_REPORT: D("2026-03-31"),
        K.PARKED: D("2026-04-01"),  # 31 January + 60 days
        K.DURABILITY_CHECK: D("2026-07-31"),
        K.MAX_DURATION: D("2027-12-06"),  # 5 January 2028 - 30 days
    }


def test_signals_are_the_actions_due_by_today():
    s = state("2025-12-01", *PLACED, (E.PLAN_SUBMITTED, "2025-12-20"))
    today = D("2026-04-01")
    # The first quarter passed without a report; confirming is due since February, parking from today.
    assert kinds(signals(s, TERMS, today, unconfirmed=(D("2026-02-01"),))) == [
        K.APPROVE_PLAN, K.CONFIRM_OUTCOME, K.PROGRESS_REPORT, K.PARKED]
    assert kinds(signals(s, TERMS, D("2026-03-31"))) == [K.APPROVE_PLAN, K.PROGRESS_REPORT]


def test_overdue_days():
    action = Action(K.PARKED, D("2026-05-09"), Message("x"))
    assert action.overdue_days(D("2026-05-09")) == 0
    assert action.overdue_days(D("2026-05-19")) == 10
    assert action.overdue_days(D("2026-05-01")) == -8


HISTORIES = [
    (),
    ((E.ACCEPTED, "2026-01-08"),),
    ((E.ACCEPTED, "2026-01-08"), (E.PLAN_SUBMITTED, "2026-01-20")),
    ((E.ACCEPTED, "2026-01-08"), (E.STARTED, "2026-02-01"), (E.PROGRESS_REPORT, "2026-04-10")),
    ((E.ACCEPTED, "2026-01-08"), (E.STARTED, "2026-02-01"), (E.PLACEMENT, "2026-03-01")),
    ((E.ACCEPTED, "2026-01-08"), (E.STARTED, "2026-02-01"), (E.PLACEMENT, "2026-03-01"),
     (E.ENDED, "2026-04-01")),
    ((E.REFUSED, "2026-01-08"),),
]


@SETTINGS
@given(st.sampled_from(HISTORIES), st.integers(0, 1200), st.integers(0, 3),
       st.builds(Terms, st.integers(0, 30), st.integers(1, 120), st.integers(0, 12), st.integers(1, 36),
                 st.integers(0, 60)))
def test_signals_are_exactly_the_due_actions_in_due_order(history, offset, unconfirmed, terms):
    s = state("2026-01-05", *history)
    today = D("2026-04-15") + timedelta(days=offset)
    reported = tuple(D("2026-02-01") + timedelta(days=7 * n) for n in range(unconfirmed))
    found = actions(s, terms, reported)
    assert [a.due for a in found] == sorted(a.due for a in found)
    assert signals(s, terms, today, reported) == [a for a in found if a.due <= today]
    assert len({a.kind for a in found}) == len(found)
    assert all(isinstance(a.explanation, Message) and a.explanation.template for a in found)
    assert (K.CONFIRM_OUTCOME in kinds(found)) == (unconfirmed > 0)
    if not s.is_open:
        assert set(kinds(found)) <= {K.CONFIRM_OUTCOME, K.DURABILITY_CHECK}
