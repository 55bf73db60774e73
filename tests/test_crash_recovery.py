"""The server killed in the middle of a payment run and of an approval leaves a consistent database.

The app runs under gunicorn as a process of its own on a file database (SQLite, or a fresh PostgreSQL database
when ``DATABASE_URL`` names a server). :mod:`app.faults` makes it stop inside the transaction at a chosen
statement (the payment run after its invoice and claims are written, before its lines; the approval before its
step), and the test kills it there with SIGKILL: no rollback, no cleanup, as in a power cut of the process. After
a restart nothing of the killed work may be visible, every invariant holds, and the same work, done again, is
stored once.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import suppress
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from app import clock, create_app
from app.migrate import upgrade
from tests.conftest import PASSWORD, _build_world

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    def __init__(self, base: str):
        self.base = base
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)

    def open(self, path: str, data: dict | None = None, timeout: float = 20) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def post(self, form_page: str, path: str, data: dict, timeout: float = 20) -> tuple[int, str]:
        status, page = self.open(form_page)
        assert status == 200, (form_page, status)
        token = CSRF.search(page)
        return self.open(path, {**data, "csrf_token": token.group(1) if token else ""}, timeout=timeout)

    def log_in(self, username: str) -> None:
        assert self.post("/login", "/login", {"username": username, "password": PASSWORD})[0] == 302


class Server:
    """gunicorn serving the app on a free loopback port; ``pause_before`` arms :mod:`app.faults`."""

    def __init__(self, env: dict, folder: Path, pause_before: str | None = None):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.paused = folder / f"paused-{secrets.token_hex(4)}"
        env = {**env, "FAULT_PAUSE_FILE": str(self.paused)}
        if pause_before:
            env["FAULT_PAUSE_BEFORE"] = pause_before
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen([gunicorn, "--workers", "1", "--threads", "2", "--bind",
                                         f"127.0.0.1:{self.port}", "app:create_app()"],
                                        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
        self.browser = Browser(f"http://127.0.0.1:{self.port}")
        deadline = time.monotonic() + 60  # generous for a busy CI machine; normally 2-3 s
        while time.monotonic() < deadline:
            try:
                if self.browser.open("/healthz", timeout=2)[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.kill()
        pytest.fail("the server did not start")

    def wait_for_pause(self) -> str:
        deadline = time.monotonic() + 60  # generous for a busy CI machine; normally 2-3 s
        while not self.paused.exists():
            assert time.monotonic() < deadline, "the server never reached the statement to stop at"
            time.sleep(0.05)
        return self.paused.read_text()

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def in_background(call) -> threading.Thread:
    """A request the server will never answer (it is killed first): sent from a thread, its outcome ignored."""

    def send() -> None:
        with suppress(OSError):  # the connection dies with the server
            call()

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def _world(url: str, folder: Path) -> dict:
    """The test world, plus: a second traject, started, whose effort milestone is due and on no invoice yet (the
    payment run's work), and the world's draft invoice submitted and checked (the approval's work)."""
    from app.db import session
    from app.invoicing.services import take_step
    from app.models import Invoice, Traject, TrajectEvent, User
    from app.projections import keep_events
    from contracts.events import EventType
    from invoicing.status import Step

    app = create_app("testing", overrides={"DATABASE_URL": url, "EVIDENCE_DIR": str(folder / "evidence")})
    db = app.extensions["db_sessionmaker"]()
    world = _build_world(app, db)
    ids = {"invoice": world.invoice.id, "contract": world.contract.id}
    db.close()
    today = clock.today()
    with app.app_context():
        session.info["actor"] = (None, "test")
        client = session.merge(world.clients[1])
        contract = session.merge(world.contract)
        klantmanager = session.get(User, world.users["klantmanager"].id)
        provider = session.get(User, world.users["provider"].id)
        traject = Traject(client=client, contract=contract, contract_version=contract.versions[0],
                          provider=contract.provider, gemeente=client.gemeente, client_group="algemeen",
                          price=Decimal("2500.00"), referral_date=today - timedelta(days=20),
                          referred_by=klantmanager, phase_at_referral=client.phase)
        traject.events.extend([
            TrajectEvent(type=EventType.ACCEPTED, event_date=today - timedelta(days=18), recorded_by=provider,
                         by_provider=True),
            TrajectEvent(type=EventType.STARTED, event_date=today - timedelta(days=15), recorded_by=provider,
                         by_provider=True)])
        session.add(traject)
        session.flush()
        keep_events(traject)
        for step, name in ((Step.SUBMIT, "finance"), (Step.CHECK, "finance2")):
            take_step(ids["invoice"], step, session.get(User, world.users[name].id), today)
        session.commit()
        ids["traject"] = traject.id
        assert session.get(Invoice, ids["invoice"]).status.value == "checked"
    app.extensions["db_bind"].dispose()
    return ids


def check_invariants(url: str) -> dict:
    """What must hold whatever moment the server died at; returns a few figures for the test to compare."""
    from app.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        def rows(sql: str) -> list:
            return list(conn.execute(text(sql)))

        assert rows("SELECT i.id FROM invoice i WHERE NOT EXISTS "
                    "(SELECT 1 FROM invoice_line l WHERE l.invoice_id = i.id)") == [], "an invoice without lines"
        assert rows("SELECT l.entitlement_key FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id "
                    "WHERE l.entitlement_key IS NOT NULL AND i.status <> 'rejected' GROUP BY l.entitlement_key "
                    "HAVING COUNT(DISTINCT l.invoice_id) > 1") == [], "an entitlement on two invoices"
        assert rows("SELECT e.key FROM invoiced_entitlement e LEFT JOIN invoice_line l "
                    "ON l.entitlement_key = e.key AND l.invoice_id = e.invoice_id WHERE l.id IS NULL") == [], \
            "an entitlement held for an invoice that does not list it"
        assert rows("SELECT i.id FROM invoice i WHERE i.subtotal <> "
                    "(SELECT SUM(l.amount) FROM invoice_line l WHERE l.invoice_id = i.id)") == [], \
            "an invoice whose total is not the sum of its lines"
        assert rows("SELECT i.id FROM invoice i WHERE (i.status = 'approved') <> EXISTS "
                    "(SELECT 1 FROM invoice_step s WHERE s.invoice_id = i.id AND s.step = 'approve')") == [], \
            "an approved invoice without its approval, or an approval that did not take effect"
        if conn.dialect.name == "sqlite":
            assert rows("PRAGMA integrity_check") == [("ok",)]
            assert rows("PRAGMA foreign_key_check") == []
        figures = {"invoices": conn.scalar(text("SELECT COUNT(*) FROM invoice")),
                   "approved": conn.scalar(text("SELECT COUNT(*) FROM invoice WHERE status = 'approved'"))}
    engine.dispose()
    return figures


def audit_chain_intact(url: str) -> None:
    """The audit trail's own check (``flask audit verify``) finds the hash chain unbroken."""
    app = create_app("testing", overrides={"DATABASE_URL": url})
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    app.extensions["db_bind"].dispose()
    assert result.exit_code == 0, result.output


def test_killing_the_server_mid_payment_run_and_mid_approval_leaves_the_database_consistent(
        fresh_database_url, tmp_path):
    url = fresh_database_url()
    upgrade(url)
    ids = _world(url, tmp_path)
    before = check_invariants(url)
    # The testing configuration keeps the test world's cheap password hashes (no Argon2 rehash at each login).
    env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "testing", "EVIDENCE_DIR": str(tmp_path / "evidence")}
    today = clock.today()
    run = {"period_start": (today - timedelta(days=60)).strftime("%d-%m-%Y"),
           "period_end": today.strftime("%d-%m-%Y"), "contract_id": "0"}
    approve = f"/facturen/{ids['invoice']}/stap/approve"

    server = Server(env, tmp_path, pause_before="INSERT INTO invoice_line")
    server.browser.log_in("finance")
    in_background(lambda: server.browser.post("/facturen/betaalrun", "/facturen/betaalrun", run, timeout=30))
    assert server.wait_for_pause().upper().startswith("INSERT INTO INVOICE_LINE")
    server.kill()
    assert check_invariants(url) == before  # the run's invoice and its claims are gone with it

    server = Server(env, tmp_path, pause_before="INSERT INTO invoice_step")
    server.browser.log_in("finance3")
    in_background(lambda: server.browser.post(f"/facturen/{ids['invoice']}", approve, {"note": ""}, timeout=30))
    server.wait_for_pause()
    server.kill()
    assert check_invariants(url) == before  # still checked, no approval stored
    audit_chain_intact(url)

    server = Server(env, tmp_path)
    try:
        server.browser.log_in("finance")
        for _run in range(2):  # the second run finds nothing left to invoice
            status, page = server.browser.post("/facturen/betaalrun", "/facturen/betaalrun", run)
            assert status == 302 and "/taken/" in page, page  # the run is a job (immediate in testing)
        approver = Browser(server.browser.base)
        approver.log_in("finance3")
        assert approver.post(f"/facturen/{ids['invoice']}", approve, {"note": ""})[0] == 302
        assert server.browser.open("/healthz")[0] == 200
    finally:
        server.kill()
    after = check_invariants(url)
    assert after == {"invoices": before["invoices"] + 1, "approved": before["approved"] + 1}
    audit_chain_intact(url)
