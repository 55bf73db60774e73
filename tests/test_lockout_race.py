"""The lock-out holds against parallel guessing, and a throttle per address limits log-in attempts.

Guesses sent at once, each in its own thread, request and database connection, against an app on a real
database (a SQLite file, or PostgreSQL with ``DATABASE_URL``): no more passwords may be checked than the lock-out
allows, the right password is refused afterwards, and the lock-out is written to the audit trail once. The
password check is made to take as long as a real Argon2 verification, so that the guesses overlap as they would
in production (the tests' own Argon2 cost is far lower).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock, create_app
from app.auth import passwords, services
from app.db import make_engine
from app.migrate import upgrade
from tests.conftest import PASSWORD, login


def _app_with_user(url: str):
    upgrade(url)
    app = create_app("testing", overrides={"DATABASE_URL": url})
    from app.models import Role, User

    engine = make_engine(url)
    with app.app_context(), Session(engine) as db:
        db.info["actor"] = (None, "test")
        db.add(User(username="finance", full_name="F", email="f@x.nl", role=Role.FINANCE,
                    password_hash=passwords.hash_password(PASSWORD)))
        db.commit()
    return app, engine


@pytest.mark.parametrize(("threads", "each"), [(20, 2), (40, 1)])
def test_parallel_guesses_get_no_more_passwords_checked_than_the_lockout_allows(fresh_database_url, monkeypatch,
                                                                                threads, each):
    from app.models import AuditEntry, User

    app, engine = _app_with_user(fresh_database_url())
    checked = []
    real_verify = services.verify_password

    def slow_verify(password_hash: str, password: str) -> bool:
        checked.append(password)
        time.sleep(0.05)  # what Argon2id costs at the production settings
        return real_verify(password_hash, password)

    monkeypatch.setattr(services, "verify_password", slow_verify)
    barrier = threading.Barrier(threads)
    statuses: list[int] = []

    def guess(number: int) -> None:
        client = app.test_client()
        barrier.wait()
        for attempt in range(each):
            statuses.append(login(client, "finance", f"wrong-{number}-{attempt}").status_code)

    workers = [threading.Thread(target=guess, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    limit = app.config["LOGIN_MAX_FAILURES"]
    assert statuses == [401] * (threads * each), "every guess is refused, none with a server error"
    assert len(checked) <= limit, f"{len(checked)} passwords were checked; the lock-out allows {limit}"
    right = login(app.test_client(), "finance")
    assert right.status_code == 401
    assert "tijdelijk geblokkeerd" in right.get_data(as_text=True)
    assert PASSWORD not in checked, "a locked account's password is not even looked at"
    with Session(engine) as db:
        user_id = db.scalar(select(User.id))
        lockouts = db.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "lockout", AuditEntry.entity_id == user_id))
    assert lockouts == 1
    engine.dispose()


@pytest.fixture
def throttled_app(connection, database_url):
    return create_app("testing", overrides={"DATABASE_URL": database_url, "RATELIMIT_ENABLED": True,
                                            "LOGIN_RATE_LIMIT": "3 per minute"}, bind=connection)


def test_log_in_attempts_are_throttled_per_address(throttled_app, world):
    here = throttled_app.test_client()
    for _ in range(3):
        assert login(here, "nobody", "wrong-password").status_code == 401
    refused = login(here, "inkoper")
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Te veel pogingen" in page and 'name="password"' in page
    elsewhere = throttled_app.test_client()
    response = elsewhere.post("/login", data={"username": "inkoper", "password": PASSWORD},
                              environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == 302, "another address is not held back by the first one's attempts"
    json = here.post("/login", data={"username": "inkoper", "password": PASSWORD},
                     headers={"Accept": "application/json"})
    assert json.status_code == 429 and json.json["error"] == "too_many_requests"
    assert here.get("/login").status_code == 200, "only POSTs count"
    assert elsewhere.get("/account/wachtwoord").status_code == 200
    for _ in range(3):
        elsewhere.post("/account/wachtwoord", data={"current": "guess"}, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    guessing = elsewhere.post("/account/wachtwoord", data={"current": "guess"},
                              environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert guessing.status_code == 429, "the change-password form is no way round the throttle"
    assert 'name="current"' in guessing.get_data(as_text=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(failures=st.integers(0, 8), lock=st.one_of(st.none(), st.integers(-30, 30)), max_failures=st.integers(1, 6))
def test_the_claim_in_sql_follows_the_rule_of_the_lockout(app, world, failures, lock, max_failures):
    """The one UPDATE that claims an attempt's turn does what :func:`contracts.accounts.claim_attempt` says."""
    from app.db import session, utcnow
    from app.models import User
    from contracts.accounts import claim_attempt

    policy = services.LoginPolicy(max_failures, 15)
    with app.app_context():
        now = utcnow().replace(microsecond=0)
        locked_until = None if lock is None else now + timedelta(minutes=lock, seconds=1 if lock >= 0 else 0)
        user = session.scalar(select(User).where(User.username == "inkoper"))
        user.failed_logins, user.locked_until = failures, locked_until
        session.flush()
        with clock.moment_frozen(now.replace(tzinfo=UTC)):
            expected = claim_attempt(failures, locked_until, now, max_failures, 15)
            turn = services.claim_password_turn("inkoper", policy)
        session.refresh(user)
        assert (turn is None) == (expected is None)
        if expected is not None:
            assert (user.failed_logins, user.locked_until) == (expected.failures, expected.locked_until)
            assert turn.locking == (expected.locked_until is not None)
        session.rollback()
