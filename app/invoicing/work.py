"""Which invoices wait for a user: the start page counts them and the invoice list filters on the same
condition (``?werk=``), so that a count and the list it links to cannot disagree.

Whether an invoice waits for *this* user is the four-eyes rule's answer (:func:`invoicing.status.may_take`),
asked of every invoice in a status from which the step can be taken: a controller who checked an invoice does
not see it again among those to approve.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import aliased, selectinload

from app.db import session
from app.invoicing.services import actor, hands
from app.models.invoicing import Invoice, InvoiceSource
from app.models.users import User
from app.scoping import invoice_scope
from contracts.messages import N_
from contracts.money import to_cents
from invoicing.status import AWAITING_PAYMENT, FROM, InvoiceStatus, Step, may_take


class Work(enum.StrEnum):
    SUBMIT = "indienen"  # drafts this user may submit
    CHECK = "controleren"  # submitted invoices this user may check (deciding on deviating lines is part of it)
    APPROVE = "goedkeuren"  # checked invoices this user may approve
    REJECTED = "afgekeurd"  # rejected and not yet replaced by a corrected invoice
    OVERDUE = "te-laat"  # past the payment term and still not paid
    STATEMENTS = "overzichten"  # the gemeente's self-billing statements still on their way to payment


WORK_LABELS = {
    Work.SUBMIT: N_("in te dienen door jou"),
    Work.CHECK: N_("te controleren door jou"),
    Work.APPROVE: N_("goed te keuren door jou"),
    Work.REJECTED: N_("afgekeurd en nog niet vervangen"),
    Work.OVERDUE: N_("over de betaaltermijn"),
    Work.STATEMENTS: N_("overzichten van de gemeente, nog niet betaald"),
}
STEP_OF = {Work.SUBMIT: Step.SUBMIT, Work.CHECK: Step.CHECK, Work.APPROVE: Step.APPROVE}


def _takeable(step: Step, user: User) -> list[int]:
    me = actor(user)
    candidates = session.scalars(select(Invoice).where(invoice_scope(user), Invoice.status.in_(FROM[step]))
                                 .options(selectinload(Invoice.steps)))
    return [i.id for i in candidates
            if may_take(step, i.status, hands(i), me, provider_id=i.provider_id) is None]


def condition(work: Work, user: User, today: date) -> ColumnElement[bool]:
    """The invoices of ``work`` among those ``user`` sees."""
    if work in STEP_OF:
        found = Invoice.id.in_(_takeable(STEP_OF[work], user))
    elif work == Work.REJECTED:
        replacement = aliased(Invoice)
        found = and_(Invoice.status == InvoiceStatus.REJECTED, Invoice.id.not_in(
            select(replacement.replaces_id).where(replacement.replaces_id.is_not(None))))
    elif work == Work.OVERDUE:  # invoicing.status.is_overdue, asked of the database
        found = and_(Invoice.status.in_(sorted(AWAITING_PAYMENT)), Invoice.due_date < today)
    else:
        found = and_(Invoice.source == InvoiceSource.SELF_BILLING, Invoice.status.in_(sorted(AWAITING_PAYMENT)))
    return and_(invoice_scope(user), found)


@dataclass(frozen=True)
class Waiting:
    count: int
    total: Decimal  # the invoices' totals incl. VAT


def waiting(work: Work, user: User, today: date) -> Waiting:
    count, total = session.execute(select(func.count(), func.sum(Invoice.total))
                                   .where(condition(work, user, today))).one()
    return Waiting(int(count), to_cents(Decimal(str(total or 0))))  # SQLite may sum in floating point
