"""Log-in and log-out, with a lock-out after repeated failures."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from app import audit
from app.auth.passwords import burn_time_for_unknown_user, hash_password, needs_rehash, verify_password
from app.db import session, utcnow
from app.models.users import User
from app.urls import safe_next_url

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(_l("Gebruikersnaam"), validators=[DataRequired(_l("Vul je gebruikersnaam in."))])
    password = PasswordField(_l("Wachtwoord"), validators=[DataRequired(_l("Vul je wachtwoord in."))])


def _failed(user: User | None) -> None:
    if user is None:
        return
    user.failed_logins += 1
    if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
        user.locked_until = utcnow() + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
        user.failed_logins = 0
        audit.record(session, "lockout", "user_account", user.id, {"minutes": current_app.config["LOGIN_LOCK_MINUTES"]})
    session.commit()


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        username = form.username.data.strip().lower()
        user = session.scalar(select(User).where(func.lower(User.username) == username))
        if user is not None and user.locked_until and user.locked_until > utcnow():
            error = _("Dit account is tijdelijk geblokkeerd na te veel mislukte pogingen. Probeer het later opnieuw.")
        elif user is None:
            burn_time_for_unknown_user(form.password.data)
            error = _("Gebruikersnaam of wachtwoord klopt niet.")
        elif not verify_password(user.password_hash, form.password.data) or not user.active:
            _failed(user)
            error = _("Gebruikersnaam of wachtwoord klopt niet.")
        else:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(form.password.data)
            user.failed_logins = 0
            user.locked_until = None
            user.last_login_at = utcnow()
            session.commit()
            login_user(user)
            return redirect(safe_next_url(request.args.get("next")) or url_for("home.index"))
    status = 401 if error else 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash(_("Je bent uitgelogd."), "info")
    return redirect(url_for("auth.login"))
