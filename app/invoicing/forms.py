"""Forms for payment runs, a provider's own invoice, steps and line decisions; labels of the invoice vocabulary."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from app.forms import AppForm
from app.models.invoicing import LineDecision
from app.validators import DutchDateField
from invoicing.matching import VERDICT_LABELS, Verdict
from invoicing.status import STATUS_LABELS, InvoiceStatus


def invoice_status_label(status: str) -> str:
    return gettext(STATUS_LABELS[InvoiceStatus(status)])


def verdict_label(verdict: str) -> str:
    return gettext(VERDICT_LABELS[Verdict(verdict)])


class PaymentRunForm(AppForm):
    period_start = DutchDateField(_l("Periode van"), validators=[InputRequired()])
    period_end = DutchDateField(_l("Periode tot en met"), validators=[InputRequired()])
    contract_id = SelectField(_l("Contract"), coerce=int, validators=[Optional()])

    def validate_period_end(self, field):
        if self.period_start.data and field.data and field.data < self.period_start.data:
            raise ValidationError(_l("Het einde van de periode ligt vóór het begin."))


class ProviderInvoiceForm(AppForm):
    contract_id = SelectField(_l("Contract"), coerce=int, validators=[InputRequired()])
    external_number = StringField(_l("Factuurnummer van de aanbieder"), validators=[InputRequired(), Length(max=60)])
    issue_date = DutchDateField(_l("Factuurdatum"), validators=[InputRequired()])
    period_start = DutchDateField(_l("Periode van"), validators=[InputRequired()])
    period_end = DutchDateField(_l("Periode tot en met"), validators=[InputRequired()])
    file = FileField(_l("Factuurregels (CSV of XLSX)"), validators=[FileRequired(_l("Kies een bestand."))])

    def validate_period_end(self, field):
        if self.period_start.data and field.data and field.data < self.period_start.data:
            raise ValidationError(_l("Het einde van de periode ligt vóór het begin."))


class StepForm(AppForm):
    note = TextAreaField(_l("Toelichting"), validators=[Optional(), Length(max=2000)])


class BulkStepForm(AppForm):
    """A step for several invoices at once, each judged as on its own page."""

    step = SelectField(_l("Stap"), choices=[SelectChoice("check", _l("controleren")),
                                            SelectChoice("approve", _l("goedkeuren")),
                                            SelectChoice("submit", _l("indienen"))], validators=[InputRequired()])
    only_valid = BooleanField(_l("Alleen de facturen waarbij het kan; de rest blijft staan"))


class PaidForm(AppForm):
    note = TextAreaField(_l("Toelichting"), validators=[Optional(), Length(max=2000)])


class DecisionForm(AppForm):
    decision = RadioField(_l("Besluit"), validators=[InputRequired()], choices=[
        SelectChoice(LineDecision.ACCEPT.value, _l("betalen wat verschuldigd is")),
        SelectChoice(LineDecision.REJECT.value, _l("afwijzen"))])
    note = TextAreaField(_l("Reden"), validators=[Optional(), Length(max=2000)])
