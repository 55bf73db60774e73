"""A bounded load test: 20 and then 50 users of mixed roles against the app under gunicorn, on a fresh database.

    .venv/bin/python bench/load.py                                   # SQLite (a new file in a temporary folder)
    .venv/bin/python bench/load.py --database-url postgresql://postgres:secret@localhost/postgres
                                                                     # a new database on that server, dropped after

The app runs as production serves it (gunicorn, loopback only) on a fresh database with the demo loaded. Each
user logs in through the login form (Argon2 at production cost, CSRF on) and then works as its role does for
``--seconds`` per stage: klantmanagers open their clients, create clients and record progress reports; the
provider's users record progress reports on their own trajecten; finance opens invoices; management reads the
reports; and every tenth action is a fresh login. Every write that was acknowledged (a redirect after POST) is
looked up in the database afterwards. The table shows requests, errors, latency percentiles and written vs
acknowledged rows per stage; the exit status is 1 on any error or lost write. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, make_url, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.config import normalise_database_url  # noqa: E402
from app.db import make_engine  # noqa: E402

PASSWORD = "demo-wachtwoord-2026"  # noqa: S105 - the demo users' published password
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ROLE_MIX = ("klantmanager", "klantmanager", "klantmanager2", "aanbieder", "financien", "management")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def valid_bsns(start: int):
    """BSNs passing the elfproef, from ``start`` on (far from the demo's), one per new client."""
    number = start
    while True:
        digits = f"{number:09d}"
        weighted = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
        if (weighted - int(digits[8])) % 11 == 0:
            yield digits
        number += 1


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Stage:
    users: int
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=lambda: {"page": [], "write": [], "login": []})
    errors: Counter = field(default_factory=Counter)
    acknowledged_clients: list[str] = field(default_factory=list)
    acknowledged_events: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Browser:
    """One user's browser: its own cookies, no automatic redirects, every request timed into the stage."""

    def __init__(self, base: str, stage: Stage):
        self.base, self.stage = base, stage
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)

    def request(self, path: str, data: dict | None = None, expect: tuple[int, ...] = (200,)) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, data=body, timeout=60) as response:
                status, page = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, page = error.code, error.read().decode(errors="replace")
        except OSError as error:
            status, page = 0, type(error).__name__
        elapsed = time.perf_counter() - started
        with self.stage.lock:
            self.stage.latencies.append(elapsed)
            kind = "page" if data is None else "login" if path == "/login" else "write"
            self.stage.by_kind[kind].append(elapsed)
            if status not in expect:
                where = re.sub(r"/\d+", "/N", path)
                self.stage.errors[f"{'POST' if data is not None else 'GET'} {where} {status or page}"] += 1
        return status, page

    def post_form(self, form_path: str, path: str, data: dict) -> int:
        status, page = self.request(form_path)
        token = CSRF.search(page)
        if status != 200 or token is None:
            return 0
        return self.request(path, {**data, "csrf_token": token.group(1)}, expect=(302,))[0]

    def log_in(self, username: str) -> bool:
        return self.post_form("/login", "/login", {"username": username, "password": PASSWORD}) == 302


@dataclass(frozen=True)
class World:
    """What the users work on, read from the demo once: ids by user, so that every write is one the user may do."""

    gemeenten: dict[str, list[int]]
    klantmanager_ids: dict[str, int]
    target_group: int
    started: dict[str, list[int]]
    clients: dict[str, list[int]]
    invoices: list[int]


def read_world(url: str) -> World:
    from app.models import Client, Invoice, Traject, User
    from contracts.lifecycle import TrajectStatus

    engine = make_engine(url)
    with engine.connect() as conn:
        from sqlalchemy.orm import Session

        db = Session(bind=conn)
        users = {u.username: u for u in db.scalars(select(User))}
        gemeenten = {name: [g.id for g in users[name].gemeenten] for name in ("klantmanager", "klantmanager2")}
        started = {name: list(db.scalars(select(Traject.id).where(Traject.status == TrajectStatus.STARTED,
                                                                  Traject.gemeente_id.in_(ids))))
                   for name, ids in gemeenten.items()}
        started["aanbieder"] = list(db.scalars(select(Traject.id).where(
            Traject.status == TrajectStatus.STARTED, Traject.provider_id == users["aanbieder"].provider_id)))
        clients = {name: list(db.scalars(select(Client.id).where(Client.gemeente_id.in_(ids)).limit(50)))
                   for name, ids in gemeenten.items()}
        group = db.scalar(select(Client.target_group_id).limit(1))
        invoices = list(db.scalars(select(Invoice.id).limit(50)))
        world = World(gemeenten, {n: users[n].id for n in gemeenten}, group, started, clients, invoices)
        db.close()
    engine.dispose()
    return world


