"""Alembic environment: the URL comes from app.migrate (DATABASE_URL), the metadata from app.models."""

from __future__ import annotations

from alembic import context

from app.db import Base, make_engine
from app.models import AuditEntry  # noqa: F401  (imports every model onto Base.metadata)

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            _run_without_foreign_keys(conn)
        else:
            _run(conn)
    engine.dispose()


def _run_without_foreign_keys(connection) -> None:
    """SQLite rebuilds a table to change it (batch mode), and dropping the old copy of a table that others
    refer to would fail with foreign keys enforced; Alembic's advice is to switch them off for the migration
    (outside any transaction, where SQLite ignores the pragma) and check them all afterwards."""
    raw = connection.connection.dbapi_connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        _run(connection)
        violations = raw.execute("PRAGMA foreign_key_check").fetchall()
        if violations:
            raise RuntimeError(f"the migration left rows that refer to nothing: {violations[:5]}")
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
