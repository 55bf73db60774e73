"""Background jobs: progress that moves while the work is open, all-or-nothing on failure, owners only,
a dead worker detected; and the per-user upload quota and the purge of import files that come with uploads."""

from __future__ import annotations

import io
import re
import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from app import clock, jobs
from app.db import utcnow
from app.models import (
    Client,
    EvidenceFile,
    ImportBatch,
    ImportKind,
    ImportStatus,
    Job,
    JobKind,
    JobStatus,
    UploadCharge,
)
from app.retention import apply, due
from app.trajecten import services as traject_services
from tests.test_imports import (
    CLIENT_HEADER,
    NEW_BSNS,
    batch_id_of,
    batch_of,
    client_row,
    count,
    csv_file,
    error_at,
    refusal_of,
    run_import,
    text,
    upload,
    uploaded_and_checked,
)
from tests.test_trajecten import post_event


def _job_id(page) -> int:
    match = re.search(r"Taak (\d+):", text(page))
    assert match, text(page)[:2000]
    return int(match.group(1))


def _job(db, job_id: int) -> Job:
    db.expire_all()
    return db.get(Job, job_id)


# --- progress and completion ----------------------------------------------------------------------


def test_a_jobs_progress_moves_while_it_runs_and_it_finishes_with_its_work(as_role, world, db, app, monkeypatch):
    c = as_role("klantmanager")
    batch_id = uploaded_and_checked(c, "clients", csv_file(CLIENT_HEADER, *(client_row(b) for b in NEW_BSNS)))
    seen: list[tuple[str, int, int]] = []
    real_set = jobs.Progress.set

    def watched(progress, done, total=None):
        from app.db import session  # the job's own (the test's shares one connection; see the SQLite test below)

        real_set(progress, done, total)
        job = session.get(Job, progress.job_id)
        seen.append((job.status.value, *jobs.progress_of(job)))

    monkeypatch.setattr(jobs.Progress, "set", watched)
    page = run_import(c, batch_id)
    assert refusal_of(page) is None and "3 nieuw opgeslagen" in " ".join(text(page).split()).replace(
        "</li>", "").replace("<span>", "").replace("</span>", "")
    assert {status for status, _, _ in seen} == {"running"}
    dones = [done for _, done, _ in seen]
    assert dones == sorted(dones) and dones[0] < dones[-1] == 6  # three rows checked, then three written
    assert {total for _, _, total in seen} == {6}
    job = _job(db, _job_id(page))
    assert (job.status, job.done, job.total, job.attempts, job.kind) == (JobStatus.DONE, 6, 6, 1, JobKind.IMPORT)
    assert job.started_at is not None and job.finished_at is not None
    assert job.result == {"batch_id": batch_id, "refusal": None, "created": 3, "unchanged": 0, "skipped": 0}
    assert count(db, Client, Client.bsn.in_(NEW_BSNS)) == 3
    assert c.get(f"/taken/{job.id}/status.json").get_json() == {"status": "done", "done": 6, "total": 6,
                                                               "finished": True}


def test_a_running_job_shows_a_labelled_progress_bar_and_a_way_to_refresh(as_role, world, db):
    job = Job(kind=JobKind.PAYMENT_RUN, owner_id=world.users["finance"].id, status=JobStatus.RUNNING, total=40,
              done=0, params={}, attempts=1, started_at=utcnow())
    db.add(job)
    db.commit()
    page = text(as_role("finance").get(f"/taken/{job.id}"))
    assert '<label for="job-progress">' in page and '<progress id="job-progress" max="40"' in page
    assert f'href="/taken/{job.id}">Vernieuwen</a>' in page
    assert '<noscript><meta http-equiv="refresh"' in page and "js/jobs.js" in page
    assert f'data-job-status="/taken/{job.id}/status.json"' in page


# --- failure ----------------------------------------------------------------------------------------


