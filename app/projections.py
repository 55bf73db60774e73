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
  included): :func:`keep_invoice_costs`, after every invoice step (approve, reject, export, pay);
* **actions** (the ``traject_action`` rows: what the traject still needs and from when,
  :func:`contracts.worklist.actions`), from every event as the lifecycle replays it, the outcomes awaiting
  confirmation and the contract's terms: :func:`keep_actions`, after an event is recorded, corrected or
  confirmed, or the terms are edited. The due dates depend on the traject alone, so the work list needs no
  recomputation as days pass;
* **outlook** (``cost_max_cents``, ``cost_owed_cents``, ``cost_owed_until``, ``cost_due_year``: what the budget
  needs of the payment engine, :class:`invoicing.budget.TrajectCost`), from the events the engine counts, the
  payment model and the contract's durability and maximum duration: :func:`keep_outlook`, with the facts (after
  an event is recorded, corrected or confirmed, or those terms are edited). What is owed also changes with the
  calendar (a durability window closes): :func:`refresh` recomputes the trajecten whose ``cost_owed_until`` has
  come (``flask projections refresh``, nightly in the job worker).

The contract's lot and the version a traject was referred under never change once set (a lot is chosen when
the contract is made; an amendment adds a version), so they need no call of their own. Every projection
rewrites its columns whole from the inputs, so running one again changes nothing: :func:`rebuild` (``flask
projections rebuild``) runs them all over every traject, after an upgrade or to prove nothing drifted.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import click
from flask.cli import AppGroup
from sqlalchemy import func, select, true, update
from sqlalchemy.orm import selectinload

from app import clock
from app.db import session
from app.models.invoicing import Invoice, InvoiceLine
from app.models.procurement import TERM_FIELDS, Contract
from app.models.trajecten import Traject, TrajectAction
from app.trajecten import services as trajecten
from app.uow import committed
from contracts.indicators import FACT_FIELDS, facts_of
from contracts.lifecycle import replay
from invoicing.budget import due_on, traject_cost
from invoicing.status import APPROVED_STATUSES

