"""The job pages: a job's progress while it runs, then its result (an import's report, a run's invoices).

A user sees only their own jobs, an admin all; another's job is a 404, never a hint that it exists. The page
works without JavaScript (a refresh link, and a meta refresh inside ``<noscript>``); ``static/js/jobs.js``
polls :func:`status` and moves the progress bar instead.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import Blueprint, abort, jsonify, render_template, send_file
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app import jobs
from app.invoicing.services import RunResult, run_invoices
from app.models.jobs import Job, JobKind, JobStatus
from app.trajecten.services import find_batch
from app.uow import attempt

bp = Blueprint("jobs", __name__, url_prefix="/taken")

KIND_LABELS = {JobKind.IMPORT: _l("Import"), JobKind.PAYMENT_RUN: _l("Betaalrun"), JobKind.EXPORT: _l("Export")}
STATUS_LABELS = {JobStatus.QUEUED: _l("wacht op verwerking"), JobStatus.RUNNING: _l("bezig"),
                 JobStatus.DONE: _l("klaar"), JobStatus.FAILED: _l("mislukt")}
FINISHED = (JobStatus.DONE, JobStatus.FAILED)


@bp.context_processor
def _labels() -> dict:
    return {"job_kind_label": lambda k: KIND_LABELS[JobKind(k)],
            "job_status_label": lambda s: STATUS_LABELS[JobStatus(s)], "JobKind": JobKind, "JobStatus": JobStatus}


def _job(job_id: int) -> Job:
    found = jobs.find(job_id, current_user)
    if found is None:
        abort(404)
    if found.status == JobStatus.RUNNING:
        attempt(jobs.reap_stale)  # a job whose worker died is shown as failed, not as running for ever
    return found


@bp.route("/")
@login_required
def index():
    return render_template("jobs/index.html", jobs=jobs.recent(current_user))


@bp.route("/<int:job_id>")
@login_required
def show(job_id: int):
    job = _job(job_id)
    done, total = jobs.progress_of(job)
    context: dict = {}
    if job.status == JobStatus.DONE and job.kind == JobKind.IMPORT:
        context["batch"] = find_batch(job.params["batch_id"], current_user)
    if job.status == JobStatus.DONE and job.kind == JobKind.PAYMENT_RUN:
        period = tuple(date.fromisoformat(day) for day in job.params["period"])
        context["run"] = RunResult(run_invoices(job), [], [], period)  # type: ignore[arg-type]
        context["changed"] = [{**c, "was": Decimal(c["was"]), "now": Decimal(c["now"])} for c in job.result["changed"]]
    return render_template("jobs/show.html", job=job, done=done, total=total, finished=job.status in FINISHED,
                           **context)


@bp.route("/<int:job_id>/status.json")
@login_required
def status(job_id: int):
    job = _job(job_id)
    done, total = jobs.progress_of(job)
    return jsonify(status=job.status.value, done=done, total=total, finished=job.status in FINISHED)


@bp.route("/<int:job_id>/bestand")
@login_required
def download(job_id: int):
    """A finished export's file, to its owner (or an admin) only; never kept by a browser or proxy cache."""
    job = _job(job_id)
    path = jobs.result_path(job)
    if path is None:
        abort(404)
    response = send_file(path, mimetype=job.result["mimetype"], as_attachment=True,
                         download_name=job.result["filename"])
    response.headers["Cache-Control"] = "no-store"
    return response