def test_a_failing_job_is_retried_then_marked_failed_and_nothing_of_its_work_is_kept(as_role, world, db, app,
                                                                                   monkeypatch):
    c = as_role("klantmanager")
    batch_id = uploaded_and_checked(c, "clients", csv_file(CLIENT_HEADER, *(client_row(b) for b in NEW_BSNS)))
    real_add = traject_services._add_client
    calls = []

    def fails_on_the_third_row(row, user, today):
        calls.append(row.bsn)
        if len(calls) % 3 == 0:
            raise RuntimeError(f"disk full while writing {row.bsn}")
        real_add(row, user, today)

    monkeypatch.setattr(traject_services, "_add_client", fails_on_the_third_row)
    r = c.post(f"/import/{batch_id}/importeren")
    page = c.get(r.headers["Location"])
    job = _job(db, _job_id(page))
    assert job.status == JobStatus.FAILED and job.attempts == 1 + app.config["JOBS_RETRIES"]
    assert "RuntimeError" in job.error and NEW_BSNS[2] not in job.error  # never the exception's text
    assert "De taak is mislukt" in text(page) and NEW_BSNS[2] not in text(page)
    assert len(calls) == 3 * job.attempts  # each attempt wrote two rows before it failed ...
    assert count(db, Client, Client.bsn.in_(NEW_BSNS)) == 0  # ... and none of them is kept
    assert batch_of(db, batch_id).status == ImportStatus.CHECKED  # still there to be imported again


def test_a_running_job_whose_worker_died_is_marked_failed(as_role, world, db, app):
    owner = world.users["finance"]
    dead = Job(kind=JobKind.PAYMENT_RUN, owner_id=owner.id, status=JobStatus.RUNNING, params={}, attempts=1,
               started_at=utcnow() - timedelta(seconds=app.config["JOBS_STALE_SECONDS"] + 5))
    alive = Job(kind=JobKind.PAYMENT_RUN, owner_id=owner.id, status=JobStatus.RUNNING, params={}, attempts=1,
                started_at=utcnow() - timedelta(hours=1))
    db.add_all([dead, alive])
    db.commit()
    with app.app_context():
        jobs.Progress(jobs.huey_of(), alive.id, 10).beat()  # its worker still beats
    page = as_role("finance").get(f"/taken/{dead.id}")
    assert "De taak is mislukt" in text(page) and "de verwerker stopte" in text(page)
    assert _job(db, dead.id).status == JobStatus.FAILED
    assert _job(db, alive.id).status == JobStatus.RUNNING


# --- who sees a job ---------------------------------------------------------------------------------


def test_a_user_sees_only_their_own_jobs_and_an_admin_all(as_role, world, db):
    job_id = world.job.id
    owner, other, admin = as_role("klantmanager"), as_role("klantmanager_c"), as_role("admin")
    assert owner.get(f"/taken/{job_id}").status_code == 200
    assert other.get(f"/taken/{job_id}").status_code == 404
    assert other.get(f"/taken/{job_id}/status.json").status_code == 404
    assert f'href="/taken/{job_id}"' not in text(other.get("/taken/"))
    assert f'href="/taken/{job_id}"' in text(owner.get("/taken/"))
    assert admin.get(f"/taken/{job_id}").status_code == 200
    assert owner.get("/taken/99999999999").status_code == 404


def test_the_job_page_of_a_refused_import_reports_every_bad_row(as_role, world, db):
    c = as_role("klantmanager")
    batch_id = uploaded_and_checked(c, "clients", csv_file(CLIENT_HEADER, client_row(NEW_BSNS[0]),
                                                          client_row("123456789"), client_row("12345678")))
    page = run_import(c, batch_id)
    assert "2 regels met fouten" in refusal_of(page)
    rows = re.findall(r"<tr><td class=\"num\">(\d+)</td>", text(page))
    assert rows == ["3", "4"]


def test_a_job_speaks_the_language_of_the_user_who_started_it(as_role, world, db):
    c = as_role("klantmanager")
    batch_id = uploaded_and_checked(c, "clients", csv_file(CLIENT_HEADER, client_row(NEW_BSNS[0]),
                                                          client_row("123456789")))
    c.get("/taal/en")
    r = c.post(f"/import/{batch_id}/importeren")
    job = _job(db, int(r.headers["Location"].rsplit("/", 1)[1]))
    assert job.params["locale"] == "en"
    assert job.result["refusal"].startswith("The file has 1 rows with errors.")


def test_a_payment_run_is_a_job_whose_page_lists_the_drafted_invoices(as_role, world, db):
    from tests.test_invoices import run

    page = run(as_role("finance"))
    assert page.status_code == 200 and "Resultaat van de betaalrun" in text(page)
    job = _job(db, _job_id(page))
    assert job.kind == JobKind.PAYMENT_RUN and job.status == JobStatus.DONE and job.total == job.done
    for invoice_id in job.result["invoice_ids"]:
        assert f'href="/facturen/{invoice_id}"' in text(page)


