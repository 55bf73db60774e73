"""Each traject's approved cost, kept on the traject so that a cost report is one pass over the trajecten.

Cost per placement over a million trajecten would otherwise join every approved invoice line to its traject,
which was most of the report's time. Like the performance facts, the figure is a kept copy that is never
edited by hand: whenever a flush stores an invoice that enters an approved status, or a line of an approved
invoice, the trajecten on it are recomputed from their lines in that same flush (and so in the same
transaction). An invoice never leaves the approved statuses (approved → exported → paid), but the rule is
written both ways so that the copy cannot drift whatever changes. ``flask reports refresh`` recomputes all.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, event, func, inspect, select, update
from sqlalchemy.orm import Session

from app.models.invoicing import Invoice, InvoiceLine
from app.models.trajecten import Traject
from invoicing.status import APPROVED_STATUSES

_PENDING = "approved_cost_trajecten"


def recompute(connection: Connection, traject_ids: Collection[int] | None = None) -> None:
    """Set ``approved_cost`` of the given trajecten (all when None) to the sum of their approved lines."""
    line, invoice, traject = InvoiceLine.__table__, Invoice.__table__, Traject.__table__
    approved = (select(func.coalesce(func.sum(line.c.amount), 0))
                .select_from(line.join(invoice, invoice.c.id == line.c.invoice_id))
                .where(line.c.traject_id == traject.c.id, invoice.c.status.in_(sorted(APPROVED_STATUSES)))
                .scalar_subquery())
    stmt = update(traject).values(approved_cost=approved)
    if traject_ids is not None:
        if not traject_ids:
            return
        stmt = stmt.where(traject.c.id.in_(sorted(traject_ids)))
    connection.execute(stmt)


def _crosses_approval(invoice: Invoice) -> bool:
    history = inspect(invoice).attrs.status.history
    if not history.has_changes():
        return False
    before = any(s in APPROVED_STATUSES for s in history.deleted)
    return before != (invoice.status in APPROVED_STATUSES)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Note what this flush changes for approved money; the ids of new rows are known only after it."""
    pending = session.info.setdefault(_PENDING, {"invoices": set(), "lines": set()})
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Invoice) and _crosses_approval(obj):
            pending["invoices"].add(obj)
        elif isinstance(obj, InvoiceLine) and obj.invoice is not None \
                and obj.invoice.status in APPROVED_STATUSES:
            pending["lines"].add(obj)


def _after_flush(session: Session, _context: Any) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending or not (pending["invoices"] or pending["lines"]):
        return
    connection = session.connection()
    ids = {line.traject_id for line in pending["lines"] if line.traject_id is not None}
    invoices = sorted(i.id for i in pending["invoices"] if i.id is not None)
    ids |= set(connection.scalars(select(InvoiceLine.traject_id).where(
        InvoiceLine.invoice_id.in_(invoices), InvoiceLine.traject_id.is_not(None))))
    recompute(connection, ids)


def install() -> None:
    for name, listener in (("before_flush", _before_flush), ("after_flush", _after_flush)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
