"""Long work outside the request: imports and payment runs as background jobs on Huey, with progress.

Why this shape:

- **One writer of a job's state.** Every change of a :class:`~app.models.jobs.Job` row happens here:
  :func:`submit` (queued), :func:`execute` (running, then done or failed), :func:`reap_stale` (a job whose
  worker died). Areas only register what a kind of job *does* (:func:`handler`); they never touch the row.
- **All or nothing.** A handler writes into the session of :func:`execute`, and the job becomes "done" in the
  same commit as its work. Any exception rolls the work back: the job is queued again while Huey has retries
  left, else marked failed. A worker killed mid-job leaves an open transaction that the database rolls back;
  :func:`reap_stale` then marks the job failed once its heartbeat stops. Never half done.
- **Progress beside the work transaction, not in it.** The work holds the app database's write lock on SQLite
  until it commits, so a second connection writing progress to the ``job`` table would wait for the very
  transaction it reports on. Progress and the heartbeat therefore go to Huey's key-value store (its own SQLite
  file, Redis, or memory in tests), which the job page reads while the job runs; the row gets the final
  figures with the commit of the work.
- **No server needed.** Without ``JOBS_URL`` the queue is a SQLite file next to the app's own (``var/``);
  ``JOBS_URL=redis://...`` uses Redis. Huey's PostgreSQL storage needs peewee and is not offered: with
  PostgreSQL as the app's database, use the SQLite file (one host) or Redis. Tests run jobs in immediate mode.
- **Error text without data.** A failure is stored as the exception's class and a fixed sentence, never its
  message: SQLAlchemy puts a statement's parameters (BSNs among them) in its messages.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from sqlalchemy import ColumnElement, event, select, text, true

from app import clock
from app.config import ConfigurationError
from app.db import session, utcnow
from app.models.jobs import Job, JobKind, JobStatus
from app.models.users import Role, User
from app.uow import committed

Handler = Callable[[Job, "Progress"], dict[str, Any]]
HANDLERS: dict[JobKind, Handler] = {}

WORKER_STOPPED = _l("De verwerking is onderbroken (de verwerker stopte). Er is niets van opgeslagen; "
                    "start de taak opnieuw.")


def handler(kind: JobKind) -> Callable[[Handler], Handler]:
    """Register what a kind of job does: ``fn(job, progress) -> result summary`` (JSON), writing into the
    session without committing; raising rolls everything back."""

    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


# --- the queue ------------------------------------------------------------------------------------


def make_huey(config: dict[str, Any]) -> Huey:
    url = config["JOBS_URL"]
    immediate = config["JOBS_IMMEDIATE"]
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("reintegratie", url=url, immediate=immediate)
    if url == "memory":
        return MemoryHuey("reintegratie", immediate=immediate)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)  # also when immediate: a test may switch that off
        return SqliteHuey("reintegratie", filename=str(path), immediate=immediate)
    raise ConfigurationError(f"JOBS_URL must be sqlite:///PATH, redis://... or memory, not {url!r}")


def huey_of(app: Flask | None = None) -> Huey:
    return (app or current_app).extensions["huey"]


def init_app(app: Flask) -> None:
    """Build the queue for ``app``, register the one task that runs any job, and enqueue jobs on commit."""
    queue = make_huey(app.config)
    retries = app.config["JOBS_RETRIES"]

    @queue.task(retries=retries, retry_delay=app.config["JOBS_RETRY_DELAY"], context=True, name="run_job")
    def run_job(job_id: int, task: Any = None) -> None:
        with app.app_context():
            execute(job_id, final=task is None or not task.retries)

    @queue.periodic_task(crontab(minute="*"), name="reap_stale_jobs")
    def reap() -> None:
        with app.app_context(), committed():
            reap_stale()

    @queue.periodic_task(crontab(minute="15", hour="2"), name="refresh_projections")
    def refresh_projections() -> None:
        # What trajecten are owed changes with the calendar too (a durability window closes): each night the
        # kept outlook of those whose day has come is recomputed (app.projections.refresh).
        from app import projections
        from app.invoicing import services as invoicing

        with app.app_context():
            session.info["actor"] = (None, "projections refresh")
            projections.refresh()
            # Entitlements grow old with the calendar alone: the payment run's warning is worked out anew too.
            invoicing.refresh_backlog(clock.today(), every=True)
            if session.get_bind().dialect.name == "sqlite":
                # SQLite keeps no statistics of its own (PostgreSQL's autovacuum analyses as tables grow): without
                # them its planner may walk the wrong index once a table has grown. The SQLite manual advises
                # PRAGMA optimize at intervals for long-lived applications; it analyses only what needs it.
                session.execute(text("PRAGMA optimize"))
                session.commit()

    @queue.task(name=REFRESH_BACKLOG)
    def refresh_backlog() -> None:
        # After an invoice took or released entitlements (app.invoicing.services.backlog_changed).
        from app.invoicing import services as invoicing

        with app.app_context():
            invoicing.refresh_backlog(clock.today())

    @queue.task(retries=retries, retry_delay=app.config["JOBS_RETRY_DELAY"], name=SEND_NOTIFICATIONS)
    def send_notifications() -> None:
        # The mails of notifications whose cause has just been committed (app.notifications.services.notify).
        from app.notifications import services as notifications

        with app.app_context():
            notifications.send_pending()

    app.extensions["huey"] = queue
    app.extensions["huey_run_job"] = run_job
    app.extensions["huey_tasks"] = {REFRESH_BACKLOG: refresh_backlog, SEND_NOTIFICATIONS: send_notifications}
    event.listen(app.extensions["db_sessionmaker"], "after_commit", _enqueue_submitted)
    event.listen(app.extensions["db_sessionmaker"], "after_rollback", _forget_submitted)
    app.cli.add_command(jobs_cli)


REFRESH_BACKLOG = "refresh_backlog"
SEND_NOTIFICATIONS = "send_notifications"


def after_commit(task: str) -> None:
    """Have the worker run ``task`` (once) when the caller's transaction commits; nothing if it rolls back."""
    session.info.setdefault("tasks_after_commit", set()).add(task)


