"""The forms of the contracts area: a contract (new or edited), an amendment and an evaluation."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import HiddenField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app import clock
from app.db import session
from app.formatting import date as format_date
from app.forms import AppForm
from app.models.procurement import TERM_FIELDS, Bid, Contract, EvaluationKind, Lot, Tender, Verdict
from app.models.registers import Gemeente, Provider
from app.procurement.forms import parse_payment_model
from app.procurement.simulation import template_choices, template_model
from app.validators import DutchDateField, MoneyField, NormalisedStringField, NumberField, StatusField
from contracts.contracting import CONTRACT_STATUS_LABELS as STATUS_MSGIDS
from contracts.contracting import ContractStatus, contract_next_statuses

REQUIRED = _l("Dit veld is verplicht.")
NUMBER_TAKEN = _l("Er is al een contract met dit nummer.")

CONTRACT_STATUS_LABELS = {status: _l(label) for status, label in STATUS_MSGIDS.items()}
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


def pretty_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def status_choices(current: ContractStatus | None) -> list[tuple[str, str]]:
    """The statuses the domain allows from ``current``; another status is refused by the domain at the field."""
    return [(s.value, str(CONTRACT_STATUS_LABELS[s])) for s in contract_next_statuses(current)]

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
    vat_rate = NumberField(_l("Btw-tarief (%)"), default=Decimal("21"))
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


class ContractCreateForm(CeilingFields, PaymentModelFields, AppForm):
    number = NormalisedStringField(
        _l("Contractnummer"), validators=[DataRequired(REQUIRED), Length(max=40)], normaliser=str.strip
    )
    title = StringField(_l("Titel"), validators=[DataRequired(REQUIRED), Length(max=200)])
    provider_id = SelectField(_l("Aanbieder"), coerce=int, default=0, validate_choice=False)
    lot_id = SelectField(_l("Perceel"), coerce=int, default=0, validate_choice=False)
    start_date = DutchDateField(_l("Startdatum"), validators=[InputRequired(REQUIRED)])
    end_date = DutchDateField(_l("Einddatum"), validators=[InputRequired(REQUIRED)])
    status = StatusField(_l("Status"), default=ContractStatus.DRAFT.value, statuses=ContractStatus)

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
        self.status.choices = status_choices(None)

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


class ContractEditForm(CeilingFields, AppForm):
    title = StringField(_l("Titel"), validators=[DataRequired(REQUIRED), Length(max=200)])
    status = StatusField(_l("Status"), statuses=ContractStatus)
    status_reason = TextAreaField(_l("Reden van de status"), validators=[Length(max=2000)])
    end_date = DutchDateField(_l("Einddatum"), validators=[InputRequired(REQUIRED)])

    def __init__(self, *args, contract: Contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract
        self.init_gemeenten()
        self.status.choices = status_choices(contract.status)

    def validate_end_date(self, field):
        _end_after_start(self.contract.start_date, field.data)
        latest = max((v.effective_from for v in self.contract.versions), default=None)
        if field.data is not None and latest is not None and field.data < latest:
            raise ValidationError(_("De einddatum kan niet vóór de ingangsdatum van de laatste versie liggen (%(d)s).",
                                    d=format_date(latest)))


class AmendmentForm(PaymentModelFields, AppForm):
    effective_from = DutchDateField(_l("Ingangsdatum"), validators=[InputRequired(REQUIRED)])
    reason = TextAreaField(_l("Reden van de wijziging"), validators=[DataRequired(REQUIRED), Length(max=2000)],
                           render_kw={"rows": 3})
    # The document the payment model's fields were made from (see app.contracting.model_editor).
    base_model = HiddenField()

    model_conflict: str | None = None

    def __init__(self, *args, contract: Contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract
        self.init_templates()

    def validate_payment_model(self, field):
        if self.model_conflict:
            raise ValidationError(self.model_conflict)
        super().validate_payment_model(field)

    def check_model(self) -> bool:
        """Only the payment model, for a preview: no reason or date is needed to see what a change would pay."""
        return self.payment_model.validate(self, [AmendmentForm.validate_payment_model])

    def validate_effective_from(self, field):
        day = field.data
        if day is None:
            return
        c = self.contract
        if day < c.start_date:
            raise ValidationError(_("Een wijziging kan niet ingaan vóór de start van het contract (%(d)s).",
                                    d=format_date(c.start_date)))
        latest = max(c.versions, key=lambda v: (v.effective_from, v.number), default=None)
        if latest is not None and day < latest.effective_from:
            raise ValidationError(_("Een wijziging kan niet ingaan vóór versie %(n)s (van kracht vanaf %(d)s).",
                                    n=latest.number, d=format_date(latest.effective_from)))
        if day > c.end_date:
            raise ValidationError(_("Een wijziging kan niet ingaan na de einddatum van het contract (%(d)s).",
                                    d=format_date(c.end_date)))


class EvaluationForm(AppForm):
    kind = SelectField(_l("Soort evaluatie"), default=EvaluationKind.INTERIM.value)
    evaluated_on = DutchDateField(_l("Datum van de evaluatie"), default=clock.today,
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
                                    d=format_date(self.contract.start_date)))

    def validate_notes(self, field):
        if self.verdict.data == Verdict.INSUFFICIENT.value and not _strip(field.data):
            raise ValidationError(str(_l("Licht een onvoldoende toe: wat ging er mis en wat is afgesproken?")))

