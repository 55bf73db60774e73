"""The forms of the clients register; the rules they check are the domain's (``contracts.clients``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app import clock
from app.clients import services
from app.clients.services import id_or_none
from app.db import session
from app.forms import AppForm, refusal_as_field_error
from app.models.clients import BenefitType, TargetGroup
from app.models.users import User
from app.navigation import BENEFIT_LABELS
from app.validators import DutchDateField, MoneyField, NormalisedStringField, normalise_bsn, validate_bsn
from contracts.clients import BSN_TAKEN as BSN_TAKEN_TEXT
from contracts.clients import (
    LADDER_RUNGS,
    PHASES,
    check_ladder_rung,
    check_monthly_benefit,
    check_past_date,
    check_phase,
)

REQUIRED = _l("Dit veld is verplicht.")
BSN_TAKEN = _l(BSN_TAKEN_TEXT)

LADDER_LABELS = {
    1: _l("1 – geïsoleerd"),
    2: _l("2 – sociale contacten buitenshuis"),
    3: _l("3 – deelname aan georganiseerde activiteiten"),
    4: _l("4 – onbetaald werk"),
    5: _l("5 – betaald werk met ondersteuning"),
    6: _l("6 – betaald werk"),
}

# Why a user looks at a full BSN (doelbinding); the code is what the audit trail records.
REVEAL_REASONS = {
    "contact": _l("Contact met de cliënt of een andere instantie"),
    "aanmelding": _l("Aanmelding of verwijzing bij een aanbieder"),
    "uitkering": _l("Uitkeringsadministratie of betaling"),
    "controle": _l("Controle of correctie van gegevens"),
}


def phase_choices() -> list[tuple[Any, str]]:
    return [(n, _("Fase %(n)s", n=n)) for n in PHASES]


def _past_date(birth: bool = False):
    def check(_form, field) -> None:
        if field.data:
            with refusal_as_field_error():
                check_past_date(field.data, clock.today(), field.name, birth=birth)

    return check


def _validate_phase(_form, field) -> None:
    with refusal_as_field_error():
        check_phase(field.data)


def _validate_ladder_rung(_form, field) -> None:
    with refusal_as_field_error():
        check_ladder_rung(field.data)


def _assessment_choices(form: AppForm) -> None:
    form.phase.choices = [("", _("— kies —")), *phase_choices()]
    form.ladder_rung.choices = [("", _("— kies —"))] + [(n, str(LADDER_LABELS[n])) for n in LADDER_RUNGS]


class ClientForm(AppForm):
    """Create and edit; on edit the BSN and the phase fields are removed (see ``CREATE_ONLY``)."""

    CREATE_ONLY = ("bsn", "phase", "ladder_rung", "assessed_on")

    bsn = NormalisedStringField(
        _l("BSN"), validators=[DataRequired(REQUIRED), validate_bsn], normaliser=normalise_bsn
    )
    first_name = StringField(_l("Voornaam"), validators=[DataRequired(REQUIRED), Length(max=80)])
    last_name = StringField(_l("Achternaam"), validators=[DataRequired(REQUIRED), Length(max=120)])
    birth_date = DutchDateField(_l("Geboortedatum"), validators=[Optional(), _past_date(birth=True)])
    gemeente_id = SelectField(_l("Gemeente"), coerce=id_or_none, validate_choice=False,
                              validators=[DataRequired(REQUIRED)])
    benefit_type = SelectField(_l("Uitkering"), validate_choice=False, validators=[DataRequired(REQUIRED)])
    monthly_benefit = MoneyField(_l("Uitkering per maand (€)"), validators=[InputRequired(REQUIRED)],
                                 default=Decimal("0.00"))
    target_group_id = SelectField(_l("Doelgroep"), coerce=id_or_none, validate_choice=False,
                                  validators=[DataRequired(REQUIRED)])
    phase = SelectField(_l("Fase"), coerce=id_or_none, validate_choice=False,
                        validators=[InputRequired(REQUIRED), _validate_phase])
    ladder_rung = SelectField(_l("Trede op de participatieladder"), coerce=id_or_none, validate_choice=False,
                              validators=[InputRequired(REQUIRED), _validate_ladder_rung])
    assessed_on = DutchDateField(_l("Vastgesteld op"), default=clock.today,
                                 validators=[DataRequired(REQUIRED), _past_date()])
    klantmanager_id = SelectField(_l("Klantmanager"), coerce=id_or_none, validate_choice=False)

    def __init__(self, *args, user: User, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not creating:
            for name in self.CREATE_ONLY:
                delattr(self, name)
        self.allowed_gemeenten = services.allowed_gemeenten(user)
        self.gemeente_id.choices = [("", _("— kies een gemeente —"))] + [
            (g.id, g.name) for g in self.allowed_gemeenten
        ]
        self.benefit_type.choices = [("", _("— kies —"))] + [(b.value, str(BENEFIT_LABELS[b])) for b in BenefitType]
        self.target_group_id.choices = [("", _("— kies een doelgroep —"))] + [
            (t.id, t.name) for t in services.target_groups()
        ]
        managers = services.eligible_klantmanagers({g.id for g in self.allowed_gemeenten})
        self.klantmanager_id.choices = [("", _("— nog geen —"))] + [
            (u.id, f"{u.full_name} ({', '.join(g.name for g in u.gemeenten)})") for u in managers
        ]
        if creating:
            _assessment_choices(self)

    def validate_gemeente_id(self, field) -> None:
        if field.data not in {g.id for g in self.allowed_gemeenten}:
            raise ValidationError(str(_l("Kies een van de gemeenten waarvoor je werkt.")))

    def validate_bsn(self, field) -> None:
        """A record the user can see is named with the other errors; one they cannot see is not (the service
        turns it into a transfer request)."""
        if field.data and not field.errors and self.gemeente_id.data in {g.id for g in self.allowed_gemeenten}:
            with refusal_as_field_error():
                services.check_registration(field.data, self.gemeente_id.data, self.user)

    def validate_benefit_type(self, field) -> None:
        if field.data not in BenefitType._value2member_map_:
            raise ValidationError(str(_l("Kies een soort uitkering uit de lijst.")))

    def validate_monthly_benefit(self, field) -> None:
        if field.data is not None:
            with refusal_as_field_error():
                check_monthly_benefit(field.data, has_benefit=self.benefit_type.data != BenefitType.NONE.value)

    def validate_target_group_id(self, field) -> None:
        if session.get(TargetGroup, field.data) is None:
            raise ValidationError(str(_l("Kies een doelgroep uit de lijst.")))

    def validate_klantmanager_id(self, field) -> None:
        if field.data is None:
            if field.raw_data and field.raw_data[0]:
                raise ValidationError(str(_l("Kies een klantmanager uit de lijst.")))
            return
        if not services.may_manage(session.get(User, field.data), self.gemeente_id.data):
            raise ValidationError(str(_l(services.NOT_MANAGEABLE)))

    def data_for_service(self) -> services.ClientData:
        return services.ClientData(
            first_name=self.first_name.data, last_name=self.last_name.data, birth_date=self.birth_date.data,
            gemeente_id=self.gemeente_id.data, benefit_type=BenefitType(self.benefit_type.data),
            monthly_benefit=self.monthly_benefit.data, target_group_id=self.target_group_id.data,
            klantmanager_id=self.klantmanager_id.data,
        )


class PhaseForm(AppForm):
    phase = SelectField(_l("Fase"), coerce=id_or_none, validate_choice=False,
                        validators=[InputRequired(REQUIRED), _validate_phase])
    ladder_rung = SelectField(_l("Trede op de participatieladder"), coerce=id_or_none, validate_choice=False,
                              validators=[InputRequired(REQUIRED), _validate_ladder_rung])
    valid_from = DutchDateField(_l("Vastgesteld op"), default=clock.today,
                                validators=[DataRequired(REQUIRED), _past_date()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _assessment_choices(self)


class RevealForm(AppForm):
    reason = SelectField(_l("Reden van inzage"), validate_choice=False, validators=[DataRequired(REQUIRED)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = [("", _("— kies een reden —"))] + [(k, str(v)) for k, v in REVEAL_REASONS.items()]

    def validate_reason(self, field) -> None:
        if field.data not in REVEAL_REASONS:
            raise ValidationError(str(_l("Kies een reden uit de lijst.")))


class AssignForm(AppForm):
    """Another klantmanager for the clients ticked on the list."""

    klantmanager_id = SelectField(_l("Nieuwe klantmanager"), coerce=id_or_none, validate_choice=False,
                                  validators=[InputRequired()])
    only_valid = BooleanField(_l("Alleen de cliënten waarbij het kan; de rest blijft staan"))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        gemeenten = {g.id for g in services.allowed_gemeenten(user)}
        self.klantmanager_id.choices = [(m.id, m.full_name) for m in services.eligible_klantmanagers(gemeenten)]


class BsnSearchForm(AppForm):
    """Finding a client by full BSN is a POST, so that the number never lands in a URL, history or log."""

    bsn = NormalisedStringField(
        _l("Zoek op volledig BSN"), validators=[DataRequired(REQUIRED), validate_bsn], normaliser=normalise_bsn
    )


class TransferDecisionForm(AppForm):
    """Only the CSRF token: the decision is the button's route."""
