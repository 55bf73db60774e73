"""Many users writing at the same moment all get their work stored, on SQLite as on PostgreSQL.

On SQLite a request that read (the logged-in user, a duplicate check) inside a deferred transaction and then
wrote had to upgrade its lock; when another request wrote in between, SQLite refused at once with "database is
locked", and most of 20 simultaneous users lost what they had typed. Write transactions now begin IMMEDIATE
(:func:`app.db.sqlite_begin`) and queue on the busy timeout. This needs committed data and real concurrent
connections, so it builds its own file database instead of the rolled-back test transaction; the requests go
through the whole app (login, CSRF-free test config, the unit of work), each in its own thread and app context.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock, create_app
from app.migrate import upgrade
from tests.conftest import PASSWORD, _build_world, login

USERS = 21  # seven of each kind of work below


def valid_bsns(count: int, start: int = 200_000_000) -> list[str]:
    """BSNs that pass the elfproef, none of them in the test world."""
    found: list[str] = []
    number = start
    while len(found) < count:
        digits = f"{number:09d}"
        weighted = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
        if (weighted - int(digits[8])) % 11 == 0:
            found.append(digits)
        number += 1
    return found


def test_simultaneous_new_clients_events_and_logins_all_succeed(fresh_database_url, tmp_path):
    from app.models import Client, TrajectEvent, User

    url = fresh_database_url()
    upgrade(url)
    app = create_app("testing", overrides={"DATABASE_URL": url, "EVIDENCE_DIR": str(tmp_path / "evidence")})
    setup = app.extensions["db_sessionmaker"]()
    world = _build_world(app, setup)
    traject_id, gemeente_id = world.traject.id, world.gemeenten[0].id
    group_id, klantmanager_id = world.target_groups[0].id, world.users["klantmanager"].id
    clients_before = setup.scalar(select(func.count()).select_from(Client))
    events_before = setup.scalar(select(func.count()).select_from(TrajectEvent))
    setup.close()
    today = clock.today()

    def new_client(c) -> int:
        return c.post("/clienten/nieuw", data={
            "bsn": next(bsns), "first_name": "Gelijk", "last_name": "Tijdig", "birth_date": "1990-05-17",
            "gemeente_id": str(gemeente_id), "benefit_type": "participatiewet", "monthly_benefit": "1000,00",
            "target_group_id": str(group_id), "phase": "2", "ladder_rung": "3",
            "assessed_on": (today - timedelta(days=1)).isoformat(), "klantmanager_id": str(klantmanager_id),
        }).status_code

    def progress_report(c) -> int:
        return c.post(f"/trajecten/{traject_id}/gebeurtenissen", data={
            "type": "progress_report", "event_date": today.strftime("%d-%m-%Y"), "note": "Gelijktijdig"}).status_code

    def log_in(c) -> int:
        return login(c, "finance", PASSWORD).status_code

    work = [new_client, progress_report, log_in] * (USERS // 3)
    browsers = []
    for action in work:
        browser = app.test_client()
        if action is not log_in:
            assert login(browser, "klantmanager").status_code == 302
        browsers.append(browser)
    bsns = iter(valid_bsns(USERS))
    barrier = threading.Barrier(len(work))
    answers: Counter[tuple[str, object]] = Counter()
    lock = threading.Lock()

    def user(action, browser) -> None:
        barrier.wait()
        try:
            answer: object = action(browser)
        except Exception as error:  # the testing config lets a 500's exception through
            answer = f"{type(error).__name__}: {error}"[:120]
        with lock:
            answers[(action.__name__, answer)] += 1

    threads = [threading.Thread(target=user, args=pair) for pair in zip(work, browsers, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    each = USERS // 3
    assert answers == Counter({("new_client", 302): each, ("progress_report", 302): each, ("log_in", 302): each})
    check = app.extensions["db_sessionmaker"]()
    assert check.scalar(select(func.count()).select_from(Client)) == clients_before + each
    assert check.scalar(select(func.count()).select_from(TrajectEvent)) == events_before + each
    finance = check.scalar(select(User).where(User.username == "finance"))
    assert finance.failed_logins == 0 and finance.last_login_at is not None
    check.close()
    app.extensions["db_bind"].dispose()


def test_a_login_checks_the_password_without_holding_the_write_lock(fresh_database_url, monkeypatch):
    """Checking an Argon2 hash takes a good part of a second; inside the write lock, logins queued behind each
    other's hashing and, at 50 users, past the busy timeout. Another connection can take the lock meanwhile."""
    import sqlite3

    from app.auth.passwords import hash_password
    from app.models import Role, User

    url = fresh_database_url()
    if not url.startswith("sqlite"):
        pytest.skip("the write lock of a whole database is SQLite's")
    upgrade(url)
    app = create_app("testing", overrides={"DATABASE_URL": url})
    with app.app_context():
        setup = app.extensions["db_sessionmaker"]()
        setup.info["actor"] = (None, "test")
        setup.add(User(username="finance", full_name="F", email="f@x.nl", role=Role.FINANCE,
                       password_hash=hash_password(PASSWORD)))
        setup.commit()
        setup.close()
    other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    checked = []

    def verify_beside_a_writer(stored: str, password: str) -> bool:
        other.execute("BEGIN IMMEDIATE")  # "database is locked" if the login held the write lock now
        other.execute("ROLLBACK")
        checked.append(password)
        return verify_password(stored, password)

    from app.auth.services import verify_password

    monkeypatch.setattr("app.auth.services.verify_password", verify_beside_a_writer)
    assert login(app.test_client(), "finance", "wrong-password").status_code == 401
    assert login(app.test_client(), "finance", PASSWORD).status_code == 302
    assert checked == ["wrong-password", PASSWORD]
    check = app.extensions["db_sessionmaker"]()
    finance = check.scalar(select(User).where(User.username == "finance"))
    assert finance.failed_logins == 0 and finance.last_login_at is not None  # the writes still happened
    check.close()
    other.close()
    app.extensions["db_bind"].dispose()
