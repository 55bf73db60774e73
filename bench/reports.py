"""Time of the set-based reports on a million trajecten, measured against a plain grouped count of them.

What it measures, inside an app context on the database given: the provider comparison
(:func:`app.reports.services.table` over the last two years, grouped by provider, every indicator), the
standardised comparison, the creaming/parking signs (``selection``), the cohort curves and the money
table, each on the same two-year query, and the management report (:func:`app.reports.marap.build`) of the
gemeente with the most trajecten from 1 January up to today. Each is run once to warm up and then
``--repeat`` times (default 3); the best time counts, as ``timeit`` advises, since slower runs measure
other processes, not the report.

Why this baseline: ``SELECT provider_id, count(*) FROM traject GROUP BY provider_id`` reads the same
table in the same database on the same machine, grouped by the same key, and does nothing else; whatever a
report does, it cannot be much cheaper than that. The ratio says what the indicators, periods and joins
add on top, and it carries across machines where the seconds do not. The aims: each report within a few
(``FEW``) times the baseline, and under ``TARGET_SECONDS``.

Data: when the database has fewer trajecten than ``--trajecten`` it is made afresh (a SQLite file is
replaced; a PostgreSQL database of that name is dropped and created on the server of the URL), migrated,
loaded with the demo and filled by :mod:`app.generate` up to that number. An existing large enough database
is used as it is, so a second run only measures. Either way it is analysed first (``ANALYZE``; on PostgreSQL
``VACUUM ANALYZE``, which also sets the visibility map that index-only scans need).

``--explain`` also prints, per report, every statement it issues with its own time and the database's plan
(``EXPLAIN QUERY PLAN`` on SQLite, ``EXPLAIN ANALYZE`` on PostgreSQL). ``--try "CREATE INDEX ..."`` (may be
repeated) runs the reports again with those statements applied and analysed, prints the new table beside the
old, and undoes them afterwards (the indexes are dropped), to measure a proposed index before it goes into a
migration.

Usage::

    .venv/bin/python bench/reports.py --database-url sqlite:////tmp/bench-reports.sqlite3 [--trajecten 1000000]
    .venv/bin/python bench/reports.py --database-url postgresql://postgres:ci-postgres@localhost/bench_reports
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dateutil.relativedelta import relativedelta  # noqa: E402
from sqlalchemy import create_engine, event, make_url, text  # noqa: E402

from app import create_app  # noqa: E402
from app.config import normalise_database_url  # noqa: E402

DEFAULT_URL = "sqlite:////tmp/bench-reports.sqlite3"
FEW = 5  # "within a few times the baseline", made concrete
TARGET_SECONDS = 2.0
BASELINE = "SELECT provider_id, count(*) FROM traject GROUP BY provider_id"
# Not an aim, a reading aid: the baseline is answered from an index alone (SQLite's covering index, PostgreSQL's
# index-only scan), whereas a report must read the rows; counting an unindexed column in a scan of the table, as
# the reports read it (on SQLite ``+provider_id`` keeps it from walking an index), shows what that costs at least.
ROW_READ = "SELECT {key}, count(motivation) FROM traject GROUP BY {key}"


# --- the database ---------------------------------------------------------------------------------


def _count(app) -> int:
    from app.db import session

    try:
        with app.app_context():
            return session.execute(text("SELECT count(*) FROM traject")).scalar() or 0
    except Exception:  # no such database, no table yet: treat as empty
        return 0


def _fresh(url: str) -> None:
    """An empty database at ``url``: the SQLite file removed, or the PostgreSQL database dropped and created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    name = parsed.database
    if not name or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise SystemExit(f"not a plain database name: {name!r}")
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", hide_parameters=True)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def _analyze(app) -> None:
    """Planner statistics (and on PostgreSQL the visibility map, which index-only scans need)."""
    engine = app.extensions["db_bind"]
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        else:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")


