"""Flask-Login wiring: users load from the database; anonymous API calls get JSON, pages a redirect.

A session is the user's id *and* session generation (``User.get_id``), so raising the generation (log-out, a
new password, a reset by an administrator, deactivation) ends every session of that user on every device.
The session also carries when it logged in and when it was last used: the loader refuses it after
``SESSION_IDLE_MINUTES`` without a request or ``PERMANENT_SESSION_LIFETIME`` after the log-in, on the server,
whatever the cookie's own expiry says.

Until an account has done what it owes (choose its own password after an administrator set one, set up two-factor
where its role requires it), every page sends it to the page where it does that.
"""

from __future__ import annotations

from flask import current_app, jsonify, redirect, request, url_for
from flask import session as cookie_session
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, login_user

from app import clock
from app.auth import totp
from app.db import session
from app.models.users import User
from contracts.accounts import session_expired

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Log in om deze pagina te zien.")
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"

LOGGED_IN_AT = "logged_in_at"
LAST_SEEN_AT = "last_seen_at"
THROUGH_PROVIDER = "through_provider"

# Where an account that still owes a new password or two-factor set-up may go meanwhile; the health check loads
# no user at all, so that it answers while the database is down.
OPEN_WHILE_OWING = frozenset({"auth.logout", "static", "i18n.switch", "health.healthz"})


def _now() -> float:
    return clock.now().timestamp()


def start_session(user: User, through_provider: bool = False) -> None:
    """Log ``user`` in on this browser with a fresh session of their current generation; ``through_provider``
    when the gemeente's identity provider vouched for them (single sign-on)."""
    cookie_session.pop("pending_login", None)
    login_user(user)
    cookie_session.permanent = True
    cookie_session[LOGGED_IN_AT] = cookie_session[LAST_SEEN_AT] = _now()
    cookie_session[THROUGH_PROVIDER] = through_provider


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    ident, _, generation = user_id.partition(":")
    try:
        user = session.get(User, int(ident))
        generation_number = int(generation)
    except ValueError:
        return None
    if user is None or not user.active or user.session_generation != generation_number:
        return None
    now = _now()
    config = current_app.config
    logged_in_at = cookie_session.get(LOGGED_IN_AT)
    last_seen_at = cookie_session.get(LAST_SEEN_AT)
    if not isinstance(logged_in_at, float | int) or not isinstance(last_seen_at, float | int):
        return None
    if session_expired(logged_in_at, last_seen_at, now, config["SESSION_IDLE_MINUTES"] * 60,
                       int(config["PERMANENT_SESSION_LIFETIME"])):
        return None
    cookie_session[LAST_SEEN_AT] = now
    return user


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.startswith("/api/"):
        return jsonify(error="unauthenticated", message="Log in first."), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _owed_step() -> str | None:
    """What the account must do first; nothing for a single sign-on session, whose password and second factor
    are the identity provider's."""
    if not current_user.is_authenticated or cookie_session.get(THROUGH_PROVIDER):
        return None
    if current_user.must_change_password:
        return "auth.change_password"
    if totp.required_for(current_user, current_app.config) and not current_user.totp_enrolled:
        return "auth.totp_enrol"
    return None


def throttle_logins(app, endpoints: tuple[str, ...] = ("auth.login", "auth.login_code", "auth.change_password")
                    ) -> None:
    """Limit the POSTs to the pages that check a password or code per client address (``LOGIN_RATE_LIMIT``), so
    that nobody can guess at many accounts, keep someone else's account locked cheaply, or try passwords on the
    change-password form of a session they got hold of. Storage and switch come from the config
    (``RATELIMIT_STORAGE_URI``, ``RATELIMIT_ENABLED``). One limiter per app, so that each app's settings are its own.
    Behind a reverse proxy the address is the proxy's unless the app is wrapped in werkzeug's ProxyFix."""
    limiter = Limiter(get_remote_address, app=app)
    app.extensions["login_throttle"] = limiter  # the decorated views hold it only weakly
    limit = limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
    for endpoint in endpoints:
        app.view_functions[endpoint] = limit(app.view_functions[endpoint])


def init_app(app) -> None:
    login_manager.init_app(app)

    @app.before_request
    def _owed_first():
        if request.endpoint in OPEN_WHILE_OWING:
            return None
        step = _owed_step()
        if step is None or request.endpoint == step:
            return None
        if request.path.startswith("/api/"):
            return jsonify(error="account_action_required", message="Finish setting up your account first."), 403
        return redirect(url_for(step))
