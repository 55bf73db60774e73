"""The klantmanager's and provider's work on trajecten, between the pages and the pure rules.

Each function here is one action: it loads what it needs, asks :mod:`contracts.referral`,
:mod:`contracts.lifecycle` and :mod:`contracts.engine` whether and what, and leaves its changes in the session
for the caller (:func:`app.uow.attempt`) to commit as one transaction. Refusals are :class:`TrajectError` with a
translatable message and the form field to show it at. The import of a file is such an action too: checked in
steps, then stored all rows or none (the row readers are in :mod:`app.trajecten.imports`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, selectinload
from werkzeug.datastructures import FileStorage

from app import jobs, projections
from app.clients import services as clients
from app.db import session, utcnow
from app.i18n import translate
from app.models.clients import BenefitType, Client
from app.models.jobs import Job, JobKind, JobStatus
from app.models.procurement import Contract, ContractStatus
from app.models.trajecten import (
    EventConfirmation,
    EvidenceFile,
    ImportBatch,
    ImportKind,
    ImportStatus,
    Traject,
    TrajectEvent,
)
from app.models.users import Role, User
from app.notifications import services as notifications
from app.tabular import decode
from app.trajecten import evidence as evidence_store
from contracts import referral
from contracts.clients import BSN_IN_REPORT, ClientError, mask_bsns
from contracts.durability import term_months
from contracts.engine import Entitlement, evaluate
from contracts.events import Event, EventType, ExitReason, WorkKind
from contracts.events import Traject as EngineTraject
from contracts.lifecycle import (
    NEEDS_CONFIRMATION,
    TrajectStatus,
    check_new,
    may_record,
    replay,
    required_details,
)
from contracts.messages import N_, DomainError, Message
from contracts.model import PaymentModel
from contracts.worklist import Action, Terms, actions

if TYPE_CHECKING:
    from app.trajecten.imports import ImportedClient

NEW_EVENT_ID = "new"


class TrajectError(DomainError):
    """A referral or event the traject rules refuse."""

    code = "traject_rule"


# --- referral -------------------------------------------------------------------------------------


def _model_on(contract: Contract, day: date) -> PaymentModel | None:
    version = contract.version_on(day)
    return PaymentModel.from_dict(version.payment_model) if version is not None else None


def volume_ceiling(contract: Contract, day: date) -> int | None:
    """The contract's volume ceiling on ``day``, as :func:`contracts.referral.volume_ceiling` sets it."""
    return referral.volume_ceiling(contract.volume_ceiling, _model_on(contract, day))


def places_taken(contract_id: int) -> int:
    """Trajecten that take a place under the ceiling: every referral except one the provider refused."""
    return session.scalar(select(func.count()).select_from(Traject).where(
        Traject.contract_id == contract_id, Traject.status != TrajectStatus.REFUSED)) or 0


def referral_problems(client: Client, contract: Contract, day: date) -> list[Message]:
    """Every reason ``client`` cannot be referred under ``contract`` on ``day`` (:mod:`contracts.referral`)."""
    lot_group = contract.lot.target_group if contract.lot is not None else None
    offer = referral.Offer(
        contract_status=contract.status.value, provider_status=contract.provider.status.value,
        start=contract.start_date, end=contract.end_date, gemeente_ids=frozenset(g.id for g in contract.gemeenten),
        model=_model_on(contract, day), volume_ceiling=contract.volume_ceiling,
        places_taken=places_taken(contract.id),
        lot_target_group_id=lot_group.id if lot_group is not None else None,
        lot_target_group=lot_group.name if lot_group is not None else "")
    open_one = session.scalar(select(Traject).where(Traject.client_id == client.id,
                                                    Traject.open_lot_key == contract.lot_key))
    candidate = referral.Candidate(
        gemeente_id=client.gemeente_id, gemeente=client.gemeente.name, target_group_id=client.target_group_id,
        target_group=client.target_group.name,
        open_traject=open_one.reference if open_one is not None else None)
    return referral.referral_problems(candidate, offer, day)


