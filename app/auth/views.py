"""Log-in and log-out, with a lock-out after repeated failures."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.auth import services
from app.auth.forms import LoginForm
from app.uow import attempt
from app.urls import safe_next_url

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        policy = services.LoginPolicy.of(current_app.config)
        outcome = attempt(lambda: services.log_in(form.username.data, form.password.data, policy))
        result = outcome.value
        if result is not None and result.user is not None:
            login_user(result.user)
            return redirect(safe_next_url(request.args.get("next")) or url_for("home.index"))
        error = result.refusal if result is not None else outcome.refusal
    return render_template("auth/login.html", form=form, error=error), 401 if error else 200


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash(_("Je bent uitgelogd."), "info")
    return redirect(url_for("auth.login"))
