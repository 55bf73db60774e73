"""Flask-Login wiring: users load from the database; anonymous API calls get JSON, pages a redirect."""

from __future__ import annotations

from flask import jsonify, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

from app.db import session
from app.models.users import User

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Log in om deze pagina te zien.")
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    try:
        user = session.get(User, int(user_id))
    except ValueError:
        return None
    return user if user is not None and user.active else None


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.startswith("/api/"):
        return jsonify(error="unauthenticated", message="Log in first."), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def init_app(app) -> None:
    login_manager.init_app(app)
