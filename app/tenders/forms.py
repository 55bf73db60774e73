"""The forms of the tenders area: a tender, its criteria and lots, a bid, an evaluation and the award."""

from __future__ import annotations

from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.db import session
from app.formatting import money
from app.forms import AppForm
from app.i18n import translate
from app.models import AwardCriterion, Bid, Gemeente, Lot, Procedure, Provider, ProviderStatus, TargetGroup, Tender
from app.parsing import ParseError, parse_number
from app.procurement.forms import parse_payment_model
from app.procurement.simulation import template_choices, template_model
from app.tenders.services import moment
from app.validators import DutchDateField, MomentField, MoneyField, NormalisedStringField
from contracts.procurement import MAX_SCORE, TENDER_STATUS_LABELS, TenderStatus, Timeline

REQUIRED = _l("Dit veld is verplicht.")
REFERENCE_TAKEN = _l("Er is al een aanbesteding met dit kenmerk.")
NUMBER_TAKEN = _l("Deze aanbesteding heeft al een perceel met dit nummer.")

STATUS_LABELS = {status: _l(label) for status, label in TENDER_STATUS_LABELS.items()}

# What the button that moves a tender to a status says.
TRANSITION_LABELS = {
    TenderStatus.PUBLISHED: _l("Publiceren"),
    TenderStatus.CLOSED: _l("Sluiten"),
    TenderStatus.EVALUATED: _l("Beoordeling afronden"),
    TenderStatus.AWARD_ANNOUNCED: _l("Gunningsvoornemen bekendmaken"),
    TenderStatus.STANDSTILL: _l("Standstill-termijn laten ingaan"),
    TenderStatus.CONTRACTED: _l("Contracteren"),
    TenderStatus.CANCELLED: _l("Intrekken"),
}

PROCEDURE_LABELS = {
    Procedure.OPEN: _l("open"),
    Procedure.RESTRICTED: _l("niet-openbaar"),
    Procedure.MULTIPLE_PRIVATE: _l("meervoudig onderhands"),
    Procedure.SINGLE_PRIVATE: _l("enkelvoudig onderhands"),
}

SELECTION_CHOICES = [("", _l("nog niet beoordeeld")), ("pass", _l("voldoet")), ("fail", _l("voldoet niet"))]


class ScoreField(StringField):
    """A score from 0 to 10 with at most two decimals, typed with a comma or a point; empty means no score."""

    def process_formdata(self, valuelist):
        self.data = None
        raw = valuelist[0].strip() if valuelist else ""
        if not raw:
            return
        try:
            value = parse_number(raw, str(get_locale() or "nl"))
        except ParseError:
            raise ValueError(str(_l("Vul een score van 0 tot en met 10 in, bijvoorbeeld 7,5."))) from None
        if not value.is_finite() or value < 0 or value > MAX_SCORE:
            raise ValueError(str(_l("Een score ligt tussen 0 en 10.")))
        if value.as_tuple().exponent < -2:
            raise ValueError(str(_l("Een score heeft hoogstens twee cijfers achter de komma.")))
        self.data = value

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format_decimal(self.data, format="0.##")