def prepare(url: str, wanted: int, seed: int, batch: int, workers: int | None) -> tuple[object, str]:
    """The app on a database with at least ``wanted`` trajecten, and a line on how it came to be."""
    from app.db import session
    from app.demo import load_demo
    from app.generate import default_workers, generate
    from app.migrate import upgrade
    from app.uow import committed

    upgrade(url)  # an existing database gets this version's migrations (a new one is made further on)
    app = create_app(overrides={"DATABASE_URL": url})
    have = _count(app)
    if have >= wanted:
        began = time.perf_counter()
        _analyze(app)
        return app, (f"existing database with {have:,} trajecten (not regenerated); ANALYZE "
                     f"{time.perf_counter() - began:.1f} s")
    app.extensions["db_bind"].dispose()
    _fresh(url)
    upgrade(url)
    app = create_app(overrides={"DATABASE_URL": url})
    with app.app_context(), committed():  # the loader only flushes: its caller's unit of work commits
        demo = load_demo(session)
    print(f"demo loaded: {demo['trajecten']} trajecten; generating {wanted - demo['trajecten']:,} more")

    def progress(done: int, total: int, seconds: float) -> None:
        print(f"  {done:>10,} / {total:,}  {seconds:7.1f} s  {done / seconds:>8,.0f} trajecten/s", flush=True)

    workers = workers or default_workers()
    made = generate(app.extensions["db_bind"], max(0, wanted - demo["trajecten"]), seed=seed, batch=batch,
                    progress=progress, workers=workers)
    began = time.perf_counter()
    _analyze(app)
    analysed = time.perf_counter() - began
    return app, (f"generated {made.trajecten:,} trajecten, {made.events:,} events, {made.invoice_lines:,} invoice "
                 f"lines in {made.seconds:.1f} s ({made.trajecten / made.seconds:,.0f} trajecten/s, {workers} "
                 f"worker(s), batch {batch:,}); ANALYZE {analysed:.1f} s")


# --- the reports ----------------------------------------------------------------------------------


def reports(app, today: date) -> list[tuple[str, Callable[[], object]]]:
    from app.db import session
    from app.reports import marap
    from app.reports.services import Query, cohort_curves, money, selection, standardised, table

    query = Query(period=(today - relativedelta(years=2), today), group_by="provider")
    with app.app_context():
        gemeente_id = session.execute(text(
            "SELECT gemeente_id FROM traject GROUP BY gemeente_id ORDER BY count(*) DESC LIMIT 1")).scalar()
        sqlite = session.get_bind().dialect.name == "sqlite"
    row_read = ROW_READ.format(key="+provider_id" if sqlite else "provider_id")
    this_year = (date(today.year, 1, 1), today)
    return [
        ("baseline: count per provider", lambda: session.execute(text(BASELINE)).all()),
        ("(reference: same, reading rows)", lambda: session.execute(text(row_read)).all()),
        ("provider comparison (table)", lambda: table(query)),
        ("standardised", lambda: standardised(query)),
        ("selection", lambda: selection(query, today)),
        ("cohort_curves", lambda: cohort_curves(query)),
        ("money", lambda: money(query, today)),
        ("marap.build (largest gemeente)", lambda: marap.build(gemeente_id, this_year, today)),
    ]


def measure(app, today: date, repeat: int) -> list[tuple[str, float]]:
    from app.db import session

    out = []
    with app.app_context():
        for name, run in reports(app, today):
            run()  # warm-up: caches, first compilation of the statements
            best = float("inf")
            for _ in range(repeat):
                session.rollback()
                began = time.perf_counter()
                run()
                best = min(best, time.perf_counter() - began)
            out.append((name, best))
            session.rollback()
    return out


def print_table(results: list[tuple[str, float]], title: str) -> None:
    """Each time, its ratio to the baseline (the aim) and to the reference that reads the rows (a reading aid:
    what the report costs beyond reading the trajecten once)."""
    base, rows = results[0][1], results[1][1]
    print(title)
    header = f"{'report':<34} {'seconds':>9} {'× baseline':>11} {'× rows':>7} {'< 2 s':>6} {'≤ 5×':>5}"
    print(header)
    print("-" * len(header))
    for name, seconds in results:
        ratio = seconds / base if base else float("inf")
        per_row = f"{seconds / rows:>6.1f}×" if rows else f"{'':>7}"
        aims = "" if name.startswith("(") else (f"{'yes' if seconds < TARGET_SECONDS else 'NO':>6} "
                                                f"{'yes' if ratio <= FEW else 'NO':>5}")
        print(f"{name:<34} {seconds:>9.3f} {ratio:>10.1f}× {per_row} {aims}".rstrip())
    print()


