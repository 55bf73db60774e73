"""``/healthz``: whether this instance can serve, for a load balancer, a container orchestrator or an operator.

It answers without a login and says only what an operator needs: the database answers, and its schema is at the
migration head this code expects (an instance started before ``flask db upgrade`` ran, or an old one beside a newer
schema, is not healthy). 200 when both hold, 503 otherwise, so that a probe takes the instance out of rotation.
"""

from __future__ import annotations

from functools import cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.db import session
from app.migrate import alembic_config

bp = Blueprint("health", __name__)


@cache
def expected_heads() -> tuple[str, ...]:
    """The migration head(s) of this code, read once from ``migrations/versions``."""
    return tuple(sorted(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()))


@bp.route("/healthz")
def healthz():
    heads = expected_heads()
    try:
        session.execute(text("SELECT 1"))
        current = tuple(sorted(MigrationContext.configure(session.connection()).get_current_heads()))
    except SQLAlchemyError as error:
        session.rollback()
        current_app.logger.warning("Health check: the database does not answer (%s)", type(error).__name__)
        body = {"status": "unavailable", "database": False, "migrations_at_head": False, "expected": list(heads)}
        return jsonify(body), 503
    at_head = current == heads
    body = {"status": "ok" if at_head else "unavailable", "database": True, "migrations_at_head": at_head,
            "revision": list(current), "expected": list(heads)}
    return jsonify(body), 200 if at_head else 503
