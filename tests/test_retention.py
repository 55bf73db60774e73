"""``flask retention run``: personal data goes when its period is over; the figures and the audit chain stay."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from sqlalchemy import select

from app import clock
from app.audit import verify_chain
from app.models import AuditEntry, Client, EvidenceFile, Invoice, Traject
from app.retention import ANONYMOUS_LAST_NAME, apply, due
from app.trajecten.evidence import evidence_file, path_of
from tests.test_reports import dataset, query  # noqa: F401  (the fixture: closed trajecten of clients[1])

LATER = date(2032, 1, 1)
PDF = b"%PDF-1.4 payslip"


def _figures(app):
    from app.reports.services import table

    with app.app_context():
        t = table(query())
    return [(key, {name: (f.numerator, f.denominator, f.value) for name, f in figs.items()})
            for key, _label, figs in t.rows]


@pytest.mark.usefixtures("dataset")
def test_clients_whose_trajecten_all_ended_long_ago_are_anonymised_and_the_figures_stay(app, db, world):
    before = _figures(app)
    invoices_before = [(i.id, i.total) for i in db.scalars(select(Invoice))]
    kept, gone = world.clients[0], world.clients[1]
    old_bsn = gone.bsn

    assert due(db, date(2030, 1, 1)).clients == []  # the last traject of clients[1] ended in 2025
    found = due(db, LATER)
    assert gone.id in found.clients and kept.id not in found.clients  # clients[0] has an open traject
    with app.app_context():
        apply(db, found)
    db.commit()
    db.expire_all()

    client = db.get(Client, gone.id)
    assert (client.bsn, client.first_name, client.last_name, client.birth_date) == (
        f"X{gone.id:08d}", "", ANONYMOUS_LAST_NAME, None)
    assert client.anonymised_at is not None
    assert all(t.motivation == "" for t in db.scalars(select(Traject).where(Traject.client_id == gone.id)))
    assert db.get(Client, kept.id).bsn == "111222333"
    assert _figures(app) == before
    assert [(i.id, i.total) for i in db.scalars(select(Invoice))] == invoices_before

    assert verify_chain(db).intact
    entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "anonymise")).all()
    assert gone.id in {e.entity_id for e in entries} and all(e.actor_label == "systeem" for e in entries)
    everything = str([e.changes for e in db.scalars(select(AuditEntry))])
    assert not re.search(rf"\b({old_bsn}|111222333)\b", everything)  # not a VAT number's digits
    assert gone.id not in due(db, LATER).clients  # done once


def test_evidence_past_its_period_loses_its_file_and_keeps_its_row(app, db, world):
    with app.app_context():
        evidence = evidence_file(PDF, "loonstrook-jansen.pdf", world.traject.id, None)
        evidence.uploaded_at = datetime(2024, 1, 10)
        db.add(evidence)
        db.commit()
        path = path_of(evidence)
        assert path.exists()
        assert due(db, date(2031, 1, 9)).evidence == []
        found = due(db, date(2031, 1, 10))
        assert found.evidence == [evidence.id]
        files = apply(db, found)
        db.commit()
        assert files == [path]

    db.expire_all()
    row = db.get(EvidenceFile, evidence.id)
    assert row.purged_at is not None and row.filename == "verwijderd"
    assert verify_chain(db).intact


def test_the_cli_dry_run_changes_nothing_and_the_run_removes_the_files(app, db, world):
    with app.app_context():
        evidence = evidence_file(PDF, "bewijs.pdf", world.traject.id, None)
        evidence.uploaded_at = datetime(2020, 1, 1)
        db.add(evidence)
        db.commit()
        path = path_of(evidence)
    runner = app.test_cli_runner()
    with clock.frozen(LATER):
        result = runner.invoke(args=["retention", "run", "--dry-run"])
        assert result.exit_code == 0, result.output
        assert "evidence files to purge: 1" in result.output and "(due)" in result.output
        db.expire_all()
        assert db.get(EvidenceFile, evidence.id).purged_at is None and path.exists()
        result = runner.invoke(args=["retention", "run"])
        assert result.exit_code == 0, result.output
    db.expire_all()
    assert db.get(EvidenceFile, evidence.id).purged_at is not None
    assert not path.exists()


def test_a_purged_evidence_file_is_gone_for_whoever_asks(app, db, world, as_role):
    with app.app_context():
        evidence = evidence_file(PDF, "bewijs.pdf", world.traject.id, None)
        evidence.uploaded_at = datetime(2020, 1, 1)
        db.add(evidence)
        db.commit()
        apply(db, due(db, LATER))
        db.commit()
    response = as_role("klantmanager").get(f"/trajecten/{world.traject.id}/bewijs/{evidence.id}")
    assert response.status_code == 410
