"""What a traject keeps, as explicit projections of its inputs: one function per kind, and one rebuild.

A traject keeps copies of what its events and invoices say, so that lists filter and reports aggregate over
the trajecten alone (docs/reports-scale.md). A copy that can go stale is worse than none, so each kind of kept
state is written here and nowhere else, by a function of its inputs that the service changing an input calls
in the same transaction, where a reader of that service sees it:

* **status** (``status``, ``open_lot_key``, ``last_event_on``), from every event as the lifecycle replays it
  (reported or confirmed, corrections applied), the referral date and the contract's lot: :func:`keep_status`,
  after an event is recorded or corrected;
* **facts** (:data:`contracts.indicators.FACT_FIELDS`), from the events the engine counts (a provider's
  outcomes once confirmed) and the durability term (the contract's, else the payment model's):
  :func:`keep_facts`, after an event is recorded, corrected or confirmed, and :func:`keep_contract_facts`
  after a contract's durability term is edited;
* **cost** (``approved_cost``), from the lines of approved, exported and paid invoices (credit notes
  included): :func:`keep_invoice_costs`, after every invoice step (approve, reject, export, pay).

The contract's lot and the version a traject was referred under never change once set (a lot is chosen when
the contract is made; an amendment adds a version), so they need no call of their own. Every projection
rewrites its columns whole from the inputs, so running one again changes nothing: :func:`rebuild` (``flask
projections rebuild``) runs them all over every traject, after an upgrade or to prove nothing drifted.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import click
from flask.cli import AppGroup
from sqlalchemy import func, select, update

from app.db import session
from app.models.invoicing import Invoice, InvoiceLine
from app.models.procurement import Contract
from app.models.trajecten import Traject
from app.trajecten import services as trajecten
from app.uow import committed
from contracts.indicators import FACT_FIELDS, facts_of
from contracts.lifecycle import replay
from invoicing.status import APPROVED_STATUSES

KEPT_COLUMNS = {
    "status": ("status", "open_lot_key", "last_event_on"),
    "facts": FACT_FIELDS,
    "cost": ("approved_cost",),
}
BATCH = 1000


# --- status and facts: from the events ---------------------------------------------------------------


def keep_status(traject: Traject) -> None:
    """Status, open-lot key and last activity from the replayed events (every one, as the lifecycle checks)."""
    state = replay(traject.referral_date, trajecten.history(traject))
    traject.status = state.status
    traject.open_lot_key = traject.contract.lot_key if state.is_open else None
    traject.last_event_on = state.last_event_on or traject.referral_date


def keep_facts(traject: Traject) -> None:
    """The performance facts from the events the payment engine counts, so a report never credits an outcome
    nobody confirmed, judged durable by the traject's durability term (:mod:`contracts.durability`)."""
    facts = facts_of(trajecten.engine_traject(traject).events, trajecten.terms_for(traject).durability_months)
    for name in FACT_FIELDS:
        setattr(traject, name, getattr(facts, name))


def keep_events(traject: Traject) -> None:
    """After an event is recorded or corrected: both kinds that read the events."""
    keep_status(traject)
    keep_facts(traject)


def keep_contract_facts(contract: Contract, durability_was: int | None) -> int:
    """After a contract is edited: the facts of its trajecten, when the durability term they are judged by is
    no longer ``durability_was`` (other terms are no input of kept state, and recomputing a large contract's
    trajecten for a new title would be waste). Returns how many trajecten were recomputed."""
    if contract.durability_months == durability_was:
        return 0
    count = 0
    for traject in session.scalars(trajecten.engine_ready(select(Traject).where(Traject.contract_id == contract.id))):
        keep_facts(traject)
        count += 1
    return count


# --- cost: from the approved invoice lines ----------------------------------------------------------


def keep_costs(traject_ids: Collection[int] | None = None) -> None:
    """``approved_cost`` of the given trajecten (every traject when None): the sum of their lines on approved,
    exported and paid invoices, in one UPDATE, so rebuilding a million costs one statement."""
    if traject_ids is not None and not traject_ids:
        return
    session.flush()  # the statuses and lines just changed are what the sum must read
    line, invoice, traject = InvoiceLine.__table__, Invoice.__table__, Traject.__table__
    approved = (select(func.coalesce(func.sum(line.c.amount), 0))
                .select_from(line.join(invoice, invoice.c.id == line.c.invoice_id))
                .where(line.c.traject_id == traject.c.id, invoice.c.status.in_(sorted(APPROVED_STATUSES)))
                .scalar_subquery())
    stmt = update(traject).values(approved_cost=approved)
    if traject_ids is not None:
        stmt = stmt.where(traject.c.id.in_(sorted(traject_ids)))
    session.execute(stmt)
    # Trajecten already loaded would still show the old figure; read it afresh when next asked.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Traject) and (traject_ids is None or obj.id in traject_ids):
            session.expire(obj, ["approved_cost"])


def keep_invoice_costs(invoice: Invoice) -> None:
    """After an invoice step: the cost of every traject on the invoice's lines."""
    keep_costs({line.traject_id for line in invoice.lines if line.traject_id is not None})


# --- rebuild ----------------------------------------------------------------------------------------


def rebuild(progress: Callable[[int, int], None] | None = None) -> int:
    """Every projection over every traject: status and facts a thousand trajecten per transaction, then every
    cost in one statement. Returns the number of trajecten."""
    total = session.scalar(select(func.count()).select_from(Traject)) or 0
    done, last_id = 0, 0
    while True:
        with committed():
            batch = session.scalars(trajecten.engine_ready(
                select(Traject).where(Traject.id > last_id).order_by(Traject.id).limit(BATCH))).all()
            for traject in batch:
                keep_events(traject)
        if not batch:
            break
        done += len(batch)
        last_id = batch[-1].id
        if progress is not None:
            progress(done, total)
    with committed():
        keep_costs()
    return total


projections_cli = AppGroup("projections", help="What trajecten keep (status, performance facts, approved cost).")


@projections_cli.command("rebuild")
def rebuild_command() -> None:
    """Recompute every traject's kept status, performance facts and approved cost from their inputs."""
    session.info["actor"] = (None, "projections rebuild")
    rebuild(lambda done, total: click.echo(f"{done} / {total} trajecten"))
    click.echo("Klaar.")
