"""The app under a PostgreSQL login that does not own the audit trail (``flask db grant``; docs/security.md).

The owner could switch the trail's triggers off; the app's own login must not be able to. This runs the app's
normal writes as such a login and tries every rewrite the owner could do.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, make_url, select, text
from sqlalchemy.exc import DBAPIError

from app import create_app
from app.audit import verify_chain
from app.db import make_engine, session
from app.migrate import upgrade
from app.models import AuditEntry, Gemeente
from app.uow import committed
from tests.conftest import _server_url

pytestmark = pytest.mark.skipif(
    _server_url() is None,
    reason="database roles are PostgreSQL's: an SQLite file has no logins (CI runs this on PostgreSQL)",
)


@pytest.fixture
def app_login(fresh_database_url, tmp_path):
    """A migrated database, and a URL for a new login granted by ``flask db grant`` as the documentation says."""
    owner_url = fresh_database_url()
    upgrade(owner_url)
    role, password = f"app_user_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    owner = make_engine(owner_url)
    with owner.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    as_owner = create_app("testing", overrides={"DATABASE_URL": owner_url, "EVIDENCE_DIR": str(tmp_path)})
    result = as_owner.test_cli_runner().invoke(args=["db", "grant", role])
    assert result.exit_code == 0, result.output
    yield make_url(owner_url).set(username=role, password=password).render_as_string(hide_password=False)
    with owner.begin() as conn:
        conn.exec_driver_sql(f"DROP OWNED BY {role}")
        conn.exec_driver_sql(f"DROP ROLE {role}")
    owner.dispose()


def test_the_apps_login_writes_as_usual_but_cannot_rewrite_the_trail(app_login, tmp_path):
    app = create_app("testing", overrides={"DATABASE_URL": app_login, "EVIDENCE_DIR": str(tmp_path)})
    with app.app_context():  # the app's normal work: records, their audit entries, the chain
        with committed():
            session.add(Gemeente(name="Rolveen", cbs_code="GM8100"))
        with committed():
            gemeente = session.scalars(select(Gemeente)).one()
            gemeente.name = "Rolveen-Oost"
        with committed():
            session.delete(gemeente)
        assert session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all() == [
            "create", "update", "delete"]
        assert verify_chain(session).intact
    app.extensions["db_bind"].dispose()

    engine = create_engine(app_login)
    try:

        for statement in ("ALTER TABLE audit_entry DISABLE TRIGGER USER",
                          "ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_change",
                          "DROP TRIGGER audit_entry_no_change ON audit_entry",
                          "TRUNCATE audit_entry",
                          "UPDATE audit_entry SET actor_label = 'x'",
                          "DELETE FROM audit_entry",
                          "DROP TABLE audit_entry",
                          "ALTER TABLE audit_entry OWNER TO CURRENT_USER"):
            with engine.connect() as conn, pytest.raises(DBAPIError, match=r"must be owner|permission denied"):
                conn.execute(text(statement))

        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_entry")).scalar() == 3
    finally:
        engine.dispose()