class User:
    """A virtual user of one role, working until the stage ends."""

    def __init__(self, number: int, username: str, base: str, stage: Stage, world: World, bsns, bsn_lock):
        self.username, self.base, self.stage, self.world = username, base, stage, world
        self.random = random.Random(number)  # noqa: S311 - which page next, not a secret
        self.bsns, self.bsn_lock = bsns, bsn_lock
        self.browser = Browser(base, stage)

    def run(self, until: float) -> None:
        self.browser.log_in(self.username)
        while time.monotonic() < until:
            if self.random.random() < 0.1:
                self.browser = Browser(self.base, self.stage)
                self.browser.log_in(self.username)
                continue
            getattr(self, f"act_{self.username.rstrip('2')}")()

    def act_klantmanager(self) -> None:
        choice = self.random.random()
        if choice < 0.3:
            self.new_client()
        elif choice < 0.6:
            self.progress_report()
        elif choice < 0.8:
            self.browser.request("/clienten/")
        else:
            self.browser.request(f"/clienten/{self.random.choice(self.world.clients[self.username])}")

    def act_aanbieder(self) -> None:
        if self.random.random() < 0.5:
            self.progress_report()
        else:
            self.browser.request("/trajecten/")

    def act_financien(self) -> None:
        if self.random.random() < 0.4:
            self.browser.request("/facturen/")
        else:
            self.browser.request(f"/facturen/{self.random.choice(self.world.invoices)}")

    def act_management(self) -> None:
        self.browser.request(self.random.choice(("/rapportages/", "/rapportages/vergelijking", "/rapportages/marap",
                                                 "/", "/contracten/")))

    def new_client(self) -> None:
        with self.bsn_lock:
            bsn = next(self.bsns)
        data = {"bsn": bsn, "first_name": "Last", "last_name": "Proef", "birth_date": "1990-05-17",
                "gemeente_id": str(self.random.choice(self.world.gemeenten[self.username])),
                "benefit_type": "participatiewet", "monthly_benefit": "1000,00",
                "target_group_id": str(self.world.target_group), "phase": "2", "ladder_rung": "3",
                "assessed_on": (date.today() - timedelta(days=1)).isoformat(),
                "klantmanager_id": str(self.world.klantmanager_ids[self.username])}
        if self.browser.post_form("/clienten/nieuw", "/clienten/nieuw", data) == 302:
            with self.stage.lock:
                self.stage.acknowledged_clients.append(bsn)

    def progress_report(self) -> None:
        traject = self.random.choice(self.world.started[self.username])
        note = f"load-{uuid.uuid4().hex}"
        data = {"type": "progress_report", "event_date": date.today().strftime("%d-%m-%Y"), "note": note}
        if self.browser.post_form(f"/trajecten/{traject}", f"/trajecten/{traject}/gebeurtenissen", data) == 302:
            with self.stage.lock:
                self.stage.acknowledged_events.append(note)


def stored(url: str, stage: Stage) -> tuple[int, int]:
    """How many of the acknowledged clients and events the database holds."""
    from app.models import Client, TrajectEvent

    engine = make_engine(url)
    with engine.connect() as conn:
        clients = events = 0
        for chunk in range(0, len(stage.acknowledged_clients), 500):
            bsns = stage.acknowledged_clients[chunk:chunk + 500]
            clients += conn.scalar(select(func.count()).select_from(Client).where(Client.bsn.in_(bsns)))
        for chunk in range(0, len(stage.acknowledged_events), 500):
            notes = stage.acknowledged_events[chunk:chunk + 500]
            events += conn.scalar(select(func.count()).select_from(TrajectEvent).where(TrajectEvent.note.in_(notes)))
    engine.dispose()
    return clients, events