def candidate_contracts(client: Client, day: date) -> list[tuple[Contract, list[Message]]]:
    """Every contract that could serve the client's gemeente, with why it can't (empty when it can)."""
    contracts = session.scalars(
        select(Contract).where(Contract.status.in_((ContractStatus.ACTIVE, ContractStatus.REFERRAL_STOP)),
                               Contract.gemeenten.any(id=client.gemeente_id)).order_by(Contract.number))
    return [(c, referral_problems(client, c, day)) for c in contracts]


def refer(client: Client, contract_id: int, day: date, user: User, motivation: str = "") -> Traject:
    """Refer ``client`` under the contract, fixing version, client group and price.

    The contract row is locked first (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite lets one writer in
    at a time), so two referrals at the same moment are counted one after the other and can never pass
    the volume ceiling together.
    """
    contract = session.scalar(select(Contract).where(Contract.id == contract_id).with_for_update())
    if contract is None:
        raise TrajectError(Message(N_("Kies een contract uit de lijst.")), "contract_id")
    problems = referral_problems(client, contract, day)
    if problems:
        raise TrajectError(problems[0], "contract_id")
    version = contract.version_on(day)
    model = PaymentModel.from_dict(version.payment_model)
    group = client.target_group.code
    traject = Traject(client=client, contract=contract, contract_version=version, provider_id=contract.provider_id,
                      gemeente_id=client.gemeente_id, client_group=group, price=model.price_for(group, None),
                      referral_date=day, motivation=motivation.strip(), referred_by_id=user.id,
                      phase_at_referral=client.phase)
    session.add(traject)
    projections.keep_events(traject)
    notifications.referred(traject)
    return traject


# --- events ---------------------------------------------------------------------------------------


@dataclass
class EventInput:
    """What a form or an import row says happened."""

    type: EventType
    event_date: date
    note: str = ""
    reason: str = ""
    exit_reason: ExitReason | None = None
    employer: str = ""
    hours_per_week: Decimal | None = None
    work_kind: WorkKind | None = None
    contract_months: int | None = None
    open_ended: bool = False
    wage: Decimal | None = None
    revokes_id: int | None = None


def engine_event(e: TrajectEvent | EventInput, event_id: str) -> Event:
    revokes = e.revokes_id
    return Event(id=event_id, type=e.type, date=e.event_date, kind=e.work_kind, hours_per_week=e.hours_per_week,
                 contract_months=e.contract_months,
                 reason=e.exit_reason.value if e.exit_reason is not None else (e.reason or None),
                 revokes=str(revokes) if revokes is not None else None, open_ended=e.open_ended)


def history(traject: Traject) -> list[Event]:
    return [engine_event(e, str(e.id)) for e in traject.events]


def on_benefit(client: Client) -> bool:
    """Whether the client has a benefit now: an exit from benefit needs one (:func:`contracts.lifecycle.check_new`)."""
    return client.benefit_type != BenefitType.NONE


def record_event(traject: Traject, data: EventInput, user: User, today: date,
                 evidence: EvidenceFile | None = None, import_key: str | None = None) -> TrajectEvent:
    # Lock the traject first, so that two events recorded at the same moment are checked one after the
    # other against the history (PostgreSQL; SQLite admits one writer at a time anyway).
    session.execute(select(Traject.id).where(Traject.id == traject.id).with_for_update())
    by_provider = user.role == Role.PROVIDER
    if not may_record(data.type, by_provider):
        raise TrajectError(Message(N_("Dit soort gebeurtenis legt de gemeente vast.")), "type")
    for name in required_details(data.type, data.open_ended):
        if getattr(data, name) in (None, ""):
            raise TrajectError(Message(N_("Vul dit in voor deze gebeurtenis.")), name)
    problem = check_new(traject.referral_date, history(traject), engine_event(data, NEW_EVENT_ID), today,
                        on_benefit=on_benefit(traject.client))
    if problem is not None:
        raise TrajectError(problem, "revokes_id" if data.type == EventType.CORRECTION else "type")
    event = TrajectEvent(traject=traject, type=data.type, event_date=data.event_date, note=data.note.strip(),
                         reason=data.reason.strip(), exit_reason=data.exit_reason, employer=data.employer.strip(),
                         hours_per_week=data.hours_per_week, work_kind=data.work_kind,
                         contract_months=data.contract_months, open_ended=data.open_ended, wage=data.wage,
                         revokes_id=data.revokes_id, evidence=evidence, by_provider=by_provider,
                         import_key=import_key, recorded_by_id=user.id)
    session.add(event)
    session.flush()
    projections.keep_events(traject)
    if needs_confirmation(event):
        notifications.outcome_reported(traject)
    return event


