"""Two referrals at the same moment never pass a contract's volume ceiling.

This test needs committed data and real concurrent connections, so it builds its own database instead
of using the rolled-back test transaction. Eight klantmanager requests refer eight different clients to a
contract with room for three, all released at once by a barrier. On PostgreSQL the contract row lock
makes them queue; on SQLite each write transaction begins IMMEDIATE and they queue on the write lock. Either
way exactly three succeed and the others are refused at the ceiling, none locked out.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock, create_app
from app.db import make_engine
from app.migrate import upgrade
from tests.concurrency import at_once, race_contract

CEILING = 3
RACERS = 8


def _world(url: str) -> tuple[int, list[int], int]:
    from app.models import BenefitType, Client, Role, TargetGroup, User

    engine = make_engine(url)
    today = clock.today()
    with Session(engine) as db:
        db.info["actor"] = (None, "test")
        gemeente, provider, contract = race_contract(today, volume_ceiling=CEILING)
        group = TargetGroup(code="algemeen", name="Algemeen")
        user = User(username="km", full_name="Klantmanager", email="km@x.nl", role=Role.KLANTMANAGER,
                    gemeenten=[gemeente], password_hash="x")
        bsns = ("111222333", "123456782", "100000009", "100000010", "100000022", "100000034", "100000046",
                "100000058")
        clients = [Client(bsn=bsn, first_name="C", last_name=str(i), gemeente=gemeente,
                          benefit_type=BenefitType.PARTICIPATIEWET, monthly_benefit=Decimal("1000.00"),
                          target_group=group, phase=2, ladder_rung=3) for i, bsn in enumerate(bsns[:RACERS])]
        db.add_all([gemeente, group, provider, user, contract, *clients])
        db.commit()
        ids = contract.id, [c.id for c in clients], user.id
    engine.dispose()
    return ids


def test_simultaneous_referrals_never_exceed_the_volume_ceiling(fresh_database_url):
    from app.models import Client, Traject, User
    from app.trajecten.services import TrajectError, refer

    url = fresh_database_url()
    upgrade(url)
    contract_id, client_ids, user_id = _world(url)
    app = create_app("testing", overrides={"DATABASE_URL": url})

    def prepare(client_id: int):
        from app.db import session

        return session.get(Client, client_id), session.get(User, user_id)

    outcomes = at_once(app, client_ids, prepare, lambda state: refer(state[0], contract_id, clock.today(), state[1]),
                       TrajectError)

    engine = make_engine(url)
    with Session(engine) as db:
        stored = db.scalar(select(func.count()).select_from(Traject).where(Traject.contract_id == contract_id))
    engine.dispose()
    assert len(outcomes) == RACERS
    assert stored == outcomes.count("done")
    assert stored == CEILING, outcomes
    assert outcomes.count("refused") == RACERS - CEILING, outcomes  # refused at the ceiling, not locked out
