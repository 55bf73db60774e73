"""Log-in, log-out, lock-out, password hashing, CSRF and cookie flags."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import create_app
from app.auth.passwords import hash_password, verify_password
from app.db import utcnow
from app.models import AuditEntry, User
from tests.conftest import PASSWORD, login


def test_password_hash_is_argon2id_and_verifies(app_ctx):
    hashed = hash_password("een-lang-wachtwoord")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "een-lang-wachtwoord")
    assert not verify_password(hashed, "een-ander-wachtwoord")
    assert not verify_password("not-a-hash", "x")


def test_login_success_redirects_home_and_logout_ends_session(world, client):
    response = login(client, "inkoper")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/").headers["Location"].startswith("/login")


def test_wrong_password_is_refused_with_a_message(world, client):
    response = login(client, "inkoper", "wrong-password")
    assert response.status_code == 401
    assert "Gebruikersnaam of wachtwoord klopt niet." in response.get_data(as_text=True)


def test_unknown_user_gets_the_same_message(world, client):
    response = login(client, "nobody", "whatever-password")
    assert response.status_code == 401
    assert "Gebruikersnaam of wachtwoord klopt niet." in response.get_data(as_text=True)


def test_login_is_case_insensitive_on_username(world, client):
    assert login(client, "INKOPER").status_code == 302


def test_lockout_after_repeated_failures_even_with_the_right_password(app, world, client, db):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert login(client, "finance", "wrong-password").status_code == 401
    user = db.scalar(select(User).where(User.username == "finance"))
    assert user.locked_until is not None and user.locked_until > utcnow()
    response = login(client, "finance", PASSWORD)
    assert response.status_code == 401
    assert "tijdelijk geblokkeerd" in response.get_data(as_text=True)
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "lockout", AuditEntry.entity_id == user.id))


def test_lock_expires(app, world, client, db):
    user = world.users["finance"]
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.commit()
    assert login(client, "finance").status_code == 302


def test_inactive_user_cannot_log_in(world, client, db):
    world.users["finance"].active = False
    db.commit()
    assert login(client, "finance").status_code == 401


def test_next_parameter_only_allows_local_paths(world, client):
    ok = client.post("/login?next=/gemeenten/", data={"username": "inkoper", "password": PASSWORD})
    assert ok.headers["Location"] == "/gemeenten/"
    client.post("/logout")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(f"/login?next={evil}", data={"username": "inkoper", "password": PASSWORD})
        assert response.headers["Location"] == "/", evil
        client.post("/logout")


@pytest.mark.parametrize(("evil", "followed"), [
    ("/gemeenten/%0d%0aSet-Cookie:%20x=1", "/"), ("/%0aevil", "/"), ("/%0d", "/"), ("/%09/evil.example", "/"),
    ("/a%00b", "/ab"), ("/%1b[31m", "/%5B31m"),  # the query string loses control characters (app.requests)
])
def test_next_with_a_line_break_or_control_character_is_not_followed(world, client, evil, followed):
    """A header cannot hold a line break: following such a ``next`` was a server error instead of a log-in, and
    a browser reads "/\t/evil.example" as "//evil.example", another site."""
    response = client.post(f"/login?next={evil}", data={"username": "inkoper", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == followed
    assert "Set-Cookie" not in response.headers or "x=1" not in response.headers["Set-Cookie"]
    assert client.get(f"/taal/en?next={evil}").headers["Location"] == followed


def test_anonymous_page_redirects_to_login_with_next(world, client):
    response = client.get("/gemeenten/?q=aa")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.fixture
def csrf_app(connection, database_url):
    app = create_app("testing", overrides={"DATABASE_URL": database_url, "WTF_CSRF_ENABLED": True}, bind=connection)
    with app.app_context():
        yield app


def test_forms_without_csrf_token_are_refused(csrf_app, world):
    c = csrf_app.test_client()
    response = c.post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400
    assert "Er is niets opgeslagen" in response.get_data(as_text=True)


def test_login_page_carries_a_csrf_token(csrf_app, world):
    page = csrf_app.test_client().get("/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page


def test_session_cookie_flags_in_production(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    from app.config import load_config

    config = load_config("production")
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["REMEMBER_COOKIE_SECURE"] is True


def test_session_cookie_is_httponly_after_login(world, client):
    response = login(client, "inkoper")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def _token(page: str) -> str:
    return page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]


def test_a_real_session_needs_the_token_on_every_form(csrf_app, world):
    c = csrf_app.test_client()
    token = _token(c.get("/login").get_data(as_text=True))
    assert c.post("/login", data={"username": "inkoper", "password": PASSWORD, "csrf_token": token}).status_code == 302
    provider, contact = world.providers[0], world.providers[0].contacts[0]
    url = f"/aanbieders/{provider.id}/contactpersonen/{contact.id}/verwijderen"
    assert c.post(url).status_code == 400
    detail = c.get(f"/aanbieders/{provider.id}").get_data(as_text=True)
    assert c.post(url, data={"csrf_token": _token(detail)}).status_code == 302
    assert c.post("/logout").status_code == 400


def test_a_hash_made_with_other_argon2_settings_is_rehashed_at_the_next_log_in(app, client, db, world):
    """A hash of the old default (64 MiB, three passes, four lanes) keeps working and is replaced, at the
    first successful log-in, by one with the settings in force (the OWASP minimum in production)."""
    from argon2 import PasswordHasher

    user = db.get(User, world.users["management"].id)
    user.password_hash = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4).hash(PASSWORD)
    db.commit()
    assert login(client, "management", "een-ander-wachtwoord").status_code != 302
    db.expire_all()
    assert "m=65536,t=3,p=4" in db.get(User, user.id).password_hash  # a wrong password changes nothing
    assert login(client, "management").status_code == 302
    db.expire_all()
    new = db.get(User, user.id).password_hash
    config = app.config
    assert f"m={config['ARGON2_MEMORY_COST']},t={config['ARGON2_TIME_COST']},p={config['ARGON2_PARALLELISM']}" in new
    with app.app_context():
        assert verify_password(new, PASSWORD)
