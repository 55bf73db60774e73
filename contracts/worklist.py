"""The klantmanager's work list: what a traject needs next, and which of those needs are overdue.

Every action has a due date computed from the traject's replayed state and the contract's terms (or the
defaults below, which follow common municipal practice: an answer within ten days, a report per
quarter, durability judged six months after placement, trajecten of at most 24 months). An action whose
due date has come is a *signal*; the earliest action is the traject's *next action*.

The actions depend on the traject alone, never on today's date: so they can be kept per traject
(``traject_action``, app.projections) and the work list asks the database which are due, instead of
replaying every traject on every request.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from contracts.dates import add_period
from contracts.lifecycle import State
from contracts.messages import N_, Message


@dataclass(frozen=True)
class Terms:
    """How long things may take under a contract; None on the contract means these defaults."""

    acceptance_days: int = 10
    inactivity_days: int = 60
    durability_months: int = 6
    max_duration_months: int = 24
    warn_before_end_days: int = 30


class ActionKind(enum.StrEnum):
    ANSWER_REFERRAL = "answer_referral"
    APPROVE_PLAN = "approve_plan"
    CONFIRM_OUTCOME = "confirm_outcome"
    PROGRESS_REPORT = "progress_report"
    DURABILITY_CHECK = "durability_check"
    PARKED = "parked"
    MAX_DURATION = "max_duration"


ACTION_LABELS = {
    ActionKind.ANSWER_REFERRAL: N_("verwijzing niet beantwoord"),
    ActionKind.APPROVE_PLAN: N_("trajectplan wacht op goedkeuring"),
    ActionKind.CONFIRM_OUTCOME: N_("resultaat wacht op bevestiging"),
    ActionKind.PROGRESS_REPORT: N_("voortgangsrapportage ontbreekt"),
    ActionKind.DURABILITY_CHECK: N_("duurzaamheid controleren"),
    ActionKind.PARKED: N_("geen activiteit (geparkeerd)"),
    ActionKind.MAX_DURATION: N_("maximale duur nadert"),
}


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    due: date
    explanation: Message

    def overdue_days(self, today: date) -> int:
        return (today - self.due).days


def quarter_bounds(day: date) -> tuple[date, date]:
    start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return start, add_period(start, months=3) - timedelta(days=1)


def report_due(started_on: date, last_progress_on: date | None) -> date:
    """The end of the first quarter since the start without a progress report: the quarter of the start
    when there is none yet, else the quarter after the last report's."""
    owed_from = started_on
    if last_progress_on is not None:
        owed_from = max(started_on, quarter_bounds(last_progress_on)[1] + timedelta(days=1))
    return quarter_bounds(owed_from)[1]


def actions(state: State, terms: Terms, unconfirmed: Sequence[date] = ()) -> list[Action]:
    """Everything the traject still needs, earliest due first. ``unconfirmed`` are the dates of the
    provider-reported outcomes no klantmanager has confirmed yet (a fact of the app, not of the event
    sequence): confirming is due from the earliest."""
    found: list[Action] = []
    if unconfirmed:
        found.append(Action(ActionKind.CONFIRM_OUTCOME, min(unconfirmed),
                            Message(N_("%(count)s gemeld resultaat wacht op bevestiging met bewijs."),
                                    count=len(unconfirmed))))
    if state.placement is not None:
        check = add_period(state.placement.date, months=terms.durability_months)
        if state.last_still_employed_on is None or state.last_still_employed_on < check:
            found.append(Action(ActionKind.DURABILITY_CHECK, check,
                                Message(N_("Plaatsing van %(date)s: werkt de cliënt na %(months)s maanden nog?"),
                                        date=state.placement.date, months=terms.durability_months)))
    if not state.is_open:
        return sorted(found, key=lambda a: a.due)
    if state.answer is None:
        due = state.referral_date + timedelta(days=terms.acceptance_days)
        found.append(Action(ActionKind.ANSWER_REFERRAL, due,
                            Message(N_("Verwezen op %(date)s; de aanbieder antwoordt binnen %(days)s dagen."),
                                    date=state.referral_date, days=terms.acceptance_days)))
    if state.plan_submitted_on is not None and state.plan_approved_on is None:
        found.append(Action(ActionKind.APPROVE_PLAN, state.plan_submitted_on,
                            Message(N_("Trajectplan ingediend op %(date)s."), date=state.plan_submitted_on)))
    if state.started_on is not None:
        due = report_due(state.started_on, state.last_progress_on)
        found.append(Action(ActionKind.PROGRESS_REPORT, due,
                            Message(N_("Rapportage over het kwartaal tot en met %(date)s ontbreekt nog."), date=due)))
        end = add_period(state.started_on, months=terms.max_duration_months)
        found.append(Action(ActionKind.MAX_DURATION, end - timedelta(days=terms.warn_before_end_days),
                            Message(N_("Gestart op %(start)s; de maximale duur van %(months)s maanden loopt af op "
                                       "%(end)s."), start=state.started_on, months=terms.max_duration_months,
                                    end=end)))
    last = state.last_event_on or state.referral_date
    found.append(Action(ActionKind.PARKED, last + timedelta(days=terms.inactivity_days),
                        Message(N_("Laatste activiteit op %(date)s; na %(days)s dagen zonder activiteit staat een "
                                   "traject geparkeerd."), date=last, days=terms.inactivity_days)))
    return sorted(found, key=lambda a: a.due)


def signals(state: State, terms: Terms, today: date, unconfirmed: Sequence[date] = ()) -> list[Action]:
    """The actions whose due date has come."""
    return [a for a in actions(state, terms, unconfirmed) if a.due <= today]
