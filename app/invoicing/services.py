"""Finance's actions on invoices, between the pages and the pure rules of :mod:`invoicing`.

Each function is one action that leaves its changes in the session for the caller to commit as one
transaction. Refusals are :class:`InvoiceError` with a translatable message and the field to show it at.

What is owed comes from the entitlement engine, run per traject under the traject's own contract
version, then through the contract's ceilings and its bonus/malus rules (:func:`contracts.settlement.settle`),
which are settled per contract year (twelve months from the contract's start date).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, update

from app import jobs, projections
from app.auth.permissions import Permission, role_can
from app.db import session
from app.models.invoicing import (
    ContractBacklog,
    Invoice,
    InvoicedEntitlement,
    InvoiceExport,
    InvoiceLine,
    InvoiceSource,
    InvoiceStep,
    LineDecision,
)
from app.models.jobs import Job, JobKind
from app.models.procurement import Contract, ContractStatus
from app.models.trajecten import Traject
from app.models.users import Role, User
from app.notifications import services as notifications
from app.trajecten.services import PaymentModels, engine_ready, engine_traject
from app.uow import committed
from contracts.dates import add_period
from contracts.engine import evaluate
from contracts.messages import N_, DomainError, Message
from contracts.model import PaymentModel
from contracts.settlement import settle
from invoicing.budget import split
from invoicing.lines import Owed, collect, invoice_period, long_uninvoiced, owed_from, rule_labels
from invoicing.matching import Claim, Match, Verdict, match
from invoicing.status import (
    APPROVED_STATUSES,
    AWAITING_PAYMENT,
    BUTTON_STEPS,
    Actor,
    Hands,
    InvoiceStatus,
    Step,
    after,
    may_take,
    open_steps,
)
from invoicing.totals import Totals, VatTreatment, combined, totals_per_part


class InvoiceError(DomainError):
    """An invoice step or decision the invoicing rules refuse."""

    code = "invoice_rule"


# --- what is owed ---------------------------------------------------------------------------------


@dataclass
class ContractOwed:
    """Everything a contract's trajecten are owed as of a date, and what would follow confirmation."""

    owed: list[Owed]
    pending: list[Owed]
    gemeente_of: dict[int, int]
    contract_gemeenten: dict[str, dict[int, int]]


def contract_years(contract: Contract, as_of: date) -> list[tuple[date, date]]:
    """The contract years (twelve months from the start date) that have ended on ``as_of``."""
    years, start = [], contract.start_date
    while True:
        end = add_period(start, months=12) - timedelta(days=1)
        if end > as_of or start > contract.end_date:
            return years
        years.append((start, min(end, contract.end_date)))
        start = end + timedelta(days=1)


def owed_for(contract: Contract, as_of: date) -> ContractOwed:
    trajecten = session.scalars(engine_ready(select(Traject).where(Traject.contract_id == contract.id)
                                             .order_by(Traject.id))).all()
    models = PaymentModels()
    results, owed, pending = [], [], []
    for traject in trajecten:
        model = models.of(traject)
        result = evaluate(model, engine_traject(traject), as_of)
        results.append(result)
        everything = evaluate(model, engine_traject(traject, include_unconfirmed=True), as_of)
        known = {e.key for e in result.entitlements}
        pending += owed_from([e for e in everything.entitlements if e.key not in known], traject.id, f"t{traject.id}")
    gemeente_of = {t.id: t.gemeente_id for t in trajecten}
    version = contract.version_on(as_of) or (contract.versions[-1] if contract.versions else None)
    contract_gemeenten: dict[str, dict[int, int]] = {}
    if version is None:
        return ContractOwed(owed, pending, gemeente_of, contract_gemeenten)
    model = PaymentModel.from_dict(version.payment_model)
    years = contract_years(contract, as_of) or [(contract.start_date, contract.end_date)]
    for number, (start, end) in enumerate(years):
        settlement = settle(model, results, start, end, as_of)
        if number == 0:
            for e in settlement.traject_entitlements:
                owed += owed_from([e], int(e.traject_id), f"t{e.traject_id}")
        contract_lines = owed_from(settlement.contract_entitlements, None, f"c{contract.id}")
        cohort = Counter(t.gemeente_id for t in trajecten if start <= t.referral_date <= end)
        for line in contract_lines:
            contract_gemeenten[line.key] = dict(cohort) or {g.id: 1 for g in contract.gemeenten}
        owed += contract_lines
    return ContractOwed(owed, pending, gemeente_of, contract_gemeenten)