def test_the_marap_pdf_is_made_in_the_background_and_downloaded_by_its_owner_only(as_role, world, db):
    c = as_role("management")
    r = c.post(f"/rapportages/marap-pdf?gemeente={world.gemeenten[0].id}")
    assert r.status_code == 302 and r.headers["Location"].startswith("/taken/")
    page = c.get(r.headers["Location"])
    job = _job(db, _job_id(page))
    assert job.kind == JobKind.EXPORT and job.status == JobStatus.DONE and job.result_file
    assert f'href="/taken/{job.id}/bestand"' in text(page)
    download = c.get(f"/taken/{job.id}/bestand")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    assert download.headers["Cache-Control"] == "no-store"
    assert job.result["filename"] in download.headers["Content-Disposition"]
    assert as_role("finance").get(f"/taken/{job.id}/bestand").status_code == 404
    assert as_role("admin").get(f"/taken/{job.id}/bestand").status_code == 200


# --- the queue's own storage on SQLite --------------------------------------------------------------


def test_on_sqlite_progress_is_read_while_the_work_holds_the_write_lock(fresh_database_url, tmp_path, monkeypatch):
    """The real path: a SQLite queue file, a worker taking the task, and the job page reading progress from
    another thread (another connection) while the work transaction is open, without waiting for it."""
    from app import create_app
    from app.db import session
    from app.migrate import upgrade
    from app.models import Role, User

    url = fresh_database_url()
    if not url.startswith("sqlite"):
        pytest.skip("the write lock this guards against is SQLite's")
    upgrade(url)
    app = create_app("testing", overrides={"DATABASE_URL": url, "JOBS_IMMEDIATE": False,
                                           "JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite3'}",
                                           "EVIDENCE_DIR": str(tmp_path / "evidence")})
    queue = jobs.huey_of(app)
    read_while_open: list[tuple[int, int]] = []

    def work(job, progress):
        session.add(User(username="written-by-the-job", full_name="Job", email="job@example.org", role=Role.ADMIN,
                         password_hash="x"))
        session.flush()  # the work transaction now holds SQLite's write lock
        for done in range(1, 4):
            progress.set(done, 3)

            def look():
                with app.test_request_context(f"/taken/{job.id}"):  # a page: it reads, so it begins deferred
                    read_while_open.append(jobs.progress_of(session.get(Job, job.id)))

            reader = threading.Thread(target=look)
            reader.start()
            reader.join(timeout=10)
        return {"ok": True}

    monkeypatch.setitem(jobs.HANDLERS, JobKind.PAYMENT_RUN, work)
    monkeypatch.setattr(jobs.Progress, "interval", 0)  # every step written, so that every look sees it
    with app.app_context():
        owner = User(username="eigenaar", full_name="Eigenaar", email="e@example.org", role=Role.FINANCE,
                     password_hash="x")
        session.add(owner)
        session.commit()
        job_id = jobs.submit(JobKind.PAYMENT_RUN, owner, {}).id
        session.commit()  # hands the job to the queue
    assert queue.pending_count() == 1
    queue.execute(queue.dequeue())
    assert read_while_open == [(1, 3), (2, 3), (3, 3)]
    with app.app_context():
        job = session.get(Job, job_id)
        assert (job.status, job.done, job.total, job.result) == (JobStatus.DONE, 3, 3, {"ok": True})
        assert session.scalar(select(User).where(User.username == "written-by-the-job")) is not None
    app.extensions["db_bind"].dispose()


# --- the upload quota -------------------------------------------------------------------------------


def test_uploads_beyond_the_users_quota_are_refused_at_the_file_field(as_role, world, db, app):
    app.config["UPLOAD_QUOTA_BYTES"] = 1000
    c = as_role("klantmanager")
    content = csv_file(CLIENT_HEADER, client_row(NEW_BSNS[0]))
    batch_id_of(upload(c, "clients", content))
    db.add(UploadCharge(user_id=world.users["klantmanager"].id, size=900, purpose="evidence",
                        at=utcnow() - timedelta(hours=1)))
    db.commit()
    before = count(db, ImportBatch)
    r = upload(c, "clients", content)
    assert r.status_code == 422
    assert "per 24 uur is al gebruikt" in error_at(r, "file")
    assert count(db, ImportBatch) == before
    # another user's quota is their own
    assert upload(as_role("admin"), "clients", content).status_code == 302