class TenderForm(AppForm):
    reference = NormalisedStringField(
        _l("Kenmerk"), validators=[DataRequired(REQUIRED), Length(max=40)], normaliser=str.strip
    )
    title = StringField(_l("Titel"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(_l("Omschrijving"), validators=[Length(max=20000)])
    procedure = SelectField(_l("Procedure"), default=Procedure.OPEN.value)
    light_regime = BooleanField(_l("Sociaal en ander specifiek omschreven diensten (licht regime)"), default=True)
    gemeenten = SelectMultipleField(_l("Gemeenten"), coerce=int)
    publication_date = DutchDateField(_l("Publicatiedatum"), validators=[Optional()])
    questions_deadline = DutchDateField(_l("Uiterste datum voor vragen"), validators=[Optional()])
    closing_at = MomentField(_l("Sluiting (datum en tijd)"), validators=[Optional()])
    intended_award_date = DutchDateField(_l("Beoogde gunningsdatum"), validators=[Optional()])
    standstill_days = IntegerField(
        _l("Standstill-termijn (dagen)"),
        default=20,
        validators=[InputRequired(REQUIRED), NumberRange(min=0, message=_l("Vul 0 of meer dagen in."))],
    )

    # Timeline.problems() names these fields.
    TIMELINE_FIELDS = {
        "questions_deadline": "questions_deadline",
        "closing": "closing_at",
        "intended_award": "intended_award_date",
        "standstill_days": "standstill_days",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.procedure.choices = [(p.value, str(PROCEDURE_LABELS[p])) for p in Procedure]
        self.gemeenten.choices = [(g.id, g.name) for g in session.scalars(select(Gemeente).order_by(Gemeente.name))]

    def validate_gemeenten(self, field):
        if not field.data:
            raise ValidationError(str(_l("Kies minstens één gemeente; bij gezamenlijke inkoop meerdere.")))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        dates = (self.publication_date, self.questions_deadline, self.closing_at, self.intended_award_date)
        if any(f.errors for f in dates):
            return ok
        days = self.standstill_days.data if isinstance(self.standstill_days.data, int) else 0
        timeline = Timeline(self.publication_date.data, self.questions_deadline.data, self.closing_at.data,
                            self.intended_award_date.data, days)
        for name, message in timeline.problems():
            target = self[self.TIMELINE_FIELDS[name]]
            if not target.errors:
                target.errors = [*target.errors, translate(message)]
                ok = False
        return ok


class DescriptionForm(AppForm):
    """After publication only the description of a tender may change."""

    description = TextAreaField(_l("Omschrijving"), validators=[Length(max=20000)])


class TransitionForm(AppForm):
    target = HiddenField()
    reason = TextAreaField(_l("Reden"))


class SelectionCriterionForm(AppForm):
    name = StringField(_l("Naam"), validators=[DataRequired(REQUIRED), Length(max=160)])
    description = TextAreaField(_l("Omschrijving"), validators=[Length(max=4000)])


class AwardCriterionForm(AppForm):
    name = StringField(_l("Naam"), validators=[DataRequired(REQUIRED), Length(max=160)])
    weight = IntegerField(
        _l("Weging"),
        validators=[InputRequired(REQUIRED),
                    NumberRange(min=1, max=100, message=_l("Vul een geheel getal van 1 tot en met 100 in."))],
    )
    is_price = BooleanField(_l("Dit is het prijscriterium"))

    def __init__(self, *args, tender: Tender, criterion: AwardCriterion | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tender = tender
        self.criterion = criterion

    def validate_is_price(self, field):
        if field.data and any(c.is_price and c is not self.criterion for c in self.tender.award_criteria):
            raise ValidationError(str(_l("Deze aanbesteding heeft al een prijscriterium; er kan er maar één zijn.")))


class LotForm(AppForm):
    number = IntegerField(
        _l("Perceelnummer"),
        validators=[InputRequired(REQUIRED), NumberRange(min=1, message=_l("Vul een geheel getal van 1 of meer in."))],
    )
    title = StringField(_l("Titel"), validators=[DataRequired(REQUIRED), Length(max=200)])
    target_group_id = SelectField(_l("Doelgroep"), coerce=int, default=0)
    description = TextAreaField(_l("Product"), validators=[Length(max=20000)])
    expected_volume = IntegerField(
        _l("Verwacht aantal trajecten"),
        default=0,
        validators=[InputRequired(REQUIRED), NumberRange(min=0, message=_l("Vul 0 of meer in."))],
    )
    price_ceiling = MoneyField(_l("Prijsplafond per traject"), validators=[InputRequired(REQUIRED)])
    award_count = IntegerField(
        _l("Aantal te gunnen inschrijvingen"),
        default=1,
        validators=[InputRequired(REQUIRED), NumberRange(min=1, message=_l("Gun aan minstens één inschrijver."))],
    )
    outcome_definitions = TextAreaField(_l("Definities van de resultaten"), validators=[Length(max=20000)])
    template = SelectField(_l("Beginnen met sjabloon"), default="")
    payment_model = TextAreaField(_l("Betalingsmodel (JSON)"), render_kw={"rows": 18, "spellcheck": "false"})

    def __init__(self, *args, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        groups = session.scalars(select(TargetGroup).order_by(TargetGroup.name))
        self.target_group_id.choices = [(0, _("— geen —"))] + [(g.id, g.name) for g in groups]
        if creating:
            self.template.choices = [("", _("— geen: eigen model —")), *template_choices()]
        else:
            del self.template
        self.parsed_model: dict | None = None

    def validate_price_ceiling(self, field):
        if field.data is not None and field.data <= 0:
            raise ValidationError(str(_l("Het prijsplafond moet groter zijn dan € 0.")))

    def chosen_template(self) -> dict | None:
        choice = self.template.data if "template" in self else ""
        if choice and choice.startswith("template:"):
            try:
                return template_model(choice.removeprefix("template:"))
            except KeyError:
                return None
        return None

    def validate_payment_model(self, field):
        # Left out of the POST, the field still holds the lot's model as a dict: then nothing was typed.
        text = field.data.strip() if isinstance(field.data, str) else ""
        if not text:
            template = self.chosen_template()
            if template is None:
                raise ValidationError(str(_l("Vul het betalingsmodel in of kies een sjabloon.")))
            self.parsed_model = template
            return
        self.parsed_model = parse_payment_model(field, text)


class BidForm(AppForm):
    provider_id = SelectField(_l("Aanbieder"), coerce=int, default=0)
    price = MoneyField(_l("Prijs per traject"), validators=[InputRequired(REQUIRED)])
    submitted_at = MomentField(_l("Ingediend op (datum en tijd)"), validators=[InputRequired(REQUIRED)])
    notes = TextAreaField(_l("Aantekeningen"), validators=[Length(max=4000)])

    def __init__(self, *args, lot: Lot, **kwargs):
        super().__init__(*args, **kwargs)
        self.lot = lot
        active = session.scalars(
            select(Provider).where(Provider.status == ProviderStatus.ACTIVE).order_by(Provider.name)
        )
        self.provider_id.choices = [(0, _("— kies een aanbieder —"))] + [(p.id, p.name) for p in active]

    def validate_provider_id(self, field):
        if not field.data:
            raise ValidationError(str(REQUIRED))
        taken = session.scalar(
            select(func.count(Bid.id)).where(Bid.lot_id == self.lot.id, Bid.provider_id == field.data)
        )
        if taken:
            raise ValidationError(str(_l("Deze aanbieder heeft al ingeschreven op dit perceel.")))

    def validate_price(self, field):
        if field.data is None:
            return
        if field.data <= 0:
            raise ValidationError(str(_l("De prijs moet groter zijn dan € 0.")))
        ceiling = self.lot.price_ceiling
        if ceiling is not None and field.data > ceiling:
            raise ValidationError(_("Deze prijs ligt boven het prijsplafond van %(ceiling)s; de inschrijving kan "
                                    "niet worden aangenomen.", ceiling=money(ceiling)))

    def validate_submitted_at(self, field):
        closing = self.lot.tender.closing_at
        if field.data is not None and closing is not None and field.data > closing:
            raise ValidationError(_("Ingediend na de sluiting op %(closing)s; de inschrijving kan niet worden "
                                    "aangenomen.", closing=moment(closing)))


class EvaluationForm(AppForm):
    evaluator = StringField(_l("Beoordelaar"), validators=[DataRequired(REQUIRED), Length(max=120)])
    knockout_reason = TextAreaField(_l("Reden van uitsluiting"), validators=[Length(max=4000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self:
            if isinstance(field, SelectField):
                field.choices = [(value, str(label)) for value, label in SELECTION_CHOICES]


class AwardForm(AppForm):
    motivation = TextAreaField(_l("Aanvullende motivering (optioneel)"), validators=[Length(max=4000)])



def evaluation_form_class(tender: Tender) -> type[EvaluationForm]:
    """The evaluation form of this tender: one pass/fail per selection criterion, one score per quality criterion."""

    class Form(EvaluationForm):
        pass

    for c in tender.selection_criteria:
        setattr(Form, f"selection_{c.id}", SelectField(c.name, default=""))
        setattr(Form, f"selection_{c.id}_note", StringField(_l("Toelichting bij %(name)s", name=c.name),
                                                            validators=[Length(max=4000)]))
    for c in tender.award_criteria:
        if not c.is_price:
            setattr(Form, f"score_{c.id}", ScoreField(_l("Score voor %(name)s (0–10)", name=c.name)))
    return Form
