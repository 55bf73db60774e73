"""Forms for entering a budget line and uploading a budget file.

The reported figures (spent, remaining) are optional and may be anything the source said: they are kept to
be reconciled, not trusted, so a form that does not add up is still saved (and flagged on the overview).
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from app.db import session
from app.forms import AppForm
from app.models.registers import Gemeente
from app.validators import MoneyField

REQUIRED = _l("Dit veld is verplicht.")
FIRST_YEAR, LAST_YEAR = 2000, 2100
BAD_YEAR = _l("Vul een jaar in van 2000 tot en met 2100, bijvoorbeeld 2026.")
NOT_NEGATIVE = _l("Een bedrag kan niet negatief zijn.")
DEFAULT_SOURCE = "Participatiebudget"


def _id_or_zero(value) -> int:
    """A select's value as an id; anything else is 0 ("none chosen"), refused by the form's own check."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class YearField(IntegerField):
    """A year typed as digits; the message of a bad one is ours (WTForms' own is not in our catalog)."""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        text = valuelist[0].strip()
        if not text.isdigit():
            raise ValueError(str(BAD_YEAR))
        self.data = int(text)


def _in_range(_form, field) -> None:
    if field.data is not None and not FIRST_YEAR <= field.data <= LAST_YEAR:
        raise ValidationError(str(BAD_YEAR))


def _not_negative(_form, field) -> None:
    if field.data is not None and field.data < 0:
        raise ValidationError(str(NOT_NEGATIVE))


class BudgetForm(AppForm):
    gemeente_id = SelectField(_l("Gemeente"), coerce=_id_or_zero, validate_choice=False, default=0)
    year = YearField(_l("Jaar"), validators=[InputRequired(REQUIRED), _in_range])
    funding_source = StringField(_l("Financieringsbron"), validators=[InputRequired(REQUIRED), Length(max=80)],
                                 default=DEFAULT_SOURCE, render_kw={"list": "bronnen", "autocomplete": "off"})
    amount = MoneyField(_l("Budget (€)"), validators=[InputRequired(REQUIRED), _not_negative])
    carried_over = MoneyField(_l("Overgeheveld uit het vorige jaar (€)"),
                              default=Decimal("0.00"))
    spent_reported = MoneyField(_l("Besteed volgens de opgave (€)"), validators=[_not_negative])
    remaining_reported = MoneyField(_l("Resterend volgens de opgave (€)"))
    note = TextAreaField(_l("Toelichting"), validators=[Length(max=2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        gemeenten = session.scalars(select(Gemeente).order_by(Gemeente.name))
        self.gemeente_id.choices = [(0, _("— kies een gemeente —"))] + [(g.id, g.name) for g in gemeenten]

    def validate_gemeente_id(self, field) -> None:
        if not field.data or field.data not in {value for value, _label in field.choices}:
            raise ValidationError(str(_l("Kies een gemeente uit de lijst.")))

    def validate_funding_source(self, field) -> None:
        if field.data is not None and not field.data.strip():
            raise ValidationError(str(REQUIRED))


class BudgetImportForm(AppForm):
    file = FileField(_l("CSV-bestand"), validators=[FileRequired(_l("Kies een CSV-bestand."))],
                     render_kw={"accept": ".csv,text/csv"})