def test_the_quota_counts_only_the_period(as_role, world, db, app):
    app.config["UPLOAD_QUOTA_BYTES"] = 1000
    db.add(UploadCharge(user_id=world.users["klantmanager"].id, size=990, purpose="import",
                        at=utcnow() - timedelta(hours=app.config["UPLOAD_QUOTA_HOURS"], minutes=1)))
    db.commit()
    assert upload(as_role("klantmanager"), "clients", csv_file(CLIENT_HEADER, client_row(NEW_BSNS[0]))).status_code \
        == 302


def test_evidence_counts_against_the_quota_too(as_role, world, db, app):
    from tests.conftest import PDF_BYTES

    app.config["UPLOAD_QUOTA_BYTES"] = len(PDF_BYTES) + 10
    db.add(UploadCharge(user_id=world.users["provider"].id, size=20, purpose="import", at=utcnow()))
    db.commit()
    files_before = count(db, EvidenceFile)
    r = post_event(as_role("provider"), world.traject, "progress_report", evidence=(io.BytesIO(PDF_BYTES), "r.pdf"))
    assert r.status_code == 422
    assert "per 24 uur is al gebruikt" in error_at(r, "evidence")
    assert count(db, EvidenceFile) == files_before


# --- the purge of import files ----------------------------------------------------------------------


def _batch(db, owner, uploaded: datetime, status: ImportStatus, problems: list) -> ImportBatch:
    batch = ImportBatch(kind=ImportKind.CLIENTS, filename="c.csv", sha256="0" * 64, status=status, total_rows=1,
                        checked_rows=1, content=f"{CLIENT_HEADER}\n{client_row(NEW_BSNS[0])}\n", problems=problems,
                        uploaded_by_id=owner.id, uploaded_at=uploaded)
    db.add(batch)
    return batch


def test_import_files_are_purged_after_the_stated_period_and_recent_ones_kept(world, db, app):
    owner = world.users["klantmanager"]
    today = date(2026, 6, 15)
    bad = [{"line": 2, "column": "gemeente_cbs",
            "message": "Gemeente 123456782 bestaat niet of je werkt er niet voor."}]
    old_done = _batch(db, owner, datetime(2026, 6, 7, 12), ImportStatus.IMPORTED, bad)
    old_open = _batch(db, owner, datetime(2026, 6, 1, 9), ImportStatus.CHECKED, [])
    recent = _batch(db, owner, datetime(2026, 6, 9, 0, 1), ImportStatus.CHECKED, [])
    db.commit()
    with app.app_context(), clock.frozen(today):
        from app.db import session

        found = due(session, clock.today())
        assert set(found.import_files) >= {old_done.id, old_open.id} and recent.id not in found.import_files
        apply(session, found)
        session.commit()
        assert due(session, clock.today()).import_files == []  # once is enough
    db.expire_all()
    assert old_done.content == "" and old_done.purged_at is not None and old_done.status == ImportStatus.IMPORTED
    assert old_done.problems == [{"line": 2, "column": "gemeente_cbs",
                                  "message": "Gemeente ******782 bestaat niet of je werkt er niet voor."}]
    assert old_open.content == "" and old_open.status == ImportStatus.DISCARDED
    assert NEW_BSNS[0] in recent.content and recent.purged_at is None and recent.status == ImportStatus.CHECKED


def test_flask_retention_run_purges_old_import_files(world, db, app):
    _batch(db, world.users["klantmanager"], utcnow() - timedelta(days=30), ImportStatus.IMPORTED, [])
    db.commit()
    result = app.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert re.search(r"import files to purge: [1-9]", result.output), result.output
    assert db.scalar(select(ImportBatch).where(ImportBatch.purged_at.is_not(None))) is not None


@pytest.mark.parametrize(("url", "storage"), [("redis://localhost:6379/0", "RedisStorage"),
                                              ("memory", "MemoryStorage")])
def test_jobs_url_chooses_the_queue(url, storage):
    """A Redis queue is built from the pinned client without a server to hand (it connects on first use)."""
    huey = jobs.make_huey({"JOBS_URL": url, "JOBS_IMMEDIATE": False})
    assert type(huey.storage).__name__ == storage


def test_an_unknown_jobs_url_is_refused_at_start():
    from app.config import ConfigurationError

    with pytest.raises(ConfigurationError):
        jobs.make_huey({"JOBS_URL": "postgresql://db/queue", "JOBS_IMMEDIATE": False})
