"""The gemeenten register and the shared executing bodies that serve them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.audit import history_for
from app.auth.permissions import Permission, requires
from app.db import session
from app.forms import commit_form, optional_select_value, validate_submission
from app.listing import paginate
from app.models.clients import Client
from app.models.registers import ExecutingBody, Gemeente
from app.validators import NormalisedStringField, normalise_cbs, validate_cbs

bp = Blueprint("gemeenten", __name__, url_prefix="/gemeenten")

REQUIRED = _l("Dit veld is verplicht.")
NAME_TAKEN = _l("Er is al een gemeente met deze naam.")
CBS_TAKEN = _l("Er is al een gemeente met deze CBS-code.")


class GemeenteForm(FlaskForm):
    name = StringField(_l("Naam"), validators=[DataRequired(REQUIRED), Length(max=120)])
    cbs_code = NormalisedStringField(
        _l("CBS-gemeentecode"), validators=[DataRequired(REQUIRED), validate_cbs], normaliser=normalise_cbs
    )
    executing_body_id = SelectField(_l("Uitvoeringsorganisatie"), coerce=int, default=0)
    # What an e-invoice addressed to the gemeente needs (Peppol/NLCIUS: OIN and postal address).
    oin = StringField(_l("OIN (organisatie-identificatienummer)"), validators=[
        Optional(), Regexp(r"^\d{20}$", message=_l("Een OIN heeft 20 cijfers."))])
    street = StringField(_l("Straat en huisnummer"), validators=[Length(max=120)])
    postcode = StringField(_l("Postcode"), validators=[
        Optional(), Regexp(r"^\d{4} ?[A-Za-z]{2}$", message=_l("Vul een postcode in als 1234 AB."))])
    city = StringField(_l("Plaats"), validators=[Length(max=80)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bodies = session.scalars(select(ExecutingBody).order_by(ExecutingBody.name))
        self.executing_body_id.choices = [(0, _("— geen (voert zelf uit) —"))] + [(b.id, b.name) for b in bodies]


class ExecutingBodyForm(FlaskForm):
    name = StringField(_l("Naam"), validators=[DataRequired(REQUIRED), Length(max=160)])
    description = TextAreaField(_l("Omschrijving"), validators=[Length(max=2000)])


@bp.route("/")
@requires(Permission.VIEW_GEMEENTEN)
def index():
    page = paginate(
        session,
        select(Gemeente).outerjoin(Gemeente.executing_body).options(selectinload(Gemeente.executing_body)),
        sortable={"name": Gemeente.name, "cbs_code": Gemeente.cbs_code, "executing_body": ExecutingBody.name},
        default_sort="name",
        searchable=[Gemeente.name, Gemeente.cbs_code],
    )
    bodies = session.scalars(select(ExecutingBody).order_by(ExecutingBody.name)).all()
    return render_template("gemeenten/index.html", page=page, bodies=bodies)


@bp.route("/<int:gemeente_id>")
@requires(Permission.VIEW_GEMEENTEN)
def detail(gemeente_id: int):
    gemeente = session.get(Gemeente, gemeente_id) or abort(404)
    clients = session.scalar(select(func.count(Client.id)).where(Client.gemeente_id == gemeente.id))
    history = history_for(session, "gemeente", gemeente.id)
    return render_template("gemeenten/detail.html", gemeente=gemeente, clients=clients, history=history)


def _save_gemeente(form: GemeenteForm, gemeente: Gemeente | None):
    unique = {"name": (Gemeente.name, NAME_TAKEN), "cbs_code": (Gemeente.cbs_code, CBS_TAKEN)}
    if validate_submission(form, gemeente.id if gemeente else None, unique):
        record = gemeente or Gemeente()
        record.name = form.name.data.strip()
        record.cbs_code = form.cbs_code.data
        record.executing_body_id = optional_select_value(form.executing_body_id.data)
        record.oin = (form.oin.data or "").strip()
        record.street = (form.street.data or "").strip()
        postcode = (form.postcode.data or "").strip().upper().replace(" ", "")
        record.postcode = f"{postcode[:4]} {postcode[4:]}" if postcode else ""
        record.city = (form.city.data or "").strip()
        session.add(record)
        if commit_form(form, {"cbs_code": CBS_TAKEN, "name": NAME_TAKEN}):
            flash(_("Gemeente %(name)s is opgeslagen.", name=record.name), "success")
            return redirect(url_for("gemeenten.detail", gemeente_id=record.id))
    return render_template("gemeenten/form.html", form=form, gemeente=gemeente), 200 if not form.errors else 422


@bp.route("/nieuw", methods=["GET", "POST"])
@requires(Permission.EDIT_GEMEENTEN)
def create():
    return _save_gemeente(GemeenteForm(), None)


@bp.route("/<int:gemeente_id>/bewerken", methods=["GET", "POST"])
@requires(Permission.EDIT_GEMEENTEN)
def edit(gemeente_id: int):
    gemeente = session.get(Gemeente, gemeente_id) or abort(404)
    form = GemeenteForm(obj=gemeente)
    if not form.is_submitted():
        form.executing_body_id.data = gemeente.executing_body_id or 0
    return _save_gemeente(form, gemeente)


@bp.route("/uitvoeringsorganisaties/<int:body_id>")
@requires(Permission.VIEW_GEMEENTEN)
def body_detail(body_id: int):
    body = session.get(ExecutingBody, body_id) or abort(404)
    return render_template(
        "gemeenten/body_detail.html", body=body, history=history_for(session, "executing_body", body.id)
    )


def _save_body(form: ExecutingBodyForm, body: ExecutingBody | None):
    message = _l("Er is al een uitvoeringsorganisatie met deze naam.")
    if validate_submission(form, body.id if body else None, {"name": (ExecutingBody.name, message)}):
        record = body or ExecutingBody()
        record.name = form.name.data.strip()
        record.description = form.description.data or ""
        session.add(record)
        if commit_form(form, {"name": message}):
            flash(_("Uitvoeringsorganisatie %(name)s is opgeslagen.", name=record.name), "success")
            return redirect(url_for("gemeenten.body_detail", body_id=record.id))
    return render_template("gemeenten/body_form.html", form=form, body=body), 200 if not form.errors else 422


@bp.route("/uitvoeringsorganisaties/nieuw", methods=["GET", "POST"])
@requires(Permission.EDIT_GEMEENTEN)
def body_create():
    return _save_body(ExecutingBodyForm(), None)


@bp.route("/uitvoeringsorganisaties/<int:body_id>/bewerken", methods=["GET", "POST"])
@requires(Permission.EDIT_GEMEENTEN)
def body_edit(body_id: int):
    body = session.get(ExecutingBody, body_id) or abort(404)
    return _save_body(ExecutingBodyForm(obj=body), body)
