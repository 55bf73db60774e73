"""The per-user upload quota: how many bytes one user may upload over a rolling period, across every upload.

Why: a single request is bounded (``MAX_CONTENT_LENGTH``), but nothing stopped one account from sending file
after file of 31 MB, each parsed and kept. Every upload is charged to its uploader in ``upload_charge`` when it is
received, in a transaction of its own, so that a refused or broken file counts too; a file that would pass
``UPLOAD_QUOTA_BYTES`` within ``UPLOAD_QUOTA_HOURS`` is refused at its field before it is read any further.
Evidence is charged inside the action that stores it (its row and its charge are one transaction).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from app.db import session, utcnow
from app.formatting import number
from app.models.jobs import UploadCharge
from app.models.users import User
from app.uow import attempt
from contracts.messages import N_, DomainError, Message


class QuotaExceeded(DomainError):
    code = "upload_quota"


def _megabytes(size: int) -> str:
    return number(Decimal(size) / (1024 * 1024), 1)


def used(user_id: int) -> int:
    """Bytes the user uploaded within the quota's period, up to now."""
    since = utcnow() - timedelta(hours=current_app.config["UPLOAD_QUOTA_HOURS"])
    return session.scalar(select(func.coalesce(func.sum(UploadCharge.size), 0)).where(
        UploadCharge.user_id == user_id, UploadCharge.at >= since)) or 0


def charge(user_id: int, size: int, purpose: str, field: str) -> None:
    """Count ``size`` bytes against the user's quota in the caller's transaction, or refuse at ``field``."""
    limit = current_app.config["UPLOAD_QUOTA_BYTES"]
    already = used(user_id)
    if already + size > limit:
        raise QuotaExceeded(Message(N_(
            "Dit bestand past niet meer in wat je mag uploaden: %(used)s MB van %(limit)s MB per %(hours)s uur is "
            "al gebruikt en dit bestand is %(size)s MB. Probeer het later opnieuw of vraag de beheerder."),
            used=_megabytes(already), limit=_megabytes(limit), size=_megabytes(size),
            hours=current_app.config["UPLOAD_QUOTA_HOURS"]), field)
    session.add(UploadCharge(user_id=user_id, size=size, purpose=purpose, at=utcnow()))


def take(form: Any, field: str, user: User, purpose: str) -> bytes | None:
    """The bytes of ``form[field]``'s upload, charged and committed; None (the refusal at the field) when the
    quota is spent."""
    data = form[field].data.read()
    return data if attempt(lambda: charge(user.id, len(data), purpose, field), form=form, field=field).ok else None
