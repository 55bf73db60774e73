"""Two approvals at the same moment can't both take effect.

Like the referral race, this needs committed data and real concurrent connections, so it builds its own
database. Approvers act on one checked invoice at once, released by a barrier. The invoice row is locked
(``FOR UPDATE``) and read afresh before the four-eyes rules are asked, so on PostgreSQL the approvals
queue (on SQLite they queue on the write lock their IMMEDIATE transactions take): with one approval needed
exactly one takes effect and the rest are told the invoice is already approved; with two needed both count and
the invoice ends approved (without the fresh read both would act on "no approvals yet" and the invoice would
stay checked with two approvals).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, create_app
from app.db import make_engine
from app.migrate import upgrade
from tests.concurrency import at_once, race_contract


def _world(url: str, approvers: int) -> tuple[int, list[int]]:
    from app.models import Invoice, InvoiceSource, InvoiceStep, Role, User
    from invoicing.status import InvoiceStatus, Step

    engine = make_engine(url)
    today = clock.today()
    with Session(engine) as db:
        db.info["actor"] = (None, "test")
        gemeente, provider, contract = race_contract(today)
        users = [User(username=f"f{i}", full_name=f"F{i}", email=f"f{i}@x.nl", role=Role.FINANCE, password_hash="x")
                 for i in range(2 + approvers)]
        db.add_all([gemeente, provider, contract, *users])
        db.flush()
        invoice = Invoice(number="F-RACE", source=InvoiceSource.SELF_BILLING, contract=contract, provider=provider,
                          period_start=today, period_end=today, issue_date=today, due_date=today,
                          status=InvoiceStatus.CHECKED, vat_category="S", vat_rate=Decimal("21"),
                          subtotal=Decimal("1000.00"), vat=Decimal("210.00"), total=Decimal("1210.00"),
                          created_by_id=users[0].id)
        invoice.steps = [InvoiceStep(step=Step.SUBMIT, user_id=users[0].id),
                         InvoiceStep(step=Step.CHECK, user_id=users[1].id)]
        db.add(invoice)
        db.commit()
        ids = invoice.id, [u.id for u in users[2:]]
    engine.dispose()
    return ids


@pytest.mark.parametrize(("threshold", "approvers"), [("100000.00", 4), ("1000.00", 2)])
def test_simultaneous_approvals_take_effect_one_after_the_other(fresh_database_url, threshold, approvers):
    from app.invoicing.services import InvoiceError, take_step
    from app.models import Invoice, InvoiceStep, User
    from invoicing.status import InvoiceStatus, Step

    url = fresh_database_url()
    upgrade(url)
    invoice_id, user_ids = _world(url, approvers)
    app = create_app("testing", overrides={"DATABASE_URL": url, "INVOICE_SECOND_APPROVER_ABOVE": threshold})

    def prepare(user_id: int):
        from app.db import session

        session.info["actor"] = (user_id, "race")
        session.get(Invoice, invoice_id)  # everybody has read the invoice before anybody acts
        return session.get(User, user_id)

    outcomes = at_once(app, user_ids, prepare, lambda user: take_step(invoice_id, Step.APPROVE, user, clock.today()),
                       InvoiceError)

    engine = make_engine(url)
    with Session(engine) as db:
        invoice = db.get(Invoice, invoice_id)
        approvals = db.scalars(select(InvoiceStep).where(InvoiceStep.invoice_id == invoice_id,
                                                         InvoiceStep.step == Step.APPROVE)).all()
        status = invoice.status
    engine.dispose()
    needed = 1 if threshold == "100000.00" else 2
    assert len(outcomes) == approvers
    assert len(approvals) == outcomes.count("done")
    assert len(approvals) == needed, outcomes
    assert status == InvoiceStatus.APPROVED
    assert outcomes.count("refused") == approvers - needed, outcomes
