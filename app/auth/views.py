"""Log-in (password, then a two-factor code where set up), single sign-on, log-out, and a user's own password and
two-factor set-up."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from app import clock
from app.auth import services, sso, totp
from app.auth.forms import CodeForm, LoginForm, PasswordChangeForm
from app.auth.login import start_session
from app.auth.passwords import MIN_PASSWORD_LENGTH
from app.auth.permissions import authenticated
from app.db import session
from app.models.users import User
from app.uow import attempt
from app.urls import safe_next_url

bp = Blueprint("auth", __name__)

PENDING = "pending_login"
PENDING_SECONDS = 300  # the code is asked within five minutes of the password
ENROLMENT_KEY = "totp_enrolment"  # the secret being set up, until its first code confirms it


def _done(user: User, next_url: str | None, through_provider: bool = False):
    start_session(user, through_provider)
    return redirect(safe_next_url(next_url) or url_for("home.index"))


@bp.errorhandler(429)
def _throttled(_error):
    """The throttle per address (``app.auth.login.throttle_logins``) answers with the login page (or JSON)."""
    message = _("Te veel pogingen vanaf dit adres. Wacht even en probeer het opnieuw.")
    if request.accept_mimetypes.best == "application/json":
        return {"error": "too_many_requests", "message": message}, 429
    if request.endpoint == "auth.change_password":
        flash(message, "error")
        return render_template("auth/change_password.html", form=PasswordChangeForm(),
                               min_length=MIN_PASSWORD_LENGTH), 429
    return render_template("auth/login.html", form=LoginForm(), error=message, sso_name=sso.name()), 429


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        policy = services.LoginPolicy.of(current_app.config)
        username, password = form.username.data, form.password.data
        turn = attempt(lambda: services.claim_password_turn(username, policy)).value
        outcome = attempt(lambda: services.check_password(username, turn, password, policy))
        result = outcome.value
        if result is not None and result.needs_code:
            cookie_session[PENDING] = {"user": result.user.id, "generation": result.user.session_generation,
                                       "at": clock.now().timestamp(), "next": request.args.get("next")}
            return redirect(url_for("auth.login_code"))
        if result is not None and result.user is not None:
            return _done(result.user, request.args.get("next"))
        error = result.refusal if result is not None else outcome.refusal
    return render_template("auth/login.html", form=form, error=error, sso_name=sso.name()), 401 if error else 200


def _pending_user() -> tuple[User, str | None] | None:
    pending = cookie_session.get(PENDING)
    if not isinstance(pending, dict) or clock.now().timestamp() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    user = session.get(User, int(pending.get("user", 0)))
    if user is None or user.session_generation != pending.get("generation"):
        return None
    return user, pending.get("next")


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    pending = _pending_user()
    if pending is None:
        cookie_session.pop(PENDING, None)
        return redirect(url_for("auth.login"))
    user, next_url = pending
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        policy = services.LoginPolicy.of(current_app.config)
        turn = attempt(lambda: services.claim_code_turn(user.id, policy)).value
        outcome = attempt(lambda: services.check_code(turn, form.code.data, policy))
        result = outcome.value
        if result is not None and result.user is not None:
            return _done(result.user, next_url)
        error = result.refusal if result is not None else outcome.refusal
    return render_template("auth/code.html", form=form, error=error), 401 if error else 200


@bp.route("/login/sso")
def sso_login():
    if not sso.configured():
        abort(404)
    cookie_session["sso_next"] = safe_next_url(request.args.get("next"))
    return sso.client().authorize_redirect(url_for("auth.sso_callback", _external=True))


@bp.route("/login/sso/terug")
def sso_callback():
    if not sso.configured():
        abort(404)
    claims = sso.claims()
    if claims is None:
        return redirect(url_for("auth.login"))
    outcome = attempt(lambda: sso.user_for(claims, current_app.config))
    if outcome.value is None:
        if outcome.ok:
            flash(_("Je account bij %(name)s hoort niet bij een actieve gebruiker van deze applicatie.",
                    name=sso.name()), "error")
        return redirect(url_for("auth.login"))
    return _done(outcome.value, cookie_session.pop("sso_next", None), through_provider=True)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        attempt(lambda: services.end_sessions(user))
    logout_user()
    cookie_session.clear()
    flash(_("Je bent uitgelogd."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/wachtwoord", methods=["GET", "POST"])
@authenticated
def change_password():
    form = PasswordChangeForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        outcome = attempt(lambda: services.change_own_password(user, form.current.data, form.new.data), form=form)
        if outcome.ok:
            start_session(user)  # this browser stays logged in; every other session has ended
            flash(_("Je wachtwoord is gewijzigd. Je andere sessies zijn beëindigd."), "success")
            return redirect(url_for("home.index"))
    page = render_template("auth/change_password.html", form=form, min_length=MIN_PASSWORD_LENGTH)
    return page, 422 if form.errors else 200


@bp.route("/account/tweestapsverificatie", methods=["GET", "POST"])
@authenticated
def totp_enrol():
    user = current_user._get_current_object()
    if user.totp_enrolled:
        return render_template("auth/totp_status.html", unused=services.unused_recovery_codes(user))
    secret = cookie_session.get(ENROLMENT_KEY)
    if not isinstance(secret, str) or not secret:
        secret = cookie_session[ENROLMENT_KEY] = totp.new_secret()
    form = CodeForm()
    if form.validate_on_submit():
        outcome = attempt(lambda: services.enrol_totp(user, secret, form.code.data), form=form)
        if outcome.value is not None:
            cookie_session.pop(ENROLMENT_KEY, None)
            return render_template("auth/recovery_codes.html", codes=outcome.value)
        if outcome.ok:
            wrong = _("Deze code klopt niet. Kijk of de klok van je telefoon goed staat.")
            form.code.errors = [*form.code.errors, wrong]
    uri = totp.provisioning_uri(secret, user.username, current_app.config["TOTP_ISSUER"])
    qr = totp.qr_svg(uri, _("QR-code om tweestapsverificatie in te stellen"))
    required = totp.required_for(user, current_app.config)
    return (render_template("auth/totp_enrol.html", form=form, secret=secret, qr=qr, required=required),
            422 if form.errors else 200)