def store_evidence(upload: FileStorage | None, traject: Traject, user: User) -> EvidenceFile | None:
    """The evidence uploaded with an event or a confirmation, kept; None when none was sent."""
    if upload is None:
        return None
    return evidence_store.store(upload, traject.id, user.id)


def needs_confirmation(event: TrajectEvent) -> bool:
    return event.by_provider and event.type in NEEDS_CONFIRMATION and event.confirmation is None


def confirm(event: TrajectEvent, user: User, evidence: EvidenceFile | None, note: str) -> EventConfirmation:
    """A klantmanager confirms a provider's reported outcome, against the evidence sent with it or new evidence."""
    if not needs_confirmation(event):
        raise TrajectError(Message(N_("Deze gebeurtenis hoeft niet (meer) bevestigd te worden.")), "evidence")
    if event.id in revoked_ids(event.traject):
        raise TrajectError(Message(N_("Deze gebeurtenis is gecorrigeerd.")), "evidence")
    proof = evidence or event.evidence
    if proof is None:
        raise TrajectError(Message(N_("Bevestig een resultaat tegen bewijs: voeg een bestand toe.")), "evidence")
    confirmation = EventConfirmation(event=event, evidence=proof, note=note.strip(), confirmed_by_id=user.id)
    session.add(confirmation)
    projections.keep_confirmed(event.traject)
    return confirmation


def revoked_ids(traject: Traject) -> set[int]:
    return {e.revokes_id for e in traject.events if e.type == EventType.CORRECTION}


# --- money ----------------------------------------------------------------------------------------


def payment_model(traject: Traject) -> PaymentModel:
    return PaymentModel.from_dict(traject.contract_version.payment_model)


class PaymentModels:
    """Payment models by contract version, parsed once however many trajecten share a version."""

    def __init__(self):
        self._by_version: dict[int, PaymentModel] = {}

    def of(self, traject: Traject) -> PaymentModel:
        found = self._by_version.get(traject.contract_version_id)
        if found is None:
            found = self._by_version[traject.contract_version_id] = payment_model(traject)
        return found


def engine_ready(stmt: Select) -> Select:
    """Load with the trajecten what the engine reads of each (its events and their confirmations, its contract
    and version): a few queries for any number of trajecten instead of some per traject."""
    return stmt.options(selectinload(Traject.events).selectinload(TrajectEvent.confirmation),
                        selectinload(Traject.contract_version), selectinload(Traject.contract))


def awaiting_confirmation(traject: Traject) -> list[TrajectEvent]:
    """Outcomes a provider reported that a klantmanager has yet to confirm (a corrected one waits for nothing)."""
    revoked = revoked_ids(traject)
    return [e for e in traject.events if needs_confirmation(e) and e.id not in revoked]


def confirm_awaiting(traject: Traject, user: User) -> int:
    """Confirm every outcome of the traject that waits for it, each against the evidence sent with it (the work
    list's bulk confirmation): :func:`confirm` judges each, so one without evidence is refused as on its page."""
    waiting = awaiting_confirmation(traject)
    if not waiting:
        raise TrajectError(Message(N_("Er wacht geen resultaat op bevestiging.")))
    for event in waiting:
        confirm(event, user, None, "")
    return len(waiting)


def engine_traject(traject: Traject, include_unconfirmed: bool = False) -> EngineTraject:
    """The traject as the engine reads it: outcomes a provider reported count once confirmed.

    ``include_unconfirmed`` adds the reports awaiting confirmation, to show what confirming them would add."""
    waiting = {e.id for e in awaiting_confirmation(traject)} if include_unconfirmed else set()
    events = [engine_event(e, str(e.id)) for e in traject.events if not needs_confirmation(e) or e.id in waiting]
    return EngineTraject(id=str(traject.id), referral_date=traject.referral_date, events=tuple(events),
                         client_group=traject.client_group, price=traject.price)