def invoiced_amounts(keys: set[str] | None = None) -> dict[str, Decimal]:
    query = select(InvoicedEntitlement.key, InvoicedEntitlement.amount)
    if keys is not None:
        query = query.where(InvoicedEntitlement.key.in_(keys))
    return dict(session.execute(query).all())


def contracts_in_view(user: User) -> list[Contract]:
    """The contracts a user may run payments for or send an invoice under (a provider: only its own)."""
    query = select(Contract).where(Contract.status != ContractStatus.DRAFT).order_by(Contract.number)
    if user.role == Role.PROVIDER:
        query = query.where(Contract.provider_id == user.provider_id)
    return list(session.scalars(query))


# --- creating invoices ----------------------------------------------------------------------------


def vat_of(contract: Contract) -> VatTreatment:
    rate = Decimal("0") if contract.vat_category == "E" else contract.vat_rate
    return VatTreatment(contract.vat_category, rate, contract.vat_exemption_reason)


def _new_invoice(contract: Contract, source: InvoiceSource, period: tuple[date, date], issue_date: date,
                 user: User, **extra) -> Invoice:
    invoice = Invoice(
        number=f"tmp-{uuid.uuid4().hex}", source=source, contract=contract, provider_id=contract.provider_id,
        period_start=period[0], period_end=period[1], issue_date=issue_date,
        due_date=issue_date + timedelta(days=contract.payment_term_days), status=InvoiceStatus.DRAFT,
        vat_category=contract.vat_category, vat_rate=vat_of(contract).rate,
        vat_exemption_reason=contract.vat_exemption_reason, subtotal=Decimal("0.00"), vat=Decimal("0.00"),
        total=Decimal("0.00"), created_by_id=user.id, **extra,
    )
    session.add(invoice)
    session.flush()
    return invoice


def _number(invoice: Invoice) -> None:
    prefix = "C" if invoice.credit_note else ("F" if invoice.source == InvoiceSource.SELF_BILLING else "A")
    invoice.number = f"{prefix}{invoice.issue_date.year}-{invoice.id:06d}"


def invoice_vat(invoice: Invoice) -> VatTreatment:
    return VatTreatment(invoice.vat_category, invoice.vat_rate if invoice.vat_category != "E" else Decimal("0"),
                        invoice.vat_exemption_reason)


def parts(invoice: Invoice) -> dict[int | None, Totals]:
    """Each paying gemeente's part of the invoice, as its own e-invoice and its ledger row state it."""
    return totals_per_part(((line.gemeente_id, line.amount) for line in invoice.lines), invoice_vat(invoice))


def recompute(invoice: Invoice) -> None:
    """Totals from the lines: VAT on each paying gemeente's subtotal, summed (see :mod:`invoicing.totals`)."""
    figures = combined(parts(invoice).values())
    invoice.subtotal, invoice.vat, invoice.total = figures.subtotal, figures.vat, figures.total


def _claim(invoice: Invoice, owed: Owed) -> None:
    session.add(InvoicedEntitlement(key=owed.key, invoice_id=invoice.id, amount=owed.amount))


def _lines_for(owed: Owed, found: ContractOwed) -> list[tuple[int | None, Decimal]]:
    """(gemeente, amount) parts of one entitlement: a traject's gemeente, or a contract-level amount split."""
    if owed.traject_id is not None:
        return [(found.gemeente_of.get(owed.traject_id), owed.amount)]
    parts = split(owed.amount, found.contract_gemeenten.get(owed.key, {}))
    return [(gemeente, amount) for gemeente, amount in sorted(parts.items()) if amount]


def _last_invoice(contract: Contract) -> Invoice | None:
    return session.scalar(select(Invoice).where(
        Invoice.contract_id == contract.id, Invoice.credit_note.is_(False),
        Invoice.status.in_(APPROVED_STATUSES)).order_by(Invoice.issue_date.desc(), Invoice.id.desc()).limit(1))


