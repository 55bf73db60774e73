"""Single sign-on through the gemeente's own OpenID Connect provider (Authlib), when ``OIDC_CLIENT_ID`` is set.

Only people who already have an active account here get in: the provider says who someone is, the
administrator says that they may use this application. The account is found by the claim ``OIDC_USERNAME_CLAIM``
(compared with the username, or with the e-mail address when the claim is ``email``). Where the provider manages
roles (``OIDC_ROLES_CLAIM`` and ``OIDC_ROLE_MAP``), the account's role follows the claim at every log-in, and a
klantmanager's gemeenten follow ``OIDC_GEMEENTEN_CLAIM`` (CBS codes) when that is set; the account rules of
:mod:`contracts.accounts` still hold, and a log-in that would break them is refused. A log-in through the provider
needs no two-factor code here: the provider's own log-in is the one that must ask for one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import current_app, flash
from flask_babel import gettext as _
from sqlalchemy import func, select

from app import audit
from app.db import session, utcnow
from app.models.registers import Gemeente
from app.models.users import Role, User
from contracts.accounts import check_gemeenten, check_provider

EXTENSION = "reintegratie.oidc"


def init_app(app) -> None:
    if not app.config.get("OIDC_CLIENT_ID"):
        return
    oauth = OAuth(app)
    oauth.register(
        "gemeente",
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=app.config["OIDC_DISCOVERY_URL"],
        client_kwargs={"scope": app.config["OIDC_SCOPES"]},
    )
    app.extensions[EXTENSION] = oauth


def configured() -> bool:
    return EXTENSION in current_app.extensions


def name() -> str | None:
    return current_app.config["OIDC_NAME"] if configured() else None


def client():
    return current_app.extensions[EXTENSION].create_client("gemeente")


def claims() -> dict[str, Any] | None:
    """The signed-in person's claims from the ID token (or the userinfo endpoint), None if the provider refused."""
    try:
        token = client().authorize_access_token()
    except OAuthError as error:
        current_app.logger.warning("OpenID Connect log-in refused: %s", error.error)
        flash(_("Inloggen via %(name)s is niet gelukt.", name=name()), "error")
        return None
    userinfo = token.get("userinfo") or client().userinfo(token=token)
    return dict(userinfo)


def _claim_values(claims: Mapping[str, Any], claim: str) -> list[str]:
    value = claims.get(claim)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value]
    return []


def user_for(claims: Mapping[str, Any] | None, config: Mapping[str, Any]) -> User | None:
    """The active account these claims belong to, with role and gemeenten brought in line with them."""
    if claims is None:
        return None
    claim = config["OIDC_USERNAME_CLAIM"]
    value = claims.get(claim)
    if not isinstance(value, str) or not value.strip():
        return None
    column = User.email if claim == "email" else User.username
    user = session.scalar(select(User).where(func.lower(column) == value.strip().lower()))
    if user is None or not user.active:
        return None
    _apply_roles(user, claims, config)
    user.last_login_at = utcnow()
    audit.record(session, "sso_login", "user_account", user.id, {"issuer": claims.get("iss")})
    return user


def _apply_roles(user: User, claims: Mapping[str, Any], config: Mapping[str, Any]) -> None:
    if not config["OIDC_ROLES_CLAIM"]:
        return
    mapped = [config["OIDC_ROLE_MAP"][v] for v in _claim_values(claims, config["OIDC_ROLES_CLAIM"])
              if v in config["OIDC_ROLE_MAP"]]
    roles = [Role(r) for r in mapped if r in Role._value2member_map_]
    if not roles:
        return
    # Someone in several mapped groups gets the first of their roles in the order Role declares them.
    user.role = min(roles, key=list(Role).index)
    if config["OIDC_GEMEENTEN_CLAIM"] and user.role == Role.KLANTMANAGER:
        codes = _claim_values(claims, config["OIDC_GEMEENTEN_CLAIM"])
        user.gemeenten = list(session.scalars(select(Gemeente).where(Gemeente.cbs_code.in_(codes))))
    if user.role != Role.KLANTMANAGER:
        user.gemeenten = []
    check_gemeenten(user.role.value, len(user.gemeenten))
    check_provider(user.role.value, user.provider_id is not None)
