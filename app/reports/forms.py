"""The report filter (a GET form: bookmarkable, no state changed) and the target form."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from app.db import session
from app.forms import AppForm
from app.models.clients import TargetGroup
from app.models.procurement import Contract, ContractStatus
from app.models.registers import Gemeente, Provider
from app.reports.services import GROUPS, Query
from app.validators import DutchDateField, NumberField
from contracts.dates import add_period
from contracts.indicators import BASIS_LABELS, INDICATORS, Basis

PHASES = (1, 2, 3, 4)


def _choices(rows, everything: str) -> list[tuple[int, str]]:
    return [(0, everything)] + [(i, str(n)) for i, n in rows]


class ReportForm(AppForm):
    """What a report covers. Read from the query string, so a figure's address can be shared and reopened."""

    class Meta:
        csrf = False

    start = DutchDateField(_l("Van"), validators=[Optional()])
    end = DutchDateField(_l("Tot en met"), validators=[Optional()])
    basis = SelectField(_l("Periode telt op"), default=Basis.COHORT.value)
    group_by = SelectField(_l("Per"), default="provider")
    provider = SelectField(_l("Aanbieder"), coerce=int, default=0)
    contract = SelectField(_l("Contract"), coerce=int, default=0)
    gemeente = SelectField(_l("Gemeente"), coerce=int, default=0)
    client_group = SelectField(_l("Doelgroep"), default="")
    phase = SelectField(_l("Fase bij verwijzing"), coerce=int, default=0)

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        everything = gettext("alle")
        self.basis.choices = [(b.value, gettext(BASIS_LABELS[b])) for b in Basis]
        self.group_by.choices = [(k, gettext(v)) for k, v in GROUPS.items()]
        self.provider.choices = _choices(session.execute(select(Provider.id, Provider.name)
                                                         .order_by(Provider.name)).all(), everything)
        self.contract.choices = _choices(session.execute(
            select(Contract.id, Contract.number).where(Contract.status != ContractStatus.DRAFT)
            .order_by(Contract.number)).all(), everything)
        self.gemeente.choices = _choices(session.execute(select(Gemeente.id, Gemeente.name)
                                                         .order_by(Gemeente.name)).all(), everything)
        self.client_group.choices = [("", everything)] + [
            (c, n) for c, n in session.execute(select(TargetGroup.code, TargetGroup.name).order_by(TargetGroup.name))]
        self.phase.choices = [(0, everything)] + [(p, gettext("fase %(n)s", n=p)) for p in PHASES]

    def validate_end(self, field):
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("Het einde van de periode ligt vóór het begin."))

    def query(self) -> Query:
        """The query the form describes; defaults to the last twelve months on a cohort basis."""
        end = self.end.data or self.today
        start = self.start.data or add_period(end, months=-12) + timedelta(days=1)
        return Query(
            period=(start, end), basis=Basis(self.basis.data) if self.basis.data in set(Basis) else Basis.COHORT,
            group_by=self.group_by.data if self.group_by.data in GROUPS else "provider",
            gemeente_ids=frozenset({self.gemeente.data}) if self.gemeente.data else None,
            provider_id=self.provider.data or None, contract_id=self.contract.data or None,
            client_group=self.client_group.data or None, phase=self.phase.data or None)


class TargetForm(AppForm):
    indicator = SelectField(_l("Indicator"), validators=[InputRequired()])
    year = IntegerField(_l("Jaar"), validators=[InputRequired(), NumberRange(min=2000, max=2100,
                                                                             message=_l("Vul een jaartal in."))])
    contract_id = SelectField(_l("Contract"), coerce=int, default=0)
    gemeente_id = SelectField(_l("Gemeente"), coerce=int, default=0)
    target = NumberField(_l("Doel"), validators=[InputRequired()])
    tolerance = NumberField(_l("Tolerantie"), default=0, validators=[
        Optional(), NumberRange(min=0, message=_l("De tolerantie kan niet negatief zijn."))])
    note = StringField(_l("Toelichting"), validators=[Length(max=300)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicator.choices = [(i.id, gettext(i.label)) for i in INDICATORS.values()]
        none = gettext("—")
        self.contract_id.choices = _choices(session.execute(
            select(Contract.id, Contract.number).order_by(Contract.number)).all(), none)
        self.gemeente_id.choices = _choices(session.execute(
            select(Gemeente.id, Gemeente.name).order_by(Gemeente.name)).all(), none)

    def validate_gemeente_id(self, field):
        if bool(field.data) == bool(self.contract_id.data):
            raise ValidationError(_l("Kies een contract of een gemeente (één van beide)."))

    def validate_target(self, field):
        if field.data is not None and field.data < 0:
            raise ValidationError(_l("Een doel kan niet negatief zijn."))
