"""The counts on each role's start page, read in a few aggregate queries."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from app.db import session, utcnow
from app.models.clients import Client
from app.models.registers import EXPIRY_WARNING_DAYS, Gemeente, Provider, ProviderStatus, QualityMark
from app.models.users import Role, User
from app.scoping import client_scope
from contracts.clients import PHASES


def _count(stmt) -> int:
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def _provider_status_counts() -> dict[str, int]:
    rows = session.execute(select(Provider.status, func.count()).group_by(Provider.status))
    counts = {status.value: 0 for status in ProviderStatus}
    counts.update({status.value: n for status, n in rows})
    return counts


def _quality_mark_counts(today: date) -> dict[str, int]:
    return {
        "expired": _count(select(QualityMark.id).where(QualityMark.valid_until < today)),
        "expiring": _count(
            select(QualityMark.id).where(
                QualityMark.valid_until >= today,
                QualityMark.valid_until <= today + timedelta(days=EXPIRY_WARNING_DAYS),
            )
        ),
    }


def _clients_by_phase(user: User) -> dict[int, int]:
    rows = session.execute(select(Client.phase, func.count()).where(client_scope(user)).group_by(Client.phase))
    counts = dict.fromkeys(PHASES, 0)
    counts.update(dict(rows.all()))
    return counts


def start_figures(user: User, today: date) -> dict[str, Any]:
    """What matters to the user's role: providers and quality marks, clients per phase, accounts."""
    role = user.role
    figures: dict[str, Any] = {"role": role.value}
    if role in (Role.ADMIN, Role.INKOPER, Role.MANAGEMENT, Role.FINANCE):
        figures["providers"] = _provider_status_counts()
        figures["quality_marks"] = _quality_mark_counts(today)
        figures["gemeenten"] = _count(select(Gemeente.id))
    if role in (Role.ADMIN, Role.KLANTMANAGER):
        figures["clients_by_phase"] = _clients_by_phase(user)
        figures["clients_total"] = sum(figures["clients_by_phase"].values())
        figures["my_clients"] = _count(select(Client.id).where(Client.klantmanager_id == user.id))
    if role == Role.ADMIN:
        figures["users"] = _count(select(User.id).where(User.active.is_(True)))
        figures["locked_users"] = _count(select(User.id).where(User.locked_until > utcnow()))
    return figures
