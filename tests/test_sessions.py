"""Sessions can be ended: by log-out, a new password, an administrator's reset and deactivation, and by the
idle and absolute timeouts on the server; and an account whose password an administrator chose must first get
one of its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app import clock
from app.models import AuditEntry, User
from tests.conftest import PASSWORD, login

NEW_PASSWORD = "een-heel-nieuw-wachtwoord"
START = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _copy_session(app, source):
    """A second browser holding the same session cookie (as one copied by an attacker would)."""
    thief = app.test_client()
    thief.set_cookie("session", source.get_cookie("session").value)
    return thief


def _logged_out(client) -> bool:
    response = client.get("/gemeenten/")
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_cookie_copied_before_log_out_is_refused_after_it(app, world, client):
    assert login(client, "inkoper").status_code == 302
    thief = _copy_session(app, client)
    assert not _logged_out(thief), "the copy works while the session lasts"
    client.post("/logout")
    assert _logged_out(thief)
    assert _logged_out(client)


def test_a_new_password_set_by_an_administrator_ends_the_old_session(app, world, client, as_role, db):
    assert login(client, "inkoper").status_code == 302
    user = world.users["inkoper"]
    admin = as_role("admin")
    response = admin.post(f"/beheer/gebruikers/{user.id}/bewerken", data={
        "username": "inkoper", "full_name": "Inkoper", "email": "i@x.nl", "role": "inkoper", "active": "y",
        "provider_id": "0", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert _logged_out(client)
    assert not _logged_out(admin), "the administrator's own session goes on"


def test_deactivation_ends_the_session(app, world, client, db):
    assert login(client, "inkoper").status_code == 302
    world.users["inkoper"].active = False
    db.commit()
    assert _logged_out(client)


def test_changing_ones_own_password_ends_the_other_sessions_but_not_this_one(app, world, client, db):
    assert login(client, "inkoper").status_code == 302
    other = app.test_client()
    assert login(other, "inkoper").status_code == 302
    response = client.post("/account/wachtwoord", data={"current": PASSWORD, "new": NEW_PASSWORD,
                                                         "repeat": NEW_PASSWORD})
    assert response.status_code == 302
    assert not _logged_out(client)
    assert _logged_out(other)
    client.post("/logout")
    assert login(client, "inkoper").status_code == 401
    assert login(client, "inkoper", NEW_PASSWORD).status_code == 302
    user = db.scalar(select(User).where(User.username == "inkoper"))
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "password_changed", AuditEntry.entity_id == user.id))


def test_the_own_password_form_checks_the_current_password_the_length_and_the_repeat(world, as_role):
    client = as_role("inkoper")
    wrong = client.post("/account/wachtwoord", data={"current": "not-it-at-all", "new": NEW_PASSWORD,
                                                      "repeat": NEW_PASSWORD})
    assert wrong.status_code == 422 and "Je huidige wachtwoord klopt niet." in wrong.get_data(as_text=True)
    short = client.post("/account/wachtwoord", data={"current": PASSWORD, "new": "kort", "repeat": "kort"})
    assert short.status_code == 422 and "Minstens 12 tekens." in short.get_data(as_text=True)
    differ = client.post("/account/wachtwoord", data={"current": PASSWORD, "new": NEW_PASSWORD,
                                                       "repeat": NEW_PASSWORD + "x"})
    assert differ.status_code == 422 and "niet gelijk" in differ.get_data(as_text=True)


def test_a_session_ends_after_30_idle_minutes(app, world, client):
    with clock.moment_frozen(START):
        assert login(client, "inkoper").status_code == 302
    with clock.moment_frozen(START + timedelta(minutes=29)):
        assert not _logged_out(client)
    with clock.moment_frozen(START + timedelta(minutes=58)):
        assert not _logged_out(client), "each request starts the idle time again"
    with clock.moment_frozen(START + timedelta(minutes=58 + 31)):
        assert _logged_out(client)


def test_a_session_ends_eight_hours_after_log_in_however_busy(app, world, client):
    with clock.moment_frozen(START):
        assert login(client, "inkoper").status_code == 302
    for minutes in range(20, 8 * 60, 20):
        with clock.moment_frozen(START + timedelta(minutes=minutes)):
            assert not _logged_out(client)
    with clock.moment_frozen(START + timedelta(hours=8, minutes=1)):
        assert _logged_out(client)


def _create_user(admin, username: str) -> None:
    response = admin.post("/beheer/gebruikers/nieuw", data={
        "username": username, "full_name": "Nieuwe Collega", "email": "n@x.nl", "role": "inkoper", "active": "y",
        "provider_id": "0", "password": "tijdelijk-wachtwoord-1"})
    assert response.status_code == 302, response.get_data(as_text=True)


def test_after_an_administrator_chose_the_password_every_page_asks_for_an_own_password_first(world, as_role, app, db):
    _create_user(as_role("admin"), "nieuw")
    client = app.test_client()
    assert login(client, "nieuw", "tijdelijk-wachtwoord-1").status_code == 302
    for path in ("/", "/gemeenten/", "/account/tweestapsverificatie"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/account/wachtwoord", path
    api = client.get("/api/gemeenten")
    assert api.status_code == 403 and api.json["error"] == "account_action_required"
    assert client.get("/account/wachtwoord").status_code == 200
    changed = client.post("/account/wachtwoord", data={"current": "tijdelijk-wachtwoord-1", "new": NEW_PASSWORD,
                                                        "repeat": NEW_PASSWORD})
    assert changed.status_code == 302
    assert client.get("/gemeenten/").status_code == 200
    user = db.scalar(select(User).where(User.username == "nieuw"))
    assert user.must_change_password is False


def test_an_administrator_setting_their_own_password_is_not_asked_again(world, as_role, db):
    admin = as_role("admin")
    user = world.users["admin"]
    response = admin.post(f"/beheer/gebruikers/{user.id}/bewerken", data={
        "username": "admin", "full_name": "Admin", "email": "a@x.nl", "role": "admin", "active": "y",
        "provider_id": "0", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert admin.get("/gemeenten/").status_code == 200
