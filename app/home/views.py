"""A start page per role with the counts that matter to that role."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select

from app import clock
from app.auth.permissions import authenticated
from app.db import session, utcnow
from app.models.clients import Client
from app.models.registers import EXPIRY_WARNING_DAYS, Gemeente, Provider, ProviderStatus, QualityMark
from app.models.users import Role, User
from app.scoping import client_scope

bp = Blueprint("home", __name__)



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


def _clients_by_phase() -> dict[int, int]:
    rows = session.execute(
        select(Client.phase, func.count()).where(client_scope(current_user)).group_by(Client.phase)
    )
    counts = dict.fromkeys(range(1, 5), 0)
    counts.update(dict(rows.all()))
    return counts


@bp.route("/")
@authenticated
def index():
    today = clock.today()
    role = current_user.role
    figures: dict = {"role": role.value}
    if role in (Role.ADMIN, Role.INKOPER, Role.MANAGEMENT, Role.FINANCE):
        figures["providers"] = _provider_status_counts()
        figures["quality_marks"] = _quality_mark_counts(today)
        figures["gemeenten"] = _count(select(Gemeente.id))
    if role in (Role.ADMIN, Role.KLANTMANAGER):
        figures["clients_by_phase"] = _clients_by_phase()
        figures["clients_total"] = sum(figures["clients_by_phase"].values())
        figures["my_clients"] = _count(select(Client.id).where(Client.klantmanager_id == current_user.id))
    if role == Role.ADMIN:
        figures["users"] = _count(select(User.id).where(User.active.is_(True)))
        figures["locked_users"] = _count(select(User.id).where(User.locked_until > utcnow()))
    provider = current_user.provider if role == Role.PROVIDER else None
    return render_template(
        "home/index.html", figures=figures, provider=provider, today=today, warning_days=EXPIRY_WARNING_DAYS
    )
