"""Background jobs and the per-user upload ledger: the rows behind long work and the upload quota.

A job's row is its state as users see it (queued, running, done, failed) and the record of who asked for what;
only :mod:`app.jobs` writes it. Progress while a job runs is not here: on SQLite the job's own transaction
holds the write lock, so it lives in the queue's key-value store instead (see :mod:`app.jobs`).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, enum_type, utcnow

if TYPE_CHECKING:
    from app.models.users import User


class JobKind(enum.StrEnum):
    IMPORT = "import"
    PAYMENT_RUN = "payment_run"
    EXPORT = "export"


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Base):
    """Work a user asked for that runs outside the request; its work and its "done" are one transaction."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_owner_created", "owner_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JobKind] = mapped_column(enum_type(JobKind))
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[JobStatus] = mapped_column(enum_type(JobStatus), default=JobStatus.QUEUED, index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result_file: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    owner: Mapped[User] = relationship()


class UploadCharge(Base):
    """Bytes one user uploaded at one moment, for the quota over a period (see :mod:`app.uploads`)."""

    __tablename__ = "upload_charge"
    __table_args__ = (Index("ix_upload_charge_user_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    size: Mapped[int]
    purpose: Mapped[str] = mapped_column(String(32))
