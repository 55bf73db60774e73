"""Configuration comes from the environment; production refuses to start without a real secret, and
development keeps the key it made so that a restart does not log everyone out."""

from __future__ import annotations

import stat

import pytest

from app import config
from app.config import ConfigurationError, load_config, normalise_database_url


@pytest.fixture(autouse=True)
def key_file(tmp_path, monkeypatch):
    """Where development keeps its key: a folder of the test's own, never the checkout's ``var/``."""
    path = tmp_path / "var" / "secret_key"
    monkeypatch.setattr(config, "SECRET_KEY_FILE", path)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    return path


def test_production_refuses_to_start_without_secret_key(key_file):
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        load_config("production")
    assert not key_file.exists(), "production never makes a key of its own"


def test_production_refuses_a_short_secret_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigurationError):
        load_config("production")


def test_production_takes_the_secret_from_the_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 64)
    assert load_config("production")["SECRET_KEY"] == "s" * 64


def test_development_defaults_to_an_sqlite_file(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    url = load_config("development")["DATABASE_URL"]
    assert url.startswith("sqlite:///") and url.endswith(".sqlite3")


def test_database_url_selects_postgresql_with_psycopg3(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@localhost/db")
    assert load_config("development")["DATABASE_URL"] == "postgresql+psycopg://u:p@localhost/db"
    assert normalise_database_url("postgres://h/db") == "postgresql+psycopg://h/db"
    assert normalise_database_url("postgresql+psycopg://h/db") == "postgresql+psycopg://h/db"


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigurationError):
        load_config("staging")


def test_development_keeps_the_key_it_made_across_restarts(key_file):
    first = load_config("development")["SECRET_KEY"]
    assert load_config("development")["SECRET_KEY"] == first
    assert len(first) == 64 and key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not list(key_file.parent.glob(".secret_key.*")), "no draft is left behind"


def test_a_session_signed_before_a_restart_is_accepted_after_it():
    from app import create_app

    before, after = (create_app("development", overrides={"DATABASE_URL": "sqlite://"}) for _ in range(2))
    cookie = before.session_interface.get_signing_serializer(before).dumps({"_user_id": "1"})
    assert after.session_interface.get_signing_serializer(after).loads(cookie) == {"_user_id": "1"}


def test_a_key_in_the_environment_wins_and_nothing_is_written(key_file, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "e" * 64)
    assert load_config("development")["SECRET_KEY"] == "e" * 64
    assert not key_file.exists()


def test_tests_get_a_throwaway_key(key_file):
    assert load_config("testing")["SECRET_KEY"] != load_config("testing")["SECRET_KEY"]
    assert not key_file.exists()


def test_a_damaged_key_file_is_refused_with_what_to_do(key_file):
    key_file.parent.mkdir()
    key_file.write_text("\n")
    with pytest.raises(ConfigurationError, match="delete it"):
        load_config("development")


def test_production_refuses_the_development_server(monkeypatch):
    from click.testing import CliRunner
    from flask.cli import FlaskGroup

    from app import create_app

    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setattr("werkzeug.serving.run_simple", lambda *a, **k: pytest.fail("the dev server started"))
    cli = FlaskGroup(create_app=lambda: create_app("production"))
    result = CliRunner().invoke(cli, ["run"])
    assert result.exit_code != 0
    assert "gunicorn" in str(result.exception)


def test_production_refuses_the_crash_tests_pause(monkeypatch):
    from app import create_app

    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("FAULT_PAUSE_BEFORE", "INSERT INTO invoice_line")
    with pytest.raises(ConfigurationError, match="FAULT_PAUSE_BEFORE"):
        create_app("production")
