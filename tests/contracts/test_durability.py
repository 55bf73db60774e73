"""Durability is one rule: what the engine pays as a lasting placement is what the report counts as durable.

The worked history of the issue first (a placement that ended after its six-month window, a new placement and
a confirmation of that new one), then the same-day cases, then a property over every history the lifecycle
accepts: the engine's milestone date and the indicator fact are the same date, or both absent.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from contracts.durability import durable_on
from contracts.engine import evaluate
from contracts.events import Event, EventType, Traject, WorkKind
from contracts.indicators import facts_of
from contracts.lifecycle import SequenceError, replay
from contracts.model import PaymentModel

E = EventType
D = date.fromisoformat
SETTINGS = settings(max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "200")), deadline=None)
REFERRAL = D("2026-01-05")
FAR_AHEAD = D("2030-01-01")


def model(months: int) -> PaymentModel:
    """Tranches: € 500 at placement, € 1.000 once the placement has lasted ``months`` months."""
    return PaymentModel.from_dict({
        "schema_version": 1, "name": "Schijven",
        "milestones": {"placed": {"event": "placement", "description": "plaatsing"},
                       "durable": {"event": "placement", "lasting_months": months, "description": "duurzaam"}},
        "rules": [{"id": "schijven", "type": "tranches", "label": "schijven", "tranches": [
            {"id": "plaatsing", "milestone": "placed", "amount": {"amount": "500.00"}},
            {"id": "duurzaam", "milestone": "durable", "amount": {"amount": "1000.00"}}]}],
    })


def ev(n: int, event_type: EventType, day: str) -> Event:
    if event_type == E.PLACEMENT:
        return Event(f"e{n}", event_type, D(day), kind=WorkKind.REGULAR, hours_per_week=36, contract_months=12)
    return Event(f"e{n}", event_type, D(day))


def both(events: list[Event], months: int = 6) -> tuple[date | None, date | None, list[str]]:
    """(engine's durable date, report's durable date, the keys the engine pays) for one history."""
    result = evaluate(model(months), Traject("t1", REFERRAL, tuple(events)), FAR_AHEAD)
    return (result.milestones.get("durable"), facts_of(events, months).durable_on,
            [x.key for x in result.entitlements])


def durable_tranche(events: list[Event], months: int) -> Decimal:
    """What the engine pays, net of corrections, for the durable tranche."""
    result = evaluate(model(months), Traject("t1", REFERRAL, tuple(events)), FAR_AHEAD)
    return sum((x.amount for x in result.entitlements if x.key.startswith("schijven/duurzaam")), Decimal(0))


START = [ev(1, E.ACCEPTED, "2026-01-10"), ev(2, E.STARTED, "2026-01-20")]


def test_a_confirmation_of_the_next_placement_does_not_make_the_first_durable():
    """1 February placed, window ends 1 August, placement ended 1 September, new placement 15 September,
    still employed 1 October. The lifecycle accepts it; the 1 October confirmation is the second job's,
    which has lasted two weeks: neither placement is durable, and the durable tranche is not paid."""
    events = [*START, ev(3, E.PLACEMENT, "2026-02-01"), ev(4, E.PLACEMENT_ENDED, "2026-09-01"),
              ev(5, E.PLACEMENT, "2026-09-15"), ev(6, E.STILL_EMPLOYED, "2026-10-01")]
    replay(REFERRAL, events)  # accepted
    engine, report, paid = both(events)
    assert (engine, report) == (None, None)
    assert paid == ["schijven/plaatsing"]


def test_a_confirmation_before_the_end_makes_the_first_durable_in_both():
    events = [*START, ev(3, E.PLACEMENT, "2026-02-01"), ev(4, E.STILL_EMPLOYED, "2026-08-03"),
              ev(5, E.PLACEMENT_ENDED, "2026-09-01"), ev(6, E.PLACEMENT, "2026-09-15"),
              ev(7, E.STILL_EMPLOYED, "2026-10-01")]
    engine, report, paid = both(events)
    assert engine == report == D("2026-08-03")
    assert paid == ["schijven/plaatsing", "schijven/duurzaam"]


def test_an_end_on_the_day_of_the_confirmation_comes_first():
    """The canonical order puts the end of a placement before a confirmation of the same day: the
    confirmation then has no running placement to confirm, so it cannot make that placement durable."""
    events = [*START, ev(3, E.PLACEMENT, "2026-02-01"), ev(4, E.PLACEMENT_ENDED, "2026-08-01"),
              ev(5, E.PLACEMENT, "2026-08-01"), ev(6, E.STILL_EMPLOYED, "2026-08-01")]
    engine, report, _ = both(events)
    assert (engine, report) == (None, None)


def test_a_drop_out_on_the_day_of_the_confirmation_comes_after_it():
    events = [*START, ev(3, E.PLACEMENT, "2026-02-01"), ev(4, E.STILL_EMPLOYED, "2026-08-01"),
              ev(5, E.DROPOUT, "2026-08-01")]
    engine, report, _ = both(events)
    assert engine == report == D("2026-08-01")


def test_durable_on_is_the_earliest_over_all_placements():
    events = [*START, ev(3, E.PLACEMENT, "2026-02-01"), ev(4, E.PLACEMENT_ENDED, "2026-03-01"),
              ev(5, E.PLACEMENT, "2026-03-15"), ev(6, E.STILL_EMPLOYED, "2026-09-15"),
              ev(7, E.STILL_EMPLOYED, "2026-10-01")]
    assert durable_on(events, 6) == D("2026-09-15")
    assert durable_on(events, 7) is None


# --- every accepted history ------------------------------------------------------------------------

AFTER_PLACEMENT = [E.STILL_EMPLOYED, E.STILL_EMPLOYED, E.STILL_EMPLOYED, E.PLACEMENT_ENDED, E.FALL_BACK,
                   E.DROPOUT, E.BENEFIT_EXIT, E.PROGRESS_REPORT, E.PLACEMENT, E.ENDED, E.RETURNED]


@st.composite
def accepted_histories(draw) -> list[Event]:
    """A started traject followed by a random walk of placements, confirmations, ends and breaks, each step
    a few days to a few months after the last (several on one day too), kept only when the lifecycle accepts it."""
    events = list(START)
    day = D("2026-01-20")
    events.append(Event("p0", E.PLACEMENT, day + timedelta(days=draw(st.integers(0, 60))),
                        kind=WorkKind.REGULAR, hours_per_week=36, contract_months=12))
    day = events[-1].date
    for n in range(draw(st.integers(0, 10))):
        day += timedelta(days=draw(st.sampled_from([0, 0, 1, 14, 30, 31, 60, 91, 150, 181, 182, 184])))
        kind = draw(st.sampled_from(AFTER_PLACEMENT))
        if kind == E.PLACEMENT:
            events.append(Event(f"p{n + 1}", kind, day, kind=WorkKind.REGULAR, hours_per_week=36, contract_months=12))
        elif kind == E.BENEFIT_EXIT:
            events.append(Event(f"x{n}", kind, day, reason="work"))
        else:
            events.append(Event(f"x{n}", kind, day, reason="reden"))
    if draw(st.booleans()):
        revoked = draw(st.sampled_from([e for e in events if e.type != E.ACCEPTED]))
        events.append(Event("c", E.CORRECTION, revoked.date + timedelta(days=draw(st.integers(0, 200))),
                            revokes=revoked.id, reason="vergissing"))
    try:
        replay(REFERRAL, events)
    except SequenceError:
        assume(False)
    return events


@SETTINGS
@given(accepted_histories(), st.sampled_from([1, 3, 6, 12]))
def test_engine_durable_is_report_durable_for_every_accepted_history(events, months):
    engine, report, _ = both(events, months)
    assert engine == report
    assert durable_tranche(events, months) == (Decimal("1000.00") if report is not None else Decimal(0))


def test_the_durability_term_is_the_contracts_else_the_shortest_window_the_model_pays_on_else_the_default():
    from contracts.durability import term_months

    model = {"milestones": {"placed": {"event": "placement"},
                            "lasting": {"event": "placement", "lasting_months": 6},
                            "long": {"event": "placement", "lasting_months": 12}}}
    assert term_months(3, model, 6) == 3
    assert term_months(0, model, 6) == 0  # a term of nought months is a term, not "none given"
    assert term_months(None, model, 9) == 6
    assert term_months(None, {"milestones": {"placed": {"event": "placement"}}}, 9) == 9
    assert term_months(None, {}, 9) == 9
