"""The log-in form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired


class LoginForm(FlaskForm):
    username = StringField(_l("Gebruikersnaam"), validators=[DataRequired(_l("Vul je gebruikersnaam in."))])
    password = PasswordField(_l("Wachtwoord"), validators=[DataRequired(_l("Vul je wachtwoord in."))])
