"""The providers (aanbieders) register: re-integration companies, their contacts and quality marks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from stdnum import iban as std_iban
from wtforms import EmailField, SelectField, StringField, TelField, TextAreaField
from wtforms.validators import URL, DataRequired, Email, InputRequired, Length, Optional, ValidationError

from app import clock
from app.audit import history_for
from app.auth.permissions import Permission, requires
from app.db import session
from app.forms import DeleteForm, commit_form, validate_submission
from app.listing import paginate
from app.models.registers import EXPIRY_WARNING_DAYS, Provider, ProviderContact, ProviderStatus, QualityMark
from app.navigation import PROVIDER_STATUS_LABELS
from app.validators import (
    DutchDateField,
    NormalisedStringField,
    normalise_iban,
    normalise_kvk,
    normalise_postcode,
    normalise_vat,
    validate_iban,
    validate_kvk,
    validate_postcode,
    validate_vat,
)

bp = Blueprint("providers", __name__, url_prefix="/aanbieders")

REQUIRED = _l("Dit veld is verplicht.")
KVK_TAKEN = _l("Er is al een aanbieder met dit KvK-nummer.")


def normalise_website(value: str) -> str:
    value = (value or "").strip()
    if value and "://" not in value:
        value = "https://" + value
    return value


def format_iban(value: str) -> str:
    return std_iban.format(value) if value else ""


class ProviderForm(FlaskForm):
    name = StringField(_l("Naam"), validators=[DataRequired(REQUIRED), Length(max=160)])
    kvk_number = NormalisedStringField(
        _l("KvK-nummer"),
        validators=[DataRequired(REQUIRED), validate_kvk],
        normaliser=normalise_kvk,
        render_kw={"inputmode": "numeric"},
    )
    vat_number = NormalisedStringField(
        _l("Btw-nummer"), validators=[DataRequired(REQUIRED), validate_vat], normaliser=normalise_vat
    )
    iban = NormalisedStringField(
        _l("IBAN"), validators=[DataRequired(REQUIRED), validate_iban], normaliser=normalise_iban
    )
    street = StringField(_l("Straat"), validators=[Length(max=120)])
    house_number = StringField(_l("Huisnummer"), validators=[Length(max=20)])
    postcode = NormalisedStringField(_l("Postcode"), validators=[validate_postcode], normaliser=normalise_postcode)
    city = StringField(_l("Plaats"), validators=[Length(max=80)])
    website = NormalisedStringField(
        _l("Website"),
        validators=[
            Optional(),
            Length(max=200),
            URL(message=_l("Vul een geldig webadres in, bijvoorbeeld https://www.voorbeeld.nl.")),
        ],
        normaliser=normalise_website,
    )
    status = SelectField(_l("Status"), default=ProviderStatus.ACTIVE.value)
    status_reason = TextAreaField(_l("Reden van de status"), validators=[Length(max=2000)])
    status_since = DutchDateField(_l("Status sinds"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [(s.value, str(PROVIDER_STATUS_LABELS[s])) for s in ProviderStatus]

    def validate_status_reason(self, field):
        if self.status.data != ProviderStatus.ACTIVE.value and not (field.data or "").strip():
            raise ValidationError(str(_l("Geef de reden op van de verwijsstop of de beëindiging.")))


class ContactForm(FlaskForm):
    name = StringField(_l("Naam"), validators=[DataRequired(REQUIRED), Length(max=120)])
    function = StringField(_l("Functie"), validators=[Length(max=120)])
    email = EmailField(
        _l("E-mailadres"),
        validators=[
            Optional(),
            Length(max=254),
            Email(_l("Vul een geldig e-mailadres in."), check_deliverability=False),
        ],
    )
    phone = TelField(_l("Telefoonnummer"), validators=[Length(max=30)])


class QualityMarkForm(FlaskForm):
    name = StringField(_l("Naam van het keurmerk"), validators=[DataRequired(REQUIRED), Length(max=120)])
    certificate_number = StringField(_l("Certificaatnummer"), validators=[Length(max=60)])
    valid_until = DutchDateField(_l("Geldig tot en met"), validators=[InputRequired(REQUIRED)])


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
    provider = session.get(Provider, provider_id) or abort(404)
    today = clock.today()
    return render_template(
        "providers/detail.html",
        provider=provider,
        today=today,
        warning_days=EXPIRY_WARNING_DAYS,
        format_iban=format_iban,
        history=history_for(session, "provider", provider.id),
    )


def _save_provider(form: ProviderForm, provider: Provider | None):
    existing = provider
    if validate_submission(form, provider.id if provider else None, {"kvk_number": (Provider.kvk_number, KVK_TAKEN)}):
        previous_status = provider.status if provider else None
        previous_since = provider.status_since if provider else None
        provider = provider or Provider()
        provider.name = form.name.data.strip()
        provider.kvk_number = form.kvk_number.data
        provider.vat_number = form.vat_number.data
        provider.iban = form.iban.data
        provider.street = (form.street.data or "").strip()
        provider.house_number = (form.house_number.data or "").strip()
        provider.postcode = form.postcode.data or ""
        provider.city = (form.city.data or "").strip()
        provider.website = form.website.data or ""
        provider.status = ProviderStatus(form.status.data)
        provider.status_reason = (form.status_reason.data or "").strip()
        since = form.status_since.data
        # A new status starts today unless the user gave another date (the edit form shows the old one).
        if provider.status != previous_status and (since is None or since == previous_since):
            since = clock.today()
        provider.status_since = since
        session.add(provider)
        if commit_form(form, {"kvk_number": KVK_TAKEN}):
            flash(_("Aanbieder %(name)s is opgeslagen.", name=provider.name), "success")
            return redirect(url_for("providers.detail", provider_id=provider.id))
    return render_template("providers/form.html", form=form, provider=existing), 200 if not form.errors else 422


@bp.route("/nieuw", methods=["GET", "POST"])
@requires(Permission.EDIT_PROVIDERS)
def create():
    return _save_provider(ProviderForm(), None)


@bp.route("/<int:provider_id>/bewerken", methods=["GET", "POST"])
@requires(Permission.EDIT_PROVIDERS)
def edit(provider_id: int):
    provider = session.get(Provider, provider_id) or abort(404)
    form = ProviderForm(obj=provider)
    if not form.is_submitted():
        form.status.data = provider.status.value
    return _save_provider(form, provider)


@dataclass(frozen=True)
class Part:
    """A provider's part (a contact or a quality mark): added with its own form, deleted with one button."""

    model: type
    form: type[FlaskForm]
    template: str
    anchor: str
    added: Any
    deleted: Any


