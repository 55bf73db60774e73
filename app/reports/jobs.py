"""The marap as a PDF, made in the background: WeasyPrint takes seconds for one gemeente's report, too long to
hold a web worker for. The job renders it in the language the user asked in (see ``app.jobs.submit``) and keeps
the file for them."""

from __future__ import annotations

from datetime import date
from typing import Any

from app import jobs
from app.models.jobs import Job, JobKind
from app.models.users import User
from app.reports import services
from app.reports.exports import file_stem, marap_pdf
from app.reports.marap import build as build_marap


def start_marap_pdf(gemeente_id: int, period: tuple[date, date], user: User, today: date) -> Job:
    return jobs.submit(JobKind.EXPORT, user, {
        "export": "marap_pdf", "gemeente_id": gemeente_id, "period": [period[0].isoformat(), period[1].isoformat()],
        "today": today.isoformat()}, total=1)


@jobs.handler(JobKind.EXPORT)
def marap_pdf_job(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    start, end = (date.fromisoformat(day) for day in job.params["period"])
    report = build_marap(job.params["gemeente_id"], (start, end), date.fromisoformat(job.params["today"]))
    curves = services.cohort_curves(services.Query(period=report.period, gemeente_ids=frozenset({report.gemeente_id})))
    data = marap_pdf(report, curves)
    progress.set(1, 1)
    return jobs.keep_file(job, data, f"{file_stem(report)}.pdf", "application/pdf")