@dataclass
class RunResult:
    invoices: list[Invoice]
    changed: list[tuple[Contract, Owed, Decimal]]
    nothing_due: list[Contract]
    period: tuple[date, date] | None = None

    @property
    def reaching_back(self) -> list[Invoice]:
        """The invoices holding lines that fell due before the run's period: arrears of earlier runs."""
        return [i for i in self.invoices if self.period and i.period_start < self.period[0]]


@dataclass(frozen=True)
class Backlog:
    """What the payment run page warns of for the contracts a user may run: the kept rows with something long
    due, and how current they are."""

    rows: list[ContractBacklog]
    as_of: date | None  # the oldest day a row was worked out for
    pending: int  # contracts whose figure is being worked out (a change since, or never yet)


def backlog(contracts: list[Contract]) -> Backlog:
    """The kept warning (:func:`keep_backlog`) of ``contracts``, read in one statement."""
    kept = {row.contract_id: row for row in session.scalars(select(ContractBacklog).where(
        ContractBacklog.contract_id.in_([c.id for c in contracts])))}
    days = [row.as_of for row in kept.values() if row.as_of is not None]
    return Backlog(rows=sorted((row for row in kept.values() if row.entitlements), key=lambda r: r.contract.number),
                   as_of=min(days, default=None),
                   pending=sum(1 for c in contracts if c.id not in kept or kept[c.id].as_of is None))


def keep_backlog(contract: Contract, today: date) -> None:
    """The one writer of :class:`ContractBacklog`: what :func:`invoicing.lines.long_uninvoiced` finds of the
    contract's entitlements on ``today``."""
    owed = owed_for(contract, today).owed
    lines = long_uninvoiced(owed, invoiced_amounts({o.key for o in owed}), today)
    row = session.get(ContractBacklog, contract.id)
    if row is None:
        row = ContractBacklog(contract_id=contract.id)
        session.add(row)
    row.entitlements = len(lines)
    row.amount = sum((line.amount for line in lines), Decimal("0.00"))
    row.oldest = min((line.due_on for line in lines), default=None)
    row.as_of = today


def backlog_changed(contract_id: int) -> None:
    """An invoice took or released entitlements of the contract: its kept warning is marked as being worked out
    and :func:`refresh_backlog` runs once the caller's transaction commits."""
    session.execute(update(ContractBacklog).where(ContractBacklog.contract_id == contract_id).values(as_of=None))
    jobs.after_commit(jobs.REFRESH_BACKLOG)


def refresh_backlog(today: date, every: bool = False) -> int:
    """Work out the warning anew for the contracts marked (or never worked out), or for ``every`` contract
    (nightly: entitlements grow old with the calendar alone), one contract per transaction. Returns how many."""
    kept = dict(session.execute(select(ContractBacklog.contract_id, ContractBacklog.as_of)).all())
    ids = [i for i in session.scalars(select(Contract.id).order_by(Contract.id))
           if every or kept.get(i) is None]
    for contract_id in ids:
        with committed():
            contract = session.get(Contract, contract_id)
            if contract is not None:
                keep_backlog(contract, today)
    return len(ids)


