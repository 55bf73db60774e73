"""The forms of the providers register: a provider, a contact person and a quality mark."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, StringField, TelField, TextAreaField
from wtforms.validators import URL, DataRequired, Email, InputRequired, Length, Optional

from app.forms import AppForm
from app.models.registers import Provider, ProviderStatus
from app.navigation import PROVIDER_STATUS_LABELS
from app.validators import (
    DutchDateField,
    NormalisedStringField,
    StatusField,
    normalise_iban,
    normalise_kvk,
    normalise_postcode,
    normalise_vat,
    validate_iban,
    validate_kvk,
    validate_postcode,
    validate_vat,
)
from contracts.contracting import provider_next_statuses

REQUIRED = _l("Dit veld is verplicht.")
KVK_TAKEN = _l("Er is al een aanbieder met dit KvK-nummer.")


def normalise_website(value: str) -> str:
    value = (value or "").strip()
    if value and "://" not in value:
        value = "https://" + value
    return value


class ProviderForm(AppForm):
    name = StringField(_l("Naam"), validators=[DataRequired(REQUIRED), Length(max=160)])
    kvk_number = NormalisedStringField(
        _l("KvK-nummer"),
        validators=[DataRequired(REQUIRED), validate_kvk],
        normaliser=normalise_kvk,
        render_kw={"inputmode": "numeric"},
    )
    vat_number = NormalisedStringField(
        _l("Btw-nummer"), validators=[DataRequired(REQUIRED), validate_vat], normaliser=normalise_vat
    )
    iban = NormalisedStringField(
        _l("IBAN"), validators=[DataRequired(REQUIRED), validate_iban], normaliser=normalise_iban
    )
    street = StringField(_l("Straat"), validators=[Length(max=120)])
    house_number = StringField(_l("Huisnummer"), validators=[Length(max=20)])
    postcode = NormalisedStringField(_l("Postcode"), validators=[validate_postcode], normaliser=normalise_postcode)
    city = StringField(_l("Plaats"), validators=[Length(max=80)])
    website = NormalisedStringField(
        _l("Website"),
        validators=[
            Optional(),
            Length(max=200),
            URL(message=_l("Vul een geldig webadres in, bijvoorbeeld https://www.voorbeeld.nl.")),
        ],
        normaliser=normalise_website,
    )
    status = StatusField(_l("Status"), default=ProviderStatus.ACTIVE.value, statuses=ProviderStatus)
    status_reason = TextAreaField(_l("Reden van de status"), validators=[Length(max=2000)])
    status_since = DutchDateField(_l("Status sinds"), validators=[Optional()])

    def __init__(self, *args, provider: Provider | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        current = provider.status if provider is not None else None
        self.status.choices = [(s.value, str(PROVIDER_STATUS_LABELS[s])) for s in provider_next_statuses(current)]


class ContactForm(AppForm):
    name = StringField(_l("Naam"), validators=[DataRequired(REQUIRED), Length(max=120)])
    function = StringField(_l("Functie"), validators=[Length(max=120)])
    email = EmailField(
        _l("E-mailadres"),
        validators=[
            Optional(),
            Length(max=254),
            Email(_l("Vul een geldig e-mailadres in."), check_deliverability=False),
        ],
    )
    phone = TelField(_l("Telefoonnummer"), validators=[Length(max=30)])


class QualityMarkForm(AppForm):
    name = StringField(_l("Naam van het keurmerk"), validators=[DataRequired(REQUIRED), Length(max=120)])
    certificate_number = StringField(_l("Certificaatnummer"), validators=[Length(max=60)])
    valid_until = DutchDateField(_l("Geldig tot en met"), validators=[InputRequired(REQUIRED)])
