"""A traject's life: which events may follow which, the status that leaves, and who may record what.

The history is append-only. Every question is answered by replaying the *effective* events (those no
correction has revoked) in the canonical order of :mod:`contracts.events`, so an event typed in late,
with an earlier date, is checked against the traject as it really ran, not against the order of typing.
The same replay gives the status, so status can always be recomputed and is never edited by hand.

Decisions a contract does not make (documented in docs/trajecten.md):

* a start needs the provider's acceptance, not an approved plan: work-first products start at once;
* after the end (refusal, return, drop-out, end) only what happens to a placement or benefit is still
  recorded: fall-back onto benefit, a still-employed confirmation and the end of a placement, because
  durability is judged months after a traject has ended.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from contracts.events import Event, EventType
from contracts.messages import N_, DomainError, Message

E = EventType


class TrajectStatus(enum.StrEnum):
    REFERRED = "referred"
    ACCEPTED = "accepted"
    IN_PREPARATION = "in_preparation"
    STARTED = "started"
    PLACED = "placed"
    REFUSED = "refused"
    RETURNED = "returned"
    DROPPED_OUT = "dropped_out"
    ENDED = "ended"


STATUS_LABELS = {
    TrajectStatus.REFERRED: N_("aangemeld"),
    TrajectStatus.ACCEPTED: N_("geaccepteerd"),
    TrajectStatus.IN_PREPARATION: N_("intake en plan"),
    TrajectStatus.STARTED: N_("gestart"),
    TrajectStatus.PLACED: N_("geplaatst"),
    TrajectStatus.REFUSED: N_("geweigerd"),
    TrajectStatus.RETURNED: N_("teruggemeld"),
    TrajectStatus.DROPPED_OUT: N_("uitgevallen"),
    TrajectStatus.ENDED: N_("beëindigd"),
}

CLOSED_STATUSES = frozenset({TrajectStatus.REFUSED, TrajectStatus.RETURNED, TrajectStatus.DROPPED_OUT,
                             TrajectStatus.ENDED})
CLOSING_EVENTS = {E.REFUSED: TrajectStatus.REFUSED, E.RETURNED: TrajectStatus.RETURNED,
                  E.DROPOUT: TrajectStatus.DROPPED_OUT, E.ENDED: TrajectStatus.ENDED}
AFTER_END = frozenset({E.FALL_BACK, E.STILL_EMPLOYED, E.PLACEMENT_ENDED})

# Who records what. The gemeente (a klantmanager) may record everything; a provider reports what it sees
# happen in its traject, and the gemeente decides on plans, benefits and corrections.
GEMEENTE_ONLY = frozenset({E.PLAN_APPROVED, E.FALL_BACK, E.CORRECTION})
PROVIDER_MAY_RECORD = frozenset(set(EventType) - GEMEENTE_ONLY)
# Outcomes a provider reports count for payment only once a klantmanager has confirmed them against evidence.
NEEDS_CONFIRMATION = frozenset({E.PLACEMENT, E.BENEFIT_EXIT, E.STILL_EMPLOYED})
# Events that need a reason (a refusal, a return, an end, ...); an exit from benefit has a coded reason instead.
NEEDS_REASON = frozenset({E.REFUSED, E.DROPOUT, E.RETURNED, E.ENDED, E.CORRECTION})
PLACEMENT_DETAILS = ("employer", "hours_per_week", "work_kind")


def required_details(event_type: EventType, open_ended: bool = False) -> tuple[str, ...]:
    """The facts an event of this type must carry, named as in the app's event input; the form, the import
    and the service that stores events all ask here, so the three cannot drift apart."""
    if event_type == E.PLACEMENT:
        return PLACEMENT_DETAILS if open_ended else (*PLACEMENT_DETAILS, "contract_months")
    if event_type == E.BENEFIT_EXIT:
        return ("exit_reason",)
    if event_type in NEEDS_REASON:
        return ("reason",)
    return ()


def _day(d: date) -> str:
    return d.strftime("%d-%m-%Y")


@dataclass
class State:
    """What the replay knows after each event; the work list and the pages read it."""

    referral_date: date
    answer: EventType | None = None
    intake_on: date | None = None
    plan_submitted_on: date | None = None
    plan_approved_on: date | None = None
    started_on: date | None = None
    placement: Event | None = None
    last_placement: Event | None = None
    exited_on: date | None = None
    closed_by: Event | None = None
    last_event_on: date | None = None
    last_progress_on: date | None = None
    last_still_employed_on: date | None = None

    @property
    def status(self) -> TrajectStatus:
        if self.closed_by is not None:
            return CLOSING_EVENTS[self.closed_by.type]
        if self.placement is not None:
            return TrajectStatus.PLACED
        if self.started_on is not None:
            return TrajectStatus.STARTED
        if self.intake_on is not None or self.plan_submitted_on is not None:
            return TrajectStatus.IN_PREPARATION
        if self.answer == E.ACCEPTED:
            return TrajectStatus.ACCEPTED
        return TrajectStatus.REFERRED

    @property
    def is_open(self) -> bool:
        return self.closed_by is None


class SequenceError(DomainError):
    """An event that cannot follow the history before it; ``event`` is the one refused."""

    code = "out_of_sequence"
    message: Message

    def __init__(self, event: Event, message: Message):
        super().__init__(message)
        self.event = event


def _refusal(state: State, event: Event) -> Message | None:
    """Why ``event`` cannot come next, or None when it can."""
    t = event.type
    if event.date < state.referral_date:
        return Message(N_("De datum %(date)s ligt vóór de verwijzing (%(referral)s)."),
                       date=_day(event.date), referral=_day(state.referral_date))
    if state.closed_by is not None and t not in AFTER_END:
        return Message(N_("Het traject is beëindigd op %(date)s; daarna kunnen alleen nog terugval, "
                          "een bevestiging van werk of het einde van een plaatsing worden vastgelegd."),
                       date=_day(state.closed_by.date))
    if t in (E.ACCEPTED, E.REFUSED):
        if state.answer is not None:
            return Message(N_("De aanbieder heeft de verwijzing al geaccepteerd of geweigerd."))
        return None
    if t in (E.ENDED, E.BENEFIT_EXIT, E.FALL_BACK, E.STILL_EMPLOYED, E.PLACEMENT_ENDED):
        return _outcome_refusal(state, event)
    if state.answer != E.ACCEPTED:
        return Message(N_("De aanbieder heeft de verwijzing nog niet geaccepteerd."))
    if t == E.INTAKE and state.intake_on is not None:
        return Message(N_("De intake is al vastgelegd op %(date)s."), date=_day(state.intake_on))
    if t == E.PLAN_SUBMITTED and state.plan_approved_on is not None:
        return Message(N_("Het trajectplan is al goedgekeurd op %(date)s."), date=_day(state.plan_approved_on))
    if t == E.PLAN_APPROVED:
        if state.plan_submitted_on is None:
            return Message(N_("Er is nog geen trajectplan ingediend om goed te keuren."))
        if state.plan_approved_on is not None:
            return Message(N_("Het trajectplan is al goedgekeurd op %(date)s."), date=_day(state.plan_approved_on))
    if t == E.STARTED and state.started_on is not None:
        return Message(N_("Het traject is al gestart op %(date)s."), date=_day(state.started_on))
    if t in (E.PROGRESS_REPORT, E.PLACEMENT) and state.started_on is None:
        return Message(N_("Het traject is nog niet gestart; een voortgangsrapportage of plaatsing kan pas na "
                          "de start."))
    if t == E.PLACEMENT and state.placement is not None:
        return Message(N_("Er loopt al een plaatsing sinds %(date)s; leg eerst het einde daarvan vast."),
                       date=_day(state.placement.date))
    return None


def _outcome_refusal(state: State, event: Event) -> Message | None:
    t = event.type
    if t in (E.STILL_EMPLOYED, E.PLACEMENT_ENDED) and state.placement is None:
        return Message(N_("Er is geen lopende plaatsing; een bevestiging van werk of het einde van een "
                          "plaatsing heeft een plaatsing nodig."))
    if t == E.BENEFIT_EXIT and state.exited_on is not None:
        return Message(N_("De uitstroom uit de uitkering is al vastgelegd op %(date)s."), date=_day(state.exited_on))
    if t == E.FALL_BACK and state.exited_on is None and state.last_placement is None:
        return Message(N_("Terugval kan alleen na een plaatsing of na uitstroom uit de uitkering."))
    return None


def _apply(state: State, event: Event) -> None:
    t = event.type
    state.last_event_on = max(state.last_event_on or event.date, event.date)
    if t in (E.ACCEPTED, E.REFUSED):
        state.answer = t
    if t == E.INTAKE:
        state.intake_on = event.date
    elif t == E.PLAN_SUBMITTED:
        state.plan_submitted_on = event.date
    elif t == E.PLAN_APPROVED:
        state.plan_approved_on = event.date
    elif t == E.STARTED:
        state.started_on = event.date
    elif t == E.PROGRESS_REPORT:
        state.last_progress_on = event.date
    elif t == E.PLACEMENT:
        state.placement = state.last_placement = event
    elif t == E.STILL_EMPLOYED:
        state.last_still_employed_on = event.date
    elif t == E.PLACEMENT_ENDED:
        state.placement = None
    elif t == E.BENEFIT_EXIT:
        state.exited_on = event.date
    elif t == E.FALL_BACK:
        # Back on benefit: what came before is spent, so a next fall-back needs a new placement or exit.
        state.exited_on = None
        state.placement = state.last_placement = None
    if t in CLOSING_EVENTS and state.closed_by is None:
        state.closed_by = event


def effective(events: Iterable[Event]) -> list[Event]:
    """The events that still stand, in canonical order: corrections and what they revoked left out."""
    events = list(events)
    revoked = {e.revokes for e in events if e.type == E.CORRECTION}
    return sorted((e for e in events if e.type != E.CORRECTION and e.id not in revoked), key=lambda e: e.sort_key)


def replay(referral_date: date, events: Iterable[Event]) -> State:
    """The state after the effective events; raises :class:`SequenceError` at the first that cannot be."""
    state = State(referral_date=referral_date)
    for event in effective(events):
        problem = _refusal(state, event)
        if problem is not None:
            raise SequenceError(event, problem)
        _apply(state, event)
    return state


NO_BENEFIT = N_("De cliënt heeft geen uitkering, dus ook geen uitstroom uit de uitkering. Leg werk vast als "
                "plaatsing; is de uitkering niet goed geregistreerd, pas dan eerst de cliënt aan.")


def check_new(referral_date: date, history: Iterable[Event], new: Event, today: date, *,
              on_benefit: bool = True) -> Message | None:
    """Why ``new`` cannot be added to ``history`` (or None): in the future, out of sequence, a bad correction,
    or an exit from a benefit the client does not have (``on_benefit`` is whether the client has one now).

    The benefit is checked for new events only: a client's benefit changes, and the history stays as it ran.
    """
    history = list(history)
    if new.date > today:
        return Message(N_("De datum %(date)s ligt in de toekomst."), date=_day(new.date))
    if new.type == E.BENEFIT_EXIT and not on_benefit:
        return Message(NO_BENEFIT)
    if new.type == E.CORRECTION:
        standing = {e.id: e for e in effective(history)}
        if new.revokes not in standing:
            return Message(N_("Die gebeurtenis bestaat niet in dit traject of is al gecorrigeerd."))
        if new.date < standing[new.revokes].date:
            return Message(N_("Een correctie kan niet eerder gedateerd zijn dan wat zij corrigeert."))
    try:
        replay(referral_date, [*history, new])
    except SequenceError as error:
        if new.type == E.CORRECTION:
            return Message(N_("Zonder die gebeurtenis klopt de rest van het traject niet meer: %(problem)s "
                              "Corrigeer eerst de latere gebeurtenis."), problem=error.message)
        if error.event.id != new.id:
            return Message(N_("Met deze gebeurtenis klopt een latere niet meer: %(problem)s"),
                           problem=error.message)
        return error.message
    return None


def may_record(event_type: EventType, by_provider: bool) -> bool:
    return not by_provider or event_type in PROVIDER_MAY_RECORD
