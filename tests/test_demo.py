"""The demo data that `make run` loads: complete, valid and loaded only into an empty database."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select
from stdnum import iban
from stdnum.nl import bsn, btw

from app import clock
from app.db import session as app_session
from app.demo import DEMO_PASSWORD, load_demo
from app.models import BenefitType, Client, Gemeente, Provider, ProviderStatus, Role, User
from app.uow import committed
from tests.conftest import login


def test_demo_has_everything_the_readme_promises(app, db):
    with app.app_context(), committed():
        summary = load_demo(app_session, seed=7)
    assert summary["trajecten"] > 60
    assert summary["invoices"] >= 5
    assert {k: v for k, v in summary.items() if k not in ("trajecten", "invoices")} == {
        "gemeenten": 3, "providers": 5, "users": 9, "clients": 300, "tenders": 3, "contracts": 4}

    gemeenten = db.scalars(select(Gemeente)).all()
    assert len({g.executing_body_id for g in gemeenten}) == 1 and gemeenten[0].executing_body_id

    providers = db.scalars(select(Provider)).all()
    assert sum(p.status == ProviderStatus.REFERRAL_STOP for p in providers) == 1

    assert sum(bool(p.expired_marks(clock.today())) for p in providers) == 1
    for p in providers:
        assert iban.is_valid(p.iban) and btw.is_valid(p.vat_number) and len(p.kvk_number) == 8

    assert {u.role for u in db.scalars(select(User))} == set(Role)

    db.expire_all()
    clients = db.scalars(select(Client)).all()
    assert len(clients) == 300 and all(bsn.is_valid(c.bsn) for c in clients)
    assert len({c.bsn for c in clients}) == 300
    benefits = Counter(c.benefit_type for c in clients)
    assert benefits[BenefitType.PARTICIPATIEWET] > 200 and benefits[BenefitType.NONE] > 0
    assert set(Counter(c.phase for c in clients)) == {1, 2, 3, 4}
    assert all(c.phase_history and c.phase_history[0].phase == c.phase for c in clients)
    assert all(c.monthly_benefit == 0 for c in clients if c.benefit_type == BenefitType.NONE)


def test_every_demo_login_works(app, db):
    with app.app_context(), committed():
        load_demo(app_session, seed=7, clients=5)
    for username in ("admin", "inkoper", "klantmanager", "klantmanager2", "financien", "controller",
                     "budgethouder", "management", "aanbieder"):
        assert login(app.test_client(), username, DEMO_PASSWORD).status_code == 302, username


def test_demo_cli_loads_only_into_an_empty_database(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "Demo loaded" in first.output, first.output
    second = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "not loaded" in second.output


def test_demo_trajecten_follow_the_lifecycle_rules(app, db):
    from app.models import Traject
    from app.trajecten.services import history, needs_confirmation
    from contracts.lifecycle import TrajectStatus, replay

    with app.app_context(), committed():
        load_demo(app_session, seed=7)
    trajecten = db.scalars(select(Traject)).all()
    for t in trajecten:
        assert replay(t.referral_date, history(t)).status == t.status, t.id
        assert t.contract_version.contract_id == t.contract_id
        assert t.gemeente_id == t.client.gemeente_id
    statuses = Counter(t.status for t in trajecten)
    assert {TrajectStatus.REFERRED, TrajectStatus.STARTED, TrajectStatus.PLACED} <= set(statuses)
    events = [e for t in trajecten for e in t.events]
    assert any(needs_confirmation(e) for e in events), "the demo shows outcomes waiting for confirmation"
    assert any(e.confirmation is not None for e in events)


def test_demo_invoices_went_through_four_eyes_and_budgets_are_reconciled(app, db):
    from app.invoicing.services import hands
    from app.models import Budget, Invoice
    from invoicing.budget import BudgetFigures, reconcile
    from invoicing.status import InvoiceStatus

    with app.app_context(), committed():
        load_demo(app_session, seed=7, clients=300)
    invoices = db.scalars(select(Invoice)).all()
    assert {InvoiceStatus.PAID, InvoiceStatus.EXPORTED, InvoiceStatus.APPROVED, InvoiceStatus.CHECKED,
            InvoiceStatus.DRAFT} <= {i.status for i in invoices}
    for invoice in invoices:
        who = hands(invoice)
        assert not set(who.approved_by) & {who.created_by, who.submitted_by, who.checked_by}, invoice.number
        assert invoice.subtotal == sum(line.amount for line in invoice.lines)
    budgets = db.scalars(select(Budget)).all()
    reported = [b for b in budgets if b.spent_reported is not None]
    assert reported and any(reconcile(BudgetFigures(b.amount, b.carried_over, b.spent_reported,
                                                    b.remaining_reported)) for b in reported)
    assert all(g.oin and g.street for g in db.scalars(select(Gemeente)))


def test_demo_tender_past_its_standstill_can_be_contracted_in_one_sitting(app, db):
    """A tender of one's own cannot close on its publication day and then waits 20 days of standstill; the demo's
    AB-2026-002 is past that, so the README's tour can make a contract from its award and close it at once."""
    import lxml.html

    from app.models import Contract, LotAward, Tender
    from contracts.procurement import TenderStatus

    with app.app_context(), committed():
        load_demo(app_session, seed=7, clients=5)
    tender = db.scalar(select(Tender).where(Tender.reference == "AB-2026-002"))
    assert tender.status == TenderStatus.STANDSTILL
    assert tender.standstill_end < clock.today()
    awarded = [a for a in tender.lots[0].awards if a.awarded]
    assert len(awarded) == 1 and awarded[0].rank == 1
    assert any(not a.awarded and a.total_points is None for a in tender.lots[0].awards), "one bidder fails selection"
    assert db.scalar(select(Contract).where(Contract.bid_id == awarded[0].bid_id)) is None

    inkoper = app.test_client()
    assert login(inkoper, "inkoper", DEMO_PASSWORD).status_code == 302
    page = inkoper.get(f"/contracten/nieuw?bid={awarded[0].bid_id}")
    assert page.status_code == 200, page.data
    form = lxml.html.fromstring(page.data).xpath("//main//form[@method='post']")[0]
    start = clock.today() + timedelta(days=1)
    typed = {"number": "C-2026-201", "start_date": start.isoformat(),
             "end_date": (start + timedelta(days=729)).isoformat()}
    made = inkoper.post(f"/contracten/nieuw?bid={awarded[0].bid_id}", data={**dict(form.form_values()), **typed})
    assert made.status_code == 302, made.data
    db.expire_all()
    contract = db.scalar(select(Contract).where(Contract.bid_id == awarded[0].bid_id))
    assert contract is not None and contract.provider_id == awarded[0].bid.provider_id

    closed = inkoper.post(f"/aanbestedingen/{tender.id}/status", data={"target": TenderStatus.CONTRACTED.value})
    assert closed.status_code == 302
    db.expire_all()
    assert db.get(Tender, tender.id).status == TenderStatus.CONTRACTED
    assert db.scalar(select(LotAward).where(LotAward.bid_id == awarded[0].bid_id)).awarded
