"""The budget's kept outlook (app.projections.keep_outlook, summed in SQL by app.budgets.services.outlook) gives
the figures a fresh run of the payment engine over every traject gives: over random histories, on the demo, after
the calendar moves on; and the budget page reads a fixed number of statements however many trajecten there are.

The fresh computation here is the one the budget page did on every request before the outlook was kept: per
open traject its maximum (``max_cost``), what it is owed as of today (``evaluate``), what approved invoices paid,
and the average of the contract's finished trajecten, in Decimal euros, written out by hand from the rule in
docs/budgets.md.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app import clock
from app.db import session as app_session
from app.generate import bsn_numbers
from app.models import Client, Invoice, InvoiceLine, Traject, TrajectEvent
from app.models.invoicing import InvoiceSource
from app.projections import keep_costs, keep_events, stale_count
from app.trajecten.services import engine_ready, engine_traject, payment_model, terms_for
from contracts.engine import evaluate
from contracts.events import EventType, WorkKind
from contracts.lifecycle import CLOSED_STATUSES, TrajectStatus
from invoicing.budget import CENTS, due_on, in_year, max_cost, outlook_parts
from invoicing.status import InvoiceStatus
from tests.conftest import statements_of

TODAY = clock.today()  # the app's day (Amsterdam), which the kept outlook is computed as of
C = Decimal("0.01")
E = EventType


def fresh(today: date) -> tuple[dict, dict]:
    """(totals over every year, this year's part) of committed and expected per (gemeente, source), by running
    the engine over every traject now; the year's part puts what is owed and unpaid now, the rest in the year
    of :func:`invoicing.budget.due_on`."""
    trajecten = app_session.scalars(engine_ready(select(Traject))).all()
    finished: dict[int, list[Decimal]] = defaultdict(list)
    for t in trajecten:
        if t.status in CLOSED_STATUSES and t.status != TrajectStatus.REFUSED:
            finished[t.contract_id].append(evaluate(payment_model(t), engine_traject(t), today).total)
    totals: dict[tuple, list[Decimal]] = {}
    this_year: dict[tuple, list[Decimal]] = {}
    for t in trajecten:
        if t.open_lot_key is None:
            continue
        model = payment_model(t)
        key = (t.gemeente_id, t.contract.funding_source)
        most = max_cost(model, t.client_group, t.price)
        totals.setdefault(key, [Decimal("0.00"), Decimal("0.00")])  # an open traject makes a row, even of 0
        this_year.setdefault(key, [Decimal("0.00"), Decimal("0.00")])
        if most is None:
            continue
        owed = evaluate(model, engine_traject(t), today).total
        paid = sum((line.amount for inv in app_session.scalars(select(Invoice).where(
            Invoice.status.in_(["approved", "exported", "paid"]))) for line in inv.lines
            if line.traject_id == t.id), Decimal("0.00"))
        done = finished.get(t.contract_id, [])
        if len(done) >= 10:
            likely = min(max(sum(done) / len(done), Decimal(0)), most).quantize(C, ROUND_HALF_UP)
        else:
            likely = (most * Decimal("0.5")).quantize(C, ROUND_HALF_UP)
        committed = max(most - paid, Decimal(0))
        expected = min(max(max(likely, owed) - paid, Decimal(0)), committed)
        now = min(max(owed - paid, Decimal(0)), committed)
        terms = terms_for(t)
        due = due_on(t.referral_date, t.started_on, t.placed_on, terms.durability_months, terms.max_duration_months)
        rest_now = due.year <= today.year
        totals[key][0] += committed
        totals[key][1] += expected
        this_year[key][0] += committed if rest_now else now
        this_year[key][1] += expected if rest_now else now
    return ({k: tuple(v) for k, v in totals.items()}, {k: tuple(v) for k, v in this_year.items()})


def kept(today: date) -> tuple[dict, dict]:
    """The same two from the kept outlook, as the budget page reads it (SQL), over the next years."""
    from app.budgets.services import outlook

    totals: dict = {}
    current = {key: (o.committed, o.expected) for key, o in outlook(today).items()}
    for year in range(today.year, today.year + 6):
        for key, o in outlook(today, year).items():
            committed, expected = totals.get(key, (Decimal("0.00"), Decimal("0.00")))
            totals[key] = (committed + o.committed, expected + o.expected)
    return totals, current


def in_python(today: date) -> dict:
    """This year's part from the kept columns with the rule in Python integers (invoicing.budget.CENTS)."""
    from app.budgets.services import observed

    averages = observed()
    found: dict = defaultdict(lambda: [0, 0])
    for t in app_session.scalars(select(Traject).where(Traject.open_lot_key.is_not(None))):
        realised = int((t.approved_cost * 100).to_integral_value(ROUND_HALF_UP))
        parts = outlook_parts(CENTS, t.cost_max_cents, t.cost_owed_cents, realised, averages.get(t.contract_id))
        committed, expected = in_year(CENTS, parts, t.cost_due_year, today.year, today.year)
        row = found[(t.gemeente_id, t.contract.funding_source)]
        row[0] += committed
        row[1] += expected
    return {k: (Decimal(c).scaleb(-2), Decimal(e).scaleb(-2)) for k, (c, e) in found.items()}


def agree(app, today: date = TODAY) -> dict:
    with app.app_context():
        expected_totals, expected_now = fresh(today)
        totals, now = kept(today)
        assert totals == expected_totals
        assert now == expected_now
        assert in_python(today) == now
    return totals


# --- random histories --------------------------------------------------------------------------------

STEPS = st.lists(st.sampled_from(["accept", "start", "place", "still", "end", "drop", "refuse"]), max_size=6)


def add(db, world, client, referral: date, steps: list[str]) -> Traject:
    """A traject with the events ``steps`` name, a week or more apart, as far as the lifecycle allows them in
    order (recorded by the klantmanager, so outcomes count without confirmation)."""
    contract = world.contract
    t = Traject(client=client, contract=contract, contract_version=contract.versions[0], provider=contract.provider,
                gemeente=client.gemeente, client_group="algemeen", price=Decimal("2500.00"), referral_date=referral,
                referred_by=world.users["klantmanager"])
    db.add(t)
    day, closed = referral, False
    kinds = {"accept": E.ACCEPTED, "start": E.STARTED, "place": E.PLACEMENT, "still": E.STILL_EMPLOYED,
             "end": E.ENDED, "drop": E.DROPOUT, "refuse": E.REFUSED}
    done: set[str] = set()
    for step in steps:
        allowed = {"accept": not done, "refuse": not done, "start": done == {"accept"},
                   "place": "start" in done and "place" not in done, "still": "place" in done and "still" not in done,
                   "end": "start" in done, "drop": "start" in done}
        if closed or not allowed[step]:
            continue
        day = day + timedelta(days=7 if step != "still" else 190)
        if day > TODAY:
            break
        extra = ({"employer": "Bakkerij", "hours_per_week": Decimal("32"), "work_kind": WorkKind.REGULAR,
                  "contract_months": 12} if step == "place" else {})
        t.events.append(TrajectEvent(type=kinds[step], event_date=day, recorded_by=world.users["klantmanager"],
                                     reason="reden" if step in ("end", "drop", "refuse") else "", **extra))
        done.add(step)
        closed = step in ("end", "drop", "refuse")
    db.flush()
    keep_events(t)
    return t


BSNS = bsn_numbers(3_000_000)


def new_client(db, world, gemeente: int) -> Client:
    """A client of one of the world's gemeenten (one open traject per client and lot: each history its own)."""
    model = world.clients[gemeente]
    client = Client(bsn=next(BSNS), first_name="Nieuw", last_name="Cliënt", gemeente=model.gemeente,
                    benefit_type=model.benefit_type, monthly_benefit=model.monthly_benefit,
                    target_group=model.target_group, klantmanager=model.klantmanager)
    client.assess(2, 3, TODAY - timedelta(days=1200))
    db.add(client)
    return client


def pay(db, t: Traject, amount: Decimal) -> None:
    """An approved invoice of one line for ``t``; the caller keeps the approved cost, as every invoice step does."""
    invoice = Invoice(number=f"O-{t.id}", source=InvoiceSource.SELF_BILLING, provider_id=t.provider_id,
                      contract_id=t.contract_id, period_start=TODAY, period_end=TODAY, issue_date=TODAY,
                      due_date=TODAY, status=InvoiceStatus.APPROVED, vat_category="S", vat_rate=Decimal("21.00"),
                      subtotal=amount, vat=Decimal("0.00"), total=amount)
    invoice.lines.append(InvoiceLine(position=1, gemeente_id=t.gemeente_id, traject_id=t.id, due_on=TODAY,
                                     amount=amount, description="test"))
    db.add(invoice)
    db.flush()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(histories=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1100), STEPS,
                                    st.sampled_from([None, "0.00", "500.00", "1750.00", "3000.00"])),
                          min_size=1, max_size=5),
       finished=st.booleans())
