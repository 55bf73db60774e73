"""Loading and storing user accounts and target groups, and reading the audit log; no commit."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.passwords import hash_password
from app.auth.services import end_sessions
from app.clock import day_start, to_local
from app.db import session
from app.forms import optional_select_value
from app.history import field_labels, record_label
from app.listing import Page, filtered, paginate
from app.models.audit import AuditEntry
from app.models.clients import TargetGroup
from app.models.registers import Gemeente, Provider
from app.models.users import Role, User
from app.navigation import AUDIT_ACTION_LABELS, ENTITY_LABELS
from app.scoping import id_in
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


def _day_start(value: str, days_later: int = 0) -> datetime | None:
    """The first moment, as stored (naive UTC), of the Amsterdam day typed as YYYY-MM-DD plus ``days_later``;
    None for anything else, a day outside the calendar's range included."""
    try:
        return day_start(date.fromisoformat(value) + timedelta(days=days_later))
    except (ValueError, OverflowError):
        return None


def _from_day(value: str):
    start = _day_start(value)
    return None if start is None else AuditEntry.at >= start


def _until_day(value: str):
    """Up to and including the day: before the start of the next one (a day may hold 23 or 25 hours)."""
    end = _day_start(value, days_later=1)
    return None if end is None else AuditEntry.at < end


AUDIT_SEARCH = (AuditEntry.actor_label, AuditEntry.entity_type, AuditEntry.action)
AUDIT_FILTERS = {
    "action": lambda v: AuditEntry.action == v,
    "entity_type": lambda v: AuditEntry.entity_type == v,
    "actor": lambda v: None if (user_id := id_in(v)) is None else AuditEntry.actor_id == user_id,
    "from": _from_day,
    "until": _until_day,
}
AUDIT_EXPORT_LIMIT = 10_000  # a day's or a month's entries; a larger selection is narrowed by period first


def audit_page() -> Page:
    return paginate(
        session,
        select(AuditEntry),
        sortable={"at": AuditEntry.at, "actor": AuditEntry.actor_label, "entity": AuditEntry.entity_type},
        default_sort="at",
        default_direction="desc",
        searchable=AUDIT_SEARCH,
        filters=AUDIT_FILTERS,
    )


def audit_filter_options() -> dict[str, list[tuple[object, str]]]:
    """The choices of the audit log's selects: every action and kind of record it names, every user account
    (by id, which stays when a user is renamed)."""
    return {
        "action": [(a, str(label)) for a, label in AUDIT_ACTION_LABELS.items()],
        "entity_type": sorted(((t, str(label)) for t, label in ENTITY_LABELS.items()), key=lambda o: o[1]),
        "actor": [(u.id, u.username) for u in session.scalars(select(User).order_by(User.username))],
    }


def audit_export_rows() -> Iterator[list[object]]:
    """The entries the audit log lists with the request's search and filters, newest first, as the page shows
    them (labels, not column names), for a CSV or Excel file; at most :data:`AUDIT_EXPORT_LIMIT`."""
    stmt, _q, _applied = filtered(select(AuditEntry), searchable=AUDIT_SEARCH, filters=AUDIT_FILTERS)
    yield [_("Wanneer"), _("Wie"), _("Actie"), _("Record"), _("Velden"), _("IP-adres")]
    rows = session.scalars(stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(AUDIT_EXPORT_LIMIT))
    for entry in rows:
        action = str(AUDIT_ACTION_LABELS.get(entry.action, entry.action))
        yield [to_local(entry.at), entry.actor_label, action, record_label(entry.entity_type, entry.entity_id),
               ", ".join(field_labels(entry)), entry.remote_addr or ""]
