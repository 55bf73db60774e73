"""``flask retention run``: personal data removed once its retention period (``contracts.retention``) is over.

What goes is replaced by plain UPDATEs, not through the ORM, so that the audit hook does not copy the old
values into a new "update" entry: instead each record gets one ``anonymise`` or ``purge`` entry that says what
was removed under which rule, and the chain stays intact. Files on disk are removed only after the database has
committed, so a failed run never leaves a row pointing at bytes that are gone while it still says they exist.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import audit, clock
from app.db import session as app_session
from app.db import utcnow
from app.models import Client, EvidenceFile, ImportBatch, Traject, TrajectEvent
from app.search import name_key
from app.trajecten.services import purge_import_file
from app.uow import committed
from contracts.lifecycle import CLOSED_STATUSES
from contracts.retention import RetentionKind, client_period_start, is_due, traject_end

ANONYMOUS_FIRST_NAME = ""
ANONYMOUS_LAST_NAME = "(geanonimiseerd)"
# What anonymising a client clears: who they are, and the free text written about them.
CLIENT_FIELDS = ("bsn", "first_name", "last_name", "birth_date", "traject.motivation", "traject_event.note",
                 "traject_event.reason")


def anonymous_bsn(client_id: int) -> str:
    """Unique (the column is), nine characters like a BSN, and never a real one: it holds a letter."""
    return f"X{client_id:08d}"


@dataclass
class Due:
    clients: list[int] = field(default_factory=list)
    evidence: list[int] = field(default_factory=list)
    import_files: list[int] = field(default_factory=list)


def due(session: Session, today: date) -> Due:
    found = Due()
    ends: dict[int, list[date | None]] = defaultdict(list)
    rows = session.execute(select(Traject.client_id, Traject.status, Traject.referral_date, Traject.last_event_on,
                                  Traject.ended_on, Traject.dropped_out_on, Traject.returned_on, Traject.refused_on,
                                  Traject.fell_back_on))
    for client_id, status, *moments in rows:
        ends[client_id].append(traject_end(status in CLOSED_STATUSES, *moments))
    for client_id, created_at in session.execute(
            select(Client.id, Client.created_at).where(Client.anonymised_at.is_(None)).order_by(Client.id)):
        if is_due(RetentionKind.CLIENT, client_period_start(ends.get(client_id, []), created_at.date()), today):
            found.clients.append(client_id)
    for evidence_id, uploaded_at in session.execute(
            select(EvidenceFile.id, EvidenceFile.uploaded_at).where(EvidenceFile.purged_at.is_(None))
            .order_by(EvidenceFile.id)):
        if is_due(RetentionKind.EVIDENCE, uploaded_at.date(), today):
            found.evidence.append(evidence_id)
    for batch_id, uploaded_at in session.execute(
            select(ImportBatch.id, ImportBatch.uploaded_at).where(ImportBatch.purged_at.is_(None))
            .order_by(ImportBatch.id)):
        if is_due(RetentionKind.IMPORT_FILE, uploaded_at.date(), today):
            found.import_files.append(batch_id)
    return found


def apply(session: Session, found: Due) -> list[Path]:
    """Remove what is due, in the caller's transaction; returns the files to delete once it has committed."""
    now = utcnow()
    for client_id in found.clients:
        session.execute(update(Client).where(Client.id == client_id).values(
            bsn=anonymous_bsn(client_id), first_name=ANONYMOUS_FIRST_NAME, last_name=ANONYMOUS_LAST_NAME,
            search_name=name_key(ANONYMOUS_FIRST_NAME, ANONYMOUS_LAST_NAME), birth_date=None, anonymised_at=now))
        trajecten = select(Traject.id).where(Traject.client_id == client_id).scalar_subquery()
        session.execute(update(Traject).where(Traject.client_id == client_id).values(motivation=""))
        session.execute(update(TrajectEvent).where(TrajectEvent.traject_id.in_(trajecten))
                        .values(note="", reason=""))
    audit.record_many(session, "anonymise", "client", [
        (client_id, {"retention_kind": RetentionKind.CLIENT.value, "fields": list(CLIENT_FIELDS)})
        for client_id in found.clients])

    digests = set(session.scalars(select(EvidenceFile.sha256).where(EvidenceFile.id.in_(found.evidence))))
    session.execute(update(EvidenceFile).where(EvidenceFile.id.in_(found.evidence))
                    .values(purged_at=now, filename="verwijderd"), execution_options={"synchronize_session": False})
    still_used = set(session.scalars(select(EvidenceFile.sha256).where(EvidenceFile.sha256.in_(digests),
                                                                        EvidenceFile.purged_at.is_(None))))
    audit.record_many(session, "purge", "evidence_file", [
        (evidence_id, {"retention_kind": RetentionKind.EVIDENCE.value, "fields": ["file", "filename"]})
        for evidence_id in found.evidence])

    # Through the ORM like a discard: an import batch is not an audited record, so no old content is copied.
    for batch in session.scalars(select(ImportBatch).where(ImportBatch.id.in_(found.import_files))):
        purge_import_file(batch)
    audit.record_many(session, "purge", "import_batch", [
        (batch_id, {"retention_kind": RetentionKind.IMPORT_FILE.value, "fields": ["content"]})
        for batch_id in found.import_files])
    folder = Path(current_app.config["EVIDENCE_DIR"])
    return [folder / digest for digest in sorted(digests - still_used)]


retention_cli = AppGroup("retention", help="Personal data kept no longer than its retention period.")


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Only say what is due; change nothing.")
def retention_run(dry_run: bool) -> None:
    """Anonymise clients, and purge evidence and import files, whose retention period is over."""
    found = due(app_session, clock.today())
    verb = "due" if dry_run else "done"
    click.echo(f"clients to anonymise: {len(found.clients)}; evidence files to purge: {len(found.evidence)}; "
               f"import files to purge: {len(found.import_files)} ({verb})")
    if dry_run:
        return
    with committed():
        files = apply(app_session, found)
    for path in files:
        path.unlink(missing_ok=True)
