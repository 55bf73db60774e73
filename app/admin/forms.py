"""The forms of administration: user accounts and target groups; the account rules are the domain's."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.admin import services
from app.auth.passwords import MIN_PASSWORD_LENGTH
from app.forms import AppForm, refusal_as_field_error
from app.models.users import Role
from app.navigation import ROLE_LABELS
from app.validators import NormalisedStringField
from contracts.accounts import check_gemeenten, check_provider, check_username

REQUIRED = _l("Dit veld is verplicht.")
USERNAME_TAKEN = _l("Deze gebruikersnaam is al in gebruik.")
CODE_TAKEN = _l("Deze code is al in gebruik.")


def _lower(value: str) -> str:
    return value.strip().lower()


class UserForm(AppForm):
    username = NormalisedStringField(
        _l("Gebruikersnaam"), validators=[DataRequired(REQUIRED), Length(min=3, max=80)], normaliser=_lower
    )
    full_name = StringField(_l("Naam"), validators=[DataRequired(REQUIRED), Length(max=120)])
    email = StringField(
        _l("E-mailadres"),
        validators=[DataRequired(REQUIRED), Email(_l("Vul een geldig e-mailadres in."), check_deliverability=False)],
    )
    role = SelectField(_l("Rol"), validators=[DataRequired(REQUIRED)])
    gemeenten = SelectMultipleField(_l("Gemeenten (voor klantmanagers)"), coerce=int)
    provider_id = SelectField(_l("Aanbieder (voor gebruikers van een aanbieder)"), coerce=int, default=0)
    active = BooleanField(_l("Actief"), default=True)
    password = PasswordField(
        _l("Wachtwoord"),
        validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH, message=_l("Minstens %(min)d tekens."))],
    )
    unlock = BooleanField(_l("Blokkade na mislukte inlogpogingen opheffen"))

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:  # a new account needs a password; an edit may leave it unchanged
            self.password.validators = [DataRequired(REQUIRED), *self.password.validators[1:]]
        self.role.choices = [(r.value, str(ROLE_LABELS[r])) for r in Role]
        self.gemeenten.choices = [(g.id, g.name) for g in services.gemeenten()]
        self.provider_id.choices = [(0, _("— geen —"))] + [(p.id, p.name) for p in services.providers()]

    def validate_username(self, field):
        with refusal_as_field_error():
            check_username(field.data or "")

    def validate_gemeenten(self, field):
        with refusal_as_field_error():
            check_gemeenten(self.role.data, len(field.data or []))

    def validate_provider_id(self, field):
        with refusal_as_field_error():
            check_provider(self.role.data, bool(field.data))

    def data_for_service(self) -> services.UserData:
        return services.UserData(
            username=self.username.data, full_name=self.full_name.data, email=self.email.data,
            role=Role(self.role.data), active=self.active.data, provider_id=self.provider_id.data,
            gemeente_ids=frozenset(self.gemeenten.data or ()), password=self.password.data or None,
            unlock=self.unlock.data,
        )


class TargetGroupForm(AppForm):
    code = NormalisedStringField(_l("Code"), validators=[DataRequired(REQUIRED), Length(max=40)], normaliser=_lower)
    name = StringField(_l("Naam"), validators=[DataRequired(REQUIRED), Length(max=120)])