KEPT_COLUMNS = {
    "status": ("status", "open_lot_key", "last_event_on"),
    "facts": FACT_FIELDS,
    "cost": ("approved_cost",),
    "outlook": ("cost_max_cents", "cost_owed_cents", "cost_owed_until", "cost_due_year"),
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


def keep_actions(traject: Traject) -> None:
    """The traject's open actions as rows, rewritten to what :func:`contracts.worklist.actions` says now."""
    found = {a.kind.value: a.due for a in trajecten.open_actions(traject)}
    kept = {row.kind: row for row in traject.kept_actions}
    for kind, row in kept.items():
        if kind not in found:
            traject.kept_actions.remove(row)
        elif row.due != found[kind]:
            row.due = found[kind]
    traject.kept_actions.extend(TrajectAction(kind=kind, due=due) for kind, due in found.items() if kind not in kept)


def keep_outlook(traject: Traject, models: trajecten.PaymentModels | None = None) -> None:
    """What the budget needs of the engine, as of today, from the facts just kept (:func:`keep_facts` first).
    ``models`` shares the parsed payment models when many trajecten are kept at once."""
    terms = trajecten.terms_for(traject)
    model = (models or trajecten.PaymentModels()).of(traject)
    due = due_on(traject.referral_date, traject.started_on, traject.placed_on, terms.durability_months,
                 terms.max_duration_months)
    cost = traject_cost(model, trajecten.engine_traject(traject), clock.today(), due)
    traject.cost_max_cents, traject.cost_owed_cents = cost.most, cost.owed
    traject.cost_owed_until, traject.cost_due_year = cost.owed_until, cost.due_year


def keep_confirmed(traject: Traject, models: trajecten.PaymentModels | None = None) -> None:
    """After an outcome is confirmed, or the contract terms they read are edited: the kinds that read the
    counted events, what awaits confirmation and the terms (status reads every event, confirmed or not)."""
    keep_facts(traject)
    keep_actions(traject)
    keep_outlook(traject, models)


def keep_events(traject: Traject, models: trajecten.PaymentModels | None = None) -> None:
    """After an event is recorded or corrected: every kind that reads the events."""
    keep_status(traject)
    keep_confirmed(traject, models)


def contract_terms(contract: Contract) -> tuple[int | None, ...]:
    """The contract's terms that kept state is computed from (durations, windows), to compare before an edit."""
    return tuple(getattr(contract, name) for name in TERM_FIELDS)


def keep_contract_facts(contract: Contract, terms_were: tuple[int | None, ...]) -> int:
    """After a contract is edited: the facts, actions and outlook of its trajecten, when the terms they are
    computed from are no longer ``terms_were`` (:func:`contract_terms`; other fields are no input of kept
    state, and recomputing a large contract's trajecten for a new title would be waste). Returns how many
    trajecten were recomputed."""
    if contract_terms(contract) == terms_were:
        return 0
    count, models = 0, trajecten.PaymentModels()
    for traject in session.scalars(trajecten.engine_ready(select(Traject).where(Traject.contract_id == contract.id))):
        keep_confirmed(traject, models)
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


def _in_batches(where, keep: Callable[[Traject, trajecten.PaymentModels], None],
                progress: Callable[[int, int], None] | None) -> int:
    """``keep`` over the trajecten ``where`` selects, a thousand per transaction, in id order."""
    total = session.scalar(select(func.count()).select_from(Traject).where(where)) or 0
    done, last_id, models = 0, 0, trajecten.PaymentModels()
    while True:
        with committed():
            batch = session.scalars(trajecten.engine_ready(
                select(Traject).where(where, Traject.id > last_id).order_by(Traject.id).limit(BATCH))
                .options(selectinload(Traject.kept_actions))).all()
            for traject in batch:
                keep(traject, models)
        if not batch:
            break
        done += len(batch)
        last_id = batch[-1].id
        if progress is not None:
            progress(done, total)
    return total


def rebuild(progress: Callable[[int, int], None] | None = None) -> int:
    """Every projection over every traject: status, facts and outlook a thousand trajecten per transaction,
    then every cost in one statement. Returns the number of trajecten."""
    with committed():
        keep_costs()  # first: nothing else reads it, and the page sums it with the outlook
    return _in_batches(true(), keep_events, progress)


def _refresh_one(traject: Traject, models: trajecten.PaymentModels) -> None:
    keep_actions(traject)
    keep_outlook(traject, models)


def refresh(progress: Callable[[int, int], None] | None = None) -> int:
    """The trajecten whose kept state awaits recomputation: those whose owed figure may have changed with the
    calendar since it was kept (``cost_owed_until`` today or earlier), and those a migration marked so (it
    sets that day in the past). Their outlook and actions are written anew. Returns how many."""
    return _in_batches(Traject.cost_owed_until <= clock.today(), _refresh_one, progress)


def stale_count() -> int:
    """How many trajecten await :func:`refresh`: the budget figures are as of the day they were kept."""
    return session.scalar(select(func.count()).select_from(Traject)
                          .where(Traject.cost_owed_until <= clock.today())) or 0


projections_cli = AppGroup("projections",
                           help="What trajecten keep (status, performance facts, approved cost, budget outlook).")


@projections_cli.command("rebuild")
def rebuild_command() -> None:
    """Recompute every traject's kept status, performance facts, approved cost and outlook from their inputs."""
    from app.invoicing.services import refresh_backlog

    session.info["actor"] = (None, "projections rebuild")
    rebuild(lambda done, total: click.echo(f"{done} / {total} trajecten"))
    contracts = refresh_backlog(clock.today(), every=True)
    click.echo(f"Klaar; de betaalrunwaarschuwing van {contracts} contracten nagegaan.")


@projections_cli.command("refresh")
def refresh_command() -> None:
    """Recompute the budget outlook of the trajecten whose owed figure may have changed with the calendar, and
    the payment run's warning of the contracts not worked out since a change."""
    from app.invoicing.services import refresh_backlog

    session.info["actor"] = (None, "projections refresh")
    count = refresh(lambda done, total: click.echo(f"{done} / {total} trajecten"))
    contracts = refresh_backlog(clock.today())
    click.echo(f"Klaar: {count} trajecten herberekend, de betaalrunwaarschuwing van {contracts} contracten nagegaan.")
