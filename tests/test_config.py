"""Configuration comes from the environment; production refuses to start without a real secret."""

from __future__ import annotations

import pytest

from app.config import ConfigurationError, load_config, normalise_database_url


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        load_config("production")


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