def _enqueue_submitted(db_session: Any) -> None:
    """After the commit that stored the job rows, never before: a worker must find the row it is given."""
    for job_id in db_session.info.pop("jobs_submitted", []):
        current_app.extensions["huey_run_job"](job_id)
    for task in sorted(db_session.info.pop("tasks_after_commit", ())):
        current_app.extensions["huey_tasks"][task]()


def _forget_submitted(db_session: Any) -> None:
    db_session.info.pop("jobs_submitted", None)
    db_session.info.pop("tasks_after_commit", None)


def submit(kind: JobKind, owner: User, params: dict[str, Any], total: int = 0) -> Job:
    """A new job in the caller's transaction; it is handed to the queue when that transaction commits. It will
    speak the language of the request that asked for it (its messages, an export's text)."""
    locale = get_locale()
    params = {**params, "locale": locale.language if locale else current_app.config["BABEL_DEFAULT_LOCALE"]}
    job = Job(kind=kind, owner_id=owner.id, status=JobStatus.QUEUED, params=params, total=total, done=0,
              attempts=0)
    session.add(job)
    session.flush()
    session.info.setdefault("jobs_submitted", []).append(job.id)
    return job


# --- progress and heartbeat -----------------------------------------------------------------------


def _key(job_id: int) -> str:
    return f"job-progress:{job_id}"


