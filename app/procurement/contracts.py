"""Contracts: entered directly or from an awarded bid, with versioned terms, evaluations and simulation.

A contract's payment model and outcome definitions live in its versions. An amendment adds a version
with its own effective date; no version is ever changed, so every version stays readable and a traject
can be paid under the version it was referred under. Referrals and invoicing are not in use yet: the
detail page shows the ceilings and says so, it does not pretend to count.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError
from wtforms import DecimalField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app import clock, projections
from app.audit import history_for
from app.auth.permissions import Permission, requires
from app.db import session
from app.forms import commit_form, optional_select_value, validate_submission
from app.listing import paginate
from app.models.procurement import (
    TERM_FIELDS,
    Bid,
    Contract,
    ContractEvaluation,
    ContractStatus,
    ContractVersion,
    EvaluationKind,
    Lot,
    LotAward,
    Tender,
    Verdict,
)
from app.models.registers import Gemeente, Provider, ProviderStatus
from app.procurement.forms import parse_payment_model
from app.procurement.simulation import simulation_page, template_choices, template_model
from app.trajecten.services import places_taken, volume_ceiling
from app.validators import DutchDateField, MoneyField, NormalisedStringField
from contracts.model import ModelError, PaymentModel

bp = Blueprint("contracts", __name__, url_prefix="/contracten")

REQUIRED = _l("Dit veld is verplicht.")
NUMBER_TAKEN = _l("Er is al een contract met dit nummer.")
ENDING_SOON_DAYS = 90

CONTRACT_STATUS_LABELS = {
    ContractStatus.DRAFT: _l("concept"),
    ContractStatus.ACTIVE: _l("actief"),
    ContractStatus.REFERRAL_STOP: _l("verwijsstop"),
    ContractStatus.ENDED: _l("beëindigd"),
}
EVALUATION_KIND_LABELS = {
    EvaluationKind.INTERIM: _l("tussentijds"),
    EvaluationKind.FINAL: _l("eindevaluatie"),
}
VERDICT_LABELS = {
    Verdict.GOOD: _l("goed"),
    Verdict.SUFFICIENT: _l("voldoende"),
    Verdict.INSUFFICIENT: _l("onvoldoende"),
}
RULE_TYPE_LABELS = {
    "fee": _l("vergoeding bij een mijlpaal"),
    "tiers": _l("treden (de hoogste bereikte telt)"),
    "tranches": _l("tranches (na elkaar)"),
    "recurring": _l("doorlopende betaling"),
    "bonus": _l("bonus over het contract"),
    "malus": _l("malus over het contract"),
}
STATUS_NEEDS_REASON = (ContractStatus.REFERRAL_STOP, ContractStatus.ENDED)


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "contract_status_label": lambda s: CONTRACT_STATUS_LABELS[ContractStatus(s)],
        "evaluation_kind_label": lambda k: EVALUATION_KIND_LABELS[EvaluationKind(k)],
        "verdict_label": lambda v: VERDICT_LABELS[Verdict(v)],
        "rule_type_label": lambda t: RULE_TYPE_LABELS.get(t, t),
    }


def pretty_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def referral_stop(contract: Contract) -> bool:
    """New referrals are blocked when the contract or its provider is under a referral stop."""
    return contract.status == ContractStatus.REFERRAL_STOP or contract.provider.status == ProviderStatus.REFERRAL_STOP


def ends_soon(contract: Contract, today: date) -> bool:
    return contract.status != ContractStatus.ENDED and today <= contract.end_date <= today + timedelta(
        days=ENDING_SOON_DAYS
    )


# --- forms ----------------------------------------------------------------------------------------


def _strip(value: str | None) -> str:
    return (value or "").strip()


class PaymentModelFields:
    """The payment model textarea, a template to fill it with, and the outcome definitions."""

    template = SelectField(_l("Sjabloon"), default="", validate_choice=False)
    payment_model = TextAreaField(_l("Betalingsmodel (JSON)"), render_kw={"rows": 18, "spellcheck": "false"})
    outcome_definitions = TextAreaField(_l("Resultaatdefinities"), render_kw={"rows": 5})

    parsed_model: dict | None = None

    def init_templates(self) -> None:
        self.template.choices = [("", _("— geen sjabloon —")), *template_choices()]

    def apply_template(self, overwrite: bool) -> bool:
        """Put the chosen template in the textarea (when asked, or when the textarea is empty)."""
        choice = self.template.data or ""
        kind, _sep, stem = choice.partition(":")
        if kind != "template":
            if overwrite:
                self.template.errors = [_("Kies eerst een sjabloon.")]
            return False
        if not overwrite and _strip(self.payment_model.data):
            return False
        try:
            self.payment_model.data = pretty_json(template_model(stem))
        except KeyError:
            self.template.errors = [_("Onbekend sjabloon.")]
            return False
        return True

    def validate_payment_model(self, field):
        text = _strip(field.data)
        if not text:
            raise ValidationError(str(REQUIRED))
        self.parsed_model = parse_payment_model(field, text)


class CeilingFields:
    extension_options = StringField(_l("Verlengingsopties"), validators=[Length(max=200)])
    volume_ceiling = IntegerField(
        _l("Volumeplafond (aantal trajecten)"),
        validators=[Optional(), NumberRange(min=1, message=_l("Vul een geheel getal van 1 of meer in."))],
    )
    budget_ceiling = MoneyField(_l("Budgetplafond"))
    gemeenten = SelectMultipleField(_l("Gemeenten"), coerce=int, validate_choice=False)

    def init_gemeenten(self) -> None:
        self.gemeenten.choices = [(g.id, g.name) for g in session.scalars(select(Gemeente).order_by(Gemeente.name))]

    def validate_gemeenten(self, field):
        known = {value for value, _label in field.choices}
        if not field.data:
            raise ValidationError(str(_l("Kies minstens één gemeente.")))
        if not set(field.data) <= known:
            raise ValidationError(str(_l("Kies gemeenten uit de lijst.")))

    def validate_budget_ceiling(self, field):
        if field.data is not None and field.data <= 0:
            raise ValidationError(str(_l("Het budgetplafond moet groter zijn dan € 0.")))

    # Service terms for the klantmanager's work list; empty means the default shown as the hint.
    acceptance_days = IntegerField(_l("Antwoordtermijn van de aanbieder (dagen)"), validators=[
        Optional(), NumberRange(min=1, max=90, message=_l("Vul een aantal dagen van 1 tot en met 90 in."))])
    inactivity_days = IntegerField(_l("Geparkeerd na (dagen zonder activiteit)"), validators=[
        Optional(), NumberRange(min=7, max=365, message=_l("Vul een aantal dagen van 7 tot en met 365 in."))])
    durability_months = IntegerField(_l("Duurzaamheid controleren na (maanden)"), validators=[
        Optional(), NumberRange(min=1, max=36, message=_l("Vul een aantal maanden van 1 tot en met 36 in."))])
    max_duration_months = IntegerField(_l("Maximale duur van een traject (maanden)"), validators=[
        Optional(), NumberRange(min=1, max=60, message=_l("Vul een aantal maanden van 1 tot en met 60 in."))])

    def terms_data(self) -> dict[str, int | None]:
        return {name: self[name].data for name in TERM_FIELDS}

    # Invoicing terms: VAT as agreed (standard rate, or exempt with the reason every invoice must state),
    # the payment term and the budget that pays.
    vat_category = SelectField(_l("Btw"), default="S", validate_choice=False, choices=[
        SelectChoice("S", _l("belast met btw")), SelectChoice("E", _l("vrijgesteld van btw"))])
    vat_rate = DecimalField(_l("Btw-tarief (%)"), default=Decimal("21"), places=None)
    vat_exemption_reason = StringField(_l("Reden van vrijstelling"), validators=[Length(max=300)])
    payment_term_days = IntegerField(_l("Betaaltermijn (dagen)"), default=30, validators=[
        Optional(),
        NumberRange(min=1, max=120, message=_l("Vul een aantal dagen van 1 tot en met 120 in."))])
    funding_source = StringField(_l("Financieringsbron"), default="Participatiebudget",
                                 validators=[DataRequired(REQUIRED), Length(max=80)])

    def validate_vat_category(self, field):
        if field.data not in ("S", "E"):
            raise ValidationError(str(_l("Kies belast of vrijgesteld.")))

    def validate_vat_rate(self, field):
        if self.vat_category.data == "S" and (field.data is None or not 0 < field.data < 100):
            raise ValidationError(str(_l("Vul het btw-tarief in, bijvoorbeeld 21.")))

    def validate_vat_exemption_reason(self, field):
        if self.vat_category.data == "E" and not _strip(field.data):
            raise ValidationError(str(_l("Een vrijgestelde factuur noemt de reden van vrijstelling.")))

    def invoicing_data(self) -> dict:
        exempt = self.vat_category.data == "E"
        return {"vat_category": self.vat_category.data,
                "vat_rate": Decimal("0") if exempt else self.vat_rate.data,
                "vat_exemption_reason": _strip(self.vat_exemption_reason.data) if exempt else "",
                "payment_term_days": self.payment_term_days.data or 30,
                "funding_source": _strip(self.funding_source.data)}


def _end_after_start(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end <= start:
        raise ValidationError(str(_l("De einddatum moet na de startdatum liggen.")))


class ContractCreateForm(CeilingFields, PaymentModelFields, FlaskForm):
    number = NormalisedStringField(
        _l("Contractnummer"), validators=[DataRequired(REQUIRED), Length(max=40)], normaliser=str.strip
    )
    title = StringField(_l("Titel"), validators=[DataRequired(REQUIRED), Length(max=200)])
    provider_id = SelectField(_l("Aanbieder"), coerce=int, default=0, validate_choice=False)
    lot_id = SelectField(_l("Perceel"), coerce=int, default=0, validate_choice=False)
    start_date = DutchDateField(_l("Startdatum"), validators=[InputRequired(REQUIRED)])
    end_date = DutchDateField(_l("Einddatum"), validators=[InputRequired(REQUIRED)])
    status = SelectField(_l("Status"), default=ContractStatus.DRAFT.value)

    def __init__(self, *args, bid: Bid | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.bid = bid
        self.init_gemeenten()
        self.init_templates()
        self.provider_id.choices = [(0, _("— kies een aanbieder —"))] + [
            (p.id, p.name) for p in session.scalars(select(Provider).order_by(Provider.name))
        ]
        lots = session.scalars(select(Lot).join(Tender).options(selectinload(Lot.tender))
                               .order_by(Tender.reference, Lot.number))
        self.lot_id.choices = [(0, _("— geen perceel —"))] + [
            (lot.id, f"{lot.tender.reference} · {lot}") for lot in lots
        ]
        self.status.choices = [(s.value, str(CONTRACT_STATUS_LABELS[s]))
                               for s in (ContractStatus.DRAFT, ContractStatus.ACTIVE)]

    def validate_provider_id(self, field):
        if not field.data or field.data not in {value for value, _label in field.choices}:
            raise ValidationError(str(_l("Kies een aanbieder.")))
        if self.bid is not None and field.data != self.bid.provider_id:
            raise ValidationError(str(_l("Een contract uit een gunning is met de aanbieder van de inschrijving.")))

    def validate_lot_id(self, field):
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(str(_l("Kies een perceel uit de lijst.")))
        if self.bid is not None and field.data != self.bid.lot_id:
            raise ValidationError(str(_l("Een contract uit een gunning hoort bij het perceel van de inschrijving.")))

    def validate_end_date(self, field):
        _end_after_start(self.start_date.data, field.data)


class ContractEditForm(CeilingFields, FlaskForm):
    title = StringField(_l("Titel"), validators=[DataRequired(REQUIRED), Length(max=200)])
    status = SelectField(_l("Status"))
    status_reason = TextAreaField(_l("Reden van de status"), validators=[Length(max=2000)])
    end_date = DutchDateField(_l("Einddatum"), validators=[InputRequired(REQUIRED)])

    def __init__(self, *args, contract: Contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract
        self.init_gemeenten()
        self.status.choices = [(s.value, str(CONTRACT_STATUS_LABELS[s])) for s in ContractStatus]

    def validate_status_reason(self, field):
        if self.status.data in {s.value for s in STATUS_NEEDS_REASON} and not _strip(field.data):
            raise ValidationError(str(_l("Geef de reden op van de verwijsstop of de beëindiging.")))

    def validate_end_date(self, field):
        _end_after_start(self.contract.start_date, field.data)
        latest = max((v.effective_from for v in self.contract.versions), default=None)
        if field.data is not None and latest is not None and field.data < latest:
            raise ValidationError(_("De einddatum kan niet vóór de ingangsdatum van de laatste versie liggen (%(d)s).",
                                    d=latest.strftime("%d-%m-%Y")))


class AmendmentForm(PaymentModelFields, FlaskForm):
    effective_from = DutchDateField(_l("Ingangsdatum"), validators=[InputRequired(REQUIRED)])
    reason = TextAreaField(_l("Reden van de wijziging"), validators=[DataRequired(REQUIRED), Length(max=2000)],
                           render_kw={"rows": 3})

    def __init__(self, *args, contract: Contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract
        self.init_templates()

    def validate_effective_from(self, field):
        day = field.data
        if day is None:
            return
        c = self.contract
        if day < c.start_date:
            raise ValidationError(_("Een wijziging kan niet ingaan vóór de start van het contract (%(d)s).",
                                    d=c.start_date.strftime("%d-%m-%Y")))
        latest = max(c.versions, key=lambda v: (v.effective_from, v.number), default=None)
        if latest is not None and day < latest.effective_from:
            raise ValidationError(_("Een wijziging kan niet ingaan vóór versie %(n)s (van kracht vanaf %(d)s).",
                                    n=latest.number, d=latest.effective_from.strftime("%d-%m-%Y")))
        if day > c.end_date:
            raise ValidationError(_("Een wijziging kan niet ingaan na de einddatum van het contract (%(d)s).",
                                    d=c.end_date.strftime("%d-%m-%Y")))


class EvaluationForm(FlaskForm):
    kind = SelectField(_l("Soort evaluatie"), default=EvaluationKind.INTERIM.value)
    evaluated_on = DutchDateField(_l("Datum van de evaluatie"), default=date.today,
                                  validators=[InputRequired(REQUIRED)])
    verdict = SelectField(_l("Oordeel"), default=Verdict.SUFFICIENT.value)
    notes = TextAreaField(_l("Toelichting"), validators=[Length(max=10000)], render_kw={"rows": 6})

    def __init__(self, *args, contract: Contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract
        self.kind.choices = [(k.value, str(EVALUATION_KIND_LABELS[k])) for k in EvaluationKind]
        self.verdict.choices = [(v.value, str(VERDICT_LABELS[v])) for v in Verdict]

    def validate_evaluated_on(self, field):
        if field.data is None:
            return
        if field.data > clock.today():
            raise ValidationError(str(_l("Een evaluatie kan niet in de toekomst liggen.")))
        if field.data < self.contract.start_date:
            raise ValidationError(_("Een evaluatie kan niet vóór de start van het contract liggen (%(d)s).",
                                    d=self.contract.start_date.strftime("%d-%m-%Y")))

    def validate_notes(self, field):
        if self.verdict.data == Verdict.INSUFFICIENT.value and not _strip(field.data):
            raise ValidationError(str(_l("Licht een onvoldoende toe: wat ging er mis en wat is afgesproken?")))


def _status_code(form: FlaskForm) -> int:
    return 422 if form.errors else 200


def _get_contract(contract_id: int) -> Contract:
    return session.get(Contract, contract_id) or abort(404)


# --- list -----------------------------------------------------------------------------------------


def _status_is(value: str):
    return Contract.status == ContractStatus(value) if value in ContractStatus._value2member_map_ else None


def _provider_is(value: str):
    return Contract.provider_id == int(value) if value.isdigit() else None


def _gemeente_is(value: str):
    return Contract.gemeenten.any(Gemeente.id == int(value)) if value.isdigit() else None


@bp.route("/")
@requires(Permission.VIEW_CONTRACTS)
def index():
    page = paginate(
        session,
        select(Contract).join(Contract.provider).options(selectinload(Contract.provider),
                                                        selectinload(Contract.gemeenten)),
        sortable={
            "number": Contract.number,
            "title": Contract.title,
            "provider": Provider.name,
            "status": Contract.status,
            "end_date": Contract.end_date,
        },
        default_sort="number",
        searchable=[Contract.number, Contract.title, Provider.name],
        filters={"status": _status_is, "provider": _provider_is, "gemeente": _gemeente_is},
    )
    providers = [(str(p.id), p.name) for p in session.scalars(select(Provider).order_by(Provider.name))]
    gemeenten = [(str(g.id), g.name) for g in session.scalars(select(Gemeente).order_by(Gemeente.name))]
    return render_template(
        "contracts/index.html",
        page=page,
        statuses=[(s.value, str(CONTRACT_STATUS_LABELS[s])) for s in ContractStatus],
        providers=providers,
        gemeenten=gemeenten,
        today=clock.today(),
        referral_stop=referral_stop,
        ends_soon=ends_soon,
    )


# --- create ---------------------------------------------------------------------------------------


def _awarded_bid(bid_id: str) -> tuple[Bid | None, Any]:
    """The bid to make a contract from, or a response that refuses it."""
    if not bid_id.isdigit():
        abort(404)
    bid = session.get(Bid, int(bid_id)) or abort(404)
    awarded = session.scalar(
        select(func.count()).select_from(LotAward).where(LotAward.bid_id == bid.id, LotAward.awarded.is_(True))
    )
    if not awarded:
        flash(_("De inschrijving van %(p)s op %(lot)s is niet gegund: een contract kan alleen uit een gegunde "
                "inschrijving worden gemaakt.", p=bid.provider.name, lot=str(bid.lot)), "danger")
        return None, redirect(url_for("contracts.create"))
    existing = session.scalar(select(Contract).where(Contract.bid_id == bid.id))
    if existing is not None:
        flash(_("Voor deze inschrijving is al een contract vastgelegd: %(c)s.", c=str(existing)), "warning")
        return None, redirect(url_for("contracts.detail", contract_id=existing.id))
    return bid, None


def _prefill_from_bid(form: ContractCreateForm, bid: Bid) -> None:
    lot = bid.lot
    tender = lot.tender
    form.provider_id.data = bid.provider_id
    form.lot_id.data = lot.id
    form.gemeenten.data = [g.id for g in tender.gemeenten]
    form.title.data = f"{tender.title}, {lot}"[:200]
    form.payment_model.data = pretty_json(lot.payment_model)
    form.outcome_definitions.data = lot.outcome_definitions


@bp.route("/nieuw", methods=["GET", "POST"])
@requires(Permission.EDIT_CONTRACTS)
def create():
    bid = None
    if request.args.get("bid"):
        bid, refusal = _awarded_bid(request.args["bid"])
        if refusal is not None:
            return refusal
    form = ContractCreateForm(bid=bid)
    if not form.is_submitted() and bid is not None:
        _prefill_from_bid(form, bid)
    if form.is_submitted() and request.form.get("action") == "load_template":
        form.apply_template(overwrite=True)
        return render_template("contracts/create.html", form=form, bid=bid), _status_code(form)
    if form.is_submitted():
        form.apply_template(overwrite=False)
    if validate_submission(form, None, {"number": (Contract.number, NUMBER_TAKEN)}):
        contract = Contract(
            number=form.number.data,
            title=form.title.data.strip(),
            provider_id=form.provider_id.data,
            lot_id=optional_select_value(form.lot_id.data),
            bid_id=bid.id if bid else None,
            status=ContractStatus(form.status.data),
            start_date=form.start_date.data,
            end_date=form.end_date.data,
            extension_options=_strip(form.extension_options.data),
            volume_ceiling=form.volume_ceiling.data,
            budget_ceiling=form.budget_ceiling.data,
            **form.terms_data(),
            **form.invoicing_data(),
            gemeenten=list(session.scalars(select(Gemeente).where(Gemeente.id.in_(form.gemeenten.data)))),
        )
        # Stored in Dutch whatever the interface language: it is part of the contract's record.
        reason = (f"Gunning {bid.lot.tender.reference} perceel {bid.lot.number}" if bid else "Eerste versie")
        contract.versions.append(ContractVersion(
            number=1,
            effective_from=contract.start_date,
            reason=reason,
            payment_model=form.parsed_model,
            outcome_definitions=_strip(form.outcome_definitions.data),
            created_by_id=current_user.id,
        ))
        session.add(contract)
        if commit_form(form, {"number": NUMBER_TAKEN}):
            flash(_("Contract %(c)s is opgeslagen.", c=str(contract)), "success")
            return redirect(url_for("contracts.detail", contract_id=contract.id))
    return render_template("contracts/create.html", form=form, bid=bid), _status_code(form)


# --- detail ---------------------------------------------------------------------------------------


def _lot_url(contract: Contract) -> str | None:
    if contract.lot_id is None:
        return None
    try:
        return url_for("tenders.lot_detail", lot_id=contract.lot_id)
    except BuildError:  # the tenders area may not offer lot pages yet
        return None


@bp.route("/<int:contract_id>")
@requires(Permission.VIEW_CONTRACTS)
def detail(contract_id: int):
    contract = _get_contract(contract_id)
    today = clock.today()
    return render_template(
        "contracts/detail.html",
        contract=contract,
        today=today,
        in_force=contract.version_on(today),
        referral_stop=referral_stop(contract),
        ends_soon=ends_soon(contract, today),
        lot_url=_lot_url(contract),
        ceiling=volume_ceiling(contract, today),
        places_taken=places_taken(contract.id),
        terms=contract.terms,
        history=history_for(session, "contract", contract.id),
    )


# --- edit -----------------------------------------------------------------------------------------


@bp.route("/<int:contract_id>/bewerken", methods=["GET", "POST"])
@requires(Permission.EDIT_CONTRACTS)
def edit(contract_id: int):
    contract = _get_contract(contract_id)
    form = ContractEditForm(obj=contract, contract=contract)
    if not form.is_submitted():
        form.status.data = contract.status.value
        form.gemeenten.data = [g.id for g in contract.gemeenten]
    if form.validate_on_submit():
        chosen = set(form.gemeenten.data)
        gemeenten = None  # loaded before any change, so that the edit is one flush and one audit entry
        if chosen != {g.id for g in contract.gemeenten}:
            gemeenten = list(session.scalars(select(Gemeente).where(Gemeente.id.in_(chosen))))
        contract.title = form.title.data.strip()
        contract.status = ContractStatus(form.status.data)
        contract.status_reason = _strip(form.status_reason.data)
        contract.end_date = form.end_date.data
        contract.extension_options = _strip(form.extension_options.data)
        contract.volume_ceiling = form.volume_ceiling.data
        contract.budget_ceiling = form.budget_ceiling.data
        durability_was = contract.durability_months
        for name, value in {**form.terms_data(), **form.invoicing_data()}.items():
            setattr(contract, name, value)
        if gemeenten is not None:
            contract.gemeenten = gemeenten
        projections.keep_contract_facts(contract, durability_was)
        if commit_form(form):
            flash(_("Contract %(c)s is opgeslagen.", c=str(contract)), "success")
            return redirect(url_for("contracts.detail", contract_id=contract.id))
    return render_template("contracts/edit.html", form=form, contract=contract), _status_code(form)


# --- versions -------------------------------------------------------------------------------------


@bp.route("/<int:contract_id>/wijziging", methods=["GET", "POST"])
@requires(Permission.EDIT_CONTRACTS)
def amend(contract_id: int):
    contract = _get_contract(contract_id)
    form = AmendmentForm(contract=contract)
    current = contract.version_on(clock.today()) or (contract.versions[-1] if contract.versions else None)
    if not form.is_submitted():
        if current is not None:
            form.payment_model.data = pretty_json(current.payment_model)
            form.outcome_definitions.data = current.outcome_definitions
        today = clock.today()
        if contract.start_date <= today <= contract.end_date:
            form.effective_from.data = today
    if form.is_submitted() and request.form.get("action") == "load_template":
        form.apply_template(overwrite=True)
        return render_template("contracts/amend.html", form=form, contract=contract,
                               current=current), _status_code(form)
    if form.is_submitted():
        form.apply_template(overwrite=False)
    if form.validate_on_submit():
        number = (session.scalar(select(func.max(ContractVersion.number))
                                 .where(ContractVersion.contract_id == contract.id)) or 0) + 1
        version = ContractVersion(
            contract=contract,
            number=number,
            effective_from=form.effective_from.data,
            reason=form.reason.data.strip(),
            payment_model=form.parsed_model,
            outcome_definitions=_strip(form.outcome_definitions.data),
            created_by_id=current_user.id,
        )
        session.add(version)
        if commit_form(form):
            flash(_("Versie %(n)s van contract %(c)s is vastgelegd, van kracht vanaf %(d)s.", n=number,
                    c=contract.number, d=version.effective_from.strftime("%d-%m-%Y")), "success")
            return redirect(url_for("contracts.version_detail", contract_id=contract.id, number=number))
    return render_template("contracts/amend.html", form=form, contract=contract, current=current), _status_code(form)


@bp.route("/<int:contract_id>/versies/<int:number>")
@requires(Permission.VIEW_CONTRACTS)
def version_detail(contract_id: int, number: int):
    contract = _get_contract(contract_id)
    version = next((v for v in contract.versions if v.number == number), None) or abort(404)
    try:
        model, problems = PaymentModel.from_dict(version.payment_model), []
    except ModelError as exc:  # stored before a stricter schema: still readable as JSON
        model, problems = None, [f"{path}: {message}" for path, message in exc.problems]
    today = clock.today()
    in_force = contract.version_on(today)
    return render_template(
        "contracts/version.html",
        contract=contract,
        version=version,
        model=model,
        problems=problems,
        model_json=pretty_json(version.payment_model),
        in_force=in_force,
        today=today,
        base=model.base_price if model else None,
    )


# --- evaluations ----------------------------------------------------------------------------------


@bp.route("/<int:contract_id>/evaluaties/nieuw", methods=["GET", "POST"])
@requires(Permission.EDIT_CONTRACTS)
def evaluation_create(contract_id: int):
    contract = _get_contract(contract_id)
    form = EvaluationForm(contract=contract)
    if form.validate_on_submit():
        evaluation = ContractEvaluation(
            contract=contract,
            kind=EvaluationKind(form.kind.data),
            evaluated_on=form.evaluated_on.data,
            verdict=Verdict(form.verdict.data),
            notes=_strip(form.notes.data),
            evaluated_by_id=current_user.id,
        )
        session.add(evaluation)
        if commit_form(form):
            flash(_("De evaluatie van contract %(c)s is vastgelegd.", c=contract.number), "success")
            return redirect(url_for("contracts.detail", contract_id=contract.id, _anchor="evaluaties"))
    return render_template("contracts/evaluation_form.html", form=form, contract=contract), _status_code(form)


# --- simulation -----------------------------------------------------------------------------------


@bp.route("/<int:contract_id>/simuleren", methods=["GET", "POST"])
@requires(Permission.VIEW_CONTRACTS)
def simulate(contract_id: int):
    contract = _get_contract(contract_id)
    version = contract.version_on(clock.today()) or (contract.versions[-1] if contract.versions else None)
    if version is None:
        abort(404)
    return simulation_page(version.payment_model, str(contract), url_for("contracts.detail", contract_id=contract.id))

