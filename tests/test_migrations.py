"""The schema is made by Alembic only: an empty database upgrades to head, the migrated schema is
exactly what the models describe, and everything downgrades back to an empty database."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from app.db import Base, make_engine
from app.migrate import downgrade, upgrade


@pytest.fixture
def empty_url(fresh_database_url):
    return fresh_database_url()


def test_upgrade_matches_models_and_downgrade_empties(empty_url):
    engine = make_engine(empty_url)
    try:
        upgrade(empty_url)
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            assert set(Base.metadata.tables) <= tables
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
            assert diff == [], f"models and migrations disagree: {diff}"

        downgrade(empty_url, "base")
        with engine.connect() as conn:
            left = set(inspect(conn).get_table_names()) - {"alembic_version"}
            assert left == set()
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 0

        upgrade(empty_url)  # and back up again: the downgrade left nothing behind that blocks it
        with engine.connect() as conn:
            assert set(Base.metadata.tables) <= set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_audit_table_refuses_every_rewrite_in_the_database(engine):
    """Even SQL that bypasses the ORM cannot change or remove an audit entry: no UPDATE, no DELETE, no INSERT OR
    REPLACE over an existing entry on SQLite (REPLACE deletes without firing the delete trigger), no TRUNCATE
    (PostgreSQL) and no ON CONFLICT DO UPDATE."""
    insert = ("INSERT INTO audit_entry (id, at, actor_label, action, entity_type, entity_id, changes, prev_hash, "
              "entry_hash) VALUES (999001, CURRENT_TIMESTAMP, 'test', 'create', 'gemeente', 1, '{}', 'p', 'h')")
    rewrites = ["UPDATE audit_entry SET actor_label = 'x'", "DELETE FROM audit_entry"]
    if engine.dialect.name == "sqlite":
        rewrites += [insert.replace("INSERT", "INSERT OR REPLACE").replace("'test'", "'forged'"),
                     insert.replace("INSERT", "REPLACE").replace("'test'", "'forged'")]
    else:
        rewrites += ["TRUNCATE audit_entry", insert + " ON CONFLICT (id) DO UPDATE SET actor_label = 'x'"]
    with engine.connect() as conn:
        trans = conn.begin()
        conn.execute(text(insert))
        for statement in rewrites:
            savepoint = conn.begin_nested()
            with pytest.raises(Exception, match="append-only"):
                conn.execute(text(statement))
            savepoint.rollback()
        assert conn.execute(text("SELECT actor_label FROM audit_entry WHERE id = 999001")).scalar() == "test"
        trans.rollback()


def test_the_migration_links_the_entries_already_there(empty_url):
    """A trail written before the chain existed is linked by the migration, in id order, and verifies intact."""
    from sqlalchemy.orm import Session

    from app.audit import verify_chain

    engine = make_engine(empty_url)
    try:
        upgrade(empty_url, "0008_client_search_name")
        with engine.begin() as conn:
            for ident, changes in ((1, '{"name": {"before": null, "after": "Aa"}}'), (2, '{}'), (5, '{"x": 1}')):
                conn.execute(text(
                    "INSERT INTO audit_entry (id, at, actor_label, action, entity_type, entity_id, changes) "
                    "VALUES (:id, '2026-01-02 03:04:05.000006', 'admin', 'create', 'gemeente', 1, :changes)"),
                    {"id": ident, "changes": changes})
        upgrade(empty_url)
        with Session(engine) as session:
            verdict = verify_chain(session)
        assert verdict.intact and verdict.checked == 3 and verdict.last_id == 5
    finally:
        engine.dispose()


def test_moments_typed_in_amsterdam_time_move_to_utc(empty_url):
    """A closing moment stored as typed (12:00 in summer, 12:00 in winter) becomes 10:00 and 11:00 UTC."""
    engine = make_engine(empty_url)
    try:
        upgrade(empty_url, "0006_approved_cost")
        with engine.begin() as conn:
            for tender_id, closing in ((1, "2026-07-15 12:00:00"), (2, "2026-01-15 12:00:00")):
                conn.execute(text(
                    "INSERT INTO tender (id, reference, title, description, procedure, light_regime, status, "
                    "status_reason, closing_at, standstill_days, created_at) VALUES (:id, :ref, 't', '', 'open', "
                    "true, 'draft', '', :closing, 20, CURRENT_TIMESTAMP)"), {"id": tender_id, "ref": f"AB-{tender_id}",
                                                                           "closing": closing})
        upgrade(empty_url, "0007_moments_in_utc")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, closing_at FROM tender ORDER BY id")).all()
        assert [str(value)[:16] for _id, value in rows] == ["2026-07-15 10:00", "2026-01-15 11:00"]
        downgrade(empty_url, "0006_approved_cost")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, closing_at FROM tender ORDER BY id")).all()
        assert [str(value)[:16] for _id, value in rows] == ["2026-07-15 12:00", "2026-01-15 12:00"]
    finally:
        engine.dispose()
