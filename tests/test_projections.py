"""What a traject keeps is a projection of its inputs (app.projections): it follows every input the services
change, durability included, and rebuilding every projection over the demo data changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from app import clock
from app.db import session as app_session
from app.models import Traject, TrajectAction, TrajectEvent
from app.projections import KEPT_COLUMNS, keep_events, rebuild
from contracts.engine import evaluate
from contracts.events import EventType, WorkKind
from tests.conftest import tbody
from tests.contracts.helpers import template
from tests.test_contracts import edit_data, text

E = EventType
TODAY = clock.today()
PLACED = {"employer": "Bakkerij Aastad", "hours_per_week": Decimal("32"), "work_kind": WorkKind.REGULAR,
          "contract_months": 12}


def add_traject(db, world, referral: date, events, client: int = 1) -> Traject:
    """A traject of one of the world's clients under the world's contract, with events a klantmanager recorded
    (so they count without confirmation): ``events`` are (type, date, extra)."""
    contract = world.contract
    client = world.clients[client]
    traject = Traject(client=client, contract=contract, contract_version=contract.versions[0],
                      provider=contract.provider, gemeente=client.gemeente, client_group="algemeen",
                      price=Decimal("2500.00"), referral_date=referral, referred_by=world.users["klantmanager"])
    db.add(traject)
    for kind, day, extra in events:
        traject.events.append(TrajectEvent(type=kind, event_date=day, recorded_by=world.users["klantmanager"],
                                           reason="reden" if kind == E.ENDED else "", **extra))
    db.flush()
    keep_events(traject)
    db.commit()
    return traject


def durable_list(c, traject: Traject) -> str:
    """The drill-down behind the count of durable placements over the traject's referral year."""
    year = traject.referral_date.year
    page = text(c.get(f"/rapportages/trajecten?start={year}-01-01&end={year}-12-31&indicator=durable_placements"
                      "&part=numerator"))
    return tbody(page) if "<tbody>" in page else ""


def test_editing_the_durability_term_recomputes_the_report(as_role, db, world):
    """Placed 200 days ago, confirmed still at work four months later: durable under a term of three months,
    not under the default six (the world's payment model has no term of its own). Editing the contract's term
    through its form changes the figure the report shows, in the same transaction."""
    referral = TODAY - timedelta(days=220)
    placed = referral + timedelta(days=20)
    confirmed = placed + timedelta(days=125)
    traject = add_traject(db, world, referral, [
        (E.ACCEPTED, referral + timedelta(days=2), {}), (E.STARTED, referral + timedelta(days=10), {}),
        (E.PLACEMENT, placed, PLACED), (E.STILL_EMPLOYED, confirmed, {})])
    assert traject.durable_on is None
    management = as_role("management")
    assert traject.reference not in durable_list(management, traject)

    r = as_role("inkoper").post(f"/contracten/{world.contract.id}/bewerken",
                                data=edit_data(world, durability_months="3"))
    assert r.status_code == 302, text(r)
    db.expire_all()
    assert db.get(Traject, traject.id).durable_on == confirmed
    assert traject.reference in durable_list(management, traject)

    r = as_role("inkoper").post(f"/contracten/{world.contract.id}/bewerken",
                                data=edit_data(world, durability_months="6"))
    assert r.status_code == 302, text(r)
    db.expire_all()
    assert db.get(Traject, traject.id).durable_on is None
    assert traject.reference not in durable_list(management, traject)


def test_the_kept_durability_agrees_with_what_the_engine_pays(app, db, world):
    """The history of the issue, recorded through the service as a klantmanager would: placed 1 February, the
    placement ended 1 September after its six-month window, placed again 15 September, still employed 1 October.
    The kept fact and the engine's durable tranche (the tranches template, six months) agree: not durable. With
    a confirmation on 3 August, before the end, both say durable on that day."""
    from app.trajecten.services import EventInput, engine_traject, record_event

    user = world.users["klantmanager"]

    def recorded(client: int, *events) -> Traject:
        traject = add_traject(db, world, date(2026, 1, 5), [], client)
        with app.app_context():
            mine = app_session.get(Traject, traject.id)
            for kind, day in events:
                extra = {"employer": "Bakkerij", "hours_per_week": Decimal("32"), "work_kind": WorkKind.REGULAR,
                         "contract_months": 12} if kind == E.PLACEMENT else {}
                record_event(mine, EventInput(type=kind, event_date=date.fromisoformat(day), **extra),
                             app_session.get(type(user), user.id), date(2026, 12, 1))
            durable = evaluate(template("tranches"), engine_traject(mine), date(2026, 12, 1)).milestones.get("durable")
            app_session.commit()
        db.expire_all()
        kept = db.get(Traject, traject.id)
        assert kept.durable_on == durable
        return kept

    start = [(E.ACCEPTED, "2026-01-08"), (E.STARTED, "2026-01-20"), (E.PLACEMENT, "2026-02-01")]
    issue = recorded(1, *start, (E.PLACEMENT_ENDED, "2026-09-01"), (E.PLACEMENT, "2026-09-15"),
                     (E.STILL_EMPLOYED, "2026-10-01"))
    assert issue.durable_on is None
    confirmed = recorded(2, *start, (E.STILL_EMPLOYED, "2026-08-03"), (E.PLACEMENT_ENDED, "2026-09-01"))
    assert confirmed.durable_on == date(2026, 8, 3)


def kept_state(db) -> dict[int, tuple]:
    """Every kept column of every traject, with its kept actions (the traject_action rows) last."""
    columns = [getattr(Traject, name) for kind in KEPT_COLUMNS.values() for name in kind]
    db.expire_all()
    actions: dict[int, list] = {}
    for row in db.execute(select(TrajectAction).order_by(TrajectAction.traject_id, TrajectAction.kind)).scalars():
        actions.setdefault(row.traject_id, []).append((row.kind, row.due))
    return {row[0]: (*row[1:], tuple(actions.get(row[0], ())))
            for row in db.execute(select(Traject.id, *columns).order_by(Traject.id))}


def test_rebuilding_every_projection_over_the_demo_changes_nothing(app, db):
    from app.demo import load_demo
    from app.uow import committed

    with app.app_context(), committed():
        load_demo(app_session, seed=7)
    before = kept_state(db)
    # Not a vacuous comparison: the demo has every kind of kept state to lose.
    names = [name for kind in KEPT_COLUMNS.values() for name in kind]
    values = {name: [row[i] for row in before.values()] for i, name in enumerate(names)}
    assert len(before) > 60
    assert len(set(values["status"])) > 3 and any(values["durable_on"]) and any(values["open_lot_key"])
    assert any(cost > 0 for cost in values["approved_cost"])
    assert sum(len(row[-1]) for row in before.values()) > 60  # and actions to lose
    with app.app_context():
        assert rebuild() == len(before)
    after = kept_state(db)
    assert after == before