def payment_run(contracts: list[Contract], period: tuple[date, date], user: User, today: date,
                progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Draft a self-billing invoice per contract for what fell due up to the period's end and was not invoiced.

    A run whose entitlements another run took first fails on the register's unique key and stores nothing
    (as a job it is then tried again, and finds those entitlements invoiced). ``progress(done, total)`` hears
    of each contract done.
    """
    result = RunResult([], [], [], period)
    for done, contract in enumerate(contracts):
        if progress is not None:
            progress(done, len(contracts))
        found = owed_for(contract, period[1])
        collected = collect(found.owed, invoiced_amounts({o.key for o in found.owed}), period[1])
        result.changed += [(contract, owed, was) for owed, was in collected.changed]
        if not collected.lines:
            result.nothing_due.append(contract)
            continue
        credit = collected.subtotal < 0
        invoice = _new_invoice(contract, InvoiceSource.SELF_BILLING, invoice_period(period, collected.lines), today,
                               user, credit_note=credit,
                               credits_invoice=_last_invoice(contract) if credit else None)
        position = 0
        for owed in collected.lines:
            _claim(invoice, owed)
            for gemeente_id, amount in _lines_for(owed, found):
                position += 1
                invoice.lines.append(InvoiceLine(
                    position=position, traject_id=owed.traject_id, gemeente_id=gemeente_id,
                    entitlement_key=owed.key, rule=owed.rule, description=owed.explanation, due_on=owed.due_on,
                    amount=amount, decision=LineDecision.ACCEPT))
        recompute(invoice)
        _number(invoice)
        backlog_changed(contract.id)
        result.invoices.append(invoice)
    session.flush()
    if progress is not None:
        progress(len(contracts), len(contracts))
    return result


def start_payment_run(contracts: list[Contract], period: tuple[date, date], user: User, today: date) -> Job:
    """Hand a payment run to a background job (:func:`payment_run_job`): over many contracts it outlasts a request."""
    return jobs.submit(JobKind.PAYMENT_RUN, user, {
        "contract_ids": [c.id for c in contracts], "period": [period[0].isoformat(), period[1].isoformat()],
        "today": today.isoformat()}, total=len(contracts))


@jobs.handler(JobKind.PAYMENT_RUN)
def payment_run_job(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    """The run as its owner may do it now: the contracts are looked up in their view again."""
    wanted = set(job.params["contract_ids"])
    contracts = [c for c in contracts_in_view(job.owner) if c.id in wanted]
    start, end = (date.fromisoformat(day) for day in job.params["period"])
    result = payment_run(contracts, (start, end), job.owner, date.fromisoformat(job.params["today"]), progress.set)
    return {"invoice_ids": [i.id for i in result.invoices],
            "changed": [{"contract": c.number, "key": owed.key, "was": str(was), "now": str(owed.amount)}
                        for c, owed, was in result.changed],
            "nothing_due": [c.number for c in result.nothing_due]}


def run_invoices(job: Job) -> list[Invoice]:
    """The invoices a finished payment-run job drafted, in its order."""
    ids = (job.result or {}).get("invoice_ids", [])
    found = {i.id: i for i in session.scalars(select(Invoice).where(Invoice.id.in_(ids)))} if ids else {}
    return [found[i] for i in ids if i in found]


def enter_provider_invoice(contract: Contract, external_number: str, issue_date: date, period: tuple[date, date],
                           claims: list[Claim], user: User, replaces: Invoice | None = None) -> Invoice:
    """Store a provider's own invoice with every line matched against what the contract says is owed.

    Matched lines hold their entitlement at once, so that a payment run cannot invoice it a second time.
    """
    found = owed_for(contract, period[1])
    taken = invoiced_amounts({o.key for o in found.owed})
    due = [o for o in found.owed if o.key not in taken and o.due_on <= period[1] and o.amount]
    done = [o for o in found.owed if o.key in taken]
    later = found.pending + [o for o in found.owed if o.key not in taken and o.due_on > period[1]]
    matches = match(claims, due, done, later)
    invoice = _new_invoice(contract, InvoiceSource.PROVIDER, period, issue_date, user,
                           external_number=external_number.strip(), replaces=replaces,
                           claimed_total=sum((c.amount for c in claims), Decimal("0.00")))
    for position, m in enumerate(matches, start=1):
        invoice.lines.append(_claimed_line(invoice, position, m, found))
    recompute(invoice)
    _number(invoice)
    backlog_changed(contract.id)
    session.flush()
    return invoice


def _claimed_line(invoice: Invoice, position: int, m: Match, found: ContractOwed) -> InvoiceLine:
    payable = m.verdict in (Verdict.MATCHED, Verdict.AMOUNT_DIFFERS)
    if payable:
        _claim(invoice, m.owed)
    ours = m.claim.traject_id in found.gemeente_of  # a traject of another contract is named, not linked
    description = m.claim.description or (m.owed.explanation if m.owed else "")
    return InvoiceLine(
        position=position, traject_id=m.claim.traject_id if ours else None,
        gemeente_id=found.gemeente_of.get(m.claim.traject_id), entitlement_key=m.owed.key if payable else None,
        rule=m.claim.rule, description=description if ours else f"T{m.claim.traject_id:06d}: {description}",
        due_on=m.owed.due_on if m.owed else None, amount=m.owed.amount if payable else Decimal("0.00"),
        claimed_amount=m.claim.amount, verdict=m.verdict,
        decision=LineDecision.ACCEPT if m.verdict == Verdict.MATCHED else None)


# --- steps ----------------------------------------------------------------------------------------


def locked(invoice_id: int) -> Invoice | None:
    """The invoice, locked for this transaction and read fresh (``FOR UPDATE`` on PostgreSQL), so that two
    people acting on it at the same moment are handled one after the other."""
    return session.scalar(select(Invoice).where(Invoice.id == invoice_id).with_for_update()
                          .execution_options(populate_existing=True))


def hands(invoice: Invoice) -> Hands:
    by = {s.step: s.user_id for s in invoice.steps}
    return Hands(created_by=invoice.created_by_id, submitted_by=by.get(Step.SUBMIT), checked_by=by.get(Step.CHECK),
                 approved_by=tuple(s.user_id for s in invoice.steps if s.step == Step.APPROVE))


def actor(user: User) -> Actor:
    """The user as the four-eyes rules see them: what their role lets them do, and whose invoices."""
    return Actor(user.id, submits=role_can(user.role, Permission.SUBMIT_INVOICES),
                 processes=role_can(user.role, Permission.PROCESS_INVOICES),
                 provider_id=user.provider_id if user.role == Role.PROVIDER else None)


def open_steps_for(invoice: Invoice, user: User) -> list[Step]:
    """The steps the invoice page offers ``user``: decided by the rule that refuses the POST."""
    return open_steps(BUTTON_STEPS, invoice.status, hands(invoice), actor(user), provider_id=invoice.provider_id,
                      undecided=len(undecided(invoice)))


def approval_threshold() -> Decimal:
    return Decimal(str(current_app.config["INVOICE_SECOND_APPROVER_ABOVE"]))


def rule_labels_of(invoice: Invoice) -> dict[str, str]:
    """The labels of the rules on an invoice, from the payment models of the contract versions behind it."""
    versions = {line.traject.contract_version for line in invoice.lines if line.traject is not None}
    current = invoice.contract.version_on(invoice.period_end)
    ordered = sorted(versions - {current, None}, key=lambda v: v.id) + ([current] if current else [])
    return rule_labels(PaymentModel.from_dict(version.payment_model) for version in ordered)


def undecided(invoice: Invoice) -> list[InvoiceLine]:
    return [line for line in invoice.lines if line.decision is None]


def take_step(invoice_id: int, step: Step, user: User, today: date, note: str = "") -> Invoice:
    invoice = locked(invoice_id)
    if invoice is None:
        raise InvoiceError(Message(N_("Deze factuur bestaat niet.")))
    problem = may_take(step, invoice.status, hands(invoice), actor(user), provider_id=invoice.provider_id,
                       undecided=len(undecided(invoice)))
    if problem is None and step == Step.REJECT and not note.strip():
        raise InvoiceError(Message(N_("Geef de reden van afkeuring.")), "note")
    if problem is not None:
        raise InvoiceError(problem)
    status = after(step, hands(invoice), invoice.total, approval_threshold())
    invoice.steps.append(InvoiceStep(step=step, user_id=user.id, note=note.strip()))
    invoice.status = status
    if step == Step.REJECT:
        invoice.rejection_reason = note.strip()
        session.execute(delete(InvoicedEntitlement).where(InvoicedEntitlement.invoice_id == invoice.id))
        backlog_changed(invoice.contract_id)
    if step == Step.PAY:
        invoice.paid_on = today
    session.flush()
    projections.keep_invoice_costs(invoice)
    if step == Step.REJECT:
        notifications.claim_refused(invoice)
    elif step in (Step.SUBMIT, Step.CHECK, Step.APPROVE):
        notifications.invoice_moved(invoice)
    return invoice


def decide(invoice: Invoice, line: InvoiceLine, decision: LineDecision, note: str) -> None:
    """Finance's decision on one line of a provider's invoice: pay what is owed, or not at all."""
    if invoice.status != InvoiceStatus.SUBMITTED:
        raise InvoiceError(Message(N_("Over regels wordt beslist bij de controle van een ingediende factuur.")))
    if decision == LineDecision.ACCEPT and line.entitlement_key is None:
        raise InvoiceError(Message(N_("Tegenover deze regel staat niets verschuldigds; hij kan alleen worden "
                                      "afgewezen.")), "decision")
    if decision == LineDecision.REJECT and not note.strip():
        raise InvoiceError(Message(N_("Geef de reden waarom de regel wordt afgewezen.")), "note")
    if line.entitlement_key is not None:
        held = session.get(InvoicedEntitlement, line.entitlement_key)
        if held is not None and held.invoice_id != invoice.id:
            if decision == LineDecision.ACCEPT:
                other = session.get(Invoice, held.invoice_id)
                raise InvoiceError(Message(N_("Dit bedrag staat inmiddels op factuur %(number)s."),
                                           number=other.number), "decision")
        elif decision == LineDecision.REJECT and held is not None:
            session.delete(held)
        elif decision == LineDecision.ACCEPT and held is None:
            owed = line.amount if line.decision != LineDecision.REJECT else _owed_amount(invoice, line)
            line.amount = owed
            session.add(InvoicedEntitlement(key=line.entitlement_key, invoice_id=invoice.id, amount=owed))
        backlog_changed(invoice.contract_id)
    if decision == LineDecision.REJECT:
        line.amount = Decimal("0.00")
    line.decision, line.decision_note = decision, note.strip()
    recompute(invoice)
    session.flush()
    if decision == LineDecision.REJECT:
        notifications.claim_refused(invoice)


def _owed_amount(invoice: Invoice, line: InvoiceLine) -> Decimal:
    found = owed_for(invoice.contract, invoice.period_end)
    owed = next((o for o in found.owed if o.key == line.entitlement_key), None)
    if owed is None:
        raise InvoiceError(Message(N_("Het bedrag dat hier tegenover stond, is er niet meer.")), "decision")
    return owed.amount


def redo(rejected: Invoice, user: User, today: date) -> Invoice | None:
    """A corrected self-billing invoice for a rejected one: what is owed for its period, collected afresh."""
    if rejected.status != InvoiceStatus.REJECTED or rejected.source != InvoiceSource.SELF_BILLING:
        raise InvoiceError(Message(N_("Alleen een afgekeurde verzamelfactuur wordt opnieuw opgemaakt.")))
    if session.scalar(select(Invoice.id).where(Invoice.replaces_id == rejected.id)) is not None:
        raise InvoiceError(Message(N_("Deze factuur is al vervangen.")))
    run = payment_run([rejected.contract], (rejected.period_start, rejected.period_end), user, today)
    if not run.invoices:
        return None
    run.invoices[0].replaces = rejected
    return run.invoices[0]


def export(invoices: list[Invoice], user: User, today: date) -> InvoiceExport:
    batch = InvoiceExport(created_by_id=user.id)
    session.add(batch)
    for invoice in invoices:
        take_step(invoice.id, Step.EXPORT, user, today)
        invoice.export = batch
    session.flush()
    return batch


def approved_waiting() -> list[Invoice]:
    """Approved invoices not yet handed to the financial system: the next export batch."""
    return list(session.scalars(select(Invoice).where(Invoice.status == InvoiceStatus.APPROVED)
                                .order_by(Invoice.issue_date, Invoice.id)))


def recent_exports(limit: int = 50) -> list[InvoiceExport]:
    return list(session.scalars(select(InvoiceExport).order_by(InvoiceExport.id.desc()).limit(limit)))


def overdue(today: date, provider_id: int | None = None) -> list[Invoice]:
    """Live, unpaid invoices past their payment term: the gemeente is late, whatever the reason."""
    query = (select(Invoice).where(Invoice.status.in_(AWAITING_PAYMENT), Invoice.due_date < today)
             .order_by(Invoice.due_date, Invoice.id))
    if provider_id is not None:
        query = query.where(Invoice.provider_id == provider_id)
    return list(session.scalars(query))
