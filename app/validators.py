"""Form fields and validators for Dutch identifiers, money, numbers and dates.

BSN, IBAN, VAT number and postcode are checked with python-stdnum (the 11-test, mod-97 and the
Dutch VAT rules). The KvK number has had no check digit since 2016, so it is checked for its form
(eight digits) only: no library can do more without asking the KvK itself.
"""

from __future__ import annotations

import enum
import re

from flask_babel import format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from stdnum import iban as std_iban
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.nl import bsn as std_bsn
from stdnum.nl import btw as std_btw
from stdnum.nl import postcode as std_postcode
from wtforms import DateField, DateTimeLocalField, SelectField, StringField
from wtforms.validators import StopValidation, ValidationError

from app import clock
from app.i18n import translate
from app.parsing import DATE_FORMATS, ParseError, parse_amount, parse_date, parse_number

KVK_PATTERN = re.compile(r"^\d{8}$")
CBS_PATTERN = re.compile(r"^GM\d{4}$")


def normalise_bsn(value: str) -> str:
    return std_bsn.compact(value or "")


def normalise_iban(value: str) -> str:
    return std_iban.compact(value or "")


def normalise_vat(value: str) -> str:
    compact = std_btw.compact(value or "")
    return compact if compact.startswith("NL") else "NL" + compact


def normalise_kvk(value: str) -> str:
    return re.sub(r"[\s.]", "", value or "")


def normalise_cbs(value: str) -> str:
    value = (value or "").strip().upper()
    return value if value.startswith("GM") or not value else "GM" + value.zfill(4)


def normalise_postcode(value: str) -> str:
    """``1234ab`` and ``1234 AB`` both become ``1234 AB``; anything else is left for the validator."""
    try:
        return std_postcode.validate(value)
    except StdnumError:
        return (value or "").strip().upper()


def _run(check, value: str, message) -> None:
    try:
        check(value)
    except StdnumError as exc:
        raise ValidationError(str(message)) from exc


def bsn_problem(typed: str) -> str | None:
    """Why ``typed`` is no BSN, or None: the 11-test, on exactly the nine digits typed (stdnum would pad a
    shorter number with zeros). For forms and for imports alike."""
    digits = re.sub(r"[\s.\-]", "", typed or "")
    if digits.isdigit() and len(digits) != 9:
        return str(_l("Een BSN bestaat uit precies 9 cijfers."))
    try:
        std_bsn.validate(normalise_bsn(typed))
    except StdnumError:
        return str(_l("Dit is geen geldig BSN: het moet 9 cijfers hebben en de elfproef doorstaan."))
    return None


def validate_bsn(_form, field) -> None:
    problem = bsn_problem(field.raw_data[0] if field.raw_data else field.data or "")
    if problem:
        raise ValidationError(problem)


def validate_iban(_form, field) -> None:
    message = _l("Dit is geen geldig IBAN: controleer de landcode, het controlegetal en de lengte.")
    _run(std_iban.validate, field.data or "", message)


def validate_vat(_form, field) -> None:
    _run(std_btw.validate, field.data or "", _l("Dit is geen geldig Nederlands btw-nummer (vorm NL123456789B01)."))


def validate_kvk(_form, field) -> None:
    if not KVK_PATTERN.match(field.data or ""):
        raise ValidationError(str(_l("Een KvK-nummer bestaat uit precies 8 cijfers.")))


def validate_cbs(_form, field) -> None:
    if not CBS_PATTERN.match(field.data or ""):
        raise ValidationError(str(_l("Een CBS-gemeentecode heeft de vorm GM0000 (GM en 4 cijfers).")))


def validate_postcode(_form, field) -> None:
    if field.data:
        _run(std_postcode.validate, field.data, _l("Dit is geen geldige postcode (vorm 1234 AB)."))


class NormalisedStringField(StringField):
    """A text field that normalises its input (spaces, dots, case) before validation and storage."""

    def __init__(self, label=None, validators=None, normaliser=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.normaliser = normaliser

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.normaliser and self.data:
            self.data = self.normaliser(self.data)

    def _value(self):
        """Show what the user typed when the form comes back with errors, not its normalised form."""
        if self.errors and self.raw_data:
            return self.raw_data[0]
        return super()._value()


class DutchDateField(DateField):
    """A date field: ``<input type=date>`` sends ISO dates, people type 31-12-2026; both work (app.parsing)."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("format", list(DATE_FORMATS))
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        try:
            self.data = parse_date(valuelist[0])
        except ParseError as error:
            raise ValueError(translate(error.message)) from None


def _locale() -> str:
    return str(get_locale() or "nl")


class _ReadField(StringField):
    """A text field whose value is read into a number: what cannot be read gets that one message, not also
    the range or requirement messages of validators that never saw a number."""

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


class NumberField(_ReadField):
    """A number typed the way the user's language writes it ("32,5" or "32.5"), read by app.parsing."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return  # not in the submitted form at all: the default stands, as WTForms' own number fields do
        self.data = None
        if not valuelist[0].strip():
            return
        try:
            self.data = parse_number(valuelist[0], _locale())
        except ParseError as error:
            raise ValueError(translate(error.message)) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format_decimal(self.data, format="#,##0.##########")


class MoneyField(_ReadField):
    """An amount in euros typed the Dutch way ("1.234,56") or the English way ("1,234.56"), read by app.parsing;
    a negative amount is for the field's validators to refuse or allow."""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        try:
            self.data = parse_amount(valuelist[0], _locale(), negative=True)
        except ParseError as error:
            raise ValueError(translate(error.message)) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format_decimal(self.data, format="#,##0.00")


MOMENT_FORMATS = ["%Y-%m-%dT%H:%M", "%d-%m-%Y %H:%M"]
INVALID_MOMENT = _l("Vul een geldige datum en tijd in, bijvoorbeeld 31-12-2026 12:00.")


class MomentField(DateTimeLocalField):
    """A date and time typed as Amsterdam wall-clock time; ``data`` is the stored moment, naive UTC.

    ``<input type=datetime-local>`` sends 2026-12-31T12:00 (31-12-2026 12:00 works too). Every moment a form
    reads or shows passes :func:`app.clock.to_utc` and :func:`app.clock.to_local` here, and nowhere else, so a
    closing time and a submission time can never be an hour apart because one of them was typed in UTC."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("format", MOMENT_FORMATS)
        kwargs.setdefault("invalid_value_message", INVALID_MOMENT)
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.data = clock.to_utc(self.data)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        local = clock.to_local(self.data)
        return local.strftime(self.format[0]) if local else ""


class StatusField(SelectField):
    """A status from an enum: the form offers the statuses the domain allows next, any other member of the enum
    reaches the domain's status machine (which refuses it at this field with a reason), anything else is
    not a status at all."""

    def __init__(self, label=None, validators=None, *, statuses: type[enum.Enum], **kwargs):
        super().__init__(label, validators, validate_choice=False, **kwargs)
        self.statuses = statuses

    def pre_validate(self, form):
        if self.data not in {s.value for s in self.statuses}:
            message = "Not a valid choice."  # WTForms' own message, in WTForms' own catalog
            raise ValidationError(self.gettext(message))
