"""The forms of the gemeenten register and of the executing bodies that serve them."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.forms import AppForm
from app.gemeenten import services
from app.validators import NormalisedStringField, normalise_cbs, validate_cbs

REQUIRED = _l("Dit veld is verplicht.")
NAME_TAKEN = _l("Er is al een gemeente met deze naam.")
CBS_TAKEN = _l("Er is al een gemeente met deze CBS-code.")
BODY_NAME_TAKEN = _l("Er is al een uitvoeringsorganisatie met deze naam.")


class GemeenteForm(AppForm):
    name = StringField(_l("Naam"), validators=[DataRequired(REQUIRED), Length(max=120)])
    cbs_code = NormalisedStringField(
        _l("CBS-gemeentecode"), validators=[DataRequired(REQUIRED), validate_cbs], normaliser=normalise_cbs
    )
    executing_body_id = SelectField(_l("Uitvoeringsorganisatie"), coerce=int, default=0)
    # What an e-invoice addressed to the gemeente needs (Peppol/NLCIUS: OIN and postal address).
    oin = StringField(_l("OIN (organisatie-identificatienummer)"), validators=[
        Optional(), Regexp(r"^\d{20}$", message=_l("Een OIN heeft 20 cijfers."))])
    street = StringField(_l("Straat en huisnummer"), validators=[Length(max=120)])
    postcode = StringField(_l("Postcode"), validators=[
        Optional(), Regexp(r"^\d{4} ?[A-Za-z]{2}$", message=_l("Vul een postcode in als 1234 AB."))])
    city = StringField(_l("Plaats"), validators=[Length(max=80)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.executing_body_id.choices = [(0, _("— geen (voert zelf uit) —"))] + [
            (b.id, b.name) for b in services.executing_bodies()
        ]

    def data_for_service(self) -> services.GemeenteData:
        return services.GemeenteData(
            name=self.name.data, cbs_code=self.cbs_code.data, executing_body_id=self.executing_body_id.data,
            oin=self.oin.data, street=self.street.data, postcode=self.postcode.data, city=self.city.data,
        )


class ExecutingBodyForm(AppForm):
    name = StringField(_l("Naam"), validators=[DataRequired(REQUIRED), Length(max=160)])
    description = TextAreaField(_l("Omschrijving"), validators=[Length(max=2000)])
