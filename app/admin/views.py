"""Administration: user accounts, target groups and the audit log (read-only)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from app.audit import history_for
from app.auth.passwords import MIN_PASSWORD_LENGTH, hash_password
from app.auth.permissions import Permission, requires
from app.db import session
from app.forms import commit_form, optional_select_value, validate_submission
from app.listing import paginate
from app.models.audit import AuditEntry
from app.models.clients import TargetGroup
from app.models.registers import Gemeente, Provider
from app.models.users import Role, User
from app.navigation import ROLE_LABELS
from app.validators import NormalisedStringField

bp = Blueprint("admin", __name__, url_prefix="/beheer")

REQUIRED = _l("Dit veld is verplicht.")
USERNAME_TAKEN = _l("Deze gebruikersnaam is al in gebruik.")


def _lower(value: str) -> str:
    return value.strip().lower()


class UserForm(FlaskForm):
    username = NormalisedStringField(
        _l("Gebruikersnaam"), validators=[DataRequired(REQUIRED), Length(min=3, max=80)], normaliser=_lower
    )
    full_name = StringField(_l("Naam"), validators=[DataRequired(REQUIRED), Length(max=120)])
    email = StringField(
        _l("E-mailadres"),
        validators=[DataRequired(REQUIRED), Email(_l("Vul een geldig e-mailadres in."), check_deliverability=False)],
    )
    role = SelectField(_l("Rol"), validators=[DataRequired(REQUIRED)])
    gemeenten = SelectMultipleField(_l("Gemeenten (voor klantmanagers)"), coerce=int)
    provider_id = SelectField(_l("Aanbieder (voor gebruikers van een aanbieder)"), coerce=int, default=0)
    active = BooleanField(_l("Actief"), default=True)
    password = PasswordField(
        _l("Wachtwoord"),
        validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH, message=_l("Minstens %(min)d tekens."))],
    )
    unlock = BooleanField(_l("Blokkade na mislukte inlogpogingen opheffen"))

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:  # a new account needs a password; an edit may leave it unchanged
            self.password.validators = [DataRequired(REQUIRED), *self.password.validators[1:]]
        self.role.choices = [(r.value, str(ROLE_LABELS[r])) for r in Role]
        self.gemeenten.choices = [(g.id, g.name) for g in session.scalars(select(Gemeente).order_by(Gemeente.name))]
        self.provider_id.choices = [(0, _("— geen —"))] + [
            (p.id, p.name) for p in session.scalars(select(Provider).order_by(Provider.name))
        ]

    def validate_gemeenten(self, field):
        if self.role.data == Role.KLANTMANAGER.value and not field.data:
            raise ValidationError(str(_l("Een klantmanager werkt voor minstens één gemeente.")))

    def validate_provider_id(self, field):
        if self.role.data == Role.PROVIDER.value and not field.data:
            raise ValidationError(str(_l("Een gebruiker van een aanbieder hoort bij precies één aanbieder.")))
        if self.role.data != Role.PROVIDER.value and field.data:
            raise ValidationError(str(_l("Alleen gebruikers met de rol aanbieder horen bij een aanbieder.")))


class TargetGroupForm(FlaskForm):
    code = NormalisedStringField(_l("Code"), validators=[DataRequired(REQUIRED), Length(max=40)], normaliser=_lower)
    name = StringField(_l("Naam"), validators=[DataRequired(REQUIRED), Length(max=120)])


@bp.route("/gebruikers")
@requires(Permission.MANAGE_USERS)
def users():
    page = paginate(
        session,
        select(User).options(selectinload(User.gemeenten), selectinload(User.provider)),
        sortable={"username": User.username, "full_name": User.full_name, "role": User.role,
                  "last_login_at": User.last_login_at},
        default_sort="username",
        searchable=[User.username, User.full_name, User.email],
        filters={"role": lambda v: User.role == Role(v) if v in Role._value2member_map_ else None},
    )
    return render_template("admin/users.html", page=page, roles=list(Role))


def _save_user(form: UserForm, user: User | None):
    if validate_submission(form, user.id if user else None, {"username": (User.username, USERNAME_TAKEN)}):
        if user is not None and user.id == current_user.id and (
            form.role.data != Role.ADMIN.value or not form.active.data
        ):
            form.role.errors = [str(_l("Je kunt je eigen beheerdersrol niet intrekken of jezelf blokkeren."))]
        else:
            record = user or User(failed_logins=0)
            record.username = form.username.data
            record.full_name = form.full_name.data.strip()
            record.email = form.email.data.strip()
            record.role = Role(form.role.data)
            record.active = form.active.data
            record.provider_id = optional_select_value(form.provider_id.data)
            chosen = set(form.gemeenten.data or []) if record.role == Role.KLANTMANAGER else set()
            record.gemeenten = list(session.scalars(select(Gemeente).where(Gemeente.id.in_(chosen))))
            if form.password.data:
                record.password_hash = hash_password(form.password.data)
            if form.unlock.data:
                record.locked_until = None
                record.failed_logins = 0
            session.add(record)
            if commit_form(form, {"username": USERNAME_TAKEN}):
                flash(_("Gebruiker %(name)s is opgeslagen.", name=record.username), "success")
                return redirect(url_for("admin.user_detail", user_id=record.id))
    return render_template("admin/user_form.html", form=form, user=user), 200 if not form.errors else 422


@bp.route("/gebruikers/nieuw", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def user_create():
    return _save_user(UserForm(creating=True), None)


@bp.route("/gebruikers/<int:user_id>")
@requires(Permission.MANAGE_USERS)
def user_detail(user_id: int):
    user = session.get(User, user_id) or abort(404)
    return render_template("admin/user_detail.html", user=user, history=history_for(session, "user_account", user.id))


@bp.route("/gebruikers/<int:user_id>/bewerken", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def user_edit(user_id: int):
    user = session.get(User, user_id) or abort(404)
    form = UserForm(obj=user)
    if not form.is_submitted():
        form.role.data = user.role.value
        form.gemeenten.data = [g.id for g in user.gemeenten]
        form.provider_id.data = user.provider_id or 0
    return _save_user(form, user)


@bp.route("/doelgroepen")
@requires(Permission.MANAGE_REFERENCE_DATA)
def target_groups():
    groups = session.scalars(select(TargetGroup).order_by(TargetGroup.name)).all()
    return render_template("admin/target_groups.html", groups=groups)


def _save_target_group(form: TargetGroupForm, group: TargetGroup | None):
    message = _l("Deze code is al in gebruik.")
    if validate_submission(form, group.id if group else None, {"code": (TargetGroup.code, message)}):
        record = group or TargetGroup()
        record.code = form.code.data
        record.name = form.name.data.strip()
        session.add(record)
        if commit_form(form, {"code": message}):
            flash(_("Doelgroep %(name)s is opgeslagen.", name=record.name), "success")
            return redirect(url_for("admin.target_groups"))
    return render_template("admin/target_group_form.html", form=form, group=group), 200 if not form.errors else 422


@bp.route("/doelgroepen/nieuw", methods=["GET", "POST"])
@requires(Permission.MANAGE_REFERENCE_DATA)
def target_group_create():
    return _save_target_group(TargetGroupForm(), None)


@bp.route("/doelgroepen/<int:group_id>/bewerken", methods=["GET", "POST"])
@requires(Permission.MANAGE_REFERENCE_DATA)
def target_group_edit(group_id: int):
    group = session.get(TargetGroup, group_id) or abort(404)
    return _save_target_group(TargetGroupForm(obj=group), group)


@bp.route("/auditlog")
@requires(Permission.VIEW_AUDIT)
def audit_log():
    page = paginate(
        session,
        select(AuditEntry),
        sortable={"at": AuditEntry.at, "actor": AuditEntry.actor_label, "entity": AuditEntry.entity_type},
        default_sort="at",
        default_direction="desc",
        searchable=[AuditEntry.actor_label, AuditEntry.entity_type, AuditEntry.action],
        filters={
            "action": lambda v: AuditEntry.action == v,
            "entity_type": lambda v: AuditEntry.entity_type == v,
        },
    )
    return render_template("admin/audit_log.html", page=page)