@dataclass
class Money:
    """What each event made owed, as known today, and what confirming the open reports would add."""

    by_event: dict[str, list[Entitlement]] = field(default_factory=dict)
    pending_by_event: dict[str, list[Entitlement]] = field(default_factory=dict)
    total: Decimal = Decimal("0.00")

    def owed_for(self, event: TrajectEvent) -> list[Entitlement]:
        return self.by_event.get(str(event.id), [])

    def pending_for(self, event: TrajectEvent) -> list[Entitlement]:
        return self.pending_by_event.get(str(event.id), [])


def _by_trigger(entitlements: list[Entitlement], dates: dict[str, date]) -> dict[str, list[Entitlement]]:
    """File each entitlement under the latest event it rests on: the one that made it owed."""
    found: dict[str, list[Entitlement]] = {}
    for e in entitlements:
        basis = [b for b in e.basis if b in dates]
        if basis:
            found.setdefault(max(basis, key=lambda b: (dates[b], int(b))), []).append(e)
    return found


def money(traject: Traject, as_of: date) -> Money:
    model = payment_model(traject)
    dates = {str(e.id): e.event_date for e in traject.events}
    counted = evaluate(model, engine_traject(traject), as_of)
    if awaiting_confirmation(traject):
        everything = evaluate(model, engine_traject(traject, include_unconfirmed=True), as_of)
        known = {e.key for e in counted.entitlements}
        pending = _by_trigger([e for e in everything.entitlements if e.key not in known], dates)
    else:
        pending = {}
    return Money(_by_trigger(counted.entitlements, dates), pending, counted.total)


# --- work list ------------------------------------------------------------------------------------


def open_actions(traject: Traject) -> list[Action]:
    """What the traject still needs (:func:`contracts.worklist.actions`), earliest due first."""
    state = replay(traject.referral_date, history(traject))
    return actions(state, terms_for(traject), [e.event_date for e in awaiting_confirmation(traject)])


def terms_for(traject: Traject) -> Terms:
    """The contract's terms, with the durability term the domain chooses (:func:`contracts.durability.term_months`)."""
    terms = traject.contract.terms
    months = term_months(traject.contract.durability_months, traject.contract_version.payment_model,
                         terms.durability_months)
    return replace(terms, durability_months=months)


# --- imports --------------------------------------------------------------------------------------
# The row readers (app.trajecten.imports) build this module's EventInput, so they are imported where a
# batch is handled rather than at the top, which would make the two modules import each other.


class ImportRefused(DomainError):
    """The import was refused as a whole: nothing was written. ``problems`` are the rows' current problems."""

    code = "import_refused"

    def __init__(self, message: str, problems: list[dict]):
        super().__init__(message, "only_valid")
        self.problems = problems


def new_batch(kind: ImportKind, filename: str, raw: bytes, user: User) -> tuple[ImportBatch, bool]:
    """Take in an uploaded file for checking, after checking its form (raises :class:`~app.tabular.FileError`);
    the second value says whether the user already imported this very file."""
    from app.trajecten import imports as readers

    text = decode(raw)
    rows = readers.parse(text, kind)
    digest = hashlib.sha256(raw).hexdigest()
    seen = session.scalar(select(ImportBatch.id).where(
        ImportBatch.uploaded_by_id == user.id, ImportBatch.sha256 == digest,
        ImportBatch.status == ImportStatus.IMPORTED).limit(1))
    name = (filename or "import.csv").replace("\\", "/").rsplit("/", 1)[-1][:200]
    batch = ImportBatch(kind=kind, filename=name, sha256=digest, content=text, status=ImportStatus.CHECKING,
                        total_rows=len(rows), checked_rows=0, problems=[], uploaded_by_id=user.id)
    session.add(batch)
    session.flush()
    return batch, seen is not None


