"""A tamper-evident audit trail, ids that are never given twice, and the marks the retention run leaves.

- ``audit_entry`` gets ``prev_hash`` and ``entry_hash`` (the chain of ``contracts.audit_chain``), computed here
  for the entries already present, by the same function the app links new entries with;
- the database refuses more rewrites: on SQLite an INSERT OR REPLACE over an existing entry (REPLACE deletes
  without firing the delete trigger), on PostgreSQL a TRUNCATE;
- on SQLite every audited table (and the trail itself) is rebuilt with AUTOINCREMENT, so that an id of a
  deleted row is never given to a new one and two records' histories never merge;
- ``client.anonymised_at`` and ``evidence_file.purged_at`` record what ``flask retention run`` did.

Revision ID: 0010_audit_chain
Revises: 0008_client_search_name
Create Date: 2026-12-03 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from contracts import audit_chain

revision: str = '0010_audit_chain'
down_revision: str | None = '0009_auth_hardening'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUARD_MESSAGE = "audit_entry is append-only"

# The audited tables as of this revision (a migration does not follow later models).
AUDITED_TABLES = (
    "award_criterion", "bid", "bid_score", "bid_selection", "budget", "client", "client_phase_record", "contract",
    "contract_evaluation", "contract_version", "event_confirmation", "evidence_file", "executing_body", "gemeente",
    "invoice", "invoice_export", "invoice_line", "invoice_step", "lot", "lot_award", "performance_target",
    "provider", "provider_contact", "quality_mark", "selection_criterion", "target_group", "tender", "traject",
    "traject_event", "user_account",
)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _sqlite_guards(replace_too: bool) -> None:
    """Rebuilding a table on SQLite drops its triggers: they are made again after every rebuild."""
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER audit_entry_no_{verb.lower()} BEFORE {verb} ON audit_entry "
                   f"BEGIN SELECT RAISE(ABORT, '{GUARD_MESSAGE}'); END")
    if replace_too:
        op.execute("CREATE TRIGGER audit_entry_no_replace BEFORE INSERT ON audit_entry "
                   "WHEN EXISTS (SELECT 1 FROM audit_entry WHERE id = NEW.id) "
                   f"BEGIN SELECT RAISE(ABORT, '{GUARD_MESSAGE}'); END")


def _drop_sqlite_guards(replace_too: bool) -> None:
    for name in ("update", "delete", *(("replace",) if replace_too else ())):
        op.execute(f"DROP TRIGGER IF EXISTS audit_entry_no_{name}")


def _rebuild(table: str, autoincrement: bool) -> None:
    with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}):
        pass


def _link_existing_entries() -> None:
    entry = sa.table("audit_entry", *(sa.column(name) for name in audit_chain.CHAINED_FIELDS if name != "changes"),
                     sa.column("changes", sa.JSON), sa.column("at", sa.DateTime), sa.column("prev_hash"),
                     sa.column("entry_hash"))
    connection = op.get_bind()
    rows = [dict(row._mapping) for row in connection.execute(sa.select(entry).order_by(entry.c.id))]
    if not rows:
        return
    audit_chain.link(rows, audit_chain.GENESIS)
    connection.execute(
        entry.update().where(entry.c.id == sa.bindparam("entry_id"))
        .values(prev_hash=sa.bindparam("prev"), entry_hash=sa.bindparam("hash")),
        [{"entry_id": row["id"], "prev": row["prev_hash"], "hash": row["entry_hash"]} for row in rows],
    )


def upgrade() -> None:
    sqlite = _sqlite()
    if sqlite:
        _drop_sqlite_guards(replace_too=False)
    else:
        op.execute("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_change")
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('entry_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_entry_action'), ['action'], unique=False)
    _link_existing_entries()
    with op.batch_alter_table('audit_entry', schema=None, table_kwargs={"sqlite_autoincrement": True},
                              recreate="always" if sqlite else "auto") as batch_op:
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('entry_hash', existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('evidence_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purged_at', sa.DateTime(), nullable=True))
    if sqlite:
        for table in AUDITED_TABLES:
            _rebuild(table, autoincrement=True)
        _sqlite_guards(replace_too=True)
    else:
        op.execute("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_no_change")
        op.execute("CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()")


def downgrade() -> None:
    sqlite = _sqlite()
    if sqlite:
        _drop_sqlite_guards(replace_too=True)
        for table in AUDITED_TABLES:
            _rebuild(table, autoincrement=False)
    else:
        op.execute("DROP TRIGGER audit_entry_no_truncate ON audit_entry")
    with op.batch_alter_table('evidence_file', schema=None) as batch_op:
        batch_op.drop_column('purged_at')
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')
    with op.batch_alter_table('audit_entry', schema=None, table_kwargs={"sqlite_autoincrement": False},
                              recreate="always" if sqlite else "auto") as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_action'))
        batch_op.drop_column('entry_hash')
        batch_op.drop_column('prev_hash')
    if sqlite:
        _sqlite_guards(replace_too=False)
