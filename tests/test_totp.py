"""Two-factor log-in with TOTP codes: setting it up, the code after the password, replay, recovery codes,
failed codes toward the lock-out, the requirement for admin and finance, and an administrator's reset.

Codes are computed with pyotp from the secret at moments set on the app's clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from app import clock, create_app
from app.auth import totp
from app.config import load_config
from app.models import AuditEntry, RecoveryCode, User
from tests.conftest import PASSWORD, login

START = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _code(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


@pytest.fixture
def enrolled(world, db):
    """The finance user with two-factor set up, and their secret."""
    user = world.users["finance"]
    user.totp_secret = pyotp.random_base32()
    db.commit()
    return user, user.totp_secret


def _password_then_code(client, code: str, username: str = "finance"):
    first = login(client, username)
    assert first.status_code == 302 and first.headers["Location"] == "/login/code"
    return client.post("/login/code", data={"code": code})


def test_setting_up_two_factor_shows_the_secret_once_and_needs_a_code_from_it(world, app, db):
    client = app.test_client()
    with clock.moment_frozen(START):
        login(client, "inkoper")
        page = client.get("/account/tweestapsverificatie").get_data(as_text=True)
        secret = page.split('<code class="secret">', 1)[1].split("<", 1)[0]
        assert "<svg" in page and "style=" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]
        wrong = client.post("/account/tweestapsverificatie", data={"code": "000000"})
        assert wrong.status_code == 422 and "klopt niet" in wrong.get_data(as_text=True)
        done = client.post("/account/tweestapsverificatie", data={"code": _code(secret, START)})
    assert done.status_code == 200
    codes = done.get_data(as_text=True).split('class="recovery-codes"', 1)[1].split("</ul>", 1)[0].count("<code>")
    assert codes == totp.RECOVERY_CODE_COUNT
    user = db.scalar(select(User).where(User.username == "inkoper"))
    assert user.totp_secret == secret
    entries = list(db.scalars(select(AuditEntry).where(AuditEntry.entity_id == user.id)))
    assert any(e.action == "totp_enrolled" for e in entries)
    assert all(secret not in json.dumps(e.changes) for e in entries), "the secret never reaches the audit trail"
    with clock.moment_frozen(START + timedelta(minutes=1)):
        status = client.get("/account/tweestapsverificatie").get_data(as_text=True)
    assert "Tweestapsverificatie is ingesteld" in status


def test_a_user_with_two_factor_needs_the_code_after_the_password(enrolled, client):
    _user, secret = enrolled
    with clock.moment_frozen(START):
        assert login(client, "finance").headers["Location"] == "/login/code"
        assert client.get("/").headers["Location"].startswith("/login"), "the password alone does not log in"
        assert client.post("/login/code", data={"code": "123456" if _code(secret, START) != "123456" else "654321"}
                           ).status_code == 401
        assert client.post("/login/code", data={"code": _code(secret, START)}).status_code == 302
        assert client.get("/").status_code == 200


def test_a_code_from_the_previous_step_still_works_but_not_twice(enrolled, app):
    _user, secret = enrolled
    code = _code(secret, START)
    with clock.moment_frozen(START + timedelta(seconds=30)):
        assert _password_then_code(app.test_client(), code).status_code == 302
        replay = _password_then_code(app.test_client(), code)
    assert replay.status_code == 401 and "al gebruikt" in replay.get_data(as_text=True)
    with clock.moment_frozen(START + timedelta(minutes=5)):
        assert _password_then_code(app.test_client(), code).status_code == 401, "an old code has expired"


def test_a_recovery_code_works_once(enrolled, app, db):
    user, _secret = enrolled
    db.add(RecoveryCode(user_id=user.id, code_hash=totp.recovery_hash("abcde-fghjk")))
    db.commit()
    assert _password_then_code(app.test_client(), "ABCDE-FGHJK").status_code == 302
    assert _password_then_code(app.test_client(), "abcde-fghjk").status_code == 401
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "recovery_code_used"))


def test_failed_codes_count_toward_the_lockout(enrolled, app, db):
    user, secret = enrolled
    client = app.test_client()
    limit = app.config["LOGIN_MAX_FAILURES"]
    with clock.moment_frozen(START):
        right = _code(secret, START)
        wrong = "000000" if right != "000000" else "111111"
        assert login(client, "finance").status_code == 302
        for _ in range(limit):
            assert client.post("/login/code", data={"code": wrong}).status_code == 401
        locked = client.post("/login/code", data={"code": right})
        assert locked.status_code == 401 and "tijdelijk geblokkeerd" in locked.get_data(as_text=True)
        again = login(app.test_client(), "finance")
        assert again.status_code == 401 and "tijdelijk geblokkeerd" in again.get_data(as_text=True)
    lockouts = db.scalars(select(AuditEntry).where(AuditEntry.action == "lockout", AuditEntry.entity_id == user.id))
    assert len(list(lockouts)) == 1


def test_the_right_password_does_not_wipe_the_failed_codes(enrolled, app):
    """Otherwise a thief with the password could guess codes for ever, starting the count again each time."""
    _user, secret = enrolled
    limit = app.config["LOGIN_MAX_FAILURES"]
    with clock.moment_frozen(START):
        wrong = "000000" if _code(secret, START) != "000000" else "111111"
        for _ in range(limit - 1):
            assert _password_then_code(app.test_client(), wrong).status_code == 401
        last = _password_then_code(app.test_client(), wrong)
        assert last.status_code == 401
        assert "tijdelijk geblokkeerd" in login(app.test_client(), "finance").get_data(as_text=True)


@pytest.fixture
def requiring_app(connection, database_url):
    return create_app("testing", overrides={"DATABASE_URL": database_url, "REQUIRE_TOTP": True}, bind=connection)


def test_admin_and_finance_must_set_up_two_factor_before_anything_else(requiring_app, world):
    finance = requiring_app.test_client()
    assert login(finance, "finance").status_code == 302
    response = finance.get("/facturen/")
    assert response.status_code == 302 and response.headers["Location"] == "/account/tweestapsverificatie"
    page = finance.get("/account/tweestapsverificatie").get_data(as_text=True)
    assert "verplicht" in page
    inkoper = requiring_app.test_client()
    assert login(inkoper, "inkoper").status_code == 302
    assert inkoper.get("/gemeenten/").status_code == 200, "other roles are not held up"


def test_two_factor_is_required_by_default_in_production_only(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.delenv("REQUIRE_TOTP", raising=False)
    assert load_config("production")["REQUIRE_TOTP"] is True
    assert load_config("development")["REQUIRE_TOTP"] is False
    monkeypatch.setenv("REQUIRE_TOTP", "true")
    assert load_config("development")["REQUIRE_TOTP"] is True


def test_an_administrator_can_reset_someones_two_factor(enrolled, app, as_role, db):
    user, secret = enrolled
    own = app.test_client()
    assert _password_then_code(own, _code(secret, clock.now())).status_code == 302
    assert own.get("/").status_code == 200
    admin = as_role("admin")
    assert "Tweestapsverificatie herstellen" in admin.get(f"/beheer/gebruikers/{user.id}").get_data(as_text=True)
    assert admin.post(f"/beheer/gebruikers/{user.id}/tweestapsverificatie-herstellen").status_code == 302
    db.expire_all()
    assert db.get(User, user.id).totp_secret is None
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "totp_reset", AuditEntry.entity_id == user.id))
    assert own.get("/").headers["Location"].startswith("/login"), "the reset ends the user's sessions"
    assert login(app.test_client(), "finance", PASSWORD).headers["Location"] == "/"