def _own_batches(user: User) -> Select:
    stmt = select(ImportBatch)
    return stmt if user.role == Role.ADMIN else stmt.where(ImportBatch.uploaded_by_id == user.id)


def find_batch(batch_id: int, user: User, lock: bool = False) -> ImportBatch | None:
    """The batch if it is the user's own (an admin sees all)."""
    stmt = _own_batches(user).where(ImportBatch.id == batch_id)
    return session.scalar(stmt.with_for_update() if lock else stmt)


def recent_batches(user: User, limit: int = 25) -> list[ImportBatch]:
    stmt = (_own_batches(user).options(defer(ImportBatch.content), selectinload(ImportBatch.uploaded_by))
            .order_by(ImportBatch.uploaded_at.desc(), ImportBatch.id.desc()).limit(limit))
    return list(session.scalars(stmt))


def check_step(batch: ImportBatch, size: int, today: date) -> None:
    """Check the next ``size`` rows; with the last of them, the checks that need the whole file.

    Always as the uploader: an admin looking on gets the uploader's results."""
    from app.trajecten import imports as readers

    checker = readers.make_checker(batch.kind, batch.uploaded_by, today)
    rows = readers.parse(batch.content, batch.kind)
    start = batch.checked_rows
    step = rows[start:start + max(size, 1)]
    checker.prefetch(step)
    step_results = [checker.check(row) for row in step]
    problems = [*batch.problems, *(p for c in step_results for p in readers.row_problems(c))]
    batch.checked_rows = start + len(step)
    if batch.checked_rows >= len(rows):
        earlier = rows[:start]
        checker.prefetch(earlier)
        results = [checker.check(row) for row in earlier] + step_results
        refused = {p["line"] for p in problems}
        for checked in results:
            checked.excluded = checked.excluded or checked.line in refused
        problems += checker.cross(results)
        batch.checked_rows = len(rows)
        batch.status = ImportStatus.CHECKED
    batch.problems = readers.sorted_problems(problems, batch.kind)


def _add_client(row: ImportedClient, user: User, today: date) -> None:
    """A new client through the one path the client form uses too; a klantmanager who imports becomes theirs."""
    data = replace(row.data, klantmanager_id=user.id if user.role == Role.KLANTMANAGER else None)
    clients.create_client(row.bsn, data, row.phase, row.ladder_rung, today, user)
    session.flush()


Report = Callable[[int, int], None]


def import_batch(batch: ImportBatch, user: User, only_valid: bool, today: date,
                 progress: Report | None = None) -> None:
    """Check every row again, against the database as it is now, and write: all rows, or only the valid ones.

    Leaves its writes in the caller's transaction, or raises :class:`ImportRefused`; see :func:`run_import`.
    Each row is written in its own savepoint, so that when only the valid rows are imported a row the
    database refuses after all is skipped and reported instead of spoiling the rest. ``progress(done, total)``
    hears of each row checked and each row written (a file counts twice its rows).
    """
    from app.trajecten import imports as readers

    report = progress or (lambda done, total: None)
    checker = readers.make_checker(batch.kind, user, today)
    rows = readers.parse(batch.content, batch.kind)
    total = 2 * len(rows)
    checker.prefetch(rows)
    results = []
    for row in rows:
        results.append(checker.check(row))
        report(len(results), total)
    problems = [p for c in results for p in readers.row_problems(c)]
    problems += checker.cross(results)
    problems = readers.sorted_problems(problems, batch.kind)
    bad_lines = {p["line"] for p in problems}
    if bad_lines and not only_valid:
        raise ImportRefused(_("Het bestand heeft %(n)s regels met fouten. Kies ervoor alleen de geldige regels "
                              "te importeren, of verwerp het bestand.", n=len(bad_lines)), problems)
    if not any(c.ok for c in results):
        raise ImportRefused(_("Geen enkele regel is zonder fouten: er valt niets te importeren."), problems)
    created = 0
    for written, checked in enumerate(checker.to_write(results), start=1):
        report(len(rows) + written, total)
        try:
            with session.begin_nested():
                if batch.kind == ImportKind.CLIENTS:
                    _add_client(checked.value, user, today)
                else:
                    row = checked.value
                    record_event(row.traject, row.data, user, today, import_key=row.import_key)
        except (TrajectError, ClientError, IntegrityError) as error:
            problem = checker.write_failed(checked, error)
            if not only_valid:
                raise ImportRefused(_("Regel %(line)s kon niet worden opgeslagen: %(problem)s",
                                      line=checked.line, problem=problem["message"]),
                                    readers.sorted_problems([*problems, problem], batch.kind)) from error
            problems.append(problem)
            checked.excluded = True
        else:
            created += 1
    unchanged = sum(1 for c in results if c.ok and c.unchanged)
    batch.problems = readers.sorted_problems(problems, batch.kind)
    batch.created_count = created
    batch.unchanged_count = unchanged
    batch.skipped_count = len(rows) - created - unchanged
    batch.status = ImportStatus.IMPORTED
    batch.imported_at = utcnow()
    report(total, total)