def test_the_kept_outlook_equals_a_fresh_run_of_the_engine_over_random_histories(app, db, world, histories,
                                                                                  finished):
    try:
        if finished:  # enough finished trajecten for the contract's average to be the expectation
            for n in range(10):
                add(db, world, world.clients[2], TODAY - timedelta(days=400 + n), ["accept", "start", "end"])
        for gemeente, days_ago, steps, paid in histories:
            t = add(db, world, new_client(db, world, gemeente), TODAY - timedelta(days=days_ago), steps)
            if paid is not None:
                pay(db, t, Decimal(paid))
        db.flush()
        with app.app_context():
            keep_costs()
            app_session.commit()  # into the test's own savepoint, which the rollback below undoes
        db.expire_all()
        agree(app)
    finally:
        db.rollback()


# --- the demo, and the calendar ----------------------------------------------------------------------


def test_the_demo_budget_figures_are_those_of_a_fresh_run_of_the_engine(app, db):
    from app.demo import load_demo
    from app.uow import committed

    with app.app_context(), committed():
        load_demo(app_session, seed=7)
    totals = agree(app)
    # Not vacuous: the demo commits money in several gemeenten, with something expected.
    assert len(totals) >= 3 and sum(c for c, _e in totals.values()) > 0 and sum(e for _c, e in totals.values()) > 0


