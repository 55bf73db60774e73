"""Single sign-on through a gemeente's OpenID Connect provider, with a fake provider: Authlib's redirect and
token exchange are replaced, so no request leaves the machine."""

from __future__ import annotations

import pytest
from authlib.integrations.flask_client import FlaskOAuth2App
from flask import redirect
from sqlalchemy import select

from app import create_app
from app.models import AuditEntry, Role, User

OIDC = {
    "OIDC_CLIENT_ID": "reintegratie", "OIDC_CLIENT_SECRET": "geheim",
    "OIDC_DISCOVERY_URL": "https://idp.gemeente.example/.well-known/openid-configuration",
    "OIDC_NAME": "Gemeente Testland", "OIDC_ROLES_CLAIM": "groups",
    "OIDC_ROLE_MAP": {"grp-inkoop": "inkoper", "grp-klant": "klantmanager", "grp-fin": "finance"},
    "OIDC_GEMEENTEN_CLAIM": "gemeenten",
}


@pytest.fixture
def sso_app(connection, database_url):
    return create_app("testing", overrides={"DATABASE_URL": database_url, **OIDC}, bind=connection)


@pytest.fixture
def provider(monkeypatch):
    """The fake identity provider: ``provider["claims"]`` is what it says about the person signing in."""
    said: dict = {"claims": None}

    def authorize_redirect(self, redirect_uri, **kwargs):
        said["redirect_uri"] = redirect_uri
        return redirect("https://idp.gemeente.example/authorize")

    def authorize_access_token(self, **kwargs):
        return {"access_token": "t", "userinfo": {"iss": "https://idp.gemeente.example", **said["claims"]}}

    monkeypatch.setattr(FlaskOAuth2App, "authorize_redirect", authorize_redirect)
    monkeypatch.setattr(FlaskOAuth2App, "authorize_access_token", authorize_access_token)
    return said


def _sign_in(client, provider, **claims):
    provider["claims"] = claims
    start = client.get("/login/sso?next=/gemeenten/")
    assert start.status_code == 302 and start.headers["Location"].startswith("https://idp.gemeente.example/")
    return client.get("/login/sso/terug?code=x&state=y")


def test_the_login_page_offers_the_gemeentes_sign_in_when_configured(sso_app, client):
    assert "Inloggen met Gemeente Testland" in sso_app.test_client().get("/login").get_data(as_text=True)
    assert "Inloggen met" not in client.get("/login").get_data(as_text=True)
    assert client.get("/login/sso").status_code == 404, "without configuration there is no single sign-on"


def test_an_existing_active_user_signs_in_and_the_role_follows_the_claims(sso_app, world, provider, db):
    client = sso_app.test_client()
    response = _sign_in(client, provider, preferred_username="inkoper", groups=["grp-klant", "other"],
                        gemeenten=["GM8001"])
    assert response.status_code == 302 and response.headers["Location"] == "/gemeenten/"
    assert provider["redirect_uri"].endswith("/login/sso/terug")
    assert client.get("/clienten/").status_code == 200, "now a klantmanager"
    db.expire_all()
    user = db.scalar(select(User).where(User.username == "inkoper"))
    assert user.role == Role.KLANTMANAGER
    assert [g.cbs_code for g in user.gemeenten] == ["GM8001"]
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "sso_login", AuditEntry.entity_id == user.id))


@pytest.mark.parametrize("claims", [
    {"preferred_username": "nobody-here"},
    {"email": "i@x.nl"},  # the configured claim is the username, not the e-mail address
    {},
])
def test_only_existing_accounts_get_in(sso_app, world, provider, claims):
    client = sso_app.test_client()
    response = _sign_in(client, provider, **claims)
    assert response.headers["Location"] == "/login"
    assert client.get("/").headers["Location"].startswith("/login")


def test_an_inactive_account_does_not_get_in(sso_app, world, provider, db):
    world.users["inkoper"].active = False
    db.commit()
    client = sso_app.test_client()
    _sign_in(client, provider, preferred_username="inkoper")
    assert client.get("/").headers["Location"].startswith("/login")


def test_claims_that_break_the_account_rules_are_refused(sso_app, world, provider, db):
    client = sso_app.test_client()
    _sign_in(client, provider, preferred_username="inkoper", groups=["grp-klant"], gemeenten=[])
    assert client.get("/").headers["Location"].startswith("/login"), "a klantmanager needs a gemeente"
    db.expire_all()
    assert db.scalar(select(User.role).where(User.username == "inkoper")) == Role.INKOPER


def test_a_single_sign_on_session_is_not_asked_for_a_password_change_or_a_second_factor(connection, database_url,
                                                                                        world, provider, db):
    """The identity provider checked the person; the temporary password and the TOTP duty belong to password
    log-ins only."""
    app = create_app("testing", overrides={"DATABASE_URL": database_url, "REQUIRE_TOTP": True, **OIDC},
                     bind=connection)
    world.users["finance"].must_change_password = True
    db.commit()
    client = app.test_client()
    _sign_in(client, provider, preferred_username="finance")
    assert client.get("/facturen/").status_code == 200