class Progress:
    """What a running job reports: rows or contracts done out of a total, and that it is alive.

    Written at most every ``interval`` seconds (and at the end): a write per row would cost an import of ten
    thousand rows twenty thousand writes to the queue's store."""

    interval = 0.2

    def __init__(self, queue: Huey, job_id: int, total: int = 0):
        self.queue = queue
        self.job_id = job_id
        self.done = 0
        self.total = total
        self._lock = threading.Lock()
        self._written = 0.0

    def set(self, done: int, total: int | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        if time.monotonic() - self._written >= self.interval or self.done >= self.total:
            self.beat()

    def beat(self) -> None:
        with self._lock:
            self._written = time.monotonic()
            self.queue.put(_key(self.job_id), {"done": self.done, "total": self.total, "beat": time.time()})


def _live(queue: Huey, job_id: int) -> dict[str, Any] | None:
    return queue.get(_key(job_id), peek=True)


def progress_of(job: Job) -> tuple[int, int]:
    """Done and total: live from the queue's store while the job runs, from its row otherwise."""
    if job.status == JobStatus.RUNNING:
        live = _live(huey_of(), job.id)
        if live:
            return live["done"], live["total"]
    return job.done, job.total


class _Heartbeat(threading.Thread):
    """Beats every few seconds while a handler works, so that a long step is not taken for a dead worker."""

    def __init__(self, progress: Progress, every: float):
        super().__init__(daemon=True)
        self.progress = progress
        self.every = every
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            self.progress.beat()


# --- running a job --------------------------------------------------------------------------------


def execute(job_id: int, final: bool = True) -> None:
    """Run one attempt of a job: mark it running, do its work and mark it done in one commit, or roll the
    work back and mark it queued again (``final`` False: Huey retries) or failed. Re-raises the failure so
    that Huey counts the attempt."""
    job = session.get(Job, job_id)
    if job is None or job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        return  # already finished (a duplicate delivery) or gone
    job.status = JobStatus.RUNNING
    job.started_at = utcnow()
    job.finished_at = None
    job.attempts += 1
    job.error = None
    session.commit()
    queue = huey_of()
    progress = Progress(queue, job.id, job.total)
    progress.beat()
    heartbeat = _Heartbeat(progress, current_app.config["JOBS_HEARTBEAT_SECONDS"])
    heartbeat.start()
    session.info["actor"] = (job.owner.id, job.owner.username)  # the work's audit entries are the owner's
    language = job.params.get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"]
    try:
        with force_locale(language):
            result = HANDLERS[job.kind](job, progress)
        job.status = JobStatus.DONE
        job.result = result
        job.done, job.total = progress.done, progress.total
        job.finished_at = utcnow()
        session.commit()
    except Exception as error:
        session.rollback()
        with force_locale(language):
            _failed(job_id, type(error).__name__, final)
        raise
    finally:
        heartbeat.stopped.set()
        heartbeat.join()
        queue.delete(_key(job_id))


def _failed(job_id: int, error: str, final: bool) -> None:
    job = session.get(Job, job_id)
    if job is None:
        return
    job.status = JobStatus.FAILED if final else JobStatus.QUEUED
    job.error = _("De verwerking is mislukt (%(error)s). Er is niets van opgeslagen.", error=error) if final else None
    job.finished_at = utcnow() if final else None
    session.commit()


def reap_stale() -> list[int]:
    """Mark failed every running job whose heartbeat stopped longer ago than ``JOBS_STALE_SECONDS``: its
    worker died, and the database rolled its work back with the worker's connection."""
    limit = current_app.config["JOBS_STALE_SECONDS"]
    queue = huey_of()
    now = time.time()
    reaped = []
    for job in session.scalars(select(Job).where(Job.status == JobStatus.RUNNING)):
        live = _live(queue, job.id)
        beat = live["beat"] if live else None
        started = job.started_at or job.created_at
        if beat is None and utcnow() - started < timedelta(seconds=limit):
            continue  # just started; its first beat may not be visible yet
        if beat is not None and now - beat < limit:
            continue
        job.status = JobStatus.FAILED
        job.error = str(WORKER_STOPPED)
        job.finished_at = utcnow()
        queue.delete(_key(job.id))
        reaped.append(job.id)
    return reaped


def keep_file(job: Job, data: bytes, download_name: str, mimetype: str) -> dict[str, Any]:
    """Keep a job's result file outside the web root (named unguessably) and refer to it from the job; the
    summary to return from the handler. A job that fails after this leaves a file no row refers to: never served."""
    directory = Path(current_app.config["JOBS_RESULT_DIR"])
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{job.id}-{secrets.token_hex(16)}"
    (directory / name).write_bytes(data)
    job.result_file = name
    return {"filename": download_name, "mimetype": mimetype, "size": len(data)}


def result_path(job: Job) -> Path | None:
    """A finished job's result file, if it has one."""
    if job.status != JobStatus.DONE or not job.result_file:
        return None
    path = Path(current_app.config["JOBS_RESULT_DIR"]) / job.result_file
    return path if path.is_file() else None


# --- reading jobs ---------------------------------------------------------------------------------


def _visible(user: User) -> ColumnElement[bool]:
    """A job is its owner's; an admin sees all."""
    return true() if user.role == Role.ADMIN else Job.owner_id == user.id


def find(job_id: int, user: User) -> Job | None:
    """The job if the user may see it; None otherwise, never a hint that it exists."""
    return session.scalar(select(Job).where(Job.id == job_id, _visible(user)))


def recent(user: User, limit: int = 25) -> list[Job]:
    return list(session.scalars(select(Job).where(_visible(user))
                                .order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)))


# --- command line ---------------------------------------------------------------------------------

jobs_cli = AppGroup("jobs", help="Background jobs.")


@jobs_cli.command("reap")
def jobs_reap() -> None:
    """Mark failed the running jobs whose worker stopped (no heartbeat for JOBS_STALE_SECONDS)."""
    with committed():
        reaped = reap_stale()
    click.echo(f"{len(reaped)} job(s) marked failed")
