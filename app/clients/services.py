"""Loading and storing clients, always inside the user's gemeenten; no commit (the unit of work commits).

Every query for clients is filtered with :func:`app.scoping.client_scope`, so a client outside the user's
gemeenten answers 404 on every per-client URL. The BSN is entered once, at creation; the only way to see it in
full is :func:`reveal_bsn`, which is logged in the audit trail with the reason given (doelbinding).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import audit
from app.db import session
from app.listing import Page, paginate
from app.models.clients import BenefitType, Client, TargetGroup
from app.models.registers import Gemeente
from app.models.users import Role, User, user_gemeente
from app.scoping import MAX_ID, client_scope, gemeente_ids_for, get_scoped_or_404
from app.search import like_pattern, phrase
from contracts.clients import PHASES


@dataclass(frozen=True)
class ClientData:
    """What the client form says about a client, besides the BSN and the first assessment."""

    first_name: str
    last_name: str
    birth_date: date | None
    gemeente_id: int
    benefit_type: BenefitType
    monthly_benefit: Decimal
    target_group_id: int
    klantmanager_id: int | None


def id_or_none(value: Any) -> int | None:
    """Coerce a select or query value to an id; an empty or tampered value becomes None, not a crash."""
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= MAX_ID else None


def allowed_gemeenten(user: User) -> list[Gemeente]:
    ids = gemeente_ids_for(user)
    stmt = select(Gemeente).order_by(Gemeente.name)
    if ids is not None:
        stmt = stmt.where(Gemeente.id.in_(ids))
    return list(session.scalars(stmt))


def target_groups() -> list[TargetGroup]:
    return list(session.scalars(select(TargetGroup).order_by(TargetGroup.name)))


def eligible_klantmanagers(gemeente_ids: set[int]) -> list[User]:
    """Active klantmanagers who work for at least one of these gemeenten."""
    if not gemeente_ids:
        return []
    works_for = select(user_gemeente.c.user_id).where(user_gemeente.c.gemeente_id.in_(gemeente_ids))
    stmt = (
        select(User)
        .where(User.role == Role.KLANTMANAGER, User.active.is_(True), User.id.in_(works_for))
        .options(selectinload(User.gemeenten))
        .order_by(User.full_name)
    )
    return list(session.scalars(stmt))


def may_manage(user: User | None, gemeente_id: int | None) -> bool:
    """Whether ``user`` is an active klantmanager who works for this gemeente, and so may manage its client."""
    return (user is not None and user.active and user.role == Role.KLANTMANAGER
            and gemeente_id in {g.id for g in user.gemeenten})


def scoped_client(user: User, client_id: int) -> Client:
    return get_scoped_or_404(Client, client_id, client_scope(user))


def name_matches(query: str):
    """First and last name in either order, with or without a comma, ignoring case and diacritics."""
    return Client.search_name.like(like_pattern(phrase(query)), escape="\\")


def _id_filter(column: Any, allowed: Any = None):
    def make(value: str):
        number = id_or_none(value)
        if number is None or (allowed is not None and number not in allowed):
            return None
        return column == number

    return make


def _benefit_filter(value: str):
    return Client.benefit_type == BenefitType(value) if value in BenefitType._value2member_map_ else None


def client_page(user: User) -> Page:
    """The clients list of the request's search, filters, sort and page, within the user's gemeenten."""
    stmt = (
        select(Client)
        .join(Client.gemeente)
        .outerjoin(Client.klantmanager)
        .where(client_scope(user))
        .options(selectinload(Client.gemeente), selectinload(Client.target_group), selectinload(Client.klantmanager))
    )
    return paginate(
        session,
        stmt,
        sortable={
            "name": Client.last_name,
            "gemeente": Gemeente.name,
            "benefit_type": Client.benefit_type,
            "phase": Client.phase,
            "klantmanager": User.full_name,
        },
        default_sort="name",
        search=name_matches,
        filters={
            "gemeente": _id_filter(Client.gemeente_id),
            "benefit_type": _benefit_filter,
            "target_group": _id_filter(Client.target_group_id),
            "phase": _id_filter(Client.phase, PHASES),
            "mine": lambda v: Client.klantmanager_id == user.id if v == "1" else None,
        },
    )


def find_by_bsn(user: User, bsn: str) -> Client | None:
    return session.scalar(select(Client).where(Client.bsn == bsn, client_scope(user)))


def reveal_bsn(client: Client, reason: str) -> None:
    """Showing a full BSN changes nothing, but who looked, when and why is kept."""
    audit.record(session, "reveal_bsn", "client", client.id, {"reason": reason})


def _fill(client: Client, data: ClientData) -> None:
    client.first_name = data.first_name.strip()
    client.last_name = data.last_name.strip()
    client.birth_date = data.birth_date
    client.gemeente_id = data.gemeente_id
    client.benefit_type = data.benefit_type
    client.monthly_benefit = data.monthly_benefit
    client.target_group_id = data.target_group_id
    client.klantmanager_id = data.klantmanager_id


def create_client(bsn: str, data: ClientData, phase: int, ladder_rung: int, assessed_on: date,
                  recorded_by: User) -> Client:
    client = Client(bsn=bsn)
    _fill(client, data)
    client.assess(phase, ladder_rung, assessed_on, recorded_by.id)
    session.add(client)
    return client


def update_client(client: Client, data: ClientData) -> Client:
    _fill(client, data)
    return client


def assess(client: Client, phase: int, ladder_rung: int, valid_from: date, recorded_by: User) -> bool:
    """Record an assessment; True when it became the client's current phase (no later one exists)."""
    return client.assess(phase, ladder_rung, valid_from, recorded_by.id)
