"""Loading and storing gemeenten and executing bodies; no commit (the unit of work commits)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.db import session
from app.forms import optional_select_value
from app.listing import Page, paginate
from app.models.clients import Client
from app.models.registers import ExecutingBody, Gemeente


@dataclass(frozen=True)
class GemeenteData:
    name: str
    cbs_code: str
    executing_body_id: int | None
    oin: str | None
    street: str | None
    postcode: str | None
    city: str | None


def executing_bodies() -> list[ExecutingBody]:
    return list(session.scalars(select(ExecutingBody).order_by(ExecutingBody.name)))


def gemeente_or_404(gemeente_id: int) -> Gemeente:
    return session.get(Gemeente, gemeente_id) or abort(404)


def body_or_404(body_id: int) -> ExecutingBody:
    return session.get(ExecutingBody, body_id) or abort(404)


def gemeente_page() -> Page:
    return paginate(
        session,
        select(Gemeente).outerjoin(Gemeente.executing_body).options(selectinload(Gemeente.executing_body)),
        sortable={"name": Gemeente.name, "cbs_code": Gemeente.cbs_code, "executing_body": ExecutingBody.name},
        default_sort="name",
        searchable=[Gemeente.name, Gemeente.cbs_code],
    )


def client_count(gemeente: Gemeente) -> int:
    return session.scalar(select(func.count(Client.id)).where(Client.gemeente_id == gemeente.id)) or 0


def _postcode(typed: str | None) -> str:
    """Stored as ``1234 AB``, however it was typed."""
    compact = (typed or "").strip().upper().replace(" ", "")
    return f"{compact[:4]} {compact[4:]}" if compact else ""


def save_gemeente(gemeente: Gemeente | None, data: GemeenteData) -> Gemeente:
    record = gemeente or Gemeente()
    record.name = data.name.strip()
    record.cbs_code = data.cbs_code
    record.executing_body_id = optional_select_value(data.executing_body_id)
    record.oin = (data.oin or "").strip()
    record.street = (data.street or "").strip()
    record.postcode = _postcode(data.postcode)
    record.city = (data.city or "").strip()
    session.add(record)
    return record


def save_body(body: ExecutingBody | None, name: str, description: str | None) -> ExecutingBody:
    record = body or ExecutingBody()
    record.name = name.strip()
    record.description = description or ""
    session.add(record)
    return record
