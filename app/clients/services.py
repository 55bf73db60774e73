"""Loading and storing clients, always inside the user's gemeenten; no commit (the unit of work commits).

Every query for clients is filtered with :func:`app.scoping.client_scope`, so a client outside the user's
gemeenten answers 404 on every per-client URL. The BSN is entered once, at creation; the only way to see it in
full is :func:`reveal_bsn`, which is logged in the audit trail with the reason given (doelbinding).

Registering a person whom a gemeente outside the user's holds is not refused (that would tell the user the
person is a client there): the record is made as for anyone, and that gemeente is asked to hand its record
over (:class:`~app.models.clients.ClientTransfer`), which only its own klantmanagers see and decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import selectinload

from app import audit
from app.db import session, utcnow
from app.listing import Joined, Page, paginate
from app.models.clients import BenefitType, Client, ClientTransfer, TargetGroup
from app.models.registers import Gemeente
from app.models.trajecten import Traject
from app.models.users import Role, User, user_gemeente
from app.scoping import MAX_ID, client_scope, gemeente_ids_for, get_scoped_or_404
from app.search import like_pattern, phrase
from contracts.clients import (
    PHASES,
    ClientError,
    Registration,
    TransferStatus,
    check_decision,
    check_handover,
    plan_registration,
)
from contracts.lifecycle import CLOSED_STATUSES
from contracts.messages import N_, Message


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


NOT_MANAGEABLE = N_("Kies een actieve klantmanager die voor de gekozen gemeente werkt.")


def assign(client: Client, manager: User | None) -> None:
    """Give the client another klantmanager, who must work for the client's gemeente (the client form's rule)."""
    if not may_manage(manager, client.gemeente_id):
        raise ClientError(Message(NOT_MANAGEABLE), "klantmanager_id")
    client.klantmanager_id = manager.id if manager is not None else None


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
        .where(client_scope(user))
        .options(selectinload(Client.gemeente), selectinload(Client.target_group), selectinload(Client.klantmanager))
    )
    return paginate(
        session,
        stmt,
        sortable={
            "name": Client.last_name,
            "gemeente": Joined(Gemeente.name, Client.gemeente),
            "benefit_type": Client.benefit_type,
            "phase": Client.phase,
            "klantmanager": Joined(User.full_name, Client.klantmanager, outer=True),
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
    """The user's own record of this BSN; a record elsewhere is as absent as no record at all."""
    return session.scalar(select(Client).where(Client.bsn == bsn, client_scope(user)).order_by(Client.id).limit(1))


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


def registrations(bsn: str, user: User) -> list[Registration]:
    """Every record of this BSN, in any gemeente, and whether ``user`` may see it.

    One query, the same whether or not the person is known anywhere, so that neither the answer nor the time
    it takes depends on records the user may not see.
    """
    allowed = gemeente_ids_for(user)
    rows = session.execute(select(Client.id, Client.gemeente_id).where(Client.bsn == bsn).order_by(Client.id))
    return [Registration(record_id, gemeente_id, allowed is None or gemeente_id in allowed)
            for record_id, gemeente_id in rows]


def check_registration(bsn: str, gemeente_id: int, user: User) -> tuple[Registration, ...]:
    """Refuses a BSN the user can see a record of (``ClientError`` at ``bsn``); the records to ask for."""
    return plan_registration(gemeente_id, registrations(bsn, user))


def create_client(bsn: str, data: ClientData, phase: int, ladder_rung: int, assessed_on: date,
                  recorded_by: User) -> Client:
    """A new record; and for each record of the same person that the user cannot see, a transfer request."""
    elsewhere = check_registration(bsn, data.gemeente_id, recorded_by)
    client = Client(bsn=bsn)
    _fill(client, data)
    client.assess(phase, ladder_rung, assessed_on, recorded_by.id)
    session.add(client)
    for record in elsewhere:
        session.add(ClientTransfer(client_id=record.record_id, from_gemeente_id=record.gemeente_id,
                                   to_gemeente_id=data.gemeente_id, requested_by_id=recorded_by.id))
    return client


def update_client(client: Client, data: ClientData) -> Client:
    _fill(client, data)
    return client


def assess(client: Client, phase: int, ladder_rung: int, valid_from: date, recorded_by: User) -> bool:
    """Record an assessment; True when it became the client's current phase (no later one exists)."""
    return client.assess(phase, ladder_rung, valid_from, recorded_by.id)


