"""The append-only audit trail.

Entries are written by the flush hook in :mod:`app.audit`, inside the same transaction as the change
they describe, so a change and its audit entry are stored together or not at all. The ORM refuses to
update or delete an entry and the database refuses it too (triggers in the first migration and in
``0010_audit_chain``: UPDATE, DELETE, INSERT OR REPLACE over an existing id, TRUNCATE). Each entry is a link of
the hash chain of :mod:`contracts.audit_chain`, so that a rewrite by someone who can bypass the triggers is
still found (``flask audit verify``).

On SQLite the table and every audited table use AUTOINCREMENT: an id once used is never given again, so a
new record never inherits a deleted one's history (the trail refers to records by type and id).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class Audited:
    """Marker for business records whose every create, update and delete is kept.

    ``__audit_masked__`` names fields whose values are personal data: the trail records that they
    changed, with masked values, so that the audit log does not become a second copy of the BSNs.
    """

    __audit_masked__: ClassVar[frozenset[str]] = frozenset()
    __audit_ignored__: ClassVar[frozenset[str]] = frozenset()
    # (parent entity type, foreign-key attribute): a part's changes then show in its parent's history,
    # even after the part itself is deleted.
    __audit_parent__: ClassVar[tuple[str, str] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """The trail names records by type and id, so on SQLite an audited table never gives an id twice."""
        super().__init_subclass__(**kwargs)  # maps the class (DeclarativeBase comes after this mixin)
        table = cls.__dict__.get("__table__")
        if table is not None:
            table.dialect_options["sqlite"]["autoincrement"] = True


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_entity", "entity_type", "entity_id"),
        Index("ix_audit_entry_parent", "parent_type", "parent_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor_label: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(20), index=True)
    entity_type: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[int | None]
    parent_type: Mapped[str | None] = mapped_column(String(60))
    parent_id: Mapped[int | None]
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


def _refuse(*_args: object) -> None:
    raise PermissionError("Audit entries are append-only and cannot be changed or deleted.")


event.listen(AuditEntry, "before_update", _refuse)
event.listen(AuditEntry, "before_delete", _refuse)
