"""Database access: one declarative base, one engine per app, one session per app context.

The session is opened lazily per request (or CLI command) and closed when the app context ends, so
that every request is one unit of work: a view either commits everything it did or nothing.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import current_app, g
from sqlalchemy import DateTime, Engine, MetaData, Numeric, create_engine, event
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from werkzeug.local import LocalProxy

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        Decimal: Numeric(12, 2),
        datetime: DateTime(),
    }


def utcnow() -> datetime:
    """Naive UTC: stored the same way on SQLite and PostgreSQL; Babel shows it in Europe/Amsterdam."""
    return datetime.now(UTC).replace(tzinfo=None)


def enum_type(enum_cls: type[enum.Enum], length: int = 32) -> SAEnum:
    """Store an enum by its value as plain text, so that adding a member needs no type migration."""
    return SAEnum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def _sqlite_pragmas_and_savepoints(engine: Engine) -> None:
    """Foreign keys on, and let SQLAlchemy (not pysqlite) issue BEGIN so that SAVEPOINTs work."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    """The app's engine. ``hide_parameters``: a failed statement's error (which the error handler logs) never
    shows its bound values, such as a client's BSN, name and birth date."""
    if url.startswith("sqlite"):
        engine = create_engine(url, hide_parameters=True)
        _sqlite_pragmas_and_savepoints(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def init_app(app: Any, bind: Any = None) -> None:
    """Attach a session factory; ``bind`` lets tests run every request inside one outer transaction."""
    if bind is None:
        url = app.config["DATABASE_URL"]
        if url.startswith("sqlite:///"):
            from pathlib import Path

            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        bind = make_engine(url)
        factory = sessionmaker(bind=bind, expire_on_commit=False)
    else:
        factory = sessionmaker(bind=bind, expire_on_commit=False, join_transaction_mode="create_savepoint")
    app.extensions["db_sessionmaker"] = factory
    app.extensions["db_bind"] = bind
    app.teardown_appcontext(_close_session)


def get_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


session: Session = LocalProxy(get_session)  # type: ignore[assignment]