# --- transfer requests (overdrachtsverzoeken) --------------------------------------------------------------


def transfer_scope(user: User) -> ColumnElement[bool]:
    """A request is seen by the gemeente asked to hand over, never by the one asking: admin all."""
    allowed = gemeente_ids_for(user)
    return true() if allowed is None else ClientTransfer.from_gemeente_id.in_(allowed)


def transfers(user: User) -> list[ClientTransfer]:
    """Open requests first, then the decided ones, newest first."""
    stmt = (select(ClientTransfer).where(transfer_scope(user))
            .options(selectinload(ClientTransfer.client), selectinload(ClientTransfer.to_gemeente),
                     selectinload(ClientTransfer.from_gemeente), selectinload(ClientTransfer.requested_by),
                     selectinload(ClientTransfer.decided_by))
            .order_by((ClientTransfer.status == TransferStatus.PENDING).desc(), ClientTransfer.requested_at.desc(),
                      ClientTransfer.id.desc()))
    return list(session.scalars(stmt))


def pending_transfer_count(user: User) -> int:
    return session.scalar(select(func.count(ClientTransfer.id)).where(
        transfer_scope(user), ClientTransfer.status == TransferStatus.PENDING)) or 0


def scoped_transfer(user: User, transfer_id: int) -> ClientTransfer:
    return get_scoped_or_404(ClientTransfer, transfer_id, transfer_scope(user))


def _decide(transfer: ClientTransfer, status: TransferStatus, user: User) -> None:
    check_decision(transfer.status)
    transfer.status = status
    transfer.decided_by_id = user.id
    transfer.decided_at = utcnow()


def refuse_transfer(transfer: ClientTransfer, user: User) -> None:
    """The record stays; the requesting gemeente keeps its own record and is told nothing."""
    _decide(transfer, TransferStatus.REFUSED, user)


def accept_transfer(transfer: ClientTransfer, user: User) -> Client:
    """Hand the record over: it moves to the requesting gemeente with its history (its id, its audit trail,
    its assessments, its ended trajecten, which stay paid by the gemeente that referred them).

    The requesting gemeente's own new record of the person is folded into it: its current facts are that
    gemeente's, so they replace the old ones; its assessments and trajecten join the record's. Other open
    requests for the record are closed, since it is no longer this gemeente's to give.
    """
    _decide(transfer, TransferStatus.ACCEPTED, user)
    record = transfer.client
    open_trajecten = session.scalar(select(func.count(Traject.id)).where(
        Traject.client_id == record.id, Traject.status.not_in(CLOSED_STATUSES))) or 0
    check_handover(open_trajecten, held=record.gemeente_id == transfer.from_gemeente_id)
    newer = session.scalar(select(Client).where(Client.bsn == record.bsn,
                                                Client.gemeente_id == transfer.to_gemeente_id))
    if newer is not None:
        _fold(newer, record)
    record.gemeente_id = transfer.to_gemeente_id
    if newer is None and not may_manage(record.klantmanager, transfer.to_gemeente_id):
        record.klantmanager_id = None
    for other in session.scalars(select(ClientTransfer).where(
            ClientTransfer.client_id == record.id, ClientTransfer.status == TransferStatus.PENDING,
            ClientTransfer.id != transfer.id)):
        _decide(other, TransferStatus.REFUSED, user)
    return record


def _fold(newer: Client, record: Client) -> None:
    """Move ``newer``'s facts, assessments, trajecten and requests onto ``record``, then delete ``newer``."""
    record.first_name, record.last_name = newer.first_name, newer.last_name
    record.birth_date = newer.birth_date or record.birth_date
    record.benefit_type, record.monthly_benefit = newer.benefit_type, newer.monthly_benefit
    record.target_group_id, record.klantmanager_id = newer.target_group_id, newer.klantmanager_id
    record.take_assessments(newer)
    for traject in session.scalars(select(Traject).where(Traject.client_id == newer.id)):
        traject.client = record
    for request in session.scalars(select(ClientTransfer).where(ClientTransfer.client_id == newer.id)):
        request.client = record
    session.delete(newer)
    session.flush()  # the newer record is gone before the handed-over one takes its place in the gemeente