def percentile(values: list[float], share: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


class Database:
    """A fresh database for the run: a SQLite file, or a new database on the PostgreSQL server given, dropped after."""

    def __init__(self, server: str | None, folder: Path):
        self.server, self.name = server, None
        if server is None:
            self.url = f"sqlite:///{folder / 'load.sqlite3'}"
            return
        self.name = f"load_{secrets.token_hex(6)}"
        self._admin(f'CREATE DATABASE "{self.name}"')
        self.url = make_url(server).set(database=self.name).render_as_string(hide_password=False)

    def _admin(self, statement: str) -> None:
        admin = create_engine(make_url(self.server).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(statement))
        admin.dispose()

    def drop(self) -> None:
        if self.name is not None:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def start_server(env: dict, port: int, workers: int, threads: int) -> subprocess.Popen:
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, loopback only
        [str(Path(sys.executable).with_name("gunicorn")), "--workers", str(workers), "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}", "--timeout", "60", "app:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit(f"the server did not become healthy: {server.stderr.read().decode()[-2000:]}")


def run_stage(base: str, users: int, seconds: float, world: World, bsns, bsn_lock) -> Stage:
    stage = Stage(users)
    until = time.monotonic() + seconds
    crowd = [User(i, ROLE_MIX[i % len(ROLE_MIX)], base, stage, world, bsns, bsn_lock) for i in range(users)]
    threads = [threading.Thread(target=u.run, args=(until,)) for u in crowd]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return stage


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a PostgreSQL server (a new database is made on it); default SQLite")
    parser.add_argument("--users", default="20,50", help="users per stage, comma-separated (default 20,50)")
    parser.add_argument("--seconds", type=float, default=45, help="length of each stage (default 45)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="gunicorn workers (default: one per core, as make serve)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    args = parser.parse_args()
    server_url = normalise_database_url(args.database_url) if args.database_url else None
    with tempfile.TemporaryDirectory(prefix="load-") as folder:
        database = Database(server_url, Path(folder))
        # Every simulated user comes from 127.0.0.1, so the log-in throttle per client address would take them
        # for one guesser (429 after ten log-ins a minute): it is off here, and tested in tests/test_lockout_race.py.
        env = {**os.environ, "DATABASE_URL": database.url, "APP_ENV": "development",
               "SECRET_KEY": secrets.token_hex(32), "EVIDENCE_DIR": str(Path(folder) / "evidence"),
               "RATELIMIT_ENABLED": "false"}
        server = None
        try:
            flask = [str(Path(sys.executable).with_name("flask")), "--app", "app"]
            subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603
            subprocess.run([*flask, "demo", "load"], cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603
            world = read_world(database.url)
            port = free_port()
            server = start_server(env, port, args.workers, args.threads)
            bsns, bsn_lock = valid_bsns(700_000_000), threading.Lock()
            stages = [run_stage(f"http://127.0.0.1:{port}", int(n), args.seconds, world, bsns, bsn_lock)
                      for n in args.users.split(",")]
            return report(database.url, stages, args)
        finally:
            if server is not None:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)
            database.drop()


def report(url: str, stages: list[Stage], args) -> int:
    kind = make_url(url).get_backend_name()
    print(f"\nLoad test on {kind}: gunicorn {args.workers} workers x {args.threads} threads, "
          f"{args.seconds:.0f} s per stage, loopback; {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f} at the end")
    print(f"{'users':>5} {'requests':>9} {'req/s':>6} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
          f"{'clients acked/stored':>21} {'events acked/stored':>20}")
    failed = False
    for stage in stages:
        clients, events = stored(url, stage)
        errors = sum(stage.errors.values())
        lost = (len(stage.acknowledged_clients) - clients) + (len(stage.acknowledged_events) - events)
        failed |= bool(errors or lost)
        ms = [v * 1000 for v in stage.latencies]
        acked_clients = f"{len(stage.acknowledged_clients)}/{clients}"
        acked_events = f"{len(stage.acknowledged_events)}/{events}"
        print(f"{stage.users:>5} {len(ms):>9} {len(ms) / args.seconds:>6.1f} {errors:>6} {percentile(ms, .50):>7.0f} "
              f"{percentile(ms, .95):>7.0f} {percentile(ms, .99):>7.0f} {acked_clients:>21} {acked_events:>20}")
        print("      " + "; ".join(f"{kind} {len(v)} p50 {percentile([x * 1000 for x in v], .50):.0f} ms "
                                    f"p95 {percentile([x * 1000 for x in v], .95):.0f} ms"
                                    for kind, v in stage.by_kind.items()))
        for what, count in stage.errors.most_common(10):
            print(f"      {count:>5} x {what}")
    print("FAILED: errors or lost writes" if failed else "OK: no errors, every acknowledged write stored")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
