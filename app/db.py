"""Database access: one declarative base, one engine per app, one session per app context.

The session is opened lazily per request (or CLI command) and closed when the app context ends, so
that every request is one unit of work: a view either commits everything it did or nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import current_app, g, has_request_context, request
from sqlalchemy import DateTime, Engine, MetaData, Numeric, create_engine, event
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from werkzeug.local import LocalProxy

from app import clock

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
    return clock.now().replace(tzinfo=None)


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


# Requests by these methods only read; every other request, and all work outside a request (CLI commands, the
# demo loader, jobs), may write.
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# How long a SQLite writer waits for the one before it. Writers queue (see below), so waiting is the normal
# case under load, not an error: long enough for a queue of 50 requests, short of gunicorn's 30 s worker timeout.
SQLITE_BUSY_TIMEOUT_MS = 20_000


_reading_first: ContextVar[bool] = ContextVar("reading_first", default=False)


@contextmanager
def reading_first() -> Iterator[None]:
    """Run the block in a transaction of its own that only reads, then end it, so that slow work on what was read
    (checking a password hash: a good part of a second of CPU) holds no write lock; the writes that follow begin
    a new transaction (IMMEDIATE on SQLite) and read the rows they change afresh, since ending the read expires
    what it loaded. It comes first in a unit of work (a read-only transaction already open, such as the one that
    loaded the logged-in user, is ended first), and the block must not write: what it changed is rolled back."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("reading_first() must come before the unit of work changes anything")
    session.rollback()
    token = _reading_first.set(True)
    try:
        yield
    finally:
        _reading_first.reset(token)
        session.rollback()


def sqlite_begin() -> str:
    """The BEGIN that opens a SQLite transaction: ``IMMEDIATE`` (take the write lock now) unless the work only reads.

    A deferred transaction that reads and then writes must upgrade its read lock to the write lock; when another
    connection wrote in between, SQLite refuses at once with "database is locked" (the busy timeout cannot help:
    waiting would not make the snapshot it read current again). Taking the write lock at BEGIN makes writers
    queue on the busy timeout instead, each reading what the previous one committed. A page (GET) only reads, so
    it begins deferred and, in WAL mode, reads beside a writer without waiting for it. Every request that may
    write holds the write lock for its whole duration; on SQLite writers are serialised anyway, and PostgreSQL
    is the database for many concurrent writers.
    """
    if _reading_first.get() or (has_request_context() and request.method in READING_METHODS):
        return "BEGIN"
    return "BEGIN IMMEDIATE"


def _sqlite_pragmas_and_savepoints(engine: Engine) -> None:
    """Foreign keys on, WAL with a busy timeout, and let SQLAlchemy (not pysqlite) issue BEGIN so that SAVEPOINTs
    work and a writer's transaction begins IMMEDIATE (:func:`sqlite_begin`).

    WAL lets readers go on while one connection writes, and keeps a crashed writer's uncommitted pages out of the
    database file: a killed server leaves the last committed state.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(sqlite_begin())


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
