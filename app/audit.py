"""One audit hook for every business record.

After each flush, the hook writes one entry per created, changed or deleted :class:`Audited` row with
the values before and after, on the same connection and so in the same transaction. Views never write
audit entries for ordinary changes themselves; they only call :func:`record` for reads that must be
logged (such as showing a full BSN).

Every entry is appended to the hash chain of :mod:`contracts.audit_chain`. Linking an entry needs the
previous one, so appenders take turns: on PostgreSQL a transaction-level advisory lock (held to commit,
needing no privilege on the table), on SQLite the database's single writer. Ids are taken before the
insert, inside that turn, so id order is chain order. This relies on PostgreSQL's default READ COMMITTED:
the head is read by a statement that starts after the lock is held, so it sees the last holder's commit.

**The entries wait for the commit.** Each flush's entries are kept in the session and appended in one go
just before the transaction commits, in the same transaction. Taking the turn at the first flush instead
made every writer wait for the whole of the others' work (an event recording runs the payment engine after
its first flush): at 20 users on PostgreSQL a write's median was 576 ms, and 232 ms without the wait. An
entry made inside a savepoint that is rolled back is dropped with it, as its row would have been.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import has_request_context, request
from sqlalchemy import Connection, and_, event, insert, inspect, or_, select, text
from sqlalchemy.orm import Session, SessionTransaction
from stdnum.nl import bsn as std_bsn

from app.db import utcnow
from app.models.audit import Audited, AuditEntry
from contracts import audit_chain
from contracts.accounts import SYSTEM_ACTOR
from contracts.clients import BSN_STANDING_ALONE, mask_bsn, mask_bsns

# The key of the advisory lock that makes PostgreSQL appenders take turns (any fixed number, used for nothing
# else): "audit" in ASCII.
CHAIN_LOCK = 0x6175646974


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
    _hold(session, rows)


def _hold(session: Session, rows: list[dict]) -> None:
    """Keep entries for the commit, marked with the (nested) transaction they were made in."""
    if rows:
        made_in = session.get_nested_transaction() or session.get_transaction()
        session.info.setdefault(PENDING, []).extend((made_in, row) for row in rows)


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: its entries wait for the outer commit
    session.flush()  # the last changes' entries, before the turn is taken
    pending = session.info.pop(PENDING, [])
    if pending:
        append(session.connection(), [row for _made_in, row in pending])


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    """Entries made in the rolled-back transaction, or in a savepoint within it, go with it."""

    def within(transaction: SessionTransaction | None) -> bool:
        while transaction is not None:
            if transaction is previous:
                return True
            transaction = transaction.parent
        return False

    kept = [(made_in, row) for made_in, row in session.info.get(PENDING, []) if not within(made_in)]
    if kept:
        session.info[PENDING] = kept
    else:
        session.info.pop(PENDING, None)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost: committed (its entries with it) or closed without commit
        session.info.pop(PENDING, None)


PENDING = "audit_pending"


def install() -> None:
    for name, listener in (("after_flush", _after_flush), ("before_commit", _before_commit),
                           ("after_soft_rollback", _after_soft_rollback),
                           ("after_transaction_end", _after_transaction_end)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def record(session: Session, action: str, entity_type: str, entity_id: int | None, details: dict) -> None:
    """Log an action that changes no record but must be traceable, such as viewing a full BSN."""
    _hold(session, [_entry(session, action, entity_type, entity_id, details)])


def record_many(session: Session, action: str, entity_type: str, details: list[tuple[int, dict]]) -> None:
    """One entry per record, appended with the commit in one go (a retention run touches many records)."""
    _hold(session, [_entry(session, action, entity_type, ident, d) for ident, d in details])


def _without_bsns(value: Any) -> Any:
    """Masked fields never carry a full BSN, but free text can (a file named after its client's BSN, a note):
    every string in an entry is masked the same way, as the last line of defence before it is kept for good."""
    if isinstance(value, str):
        return mask_bsns(value, BSN_STANDING_ALONE, std_bsn.is_valid)
    if isinstance(value, dict):
        return {key: _without_bsns(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_bsns(item) for item in value]
    return value


def _next_ids(connection: Connection, count: int, head_id: int | None) -> list[int]:
    if connection.dialect.name == "postgresql":
        taken = connection.execute(
            text("SELECT nextval(pg_get_serial_sequence('audit_entry', 'id')) FROM generate_series(1, :n)"),
            {"n": count},
        ).scalars()
        return sorted(taken)
    start = (head_id or 0) + 1
    return list(range(start, start + count))


def append(connection: Connection, rows: list[dict]) -> None:
    """Link new entries to the chain's head and insert them, in this transaction."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    head = connection.execute(
        select(AuditEntry.id, AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    for row, ident in zip(rows, _next_ids(connection, len(rows), head.id if head else None), strict=True):
        row["id"] = ident
        # As the JSON column gives it back, so that the hash written is the hash a verifier recomputes.
        row["changes"] = _without_bsns(json.loads(json.dumps(row["changes"])))
    audit_chain.link(rows, head.entry_hash if head else audit_chain.GENESIS)
    connection.execute(insert(AuditEntry), rows)


def history_for(session: Session, entity_type: str, entity_id: int) -> list[AuditEntry]:
    """A record's own entries and those of its parts (contacts, quality marks, ...), newest first."""
    own = and_(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
    parts = and_(AuditEntry.parent_type == entity_type, AuditEntry.parent_id == entity_id)
    stmt = select(AuditEntry).where(or_(own, parts)).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    return list(session.scalars(stmt))


# The page checks at most this many entries after the last full run, so that it stays quick however long the
# trail grows; beyond it, the page says how far it got and the nightly `flask audit verify` does the rest.
PAGE_CHECK_LIMIT = 2_000
VERIFY_ACTION = "verify_chain"
_CHAINED = [getattr(AuditEntry, name) for name in (*audit_chain.CHAINED_FIELDS, "prev_hash", "entry_hash")]


def verify_chain(session: Session, after_id: int | None = None, previous_hash: str = audit_chain.GENESIS,
                 limit: int | None = None) -> audit_chain.Verdict:
    """Walk the trail in id order from the start (or from an entry already verified), streaming the rows."""
    stmt = select(*_CHAINED).order_by(AuditEntry.id).execution_options(yield_per=2_000)
    if after_id is not None:
        stmt = stmt.where(AuditEntry.id > after_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = session.execute(stmt).mappings()
    try:
        return audit_chain.verify(rows, previous_hash, after_id, limit)
    finally:
        rows.close()


def record_verification(session: Session, verdict: audit_chain.Verdict) -> None:
    """A full run is itself an entry of the chain, so the page can start from it and nobody can quietly drop it."""
    record(session, VERIFY_ACTION, "audit_entry", verdict.broken_at or verdict.last_id, {
        "intact": verdict.intact, "checked": verdict.checked, "up_to_id": verdict.last_id,
        "up_to_hash": verdict.last_hash, "broken_at": verdict.broken_at, "reason": verdict.reason,
    })


@dataclass(frozen=True)
class ChainStatus:
    """What the audit page says: the last full run, and the check of the entries written since."""

    intact: bool
    last_run: AuditEntry | None
    checked_since: int
    broken_at: int | None
    reason: str | None
    more_unchecked: bool


def chain_status(session: Session) -> ChainStatus:
    last_run = session.scalar(
        select(AuditEntry).where(AuditEntry.action == VERIFY_ACTION).order_by(AuditEntry.id.desc()).limit(1)
    )
    details = last_run.changes if last_run else {}
    if last_run and not details.get("intact"):
        return ChainStatus(False, last_run, 0, details.get("broken_at"), details.get("reason"), False)
    after_id = details.get("up_to_id")
    verdict = verify_chain(session, after_id, details.get("up_to_hash") or audit_chain.GENESIS,
                           limit=PAGE_CHECK_LIMIT)
    more = verdict.intact and verdict.checked == PAGE_CHECK_LIMIT and session.scalar(
        select(AuditEntry.id).where(AuditEntry.id > verdict.last_id).limit(1)) is not None
    return ChainStatus(verdict.intact, last_run, verdict.checked, verdict.broken_at, verdict.reason, bool(more))
