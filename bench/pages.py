"""Time of every page of the app at volume, per role, measured against a trivial page in the same run.

What it measures: for each demo role, logged in through the Flask test client on the database given, every GET
route of the app's route table (``app.url_map``, so a page added later is measured without touching this
script) that the role may open: with its parameters filled with the heaviest record in the role's view (the
traject with the most events, the client with the most trajecten, the contract with the most trajecten, the
invoice with the most lines ...), list pages also sorted by each column they offer, filtered, and on their last
page, and the exports. Each variant is requested once to warm up and then ``--repeat`` times (default 3); the
best counts, the median is shown beside it, with the number of SQL statements the request issued.

Why this baseline: ``/healthz`` through the same client runs the same middleware (session, security headers,
the request's own database session) and one trivial query (``SELECT 1`` and the migration head): whatever a page
does, it cannot be much cheaper than that. The ratio says what the page adds and carries across machines where
milliseconds do not.

The aim (``--aim-ms``): 300 ms a page at up to 100,000 trajecten, 1 second above that, on the development
machine, one user. A page that takes more than ten times the aim on its warm-up is timed once only, so that the
run stays short while something is slow; it is reported as failing either way, and measured for the first role
that opens it only. The table is printed in any case;
the exit status is 1 when a page fails its aim. ``--explain`` prints, for every failing page, its statements
with their own times, slowest first (use bench/reports.py's ``--explain`` or the database's own EXPLAIN for the
plans). ``--only REGEX`` limits the routes, ``--roles`` the roles.

Data: as bench/reports.py (:func:`reports.prepare`): an existing database with enough trajecten is used as it is
(migrated to this version, then the kept state a migration marked is recomputed, then analysed); otherwise
one is made with the demo and the generator.

Usage::

    .venv/bin/python bench/pages.py --database-url sqlite:////tmp/bench-pages.sqlite3 [--trajecten 100000]
    .venv/bin/python bench/pages.py --database-url postgresql://postgres:ci-postgres@localhost/bench_pages
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from sqlalchemy import Select, event, func, select  # noqa: E402
from werkzeug.datastructures import MultiDict  # noqa: E402

DEFAULT_URL = "sqlite:////tmp/bench-pages.sqlite3"

ROLES = ("admin", "inkoper", "klantmanager", "financien", "controller", "budgethouder", "management", "aanbieder")
BASELINE = "/healthz"
SLOW_FACTOR = 10  # a warm-up this many times the aim is timed once only

# Routes not measured, and why: files the app serves as they are, the log-in pages (this script logs in), the
# language switch (it changes the session), the baseline itself.
SKIPPED = re.compile(r"^(static|auth\.(login|login_code|sso_login|sso_callback)|i18n\.switch|health\.healthz)$")


def aim_ms(trajecten: int) -> float:
    return 300.0 if trajecten <= 150_000 else 1000.0


# --- filling a route's parameters with the heaviest record ------------------------------------------------


def _heaviest() -> dict[str, Callable[[], Select]]:
    """Per parameter name, the candidates (best first) for it: each a query of ids, most data first."""
    from app.models import (
        Bid,
        Budget,
        EvidenceFile,
        ImportBatch,
        InvoiceExport,
        InvoiceLine,
        Job,
        Lot,
        PerformanceTarget,
        TargetGroup,
        Traject,
        TrajectEvent,
        User,
    )
    from app.models.registers import ExecutingBody

    def most(column, counted) -> Callable[[], Select]:
        return lambda: select(column).group_by(column).order_by(func.count(counted).desc(), column).limit(5)

    def latest(column) -> Callable[[], Select]:
        return lambda: select(column).order_by(column.desc()).limit(5)

    return {
        "traject_id": most(TrajectEvent.traject_id, TrajectEvent.id),
        "client_id": most(Traject.client_id, Traject.id),
        "contract_id": most(Traject.contract_id, Traject.id),
        "provider_id": most(Traject.provider_id, Traject.id),
        "gemeente_id": most(Traject.gemeente_id, Traject.id),
        "invoice_id": most(InvoiceLine.invoice_id, InvoiceLine.id),
        "tender_id": most(Lot.tender_id, Lot.id),
        "lot_id": most(Bid.lot_id, Bid.id),
        "bid_id": latest(Bid.id),
        "user_id": latest(User.id),
        "group_id": latest(TargetGroup.id),
        "target_id": latest(PerformanceTarget.id),
        "budget_id": latest(Budget.id),
        "body_id": latest(ExecutingBody.id),
        "job_id": latest(Job.id),
        "evidence_id": latest(EvidenceFile.id),
        "import_batch": latest(ImportBatch.id),
        "export_batch": latest(InvoiceExport.id),
    }


def _pairs() -> dict[str, Callable[[], Select]]:
    """Routes whose parameters belong together: one query gives them all, most data first."""
    from app.models import AwardCriterion, ContractVersion, EvidenceFile, TrajectEvent

    return {
        "tenders.award_criterion_edit": lambda: select(AwardCriterion.tender_id, AwardCriterion.id).limit(5),
        "contracts.version_detail": lambda: select(ContractVersion.contract_id, ContractVersion.number).limit(5),
        "trajecten.evidence": lambda: select(EvidenceFile.traject_id, EvidenceFile.id).limit(5),
        "trajecten.confirm_event": lambda: select(TrajectEvent.traject_id, TrajectEvent.id)
        .where(TrajectEvent.by_provider.is_(True)).order_by(TrajectEvent.id.desc()).limit(5),
    }


# Parameters that are words, not ids: every value the route takes is measured.
WORDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("invoices.export_file", "fmt"): ("csv", "xlsx"),
    ("reports.marap_file", "fmt"): ("xlsx",),
    ("admin.audit_log_file", "fmt"): ("csv", "xlsx"),
    ("imports.download_template", "kind"): ("clients", "events"),
}
# Query strings a page needs to show anything (else it answers 404 or sends the user back to choose).
QUERIES: dict[str, str] = {
    "reports.members": "indicator=durable_placements&part=denominator",
    "reports.marap": "gemeente={gemeente}",
    "reports.marap_file": "gemeente={gemeente}",
    "invoices.ubl": "gemeente={gemeente}",
}
# Which list of ids a parameter draws from where its name alone does not say.
ALIASES = {("imports.batch", "batch_id"): "import_batch", ("invoices.export_file", "batch_id"): "export_batch"}


def candidates(app, rule) -> list[dict[str, Any]]:
    """Argument sets for ``rule``, best (heaviest) first; [{}] for a route without parameters."""
    from app.db import session

    names = sorted(rule.arguments)
    if not names:
        return [{}]
    with app.app_context():
        if rule.endpoint in PAIRS:
            return [dict(zip(names_of(rule), row, strict=True)) for row in session.execute(PAIRS[rule.endpoint]())]
        options: dict[str, list[Any]] = {}
        for name in names:
            if (rule.endpoint, name) in WORDS:
                options[name] = list(WORDS[(rule.endpoint, name)])
                continue
            source = HEAVIEST.get(ALIASES.get((rule.endpoint, name), name))
            options[name] = list(session.scalars(source())) if source else []
    if any(not values for values in options.values()):
        return []
    words = [n for n in names if (rule.endpoint, n) in WORDS]
    if words:  # each word once, with the heaviest ids
        return [{**{n: options[n][0] for n in names}, words[0]: w} for w in options[words[0]]]
    return [{n: options[n][i % len(options[n])] for n in names} for i in range(max(map(len, options.values())))]


def names_of(rule) -> list[str]:
    """The rule's parameters in the order they appear in its path (the order of a pair query's columns)."""
    return re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", rule.rule)


HEAVIEST: dict[str, Callable[[], Select]] = {}
PAIRS: dict[str, Callable[[], Select]] = {}


# --- variants of a list page -----------------------------------------------------------------------------


def variants(body: str, url: str) -> list[tuple[str, str]]:
    """The sorts a list page offers (its sort links), a filter it offers and its last page, as (label, url)."""
    found: list[tuple[str, str]] = []
    for sort in sorted(set(re.findall(r'href="[^"]*[?&]sort=([a-z_]+)', body))):
        found.append((f"sort={sort}", f"{url}{'&' if '?' in url else '?'}sort={sort}"))
    last = re.search(r'pagina \d+ van (\d+)', body)
    if last and int(last.group(1)) > 1:
        found.append((f"page={last.group(1)}", f"{url}{'&' if '?' in url else '?'}page={last.group(1)}"))
    select_filter = re.search(r'<select id="filter-[a-z]+" name="([a-z_]+)">\s*<option value="">[^<]*</option>\s*'
                              r'<option value="([^"]+)"', body)
    if select_filter:
        name, value = select_filter.groups()
        found.append((f"{name}={value}", f"{url}{'&' if '?' in url else '?'}{name}={value}"))
    return found


# --- measuring -------------------------------------------------------------------------------------------


@dataclass
class Result:
    role: str
    endpoint: str
    path: str
    variant: str
    best_ms: float
    median_ms: float
    statements: int
    status: int
    once: bool = False  # too slow to repeat
    slowest: list[tuple[float, str]] = field(default_factory=list)


class Statements:
    """Counts (and times) the SQL statements of one request on the app's engine."""

    def __init__(self, engine):
        self.log: list[tuple[float, str]] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, _cursor, _statement, _params, _context, _many) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, _cursor, statement, _params, _context, _many) -> None:
        self.log.append(((time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())) * 1000,
                         " ".join(statement.split())))