def test_when_a_window_closes_with_no_new_event_the_nightly_refresh_brings_the_figures_up_to_date(
        app, db, world, as_role):
    """Under a model that pays a handover fee seven months after the end unless the client worked durably by
    then, ten trajecten that ended a month ago are owed nothing yet; seven months on they are owed € 100 each
    with no new event, and their average becomes the expectation of the open one. Until the refresh the
    page's figures are behind (and it says how many trajecten wait); after it, they agree with the engine."""
    version = world.contract.versions[0]
    version.payment_model = json.loads(Path("contracts/templates/no_cure_no_pay_handover.json").read_text())
    db.flush()
    keep_events(db.get(Traject, world.traject.id))  # a version never changes in the app: its traject kept anew
    ended = [add(db, world, world.clients[2], TODAY - timedelta(days=60 + n), ["accept", "start", "end"])
             for n in range(10)]
    add(db, world, world.clients[1], TODAY - timedelta(days=30), ["accept", "start"])
    db.commit()
    assert all(t.cost_owed_cents == 0 and t.cost_owed_until is not None for t in ended)
    agree(app)
    later = TODAY + timedelta(days=250)
    def waiting() -> int:
        with app.app_context():
            return stale_count()

    with clock.frozen(later):
        assert waiting() == 10
        page = as_role("finance").get("/budgetten/").get_data(as_text=True)
        assert "Van 10 trajecten is het verdiende bedrag berekend vóór vandaag" in html.unescape(page)
        # The job worker's nightly task, as its scheduler would start it at 02:15.
        queue = app.extensions["huey"]
        nightly = [t for t in queue.read_periodic(datetime(later.year, later.month, later.day, 2, 15))
                   if t.name == "refresh_projections"]
        assert len(nightly) == 1
        queue.execute(nightly[0])
        assert waiting() == 0
        assert "berekend vóór vandaag" not in html.unescape(as_role("finance").get("/budgetten/").get_data(
            as_text=True))
    db.expire_all()
    assert [(t.cost_owed_cents, t.cost_owed_until) for t in ended] == [(10_000, None)] * 10
    with clock.frozen(later):
        totals = agree(app, later)
    assert totals[(world.clients[1].gemeente_id, world.contract.funding_source)] == (Decimal("850.00"),
                                                                                      Decimal("100.00"))


def test_the_budget_page_reads_the_same_few_statements_for_any_number_of_trajecten(
        app, db, world, connection, as_role):
    client = as_role("finance")

    def open_page() -> None:
        assert client.get("/budgetten/").status_code == 200

    def statements() -> int:
        return statements_of(connection, open_page)

    few = statements()
    for n in range(12):
        add(db, world, world.clients[2], TODAY - timedelta(days=100 + n), ["accept", "start", "end"])
    add(db, world, world.clients[1], TODAY - timedelta(days=50), ["accept", "start"])
    db.commit()
    assert statements() == few