def explain(app, today: date) -> None:
    """Each report's statements, each run again on its own to time it (execution and fetching all rows),
    and the plan."""
    from app.db import session

    with app.app_context():
        engine = session.get_bind()
        dialect = engine.dialect.name
        for name, run in reports(app, today)[2:]:
            seen: list[tuple[str, object]] = []

            def note(_conn, _cursor, statement, parameters, _context, _many, seen=seen):
                if statement.lstrip().upper().startswith("SELECT"):  # not the BEGIN of the transaction
                    seen.append((statement, parameters))

            event.listen(engine, "before_cursor_execute", note)
            try:
                run()
            finally:
                event.remove(engine, "before_cursor_execute", note)
            session.rollback()
            print(f"=== {name}: {len(seen)} statements")
            for statement, parameters in seen:
                began = time.perf_counter()
                session.connection().exec_driver_sql(statement, parameters).all()
                print(f"--- {time.perf_counter() - began:.3f} s")
                print(statement.strip())
                prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
                plan = session.connection().exec_driver_sql(prefix + statement, parameters).all()
                for row in plan:
                    print("    " + (" ".join(str(c) for c in row[-1:]) if dialect == "sqlite" else row[0]))
                session.rollback()
            print()


def _index_names(statements: list[str]) -> list[str]:
    return [m.group(1) for s in statements if (m := re.search(r"INDEX\s+(?:IF NOT EXISTS\s+)?(\w+)", s, re.I))]


def _compare(results, tried, title: str) -> None:
    print_table(tried, title)
    print(f"{'report':<34} {'before s':>9} {'after s':>9}")
    for (name, before), (_n, after) in zip(results, tried, strict=True):
        print(f"{name:<34} {before:>9.3f} {after:>9.3f}")
    print()


def _with_trials(app, today: date, args, results) -> None:
    """Measure with the ``--try`` statements applied, then drop the indexes again."""
    from app.db import session

    with app.app_context():
        conn = session.connection()
        for statement in args.trials:
            began = time.perf_counter()
            conn.exec_driver_sql(statement)
            print(f"applied in {time.perf_counter() - began:.1f} s: {statement}")
        session.commit()
    _analyze(app)
    try:
        tried = measure(app, today, args.repeat)
        _compare(results, tried, "with " + "; ".join(args.trials) + ":")
        if args.explain:
            explain(app, today)
    finally:
        with app.app_context():
            for index in _index_names(args.trials):
                session.execute(text(f"DROP INDEX IF EXISTS {index}"))
            session.commit()
        _analyze(app)
        print("undone: " + ", ".join(_index_names(args.trials)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL),
                        help=f"SQLAlchemy URL (default {DEFAULT_URL}); a PostgreSQL database is created if missing")
    parser.add_argument("--trajecten", type=int, default=1_000_000, help="trajecten wanted (default 1000000)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=None, help="generator processes (default: cores, ≤ 4)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per report after one warm-up (best)")
    parser.add_argument("--explain", action="store_true", help="print each report's statements and their plans")
    parser.add_argument("--try", dest="trials", action="append", default=[], metavar="SQL",
                        help="a statement (CREATE INDEX ...) to measure the reports with; undone afterwards")
    args = parser.parse_args(argv)

    url = normalise_database_url(args.database_url)
    today = date.today()
    app, origin = prepare(url, args.trajecten, args.seed, args.batch, args.workers)

    from app.db import session

    with app.app_context():
        conn = session.connection()
        dialect = conn.dialect.name
        version = conn.exec_driver_sql("SELECT sqlite_version()" if dialect == "sqlite" else "SHOW server_version"
                                       ).scalar()
        counts = {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()  # noqa: S608
                  for t in ("traject", "traject_event", "client", "invoice", "invoice_line")}
        session.rollback()

    print("Reports benchmark (bench/reports.py)")
    print(f"python {platform.python_version()} on {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs; "
          f"{dialect} {version}; {make_url(url).render_as_string(hide_password=True)}")
    print(origin)
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    print(f"today {today.isoformat()}; reports over {(today - relativedelta(years=2)).isoformat()} .. "
          f"{today.isoformat()}, marap {today.year}-01-01 .. {today.isoformat()}; best of {args.repeat} after a "
          f"warm-up")
    print()
    results = measure(app, today, args.repeat)
    print_table(results, "measured:")

    if args.explain:
        explain(app, today)

    if args.trials:
        _with_trials(app, today, args, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
