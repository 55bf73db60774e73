"""Administration's routes: user accounts, target groups and the audit log (read-only)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import services
from app.admin.forms import CODE_TAKEN, USERNAME_TAKEN, TargetGroupForm, UserForm
from app.audit import chain_status, history_for
from app.auth.login import start_session
from app.auth.permissions import Permission, requires
from app.auth.services import reset_totp
from app.db import session, utcnow
from app.forms import submit, validate_submission
from app.models.clients import TargetGroup
from app.models.users import Role, User
from app.spreadsheet import XLSX_MIMETYPE, csv_bytes, rows_xlsx
from app.uow import attempt
from contracts.accounts import is_locked

bp = Blueprint("admin", __name__, url_prefix="/beheer")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"account_locked": lambda user: is_locked(user.locked_until, utcnow())}


@bp.route("/gebruikers")
@requires(Permission.MANAGE_USERS)
def users():
    return render_template("admin/users.html", page=services.user_page(), roles=list(Role))


def _save_user(form: UserForm, user: User | None):
    if validate_submission(form, user.id if user else None, {"username": (User.username, USERNAME_TAKEN)}):
        outcome = submit(form, lambda: services.save_user(user, form.data_for_service(), current_user),
                         {"username": USERNAME_TAKEN})
        if outcome.ok:
            if outcome.value.id == current_user.id:
                start_session(outcome.value)  # a new password of one's own ends the other sessions, not this one
            flash(_("Gebruiker %(name)s is opgeslagen.", name=outcome.value.username), "success")
            return redirect(url_for("admin.user_detail", user_id=outcome.value.id))
    return render_template("admin/user_form.html", form=form, user=user), 200 if not form.errors else 422


@bp.route("/gebruikers/nieuw", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def user_create():
    return _save_user(UserForm(creating=True), None)


@bp.route("/gebruikers/<int:user_id>")
@requires(Permission.MANAGE_USERS)
def user_detail(user_id: int):
    user = services.user_or_404(user_id)
    return render_template("admin/user_detail.html", user=user, history=history_for(session, "user_account", user.id))


@bp.route("/gebruikers/<int:user_id>/bewerken", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def user_edit(user_id: int):
    user = services.user_or_404(user_id)
    form = UserForm(obj=user)
    if not form.is_submitted():
        form.role.data = user.role.value
        form.gemeenten.data = [g.id for g in user.gemeenten]
        form.provider_id.data = user.provider_id or 0
    return _save_user(form, user)


@bp.route("/gebruikers/<int:user_id>/tweestapsverificatie-herstellen", methods=["POST"])
@requires(Permission.MANAGE_USERS)
def user_totp_reset(user_id: int):
    user = services.user_or_404(user_id)
    if attempt(lambda: reset_totp(user)).ok:
        flash(_("Tweestapsverificatie van %(name)s is hersteld; die stelt het bij het inloggen opnieuw in.",
                name=user.username), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/doelgroepen")
@requires(Permission.MANAGE_REFERENCE_DATA)
def target_groups():
    return render_template("admin/target_groups.html", groups=services.target_groups())


def _save_target_group(form: TargetGroupForm, group: TargetGroup | None):
    if validate_submission(form, group.id if group else None, {"code": (TargetGroup.code, CODE_TAKEN)}):
        outcome = submit(form, lambda: services.save_target_group(group, form.code.data, form.name.data),
                         {"code": CODE_TAKEN})
        if outcome.ok:
            flash(_("Doelgroep %(name)s is opgeslagen.", name=outcome.value.name), "success")
            return redirect(url_for("admin.target_groups"))
    return render_template("admin/target_group_form.html", form=form, group=group), 200 if not form.errors else 422


@bp.route("/doelgroepen/nieuw", methods=["GET", "POST"])
@requires(Permission.MANAGE_REFERENCE_DATA)
def target_group_create():
    return _save_target_group(TargetGroupForm(), None)


@bp.route("/doelgroepen/<int:group_id>/bewerken", methods=["GET", "POST"])
@requires(Permission.MANAGE_REFERENCE_DATA)
def target_group_edit(group_id: int):
    group = services.target_group_or_404(group_id)
    return _save_target_group(TargetGroupForm(obj=group), group)


@bp.route("/auditlog")
@requires(Permission.VIEW_AUDIT)
def audit_log():
    return render_template("admin/audit_log.html", page=services.audit_page(), chain=chain_status(session),
                           options=services.audit_filter_options(),
                           export_limit=services.AUDIT_EXPORT_LIMIT)


@bp.route("/auditlog/export.<fmt>")
@requires(Permission.VIEW_AUDIT)
def audit_log_file(fmt: str):
    """The audit log as the page lists it with the same search and filters, as a file for the accountant."""
    rows = services.audit_export_rows()
    if fmt == "csv":
        return Response(csv_bytes(rows), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=auditlog.csv"})
    if fmt == "xlsx":
        return Response(rows_xlsx(_("Auditlog"), rows), mimetype=XLSX_MIMETYPE,
                        headers={"Content-Disposition": "attachment; filename=auditlog.xlsx"})
    abort(404)
