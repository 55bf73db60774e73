"""The gemeenten register's routes, and those of the executing bodies that serve the gemeenten."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.audit import history_for
from app.auth.permissions import Permission, requires
from app.db import session
from app.forms import submit, validate_submission
from app.gemeenten import services
from app.gemeenten.forms import BODY_NAME_TAKEN, CBS_TAKEN, NAME_TAKEN, ExecutingBodyForm, GemeenteForm
from app.models.registers import ExecutingBody, Gemeente

bp = Blueprint("gemeenten", __name__, url_prefix="/gemeenten")


@bp.route("/")
@requires(Permission.VIEW_GEMEENTEN)
def index():
    return render_template("gemeenten/index.html", page=services.gemeente_page(), bodies=services.executing_bodies())


@bp.route("/<int:gemeente_id>")
@requires(Permission.VIEW_GEMEENTEN)
def detail(gemeente_id: int):
    gemeente = services.gemeente_or_404(gemeente_id)
    return render_template("gemeenten/detail.html", gemeente=gemeente, clients=services.client_count(gemeente),
                           history=history_for(session, "gemeente", gemeente.id))


def _save_gemeente(form: GemeenteForm, gemeente: Gemeente | None):
    unique = {"name": (Gemeente.name, NAME_TAKEN), "cbs_code": (Gemeente.cbs_code, CBS_TAKEN)}
    if validate_submission(form, gemeente.id if gemeente else None, unique):
        outcome = submit(form, lambda: services.save_gemeente(gemeente, form.data_for_service()),
                         {"cbs_code": CBS_TAKEN, "name": NAME_TAKEN})
        if outcome.ok:
            flash(_("Gemeente %(name)s is opgeslagen.", name=outcome.value.name), "success")
            return redirect(url_for("gemeenten.detail", gemeente_id=outcome.value.id))
    return render_template("gemeenten/form.html", form=form, gemeente=gemeente), 200 if not form.errors else 422


@bp.route("/nieuw", methods=["GET", "POST"])
@requires(Permission.EDIT_GEMEENTEN)
def create():
    return _save_gemeente(GemeenteForm(), None)


@bp.route("/<int:gemeente_id>/bewerken", methods=["GET", "POST"])
@requires(Permission.EDIT_GEMEENTEN)
def edit(gemeente_id: int):
    gemeente = services.gemeente_or_404(gemeente_id)
    form = GemeenteForm(obj=gemeente)
    if not form.is_submitted():
        form.executing_body_id.data = gemeente.executing_body_id or 0
    return _save_gemeente(form, gemeente)


@bp.route("/uitvoeringsorganisaties/<int:body_id>")
@requires(Permission.VIEW_GEMEENTEN)
def body_detail(body_id: int):
    body = services.body_or_404(body_id)
    return render_template(
        "gemeenten/body_detail.html", body=body, history=history_for(session, "executing_body", body.id)
    )


def _save_body(form: ExecutingBodyForm, body: ExecutingBody | None):
    if validate_submission(form, body.id if body else None, {"name": (ExecutingBody.name, BODY_NAME_TAKEN)}):
        outcome = submit(form, lambda: services.save_body(body, form.name.data, form.description.data),
                         {"name": BODY_NAME_TAKEN})
        if outcome.ok:
            flash(_("Uitvoeringsorganisatie %(name)s is opgeslagen.", name=outcome.value.name), "success")
            return redirect(url_for("gemeenten.body_detail", body_id=outcome.value.id))
    return render_template("gemeenten/body_form.html", form=form, body=body), 200 if not form.errors else 422


@bp.route("/uitvoeringsorganisaties/nieuw", methods=["GET", "POST"])
@requires(Permission.EDIT_GEMEENTEN)
def body_create():
    return _save_body(ExecutingBodyForm(), None)


@bp.route("/uitvoeringsorganisaties/<int:body_id>/bewerken", methods=["GET", "POST"])
@requires(Permission.EDIT_GEMEENTEN)
def body_edit(body_id: int):
    body = services.body_or_404(body_id)
    return _save_body(ExecutingBodyForm(obj=body), body)
