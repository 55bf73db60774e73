"""Each traject's kept approved cost follows its invoices: it is what approved, exported and paid invoice
lines hold for the traject, through every invoice step (four-eyes steps, a rejection, a credit note), each of
which calls the cost projection (:mod:`app.projections`) itself; a change made past the services is followed
only when the projection is run, and ``flask projections rebuild`` restores a cost that was wrong.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select, update

from app import clock
from app.models import Invoice, InvoiceLine, Traject
from contracts.events import EventType
from invoicing.status import APPROVED_STATUSES, InvoiceStatus
from tests.test_invoices import approve_fully, invoices, run, step

TODAY = clock.today()


def project_costs(app, invoice_id: int | None = None) -> None:
    """Run the cost projection as a service would, in a transaction of the app's own: of one invoice's
    trajecten, or (None) of every traject, for invoices a test wrote straight into the database."""
    from app.db import session
    from app.projections import keep_costs, keep_invoice_costs
    from app.uow import committed

    with app.app_context(), committed():
        if invoice_id is None:
            keep_costs()
        else:
            keep_invoice_costs(session.get(Invoice, invoice_id))


def kept(db, traject_id: int) -> Decimal:
    db.expire_all()
    return db.get(Traject, traject_id).approved_cost


def approved_lines(db, traject_id: int) -> Decimal:
    """The definition the kept figure must equal, computed from the invoices themselves."""
    total = db.scalar(select(func.coalesce(func.sum(InvoiceLine.amount), 0)).join(Invoice).where(
        InvoiceLine.traject_id == traject_id, Invoice.status.in_(sorted(APPROVED_STATUSES))))
    return Decimal(str(total)).quantize(Decimal("0.01"))


def test_a_draft_costs_nothing_and_approval_adds_its_lines(world, as_role, db):
    traject = world.traject.id
    assert kept(db, traject) == Decimal("0.00")
    assert step(as_role("provider"), world.invoice, "submit").status_code == 302
    assert step(as_role("finance2"), world.invoice, "check").status_code == 302
    assert kept(db, traject) == Decimal("0.00")  # checked is not yet approved
    assert step(as_role("finance3"), world.invoice, "approve").status_code == 302
    assert kept(db, traject) == Decimal("1750.00") == approved_lines(db, traject)
    c = as_role("finance")
    assert c.post("/facturen/export").status_code == 302
    assert step(c, world.invoice, "pay").status_code == 302
    assert kept(db, traject) == Decimal("1750.00")  # exported and paid still count, once


def test_one_approval_of_two_needed_adds_nothing_yet(world, as_role, db, app):
    app.config["INVOICE_SECOND_APPROVER_ABOVE"] = "2000.00"
    assert step(as_role("provider"), world.invoice, "submit").status_code == 302
    assert step(as_role("finance2"), world.invoice, "check").status_code == 302
    assert step(as_role("finance3"), world.invoice, "approve").status_code == 302
    assert kept(db, world.traject.id) == Decimal("0.00")
    assert step(as_role("admin"), world.invoice, "approve").status_code == 302
    assert kept(db, world.traject.id) == Decimal("1750.00")


def test_a_rejected_invoice_costs_nothing(world, as_role, db):
    assert step(as_role("provider"), world.invoice, "submit").status_code == 302
    assert step(as_role("finance2"), world.invoice, "reject", "Periode klopt niet").status_code == 302
    assert kept(db, world.traject.id) == Decimal("0.00") == approved_lines(db, world.traject.id)


def test_an_approved_credit_note_takes_the_cost_back(world, as_role, db):
    approve_fully(as_role, world.invoice)
    km = as_role("klantmanager")
    for kind in (EventType.PLACEMENT, EventType.STARTED):  # the placement depends on the start: it goes first
        event = next(e for e in world.traject.events if e.type == kind)
        r = km.post(f"/trajecten/{world.traject.id}/correctie", data={
            "revokes_id": event.id, "event_date": TODAY.strftime("%d-%m-%Y"), "reason": "vergissing"})
        assert r.status_code == 302
    assert run(as_role("finance")).status_code == 200
    credit = invoices(db)[-1]
    assert credit.credit_note
    assert kept(db, world.traject.id) == Decimal("1750.00")  # the credit note is a draft
    approve_fully(as_role, credit)
    assert kept(db, world.traject.id) == Decimal("0.00") == approved_lines(db, world.traject.id)


def test_a_status_set_directly_and_a_line_added_later_are_followed_by_the_projection(app, world, db):
    """No listener does it behind a flush: a write past the services leaves the copy as it was until the
    projection of the invoice's trajecten runs, and the projection then reads the lines as they are."""
    invoice = db.get(Invoice, world.invoice.id)
    invoice.status = InvoiceStatus.APPROVED
    db.flush()
    assert kept(db, world.traject.id) == Decimal("0.00")
    project_costs(app, world.invoice.id)
    assert kept(db, world.traject.id) == Decimal("1750.00")
    invoice = db.get(Invoice, world.invoice.id)
    invoice.lines.append(InvoiceLine(position=2, traject_id=world.traject.id, gemeente_id=world.gemeenten[0].id,
                                     rule="handmatig", due_on=TODAY - timedelta(days=1), amount=Decimal("-250.00")))
    db.flush()
    project_costs(app, world.invoice.id)
    assert kept(db, world.traject.id) == Decimal("1500.00") == approved_lines(db, world.traject.id)


def test_rebuild_restores_a_cost_that_was_wrong(world, as_role, db, app):
    approve_fully(as_role, world.invoice)
    db.execute(update(Traject).values(approved_cost=Decimal("99.99")))
    db.flush()
    result = app.test_cli_runner().invoke(args=["projections", "rebuild"])
    assert result.exit_code == 0, result.output
    for traject_id in db.scalars(select(Traject.id)):
        assert kept(db, traject_id) == approved_lines(db, traject_id)
    assert kept(db, world.traject.id) == Decimal("1750.00")