def log_in(app, role: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    from app.demo import DEMO_PASSWORD

    data = {"username": role, "password": DEMO_PASSWORD, **({"csrf_token": token.group(1)} if token else {})}
    if client.post("/login", data=data).status_code not in (302, 303):
        raise SystemExit(f"cannot log in as {role}: is the demo loaded?")
    return client


def preview_form(body: str) -> list[tuple[str, str]] | None:
    """A page's form that offers a preview (a button ``action=preview``: the payment model's simulation beside
    the amendment form), as a browser would post it unchanged with that button; None when there is none. A
    preview stores nothing, so it is timed like a page."""
    from lxml import html as lxml_html

    for form in lxml_html.fromstring(body).forms:
        if form.xpath(".//button[@name='action'][@value='preview']"):
            textareas = {e.name for e in form.inputs if e.tag == "textarea"}
            return [(name, (value or "").removeprefix("\n") if name in textareas else value or "")
                    for name, value in form.form_values()] + [("action", "preview")]
    return None


def time_page(client, url: str, repeat: int, aim: float, counter: Statements,
              data: list[tuple[str, str]] | None = None) -> tuple[list[float], int, int, bool]:
    """The timed runs (after a warm-up), the status, the statements, and whether the warm-up was so slow (or
    failed) that it is the only run. With ``data``, the page is posted that form instead of opened."""
    times, status, count = [], 0, 0
    for attempt in range(repeat + 1):
        counter.log.clear()
        began = time.perf_counter()
        response = client.get(url) if data is None else client.post(url, data=MultiDict(data))
        response.get_data()
        elapsed = (time.perf_counter() - began) * 1000
        status, count = response.status_code, len(counter.log)
        if attempt == 0:
            if repeat == 0 or elapsed > SLOW_FACTOR * aim or status != 200:
                return [elapsed], status, count, repeat > 0
            continue
        times.append(elapsed)
    return times, status, count, False


def routes(app, only: str | None, skip: str | None = None) -> Iterator:
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if ("GET" in rule.methods and not SKIPPED.match(rule.endpoint) and (only is None or re.search(only, rule.rule))
                and (skip is None or not re.search(skip, rule.rule))):
            yield rule


def measure(app, roles: list[str], repeat: int, aim: float, only: str | None = None,
            skip: str | None = None) -> tuple[float, list[Result]]:
    """The baseline (median ms) and a result per role, page and variant the role may open."""
    HEAVIEST.update(_heaviest())
    PAIRS.update(_pairs())
    counter = Statements(app.extensions["db_bind"])
    results: list[Result] = []
    baseline_runs: list[float] = []
    rules = list(routes(app, only, skip))
    too_slow: set[str] = set()  # endpoints whose warm-up was far too slow: measured for the first role only
    with app.app_context():
        from app.db import session
        heaviest_gemeente = session.scalar(HEAVIEST["gemeente_id"]())
    for role in roles:
        print(f"  {role}: {len(rules)} routes ...", file=sys.stderr, flush=True)
        client = log_in(app, role)
        baseline_runs += time_page(client, BASELINE, max(repeat, 1), aim, counter)[0]
        for rule in rules:
            if rule.endpoint in too_slow:  # failed once already, far above the aim: another opening adds minutes
                continue
            for args in candidates(app, rule):
                with app.test_request_context():
                    from flask import url_for
                    url = url_for(rule.endpoint, **args)
                if rule.endpoint in QUERIES:
                    url += "?" + QUERIES[rule.endpoint].format(gemeente=heaviest_gemeente)
                first = client.get(url)
                if first.status_code != 200:
                    continue  # not this role's page (or not this record): try the next candidate
                todo = [("", url)]
                body = first.get_data(as_text=True) if first.mimetype == "text/html" else ""
                if "<tbody>" in body and not rule.arguments:
                    todo += variants(body, url)
                preview = preview_form(body) if 'value="preview"' in body else None
                if preview is not None:
                    todo.append(("POST preview", url))
                for label, variant_url in todo:
                    times, status, count, once = time_page(client, variant_url, repeat, aim, counter,
                                                           preview if label == "POST preview" else None)
                    shown = f"{variant_url} [{label}]" if label == "POST preview" else variant_url
                    result = Result(role, rule.endpoint, shown, label, min(times), statistics.median(times),
                                    count, status, once=once, slowest=sorted(counter.log, reverse=True)[:5])
                    results.append(result)
                    if result.once and not label:
                        too_slow.add(rule.endpoint)
                        break
                break
    return statistics.median(baseline_runs), results


def print_table(baseline: float, results: list[Result], aim: float, explain: bool = False) -> int:
    """Print every result and return how many failed the aim."""
    print(f"baseline {BASELINE}: {baseline:.1f} ms (median); aim {aim:.0f} ms a page")
    print(f"{'role':<13} {'page':<60} {'best ms':>9} {'median':>9} {'× base':>7} {'stmts':>6}  verdict")
    failed = 0
    for r in sorted(results, key=lambda r: (r.path, r.role)):
        ok = r.best_ms <= aim and r.status == 200
        failed += not ok
        verdict = "ok" if ok else ("FAIL (once: too slow to repeat)" if r.once else f"FAIL ({r.status})"
                                   if r.status != 200 else "FAIL")
        print(f"{r.role:<13} {r.path[:60]:<60} {r.best_ms:>9.1f} {r.median_ms:>9.1f} "
              f"{r.best_ms / baseline if baseline else 0:>7.1f} {r.statements:>6}  {verdict}")
        if explain and not ok:
            for ms, statement in r.slowest:
                print(f"{'':<13}   {ms:8.1f} ms  {statement[:200]}")
    print(f"{len(results)} pages and variants, {failed} above the aim")
    return failed


def refresh_kept_state(app) -> None:
    """What a migration marked for recomputation, before anything is timed (``flask projections refresh``)."""
    from app import projections

    with app.app_context():
        began = time.perf_counter()
        count = projections.refresh()
        if count:
            print(f"kept state of {count:,} trajecten recomputed in {time.perf_counter() - began:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--trajecten", type=int, default=100_000, help="trajecten wanted (default 100000)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=None, help="generator processes (default: cores, ≤ 4)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per page after one warm-up (best)")
    parser.add_argument("--aim-ms", type=float, default=None, help="the aim per page (default 300, 1000 above 150k)")
    parser.add_argument("--only", default=None, help="only routes whose rule matches this regular expression")
    parser.add_argument("--skip", default=None, help="leave out routes whose rule matches this regular expression "
                        "(a page already known to take minutes, at a volume where one opening takes many)")
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated demo users")
    parser.add_argument("--explain", action="store_true", help="print the slowest statements of failing pages")
    args = parser.parse_args(argv)
    from reports import _analyze, prepare

    app, how = prepare(args.database_url, args.trajecten, args.seed, args.batch, args.workers)
    print(how)
    refresh_kept_state(app)
    _analyze(app)
    app.config["WTF_CSRF_ENABLED"] = True
    aim = args.aim_ms or aim_ms(args.trajecten)
    baseline, results = measure(app, args.roles.split(","), args.repeat, aim, args.only, args.skip)
    return 1 if print_table(baseline, results, aim, args.explain) else 0


if __name__ == "__main__":
    sys.exit(main())
