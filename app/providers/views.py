"""The providers (aanbieders) register pages: re-integration companies, their contacts and quality marks.

Routes only: each calls a service of :mod:`app.providers.services` through the unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import clock
from app.audit import history_for
from app.auth.permissions import Permission, requires
from app.db import session
from app.forms import AppForm, DeleteForm, validate_submission
from app.listing import paginate
from app.models.registers import EXPIRY_WARNING_DAYS, Provider, ProviderContact, ProviderStatus, QualityMark
from app.providers import services
from app.providers.forms import KVK_TAKEN, ContactForm, ProviderForm, QualityMarkForm
from app.uow import attempt

bp = Blueprint("providers", __name__, url_prefix="/aanbieders")


def _has_expired_mark(value: str):
    if value != "expired":
        return None
    return Provider.quality_marks.any(QualityMark.valid_until < clock.today())


def _status_is(value: str):
    if value not in ProviderStatus._value2member_map_:
        return None
    return Provider.status == ProviderStatus(value)


@bp.route("/")
@requires(Permission.VIEW_PROVIDERS)
def index():
    page = paginate(
        session,
        select(Provider).options(selectinload(Provider.quality_marks)),
        sortable={
            "name": Provider.name,
            "kvk_number": Provider.kvk_number,
            "city": Provider.city,
            "status": Provider.status,
        },
        default_sort="name",
        searchable=[Provider.name, Provider.kvk_number, Provider.city],
        filters={"status": _status_is, "marks": _has_expired_mark},
    )
    return render_template(
        "providers/index.html",
        page=page,
        statuses=[s.value for s in ProviderStatus],
        mark_options=[("expired", _("keurmerk verlopen"))],
        today=clock.today(),
    )


@bp.route("/<int:provider_id>")
@requires(Permission.VIEW_PROVIDERS)
def detail(provider_id: int):
    provider = services.provider_or_404(provider_id)
    today = clock.today()
    return render_template(
        "providers/detail.html",
        provider=provider,
        today=today,
        warning_days=EXPIRY_WARNING_DAYS,
        format_iban=services.format_iban,
        history=history_for(session, "provider", provider.id),
    )


def _save_provider(form: ProviderForm, provider: Provider | None):
    if validate_submission(form, provider.id if provider else None, {"kvk_number": (Provider.kvk_number, KVK_TAKEN)}):
        done = attempt(lambda: services.save(provider, form), form=form, field="kvk_number", conflict=str(KVK_TAKEN))
        if done.ok:
            flash(_("Aanbieder %(name)s is opgeslagen.", name=done.value.name), "success")
            return redirect(url_for("providers.detail", provider_id=done.value.id))
    return render_template("providers/form.html", form=form, provider=provider), 200 if not form.errors else 422


@bp.route("/nieuw", methods=["GET", "POST"])
@requires(Permission.EDIT_PROVIDERS)
def create():
    return _save_provider(ProviderForm(), None)


@bp.route("/<int:provider_id>/bewerken", methods=["GET", "POST"])
@requires(Permission.EDIT_PROVIDERS)
def edit(provider_id: int):
    provider = services.provider_or_404(provider_id)
    form = ProviderForm(obj=provider, provider=provider)
    if not form.is_submitted():
        form.status.data = provider.status.value
    return _save_provider(form, provider)


@dataclass(frozen=True)
class Part:
    """A provider's part (a contact or a quality mark): added with its own form, deleted with one button."""

    model: type
    form: type[AppForm]
    template: str
    anchor: str
    added: Any
    deleted: Any


CONTACT = Part(ProviderContact, ContactForm, "providers/contact_form.html", "contactpersonen",
               _l("Contactpersoon %(name)s is toegevoegd."), _l("Contactpersoon %(name)s is verwijderd."))
MARK = Part(QualityMark, QualityMarkForm, "providers/mark_form.html", "keurmerken",
            _l("Keurmerk %(name)s is toegevoegd."), _l("Keurmerk %(name)s is verwijderd."))


def _add_part(provider_id: int, part: Part):
    provider = services.provider_or_404(provider_id)
    form = part.form()
    if form.validate_on_submit():
        done = attempt(lambda: services.add_part(provider, part.model, form), form=form)
        if done.ok:
            flash(str(part.added) % {"name": done.value.name}, "success")
            return redirect(url_for("providers.detail", provider_id=provider.id, _anchor=part.anchor))
    return render_template(part.template, form=form, provider=provider), 200 if not form.errors else 422


def _delete_part(provider_id: int, part_id: int, part: Part):
    record = services.part_or_404(part.model, provider_id, part_id)
    if not DeleteForm().validate_on_submit():
        abort(400)
    name = record.name
    if attempt(lambda: services.delete_part(record)).ok:
        flash(str(part.deleted) % {"name": name}, "success")
    return redirect(url_for("providers.detail", provider_id=provider_id, _anchor=part.anchor))


@bp.route("/<int:provider_id>/contactpersonen/nieuw", methods=["GET", "POST"])
@requires(Permission.EDIT_PROVIDERS)
def contact_create(provider_id: int):
    return _add_part(provider_id, CONTACT)


@bp.route("/<int:provider_id>/contactpersonen/<int:contact_id>/verwijderen", methods=["POST"])
@requires(Permission.EDIT_PROVIDERS)
def contact_delete(provider_id: int, contact_id: int):
    return _delete_part(provider_id, contact_id, CONTACT)


@bp.route("/<int:provider_id>/keurmerken/nieuw", methods=["GET", "POST"])
@requires(Permission.EDIT_PROVIDERS)
def mark_create(provider_id: int):
    return _add_part(provider_id, MARK)


@bp.route("/<int:provider_id>/keurmerken/<int:mark_id>/verwijderen", methods=["POST"])
@requires(Permission.EDIT_PROVIDERS)
def mark_delete(provider_id: int, mark_id: int):
    return _delete_part(provider_id, mark_id, MARK)
