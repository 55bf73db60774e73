"""The volume generator (app/generate.py): what it writes is what the app would have kept."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from sqlalchemy import func, select
from stdnum.nl import bsn as std_bsn

from app import clock
from app.db import session as app_session
from app.demo import load_demo
from app.generate import bsn_numbers, generate
from app.models import Client, Contract, Invoice, InvoicedEntitlement, InvoiceLine, InvoiceStep, Traject
from app.projections import KEPT_COLUMNS, keep_outlook
from app.trajecten.services import engine_traject, history, open_actions, terms_for
from app.uow import committed
from contracts.indicators import FACT_FIELDS, facts_of
from contracts.lifecycle import TrajectStatus, replay
from invoicing.status import APPROVED_STATUSES

TODAY = clock.today()


def _demo(app) -> int:
    """Load the demo (a small one); the highest traject id it made."""
    with app.app_context(), committed():
        load_demo(app_session, seed=7, clients=60)
        return app_session.scalar(select(func.max(Traject.id))) or 0


def test_bsn_numbers_pass_the_eleven_test_and_never_repeat():
    numbers = [b for b, _ in zip(bsn_numbers(), range(5000), strict=False)]
    assert all(std_bsn.is_valid(b) and len(b) == 9 for b in numbers)
    assert numbers == sorted(set(numbers))


def test_generated_trajecten_are_what_the_app_would_keep(app, db):
    before = _demo(app)
    clients_before = db.scalar(select(func.count()).select_from(Client))
    summary = generate(app.extensions["db_bind"], 300, seed=11, batch=70, today=TODAY)
    assert (summary.trajecten, summary.clients) == (300, 300)

    db.expire_all()
    made = db.scalars(select(Traject).where(Traject.id > before).order_by(Traject.id)).all()
    assert len(made) == 300
    assert db.scalar(select(func.count()).select_from(Client)) == clients_before + 300
    assert summary.events == sum(len(t.events) for t in made)
    for t in made:
        state = replay(t.referral_date, history(t))
        assert state.status == t.status, t.id
        assert t.open_lot_key == (t.contract.lot_key if state.is_open else None), t.id
        assert t.last_event_on == (state.last_event_on or t.referral_date), t.id
        facts = facts_of(engine_traject(t).events, terms_for(t).durability_months)
        assert {n: getattr(t, n) for n in FACT_FIELDS} == {n: getattr(facts, n) for n in FACT_FIELDS}, t.id
        written = [getattr(t, n) for n in KEPT_COLUMNS["outlook"]]
        with clock.frozen(TODAY):
            keep_outlook(t)
        assert [getattr(t, n) for n in KEPT_COLUMNS["outlook"]] == written, t.id
        assert {(a.kind, a.due) for a in t.kept_actions} == {(a.kind.value, a.due) for a in open_actions(t)}, t.id
        # Paid under the version in force, or the first one for a referral before the contract began.
        assert t.contract_version.contract_id == t.contract_id and t.provider_id == t.contract.provider_id
        in_force = t.contract.version_on(t.referral_date) or t.contract.versions[0]
        assert t.contract_version_id == in_force.id
        assert t.gemeente_id == t.client.gemeente_id and t.client.gemeente in t.contract.gemeenten
        assert t.contract.lot is None or t.contract.lot.target_group_id == t.client.target_group_id
        assert t.client_group == t.client.target_group.code and t.phase_at_referral == t.client.phase
        assert t.client.phase_history and t.client.phase_history[0].phase == t.client.phase
        assert all(e.event_date <= TODAY and not e.by_provider for e in t.events)
        assert TODAY.replace(year=TODAY.year - 3) <= t.referral_date <= TODAY

    statuses = Counter(t.status for t in made)
    assert {TrajectStatus.ENDED, TrajectStatus.REFUSED, TrajectStatus.PLACED} <= set(statuses), statuses
    assert sum(t.placed_on is not None for t in made) > 30
    assert any(t.durable_on for t in made) and any(t.fell_back_on for t in made) and any(t.exited_on for t in made)
    assert len({t.contract_id for t in made}) > 1 and len({t.phase_at_referral for t in made}) == 4


def test_bsns_are_valid_and_unique_and_one_open_traject_per_lot_holds(app, db):
    _demo(app)
    generate(app.extensions["db_bind"], 250, seed=3, batch=100, today=TODAY)
    generate(app.extensions["db_bind"], 50, seed=3, batch=100, today=TODAY)  # again on top: no collisions
    db.expire_all()
    bsns = db.scalars(select(Client.bsn)).all()
    assert len(bsns) == 60 + 300 and len(set(bsns)) == len(bsns)
    assert all(std_bsn.is_valid(b) for b in bsns)
    doubled = db.execute(select(Traject.client_id, Traject.open_lot_key, func.count())
                         .where(Traject.open_lot_key.is_not(None))
                         .group_by(Traject.client_id, Traject.open_lot_key).having(func.count() > 1)).all()
    assert doubled == []


def test_invoices_are_approved_and_add_up(app, db):
    before = _demo(app)
    invoices_before = {i.id for i in db.scalars(select(Invoice))}
    summary = generate(app.extensions["db_bind"], 300, seed=5, batch=300, today=TODAY)
    db.expire_all()
    new = [i for i in db.scalars(select(Invoice).order_by(Invoice.id)) if i.id not in invoices_before]
    assert len(new) == summary.invoices > 3
    lines = [line for i in new for line in i.lines]
    assert len(lines) == summary.invoice_lines > 50
    for invoice in new:
        assert invoice.status in APPROVED_STATUSES and invoice.lines
        assert invoice.subtotal == sum(line.amount for line in invoice.lines)
        assert invoice.total == invoice.subtotal + invoice.vat
        assert [line.position for line in invoice.lines] == list(range(1, len(invoice.lines) + 1))
        assert all(invoice.period_start <= line.due_on <= invoice.period_end for line in invoice.lines)
        assert invoice.period_end < TODAY.replace(day=1)
        steps = {s.step for s in db.scalars(select(InvoiceStep).where(InvoiceStep.invoice_id == invoice.id))}
        assert {"submit", "check", "approve"} <= steps
    for line in lines:
        assert line.traject_id > before and line.gemeente_id == line.traject.gemeente_id
        assert line.traject.contract_id == line.invoice.contract_id
    registered = db.scalar(select(func.count()).select_from(InvoicedEntitlement)
                           .where(InvoicedEntitlement.key.in_([line.entitlement_key for line in lines])))
    assert registered == len(lines)
    assert sum(line.amount for line in lines) > Decimal("0")
    assert db.scalar(select(func.count()).select_from(InvoiceLine)) >= len(lines)
    # Each traject keeps the approved cost its lines add up to, as the app keeps it (app.projections).
    per_traject = Counter()
    for line in lines:
        per_traject[line.traject_id] += line.amount
    generated = db.scalars(select(Traject).where(Traject.id > before)).all()
    assert {t.id: t.approved_cost for t in generated} == {t.id: per_traject.get(t.id, Decimal("0.00"))
                                                          for t in generated}
    assert any(t.approved_cost > 0 for t in generated) and any(t.approved_cost == 0 for t in generated)


def test_the_same_seed_gives_the_same_data_with_or_without_worker_processes(app, db):
    _demo(app)
    conn = app.extensions["db_bind"]

    def rows():
        return [tuple(r) for r in db.execute(
            select(Traject.referral_date, Traject.contract_id, Traject.status, Traject.placed_on, Client.bsn)
            .join(Client, Client.id == Traject.client_id).where(Traject.id > 0).order_by(Traject.id))]

    savepoint = conn.begin_nested()
    generate(conn, 120, seed=9, batch=40, today=TODAY, workers=1)
    inline = rows()
    db.rollback()  # the session's own savepoint first, then the one around the first run
    savepoint.rollback()
    generate(conn, 120, seed=9, batch=40, today=TODAY, workers=2)
    assert rows() == inline


def test_cli_refuses_a_database_without_the_demo(app, db):
    assert db.scalar(select(func.count()).select_from(Contract)) == 0
    result = app.test_cli_runner().invoke(args=["demo", "generate", "--trajecten", "10"])
    assert result.exit_code != 0
    assert "flask demo load" in result.output
    assert db.scalar(select(func.count()).select_from(Traject)) == 0


def test_cli_generates_with_progress(app, db):
    _demo(app)
    before = db.scalar(select(func.count()).select_from(Traject))
    result = app.test_cli_runner().invoke(args=["demo", "generate", "--trajecten", "40", "--batch", "20",
                                                "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "20 / 40 trajecten" in result.output and "40 / 40 trajecten" in result.output
    assert "Generated 40 trajecten" in result.output
    assert db.scalar(select(func.count()).select_from(Traject)) == before + 40