CONTACT = Part(ProviderContact, ContactForm, "providers/contact_form.html", "contactpersonen",
               _l("Contactpersoon %(name)s is toegevoegd."), _l("Contactpersoon %(name)s is verwijderd."))
MARK = Part(QualityMark, QualityMarkForm, "providers/mark_form.html", "keurmerken",
            _l("Keurmerk %(name)s is toegevoegd."), _l("Keurmerk %(name)s is verwijderd."))


def _add_part(provider_id: int, part: Part):
    provider = session.get(Provider, provider_id) or abort(404)
    form = part.form()
    if form.validate_on_submit():
        values = {f.name: f.data.strip() if isinstance(f.data, str) else f.data for f in form if f.name != "csrf_token"}
        record = part.model(provider=provider, **values)
        session.add(record)
        if commit_form(form):
            flash(str(part.added) % {"name": record.name}, "success")
            return redirect(url_for("providers.detail", provider_id=provider.id, _anchor=part.anchor))
    return render_template(part.template, form=form, provider=provider), 200 if not form.errors else 422


def _delete_part(provider_id: int, part_id: int, part: Part):
    record = session.get(part.model, part_id)
    if record is None or record.provider_id != provider_id:
        abort(404)
    if not DeleteForm().validate_on_submit():
        abort(400)
    session.delete(record)
    session.commit()
    flash(str(part.deleted) % {"name": record.name}, "success")
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
