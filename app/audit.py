"""One audit hook for every business record.

After each flush, the hook writes one entry per created, changed or deleted :class:`Audited` row with
the values before and after, on the same connection and so in the same transaction. Views never write
audit entries for ordinary changes themselves; they only call :func:`record` for reads that must be
logged (such as showing a full BSN).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import has_request_context, request
from sqlalchemy import and_, event, insert, inspect, or_, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models.audit import Audited, AuditEntry
from contracts.clients import mask_bsn

SYSTEM_ACTOR = "systeem"


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _shown(obj: Audited, key: str, value: Any) -> Any:
    if key in obj.__audit_masked__ and value:
        return mask_bsn(str(value))
    return _jsonable(value)


def _columns(obj: Any) -> list[str]:
    return [
        attr.key
        for attr in inspect(obj).mapper.column_attrs
        if attr.key not in obj.__audit_ignored__
    ]


def _snapshot(obj: Any) -> dict[str, Any]:
    return {key: _shown(obj, key, getattr(obj, key)) for key in _columns(obj)}


def _diff(obj: Any) -> dict[str, dict[str, Any]]:
    state = inspect(obj)
    changes: dict[str, dict[str, Any]] = {}
    for key in _columns(obj):
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        before = history.deleted[0] if history.deleted else None
        after = history.added[0] if history.added else None
        if before == after:
            continue
        changes[key] = {"before": _shown(obj, key, before), "after": _shown(obj, key, after)}
    for rel in state.mapper.relationships:
        if rel.secondary is None:
            continue
        history = state.attrs[rel.key].history
        if history.added or history.deleted:
            changes[rel.key] = {
                "removed": sorted(str(o) for o in history.deleted),
                "added": sorted(str(o) for o in history.added),
            }
    return changes


def _actor(session: Session) -> tuple[int | None, str]:
    actor = session.info.get("actor")
    if actor is not None:
        return actor
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return current_user.id, current_user.username
    return None, SYSTEM_ACTOR


def _remote_addr() -> str | None:
    return request.remote_addr if has_request_context() else None


def _entry(
    session: Session, action: str, entity_type: str, entity_id: int | None, changes: dict, obj: Any = None
) -> dict:
    actor_id, actor_label = _actor(session)
    parent = getattr(obj, "__audit_parent__", None)
    return {
        "parent_type": parent[0] if parent else None,
        "parent_id": getattr(obj, parent[1]) if parent else None,
        "at": utcnow(),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "changes": changes,
        "remote_addr": _remote_addr(),
    }


def _after_flush(session: Session, _flush_context: Any) -> None:
    rows: list[dict] = []
    for obj in session.new:
        if isinstance(obj, Audited):
            changes = {k: {"before": None, "after": v} for k, v in _snapshot(obj).items() if v not in (None, "")}
            rows.append(_entry(session, "create", type(obj).__tablename__, obj.id, changes, obj))
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj):
            changes = _diff(obj)
            if changes:
                rows.append(_entry(session, "update", type(obj).__tablename__, obj.id, changes, obj))
    for obj in session.deleted:
        if isinstance(obj, Audited):
            changes = {k: {"before": v, "after": None} for k, v in _snapshot(obj).items() if v not in (None, "")}
            rows.append(_entry(session, "delete", type(obj).__tablename__, obj.id, changes, obj))
    if rows:
        session.connection().execute(insert(AuditEntry), rows)


def install() -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


def record(session: Session, action: str, entity_type: str, entity_id: int | None, details: dict) -> None:
    """Log an action that changes no record but must be traceable, such as viewing a full BSN."""
    session.execute(insert(AuditEntry), [_entry(session, action, entity_type, entity_id, details)])


def history_for(session: Session, entity_type: str, entity_id: int) -> list[AuditEntry]:
    """A record's own entries and those of its parts (contacts, quality marks, ...), newest first."""
    own = and_(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
    parts = and_(AuditEntry.parent_type == entity_type, AuditEntry.parent_id == entity_id)
    stmt = select(AuditEntry).where(or_(own, parts)).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    return list(session.scalars(stmt))