def run_import(batch: ImportBatch, user: User, only_valid: bool, today: date,
               progress: Report | None = None) -> ImportRefused | None:
    """Import the batch all-or-nothing; on a refusal nothing of the rows is kept, only their current problems
    on the batch, so that the page shows what is wrong now. Returns the refusal, or None when imported."""
    try:
        with session.begin_nested():
            import_batch(batch, user, only_valid, today, progress)
    except ImportRefused as refused:
        batch.problems = refused.problems
        return refused
    return None


def import_job_of(batch: ImportBatch) -> Job | None:
    """The import of this batch that is queued or running, if any: a second click joins it instead of racing it."""
    active = session.scalars(select(Job).where(Job.kind == JobKind.IMPORT, Job.owner_id == batch.uploaded_by_id,
                                               Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING))))
    return next((job for job in active if job.params.get("batch_id") == batch.id), None)


def start_import(batch: ImportBatch, user: User, only_valid: bool, today: date) -> Job:
    """Hand the import of a checked batch to a background job (:func:`import_job`), or give the one under way."""
    return import_job_of(batch) or jobs.submit(
        JobKind.IMPORT, user, {"batch_id": batch.id, "only_valid": only_valid, "today": today.isoformat()},
        total=2 * batch.total_rows)


@jobs.handler(JobKind.IMPORT)
def import_job(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    """The import as a job: a refusal is a finished job whose result says why (nothing of the rows stored)."""
    batch = session.scalar(select(ImportBatch).where(ImportBatch.id == job.params["batch_id"]).with_for_update())
    summary: dict[str, Any] = {"batch_id": job.params["batch_id"], "refusal": None}
    if batch is None or batch.status != ImportStatus.CHECKED:
        summary["refusal"] = _("Dit bestand kan nu niet worden geïmporteerd.")
        return summary
    refused = run_import(batch, job.owner, job.params["only_valid"], date.fromisoformat(job.params["today"]),
                         progress.set)
    if refused is not None:
        summary["refusal"] = translate(refused.message)
    summary.update(created=batch.created_count, unchanged=batch.unchanged_count, skipped=batch.skipped_count)
    return summary


def discard_batch(batch: ImportBatch) -> bool:
    """Discard a file not (yet) imported; its rows (BSNs among them) are not kept. False when it is too late."""
    if batch.status not in (ImportStatus.CHECKING, ImportStatus.CHECKED):
        return False
    batch.status = ImportStatus.DISCARDED
    batch.content = ""
    return True


def purge_import_file(batch: ImportBatch) -> None:
    """What purging an import's stored file means (when is the retention rule's, ``contracts.retention``): the
    file (every row, BSNs among them) is emptied, whatever became of it; the record of the upload and its report
    (counts, problems by line and column, any BSN-shaped number in them masked) stay. A file still unimported is
    discarded: without its rows it can no longer be imported."""
    batch.content = ""
    batch.problems = [{**p, "message": mask_bsns(p["message"], BSN_IN_REPORT)} for p in batch.problems or []]
    if batch.status in (ImportStatus.CHECKING, ImportStatus.CHECKED):
        batch.status = ImportStatus.DISCARDED
    batch.purged_at = utcnow()
