"""The forms of logging in and of a user's own account: password, two-factor code, a new password."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from app.auth.passwords import MIN_PASSWORD_LENGTH
from app.forms import AppForm


class LoginForm(AppForm):
    username = StringField(_l("Gebruikersnaam"), validators=[DataRequired(_l("Vul je gebruikersnaam in."))])
    password = PasswordField(_l("Wachtwoord"), validators=[DataRequired(_l("Vul je wachtwoord in."))])


class CodeForm(AppForm):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Vul de code in.")), Length(max=20)])


class PasswordChangeForm(AppForm):
    current = PasswordField(_l("Huidig wachtwoord"), validators=[DataRequired(_l("Vul je huidige wachtwoord in."))])
    new = PasswordField(
        _l("Nieuw wachtwoord"),
        validators=[DataRequired(_l("Kies een nieuw wachtwoord.")),
                    Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("Minstens %(min)d tekens."))],
    )
    repeat = PasswordField(
        _l("Herhaal het nieuwe wachtwoord"),
        validators=[DataRequired(_l("Herhaal het nieuwe wachtwoord.")),
                    EqualTo("new", message=_l("De twee wachtwoorden zijn niet gelijk."))],
    )
