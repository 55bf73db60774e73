"""Forms for referrals, events, corrections, confirmations and imports, and the labels of the traject vocabulary."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import FileStorage
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from app import clock
from app.auth.permissions import Permission, can
from app.forms import AppForm
from app.models.trajecten import ImportKind, ImportStatus
from app.trajecten.services import EventInput
from app.validators import DutchDateField, MoneyField, NumberField
from contracts.events import EventType, ExitReason, WorkKind
from contracts.lifecycle import NEEDS_REASON, STATUS_LABELS, TrajectStatus, may_record, required_details
from contracts.worklist import ACTION_LABELS, ActionKind

E = EventType

EVENT_LABELS = {
    E.ACCEPTED: _l("geaccepteerd door de aanbieder"),
    E.REFUSED: _l("geweigerd door de aanbieder"),
    E.INTAKE: _l("intake"),
    E.PLAN_SUBMITTED: _l("trajectplan ingediend"),
    E.PLAN_APPROVED: _l("trajectplan goedgekeurd"),
    E.STARTED: _l("gestart"),
    E.PROGRESS_REPORT: _l("voortgangsrapportage"),
    E.PLACEMENT: _l("plaatsing"),
    E.PLACEMENT_ENDED: _l("einde plaatsing"),
    E.STILL_EMPLOYED: _l("bevestiging: werkt nog"),
    E.BENEFIT_EXIT: _l("uitstroom uit de uitkering"),
    E.DROPOUT: _l("uitval"),
    E.RETURNED: _l("teruggemeld door de aanbieder"),
    E.ENDED: _l("beëindigd"),
    E.FALL_BACK: _l("terugval in de uitkering"),
    E.CORRECTION: _l("correctie"),
}

EXIT_REASON_LABELS = {
    ExitReason.WORK: _l("werk"),
    ExitReason.MOVED_AWAY: _l("verhuisd"),
    ExitReason.PARTNER_INCOME: _l("inkomen van de partner"),
    ExitReason.OTHER: _l("andere reden"),
}

WORK_KIND_LABELS = {
    WorkKind.REGULAR: _l("regulier werk"),
    WorkKind.SUBSIDISED: _l("gesubsidieerd werk (loonkostensubsidie)"),
    WorkKind.TEMPORARY: _l("tijdelijk werk"),
}


def status_label(status: str) -> str:
    return gettext(STATUS_LABELS[TrajectStatus(status)])


def action_label(kind: str) -> str:
    return gettext(ACTION_LABELS[ActionKind(kind)])


class ReferralForm(AppForm):
    contract_id = SelectField(_l("Contract"), coerce=int, validate_choice=False)
    referral_date = DutchDateField(_l("Verwijsdatum"), validators=[InputRequired()], default=clock.today)
    motivation = TextAreaField(_l("Toelichting voor de aanbieder"), validators=[Length(max=2000)])

    def validate_referral_date(self, field):
        if field.data and field.data > clock.today():
            raise ValidationError(str(_l("Een verwijzing kan niet in de toekomst liggen.")))

    def validate_contract_id(self, field):
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(str(_l("Kies een contract uit de lijst.")))


class EvidenceField(FileField):
    """An evidence upload that keeps a file sent without a name, so that it is refused instead of dropped.

    Flask-WTF takes a file part without a name for no file at all, which is what a browser sends when no
    file was chosen, then without content. A part that has content but no name (sent by a script, or by a
    browser extension that rewrites the request) would vanish while the event or confirmation was saved
    without its evidence; kept, it reaches :func:`app.trajecten.evidence.store`, which refuses it.
    """

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is None:
            self.data = next((part for part in valuelist if isinstance(part, FileStorage) and _has_content(part)),
                             None)


def _has_content(part: FileStorage) -> bool:
    head = part.stream.read(1)
    part.stream.seek(0)
    return bool(head)


class EventForm(AppForm):
    type = SelectField(_l("Gebeurtenis"), validate_choice=False)
    event_date = DutchDateField(_l("Datum"), validators=[InputRequired()], default=clock.today)
    reason = StringField(_l("Reden"), validators=[Length(max=500)])
    exit_reason = SelectField(_l("Reden van uitstroom"), validate_choice=False)
    employer = StringField(_l("Werkgever"), validators=[Length(max=200)])
    hours_per_week = NumberField(_l("Uren per week"), validators=[
        Optional(), NumberRange(min=0, max=80, message=_l("Vul een aantal uren van 0 tot en met 80 in."))])
    work_kind = SelectField(_l("Soort werk"), validate_choice=False)
    contract_months = IntegerField(_l("Contractduur in maanden"), validators=[
        Optional(), NumberRange(min=0, max=120, message=_l("Vul een aantal maanden van 0 tot en met 120 in."))])
    open_ended = BooleanField(_l("Contract voor onbepaalde tijd"))
    wage = MoneyField(_l("Brutoloon per maand"))
    note = TextAreaField(_l("Notitie"), validators=[Length(max=4000)])
    evidence = EvidenceField(_l("Bewijs (PDF, PNG of JPEG, hoogstens 10 MB)"))

    def __init__(self, *args, by_provider: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.type.choices = [(t.value, str(EVENT_LABELS[t])) for t in EventType
                             if t != E.CORRECTION and may_record(t, by_provider)]
        self.exit_reason.choices = [("", "—")] + [(r.value, str(label)) for r, label in EXIT_REASON_LABELS.items()]
        self.work_kind.choices = [("", "—")] + [(k.value, str(label)) for k, label in WORK_KIND_LABELS.items()]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.type.data not in {value for value, _label in self.type.choices}:
            self.type.errors = [*self.type.errors, str(_l("Kies een gebeurtenis uit de lijst."))]
            return False
        for field in (self[name] for name in required_details(EventType(self.type.data), bool(self.open_ended.data))):
            if field.data in (None, "") and not field.errors:
                field.errors = [*field.errors, str(_l("Vul dit in voor deze gebeurtenis."))]
                ok = False
        return ok

    def to_input(self) -> EventInput:
        kind = EventType(self.type.data)
        placement = kind == E.PLACEMENT
        return EventInput(
            type=kind,
            event_date=self.event_date.data,
            note=self.note.data or "",
            reason=(self.reason.data or "") if kind in NEEDS_REASON else "",
            exit_reason=ExitReason(self.exit_reason.data) if kind == E.BENEFIT_EXIT else None,
            employer=(self.employer.data or "") if placement else "",
            hours_per_week=Decimal(self.hours_per_week.data) if placement else None,
            work_kind=WorkKind(self.work_kind.data) if placement else None,
            contract_months=self.contract_months.data if placement else None,
            open_ended=bool(self.open_ended.data) if placement else False,
            wage=self.wage.data if placement else None,
        )


class CorrectionForm(AppForm):
    revokes_id = SelectField(_l("Te corrigeren gebeurtenis"), coerce=int, validate_choice=False)
    event_date = DutchDateField(_l("Datum van de correctie"), validators=[InputRequired()], default=clock.today)
    reason = TextAreaField(_l("Reden van de correctie"), validators=[InputRequired(), Length(max=1000)])

    def validate_revokes_id(self, field):
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(str(_l("Kies een gebeurtenis uit de lijst.")))


class CloseForm(AppForm):
    """End the trajecten ticked on the list: one date and one reason for all, each judged as its own event."""

    event_date = DutchDateField(_l("Einddatum"), validators=[InputRequired()], default=clock.today)
    reason = StringField(_l("Reden"), validators=[InputRequired(), Length(max=500)])
    only_valid = BooleanField(_l("Alleen de trajecten waarbij het kan; de rest blijft staan"))


class BulkConfirmForm(AppForm):
    only_valid = BooleanField(_l("Alleen de trajecten waarbij het kan; de rest blijft staan"))


class ConfirmForm(AppForm):
    evidence = EvidenceField(_l("Bewijs (PDF, PNG of JPEG, hoogstens 10 MB)"))
    note = TextAreaField(_l("Notitie"), validators=[Length(max=2000)])


# --- imports --------------------------------------------------------------------------------------

IMPORT_PERMISSIONS = {ImportKind.CLIENTS: Permission.IMPORT_CLIENTS, ImportKind.EVENTS: Permission.IMPORT_EVENTS}
IMPORT_KIND_LABELS = {ImportKind.CLIENTS: _l("Cliënten"), ImportKind.EVENTS: _l("Trajectgebeurtenissen")}
IMPORT_STATUS_LABELS = {
    ImportStatus.CHECKING: _l("wordt gecontroleerd"),
    ImportStatus.CHECKED: _l("gecontroleerd"),
    ImportStatus.IMPORTED: _l("geïmporteerd"),
    ImportStatus.DISCARDED: _l("verworpen"),
}


def importable_kinds() -> list[ImportKind]:
    """What the current user may import."""
    return [k for k in ImportKind if can(IMPORT_PERMISSIONS[k])]


class UploadForm(AppForm):
    kind = SelectField(_l("Wat importeer je?"), validate_choice=False)
    file = FileField(_l("CSV-bestand"), validators=[FileRequired(_l("Kies een CSV-bestand."))],
                     render_kw={"accept": ".csv,text/csv"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k.value, str(IMPORT_KIND_LABELS[k])) for k in importable_kinds()]

    def validate_kind(self, field) -> None:
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(str(_l("Kies wat je wilt importeren.")))


class ImportForm(AppForm):
    only_valid = BooleanField(_l("Ik importeer alleen de geldige regels"), render_kw={"value": "1", "required": True})
