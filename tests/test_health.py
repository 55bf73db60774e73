"""The health endpoint and the answer when the database cannot be reached.

``/healthz`` is public and answers 200 only when the database answers and its schema is at this code's migration
head. When the database is unreachable (a PostgreSQL port nobody listens on; a SQLite path that cannot be opened)
every page answers 503 with a page that says to try again, and the API a 503 JSON problem: no 500, no traceback.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app import create_app


def test_healthz_answers_without_a_login_when_the_schema_is_at_head(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] is True and body["migrations_at_head"] is True
    assert body["revision"] == body["expected"] and body["expected"]


def test_healthz_is_503_when_the_schema_is_behind(client, db):
    db.execute(text("UPDATE alembic_version SET version_num = '0001_initial'"))
    db.commit()  # a savepoint of the test's transaction: rolled back after the test
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body == {**body, "status": "unavailable", "database": True, "migrations_at_head": False,
                    "revision": ["0001_initial"]}


def _unreachable(kind: str, tmp_path) -> str:
    if kind == "postgresql":
        return "postgresql+psycopg://nobody:nothing@127.0.0.1:9/nowhere?connect_timeout=2"
    folder = tmp_path / "a-directory-not-a-database"
    folder.mkdir()
    return f"sqlite:///{folder}"


@pytest.fixture(params=["postgresql", "sqlite"])
def unreachable(request, tmp_path):
    # Without session protection a cookie made here passes for a login: there is no database to log in against.
    app = create_app("testing", overrides={"DATABASE_URL": _unreachable(request.param, tmp_path),
                                           "SESSION_PROTECTION": None})
    test_client = app.test_client()
    with test_client.session_transaction() as cookie:
        cookie["_user_id"] = "1"  # someone logged in: the page must load them from the database
    yield test_client
    app.extensions["db_bind"].dispose()


def test_a_page_is_503_with_a_try_again_page_when_the_database_is_unreachable(unreachable):
    response = unreachable.get("/clienten/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = response.get_data(as_text=True)
    assert "Tijdelijk niet beschikbaar" in page and "probeer het over een halve minuut opnieuw" in page
    assert "Traceback" not in page and "OperationalError" not in page


def test_the_api_is_503_json_when_the_database_is_unreachable(unreachable):
    response = unreachable.get("/api/v1/gemeenten")
    assert response.status_code == 503
    assert response.get_json()["error"] == "database_unavailable"


def test_healthz_is_503_when_the_database_is_unreachable(unreachable):
    response = unreachable.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] is False


def test_migrating_an_unreachable_database_says_so_without_a_traceback(tmp_path):
    app = create_app("testing", overrides={"DATABASE_URL": _unreachable("postgresql", tmp_path)})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 1
    assert "cannot be reached" in result.output and "nothing" not in result.output  # the password stays out
    assert "Traceback" not in result.output
