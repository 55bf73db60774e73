"""Loading and storing user accounts and target groups, and reading the audit log; no commit."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.passwords import hash_password
from app.auth.services import end_sessions
from app.db import session
from app.forms import optional_select_value
from app.listing import Page, paginate
from app.models.audit import AuditEntry
from app.models.clients import TargetGroup
from app.models.registers import Gemeente, Provider
from app.models.users import Role, User
from contracts.accounts import check_own_account


@dataclass(frozen=True)
class UserData:
    username: str
    full_name: str
    email: str
    role: Role
    active: bool
    provider_id: int | None
    gemeente_ids: frozenset[int]
    password: str | None
    unlock: bool


def gemeenten() -> list[Gemeente]:
    return list(session.scalars(select(Gemeente).order_by(Gemeente.name)))


def providers() -> list[Provider]:
    return list(session.scalars(select(Provider).order_by(Provider.name)))


def user_or_404(user_id: int) -> User:
    return session.get(User, user_id) or abort(404)


def target_group_or_404(group_id: int) -> TargetGroup:
    return session.get(TargetGroup, group_id) or abort(404)


def user_page() -> Page:
    return paginate(
        session,
        select(User).options(selectinload(User.gemeenten), selectinload(User.provider)),
        sortable={"username": User.username, "full_name": User.full_name, "role": User.role,
                  "last_login_at": User.last_login_at},
        default_sort="username",
        searchable=[User.username, User.full_name, User.email],
        filters={"role": lambda v: User.role == Role(v) if v in Role._value2member_map_ else None},
    )


def save_user(user: User | None, data: UserData, editor: User) -> User:
    """Create or change an account; an administrator cannot take away their own role or block themselves.

    A password the administrator chose is a temporary one: the user must pick their own at the next log-in
    (not when administrators set their own). A new password or a deactivation ends the account's sessions."""
    own = user is not None and user.id == editor.id
    if own:
        check_own_account(data.role.value, data.active)
    record = user or User(failed_logins=0)
    if user is not None and user.active and not data.active:
        end_sessions(record)
    record.username = data.username
    record.full_name = data.full_name.strip()
    record.email = data.email.strip()
    record.role = data.role
    record.active = data.active
    record.provider_id = optional_select_value(data.provider_id)
    chosen = data.gemeente_ids if record.role == Role.KLANTMANAGER else frozenset()
    record.gemeenten = list(session.scalars(select(Gemeente).where(Gemeente.id.in_(chosen))))
    if data.password:
        record.password_hash = hash_password(data.password)
        record.must_change_password = not own
        if user is not None:
            end_sessions(record)
    if data.unlock:
        record.locked_until = None
        record.failed_logins = 0
    session.add(record)
    return record


def target_groups() -> list[TargetGroup]:
    return list(session.scalars(select(TargetGroup).order_by(TargetGroup.name)))


def save_target_group(group: TargetGroup | None, code: str, name: str) -> TargetGroup:
    record = group or TargetGroup()
    record.code = code
    record.name = name.strip()
    session.add(record)
    return record


def audit_page() -> Page:
    return paginate(
        session,
        select(AuditEntry),
        sortable={"at": AuditEntry.at, "actor": AuditEntry.actor_label, "entity": AuditEntry.entity_type},
        default_sort="at",
        default_direction="desc",
        searchable=[AuditEntry.actor_label, AuditEntry.entity_type, AuditEntry.action],
        filters={
            "action": lambda v: AuditEntry.action == v,
            "entity_type": lambda v: AuditEntry.entity_type == v,
        },
    )
