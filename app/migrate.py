"""Schema changes go through Alembic only; these helpers run it for the CLI and the tests."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from app.config import PROJECT_ROOT


def alembic_config(url: str, connection: Connection | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def app_role_grants(role: str) -> list[str]:
    """What the app's own PostgreSQL login may do, when it is not the role that owns the schema.

    Everything the app does to its tables, but on the audit trail only read and append: no UPDATE, DELETE or
    TRUNCATE, and, not being the owner, no ALTER TABLE ... DISABLE TRIGGER and no DROP. Run as the owner after
    every upgrade (``flask db grant ROLE``): a table a later migration creates needs its grant too.
    """
    quoted = '"' + role.replace('"', '""') + '"'
    return [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_entry, alembic_version FROM {quoted}",
        f"REVOKE INSERT ON alembic_version FROM {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
    ]


def grant_app_role(connection: Connection, role: str) -> None:
    if connection.dialect.name != "postgresql":
        raise RuntimeError("database roles are PostgreSQL's; an SQLite file has no logins to grant to")
    for statement in app_role_grants(role):
        connection.exec_driver_sql(statement)
