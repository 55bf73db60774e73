"""CSV import of clients and of traject events: upload, check in steps, then import in one transaction.

A file travels as an :class:`ImportBatch`. At upload only its form is checked (encoding, delimiter, header);
the rows are then checked in steps of ``IMPORT_CHECK_ROWS_PER_STEP`` so that the page can show progress, and
the checks that need the whole file (duplicates in the file, the order of events per traject) run with the
last step. Importing checks everything again against the database as it is at that moment and writes in one
transaction: every row, or, only when the user explicitly chooses it, only the valid rows.

Nothing is overwritten: a row that is already there with the same data counts as unchanged, a client that
exists with other data is an error, and events go through :func:`app.trajecten.services.record_event`, so
the lifecycle rules apply to an import exactly as to the form. The columns are documented in docs/import.md.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, selectinload
from wtforms import BooleanField, SelectField
from wtforms.validators import ValidationError

from app import clock
from app.auth.permissions import Permission, can, requires
from app.db import session, utcnow
from app.i18n import translate
from app.models.clients import BenefitType, Client, TargetGroup
from app.models.registers import Gemeente
from app.models.trajecten import ImportBatch, ImportKind, ImportStatus, Traject
from app.models.users import Role, User
from app.scoping import MAX_ID, gemeente_ids_for, traject_scope
from app.trajecten.services import EventInput, TrajectError, engine_event, history, record_event
from app.validators import DATE_FORMATS, bsn_problem, normalise_bsn, normalise_cbs
from contracts.clients import EARLIEST_DATE, LADDER_RUNGS, MAX_MONTHLY_BENEFIT, PHASES
from contracts.events import EventType, ExitReason, WorkKind
from contracts.lifecycle import check_new, may_record, required_details
from contracts.messages import N_, DomainError, Message

bp = Blueprint("imports", __name__, url_prefix="/import")

MAX_ROWS = 10_000
CHUNK = 500  # ids per IN (...) query

CLIENT_COLUMNS = ("bsn", "voornaam", "achternaam", "geboortedatum", "gemeente_cbs", "uitkering",
                  "uitkering_per_maand", "doelgroep", "fase", "trede")
EVENT_COLUMNS = ("traject", "gebeurtenis", "datum", "reden", "werkgever", "uren_per_week", "soort_werk",
                 "contractduur_maanden", "onbepaalde_tijd", "brutoloon", "notitie")
COLUMNS = {ImportKind.CLIENTS: CLIENT_COLUMNS, ImportKind.EVENTS: EVENT_COLUMNS}
PERMISSIONS = {ImportKind.CLIENTS: Permission.IMPORT_CLIENTS, ImportKind.EVENTS: Permission.IMPORT_EVENTS}
IMPORTABLE_EVENTS = tuple(t for t in EventType if t != EventType.CORRECTION)

KIND_LABELS = {ImportKind.CLIENTS: _l("Cliënten"), ImportKind.EVENTS: _l("Trajectgebeurtenissen")}
STATUS_LABELS = {
    ImportStatus.CHECKING: _l("wordt gecontroleerd"),
    ImportStatus.CHECKED: _l("gecontroleerd"),
    ImportStatus.IMPORTED: _l("geïmporteerd"),
    ImportStatus.DISCARDED: _l("verworpen"),
}
TEMPLATE_NAMES = {ImportKind.CLIENTS: "sjabloon-clienten.csv", ImportKind.EVENTS: "sjabloon-gebeurtenissen.csv"}

REQUIRED = _l("Dit veld is verplicht.")
FILL_IN = _l("Vul dit in voor deze gebeurtenis.")
BAD_DATE = _l("Vul een datum in als dd-mm-jjjj of jjjj-mm-dd, bijvoorbeeld 31-12-2026.")
BAD_AMOUNT = _l("Vul een bedrag in euro's in, bijvoorbeeld 1.234,56.")
BAD_NUMBER = _l("Vul een getal in, bijvoorbeeld 32 of 32,5.")
TWO_DECIMALS = _l("Hoogstens twee cijfers achter de komma.")
TOO_MANY_CELLS = _l("Deze regel heeft meer kolommen dan de kopregel.")
BSN_CONFLICT = _l("Een cliënt met dit BSN bestaat al met andere gegevens; een import overschrijft niets.")
YES_NO = _l("Vul ja of nee in.")
NO_CORRECTION = _l("Een correctie kan niet met een import; leg die vast bij het traject zelf.")
YES = frozenset({"ja", "j", "yes", "y", "true", "waar", "1"})
NO = frozenset({"nee", "n", "no", "false", "onwaar", "0", ""})


# --- reading a file -------------------------------------------------------------------------------


class FileError(DomainError):
    """A file that cannot be taken in at all; shown at the file field, nothing is stored."""

    code = "unreadable_file"


@dataclass
class Row:
    """One data row: ``line`` counts records as Excel numbers rows (1 is the header)."""

    line: int
    values: dict[str, str]
    too_many: bool = False


def decode(raw: bytes) -> str:
    """UTF-8 with or without the byte order mark Excel writes."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileError(_("Het bestand is geen UTF-8-tekst. Sla het in Excel op als "
                          "‘CSV UTF-8 (door komma's gescheiden)’.")) from None
    if "\x00" in text:
        raise FileError(_("Dit is geen leesbaar CSV-bestand."))
    return text


def _delimiter(text: str) -> str:
    """Dutch Excel writes ``;``, most other tools ``,``: whichever the header line uses more."""
    header = text.lstrip("\r\n").split("\n", 1)[0]
    return "," if header.count(",") > header.count(";") else ";"


def _column_name(cell: str) -> str:
    return re.sub(r"[\s\-]+", "_", cell.strip().lower())


def records(text: str) -> Iterator[list[str]]:
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    except csv.Error:
        raise FileError(_("Dit is geen leesbaar CSV-bestand.")) from None


def parse(text: str, kind: ImportKind) -> list[Row]:
    """The data rows of a file, after checking its header against the documented columns."""
    return rows_of(records(text), COLUMNS[kind])


def rows_of(records: Iterator[list[str]], expected: tuple[str, ...]) -> list[Row]:
    """The data rows of a sheet's records (CSV or spreadsheet), after checking the header against ``expected``."""
    header = [_column_name(c) for c in next(records, [])]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise FileError(_("Het bestand is leeg."))
    problems = []
    unknown = [name or "(leeg)" for name in header if name not in expected]
    if unknown:
        problems.append(_("Onbekende kolom: %(names)s. Gebruik de kolomnamen van het sjabloon.",
                          names=", ".join(unknown)))
    doubled = sorted({name for name in header if name and header.count(name) > 1})
    if doubled:
        problems.append(_("Deze kolommen staan meer dan één keer in de kopregel: %(names)s.",
                          names=", ".join(doubled)))
    missing = [name for name in expected if name not in header]
    if missing:
        problems.append(_("Deze kolommen ontbreken: %(names)s.", names=", ".join(missing)))
    if problems:
        raise FileError(" ".join(problems))
    rows = []
    for line, cells in enumerate(records, start=2):
        if not any(c.strip() for c in cells):
            continue  # Excel leaves empty rows (";;;;") at the end of a sheet
        values = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
        rows.append(Row(line, values, too_many=any(c.strip() for c in cells[len(header):])))
        if len(rows) > MAX_ROWS:
            raise FileError(_("Het bestand heeft meer dan %(max)s regels; verdeel het over meer bestanden.",
                              max=MAX_ROWS))
    if not rows:
        raise FileError(_("Het bestand heeft geen regels onder de kopregel."))
    return rows


# --- reading cells --------------------------------------------------------------------------------

_NL_PLAIN = re.compile(r"-?\d+(,\d+)?")
_NL_GROUPED = re.compile(r"-?\d{1,3}(\.\d{3})+(,\d+)?")
_PLAIN = re.compile(r"-?\d+(\.\d+)?")
_EN_GROUPED = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")


def parse_number(text: str) -> Decimal | None:
    """A number written the Dutch way (1.234,56) or plainly (1234.56); None when it is neither.

    A lone dot followed by three digits (1.234) is read as the Dutch thousands separator.
    """
    s = text.replace("€", "").replace(" ", "").replace("\u00a0", "")
    if _NL_PLAIN.fullmatch(s):
        s = s.replace(",", ".")
    elif _NL_GROUPED.fullmatch(s):
        s = s.replace(".", "").replace(",", ".")
    elif _EN_GROUPED.fullmatch(s):
        s = s.replace(",", "")
    elif not _PLAIN.fullmatch(s):
        return None
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def parse_date(text: str) -> date | None:
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _day(d: date) -> str:
    return d.strftime("%d-%m-%Y")


@dataclass
class Checked:
    """What checking one row found: its problems, or the value to write, and whether it is already there."""

    line: int
    problems: list[tuple[str, str]] = field(default_factory=list)
    value: Any = None
    key: Any = None  # what makes two rows of one file the same
    unchanged: bool = False
    excluded: bool = False  # refused by a check of the whole file, or in an earlier step

    @property
    def ok(self) -> bool:
        return not self.problems and not self.excluded

    def fail(self, column: str, message: Any) -> None:
        self.problems.append((column, str(message)))


class Cells:
    """Read the cells of one row, noting each problem at its column."""

    def __init__(self, row: Row, checked: Checked):
        self.values = row.values
        self.checked = checked

    def raw(self, column: str) -> str:
        return self.values.get(column, "")

    def text(self, column: str, max_length: int, required: bool = False, missing: Any = REQUIRED) -> str:
        value = self.raw(column)
        if required and not value:
            self.checked.fail(column, missing)
        elif len(value) > max_length:
            self.checked.fail(column, _("Dit is te lang: hoogstens %(max)s tekens.", max=max_length))
        return value

    def date(self, column: str, required: bool) -> date | None:
        value = self.raw(column)
        if not value:
            if required:
                self.checked.fail(column, REQUIRED)
            return None
        day = parse_date(value)
        if day is None:
            self.checked.fail(column, BAD_DATE)
        return day

    def number(self, column: str, low: int, high: int, message: Any, required: bool, missing: Any = REQUIRED,
               integer: bool = False) -> Decimal | None:
        value = self.raw(column)
        if not value:
            if required:
                self.checked.fail(column, missing)
            return None
        number = parse_number(value)
        if number is None or (integer and number != number.to_integral_value()):
            self.checked.fail(column, message if integer else BAD_NUMBER)
            return None
        if not low <= number <= high:
            self.checked.fail(column, message)
            return None
        if number.as_tuple().exponent < -2:
            self.checked.fail(column, TWO_DECIMALS)
            return None
        return number

    def amount(self, column: str, required: bool) -> Decimal | None:
        value = self.raw(column)
        if not value:
            if required:
                self.checked.fail(column, REQUIRED)
            return None
        number = parse_number(value)
        if number is None:
            self.checked.fail(column, BAD_AMOUNT)
            return None
        if number < 0:
            self.checked.fail(column, _("Een bedrag kan niet negatief zijn."))
            return None
        if number.as_tuple().exponent < -2:
            self.checked.fail(column, TWO_DECIMALS)
            return None
        return number.quantize(Decimal("0.01"))

    def choice(self, column: str, allowed: Iterable[str], message: str, required: bool = True,
               missing: Any = REQUIRED) -> str | None:
        value = self.raw(column).lower()
        if not value:
            if required:
                self.checked.fail(column, missing)
            return None
        if value not in set(allowed):
            self.checked.fail(column, message)
            return None
        return value

    def yes_no(self, column: str) -> bool:
        value = self.raw(column).lower()
        if value not in YES | NO:
            self.checked.fail(column, YES_NO)
        return value in YES


def _chunks(values: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


# --- clients --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientData:
    bsn: str
    first_name: str
    last_name: str
    birth_date: date | None
    gemeente_id: int
    benefit_type: BenefitType
    monthly_benefit: Decimal
    target_group_id: int
    phase: int
    ladder_rung: int


class ClientChecker:
    """Checks client rows for ``user`` and writes new clients; an existing client is never changed."""

    def __init__(self, user: User, today: date):
        self.user = user
        self.today = today
        self.allowed = gemeente_ids_for(user)
        self.gemeenten = {g.cbs_code: g for g in session.scalars(select(Gemeente))}
        self.groups = {t.code.lower(): t for t in session.scalars(select(TargetGroup).order_by(TargetGroup.code))}
        self.existing: dict[str, Client] = {}

    def prefetch(self, rows: list[Row]) -> None:
        wanted = sorted({normalise_bsn(r.values.get("bsn", "")) for r in rows} - {""} - set(self.existing))
        for chunk in _chunks(wanted):
            for client in session.scalars(select(Client).where(Client.bsn.in_(chunk))):
                self.existing[client.bsn] = client

    def _bsn(self, cells: Cells) -> str | None:
        raw = cells.raw("bsn")
        if not raw:
            cells.checked.fail("bsn", REQUIRED)
            return None
        problem = bsn_problem(raw)
        if problem:
            cells.checked.fail("bsn", problem)
            return None
        return normalise_bsn(raw)

    def check(self, row: Row) -> Checked:
        checked = Checked(row.line)
        cells = Cells(row, checked)
        if row.too_many:
            checked.fail("", TOO_MANY_CELLS)
        bsn = self._bsn(cells)
        checked.key = bsn
        first_name = cells.text("voornaam", 80, required=True)
        last_name = cells.text("achternaam", 120, required=True)
        birth_date = cells.date("geboortedatum", required=False)
        if birth_date is not None and birth_date > self.today:
            checked.fail("geboortedatum", _("Een geboortedatum kan niet in de toekomst liggen."))
        elif birth_date is not None and birth_date < EARLIEST_DATE:
            checked.fail("geboortedatum", _("Deze datum ligt te ver in het verleden."))
        gemeente = self._gemeente(cells)
        benefit = cells.choice("uitkering", [b.value for b in BenefitType],
                               _("Kies als uitkering een van: %(values)s.",
                                 values=", ".join(b.value for b in BenefitType)))
        amount = cells.amount("uitkering_per_maand", required=benefit != BenefitType.NONE.value)
        if amount is None and benefit == BenefitType.NONE.value and not cells.raw("uitkering_per_maand"):
            amount = Decimal("0.00")
        if amount is not None and amount > MAX_MONTHLY_BENEFIT:
            checked.fail("uitkering_per_maand", _("Dit bedrag is te hoog voor een uitkering per maand."))
        elif amount and benefit == BenefitType.NONE.value:
            checked.fail("uitkering_per_maand", _("Zonder uitkering is het bedrag per maand 0,00."))
        group = cells.choice("doelgroep", self.groups, _("Onbekende doelgroep; gebruik een van: %(values)s.",
                                                        values=", ".join(t.code for t in self.groups.values())))
        phase = cells.number("fase", min(PHASES), max(PHASES), _("Kies een fase van 1 tot en met 4."),
                             required=True, integer=True)
        rung = cells.number("trede", min(LADDER_RUNGS), max(LADDER_RUNGS), _("Kies een trede van 1 tot en met 6."),
                            required=True, integer=True)
        if checked.problems:
            return checked
        data = ClientData(bsn=bsn, first_name=first_name, last_name=last_name, birth_date=birth_date,
                          gemeente_id=gemeente.id, benefit_type=BenefitType(benefit), monthly_benefit=amount,
                          target_group_id=self.groups[group].id, phase=int(phase), ladder_rung=int(rung))
        existing = self.existing.get(bsn)
        if existing is not None:
            # Outside the user's gemeenten the same words as for a mismatch: nothing about the person leaks.
            if self._may_see(existing) and _same(existing, data):
                checked.unchanged = True
            else:
                checked.fail("bsn", BSN_CONFLICT)
                return checked
        checked.value = data
        return checked

    def _gemeente(self, cells: Cells) -> Gemeente | None:
        raw = cells.raw("gemeente_cbs")
        if not raw:
            cells.checked.fail("gemeente_cbs", REQUIRED)
            return None
        gemeente = self.gemeenten.get(normalise_cbs(raw))
        if gemeente is None or (self.allowed is not None and gemeente.id not in self.allowed):
            cells.checked.fail("gemeente_cbs", _("Gemeente %(code)s bestaat niet of je werkt er niet voor.",
                                                 code=raw))
            return None
        return gemeente

    def _may_see(self, client: Client) -> bool:
        return self.allowed is None or client.gemeente_id in self.allowed

    def cross(self, results: list[Checked]) -> list[dict]:
        """A BSN twice in one file: the later rows are refused, whatever the data."""
        problems: list[dict] = []
        first: dict[str, int] = {}
        for checked in results:
            if checked.key is None:
                continue
            if checked.key in first:
                message = _("Dit BSN staat ook op regel %(line)s.", line=first[checked.key])
                problems.append(_problem(checked.line, "bsn", message))
                checked.excluded = True
            else:
                first[checked.key] = checked.line
        return problems

    def to_write(self, results: list[Checked]) -> list[Checked]:
        return [c for c in results if c.ok and not c.unchanged]

    def write(self, checked: Checked) -> None:
        d: ClientData = checked.value
        client = Client(bsn=d.bsn, first_name=d.first_name, last_name=d.last_name, birth_date=d.birth_date,
                        gemeente_id=d.gemeente_id, benefit_type=d.benefit_type, monthly_benefit=d.monthly_benefit,
                        target_group_id=d.target_group_id,
                        klantmanager_id=self.user.id if self.user.role == Role.KLANTMANAGER else None)
        client.assess(d.phase, d.ladder_rung, self.today, self.user.id)
        session.add(client)
        session.flush()

    def write_failed(self, checked: Checked, error: Exception) -> dict:
        return _problem(checked.line, "bsn", BSN_CONFLICT)


def _same(client: Client, d: ClientData) -> bool:
    return (client.first_name, client.last_name, client.birth_date, client.gemeente_id, client.benefit_type,
            client.monthly_benefit, client.target_group_id, client.phase, client.ladder_rung) == (
        d.first_name, d.last_name, d.birth_date, d.gemeente_id, d.benefit_type, d.monthly_benefit,
        d.target_group_id, d.phase, d.ladder_rung)


# --- events ---------------------------------------------------------------------------------------

_TRAJECT_NUMBER = re.compile(r"[Tt]?0*(\d{1,10})")


def traject_number(text: str) -> int | None:
    """``T000012``, ``t12`` and ``12`` all mean traject 12."""
    match = _TRAJECT_NUMBER.fullmatch(text.strip())
    number = int(match.group(1)) if match else None
    return number if number is not None and 0 < number <= MAX_ID else None


def _plain(number: Decimal | None) -> str:
    return "" if number is None else format(number.normalize(), "f")


def import_key(traject: Traject, data: EventInput) -> str:
    """The fingerprint of an event row: the same row imported twice is recognised and not stored again."""
    fields = [traject.id, data.type.value, data.event_date.isoformat(), data.reason.strip(),
              data.exit_reason.value if data.exit_reason else "", data.employer.strip(), _plain(data.hours_per_week),
              data.work_kind.value if data.work_kind else "", data.contract_months, data.open_ended,
              _plain(data.wage), data.note.strip()]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


@dataclass
class EventRow:
    traject: Traject
    data: EventInput
    import_key: str


def _row_event_id(line: int) -> str:
    return f"r{line:09d}"


class EventChecker:
    """Checks event rows for ``user`` against its trajecten and writes them through ``record_event``."""

    def __init__(self, user: User, today: date):
        self.user = user
        self.today = today
        self.by_provider = user.role == Role.PROVIDER
        self.trajecten: dict[int, Traject | None] = {}
        self.order: list[Checked] = []

    def prefetch(self, rows: list[Row]) -> None:
        wanted = sorted({n for r in rows if (n := traject_number(r.values.get("traject", ""))) is not None}
                        - set(self.trajecten))
        for chunk in _chunks(wanted):
            stmt = (select(Traject).where(Traject.id.in_(chunk), traject_scope(self.user))
                    .options(selectinload(Traject.events), selectinload(Traject.contract)))
            found = {t.id: t for t in session.scalars(stmt)}
            for number in chunk:
                self.trajecten[number] = found.get(number)

    def check(self, row: Row) -> Checked:
        checked = Checked(row.line)
        cells = Cells(row, checked)
        if row.too_many:
            checked.fail("", TOO_MANY_CELLS)
        traject = self._traject(cells)
        kind = self._type(cells)
        day = cells.date("datum", required=True)
        if day is not None and day > self.today:
            checked.fail("datum", translate(Message(N_("De datum %(date)s ligt in de toekomst."), date=_day(day))))
        note = cells.text("notitie", 4000)
        data = EventInput(type=kind or EventType.INTAKE, event_date=day or self.today, note=note)
        placement = kind == EventType.PLACEMENT
        data.open_ended = cells.yes_no("onbepaalde_tijd") if placement else False
        needed = set(required_details(kind, data.open_ended)) if kind is not None else set()
        if "exit_reason" in needed:
            reason = cells.choice("reden", [r.value for r in ExitReason],
                                  _("Kies als reden van uitstroom een van: %(values)s.",
                                    values=", ".join(r.value for r in ExitReason)), missing=FILL_IN)
            data.exit_reason = ExitReason(reason) if reason else None
        elif "reason" in needed:
            data.reason = cells.text("reden", 500, required=True, missing=FILL_IN)
        if placement:
            data.employer = cells.text("werkgever", 200, required="employer" in needed, missing=FILL_IN)
            data.hours_per_week = cells.number("uren_per_week", 0, 80, _("Vul een aantal uren van 0 tot en met 80 in."),
                                               required="hours_per_week" in needed, missing=FILL_IN)
            work_kind = cells.choice("soort_werk", [k.value for k in WorkKind],
                                     _("Kies als soort werk een van: %(values)s.",
                                       values=", ".join(k.value for k in WorkKind)),
                                     required="work_kind" in needed, missing=FILL_IN)
            data.work_kind = WorkKind(work_kind) if work_kind else None
            months = cells.number("contractduur_maanden", 0, 120, _("Vul een aantal maanden van 0 tot en met 120 in."),
                                  required="contract_months" in needed, missing=FILL_IN, integer=True)
            data.contract_months = int(months) if months is not None else None
            data.wage = cells.amount("brutoloon", required=False)
        if checked.problems:
            return checked
        key = import_key(traject, data)
        checked.key = (traject.id, key)
        checked.value = EventRow(traject, data, key)
        checked.unchanged = any(e.import_key == key for e in traject.events)
        return checked

    def _traject(self, cells: Cells) -> Traject | None:
        raw = cells.raw("traject")
        if not raw:
            cells.checked.fail("traject", REQUIRED)
            return None
        number = traject_number(raw)
        traject = self.trajecten.get(number) if number is not None else None
        if traject is None:
            cells.checked.fail("traject", _("Traject %(ref)s bestaat niet of je hebt er geen toegang toe.", ref=raw))
        return traject

    def _type(self, cells: Cells) -> EventType | None:
        raw = cells.raw("gebeurtenis").lower()
        if raw == EventType.CORRECTION.value:
            cells.checked.fail("gebeurtenis", NO_CORRECTION)
            return None
        allowed = [t.value for t in IMPORTABLE_EVENTS if may_record(t, self.by_provider)]
        value = cells.choice("gebeurtenis", [t.value for t in IMPORTABLE_EVENTS],
                             _("Onbekende gebeurtenis; gebruik een van: %(values)s.", values=", ".join(allowed)))
        if value is None:
            return None
        if value not in allowed:
            cells.checked.fail("gebeurtenis", _("Dit soort gebeurtenis legt de gemeente vast."))
            return None
        return EventType(value)

    def cross(self, results: list[Checked]) -> list[dict]:
        """The same event twice in the file; then each traject's rows in date order against its history."""
        problems: list[dict] = []
        first: dict[Any, int] = {}
        for checked in results:
            if checked.key is None:
                continue
            if checked.key in first:
                message = _("Deze gebeurtenis staat ook op regel %(line)s.", line=first[checked.key])
                problems.append(_problem(checked.line, "", message))
                checked.excluded = True
            else:
                first[checked.key] = checked.line
        by_traject: dict[int, list[Checked]] = {}
        for checked in results:
            if checked.ok and not checked.unchanged:
                by_traject.setdefault(checked.value.traject.id, []).append(checked)
        self.order = []
        for rows in by_traject.values():
            traject = rows[0].value.traject
            rows.sort(key=lambda c: engine_event(c.value.data, _row_event_id(c.line)).sort_key)
            accepted = history(traject)
            for checked in rows:
                event = engine_event(checked.value.data, _row_event_id(checked.line))
                problem = check_new(traject.referral_date, accepted, event, self.today)
                if problem is not None:
                    problems.append(_problem(checked.line, "gebeurtenis", translate(problem)))
                    checked.excluded = True
                else:
                    accepted = [*accepted, event]
                    self.order.append(checked)
        return problems

    def to_write(self, results: list[Checked]) -> list[Checked]:
        """In the order :meth:`cross` accepted them: per traject by date, so each follows its predecessor."""
        return [c for c in self.order if c.ok]

    def write(self, checked: Checked) -> None:
        row: EventRow = checked.value
        record_event(row.traject, row.data, self.user, self.today, import_key=row.import_key)

    def write_failed(self, checked: Checked, error: Exception) -> dict:
        if isinstance(error, TrajectError):
            return _problem(checked.line, "gebeurtenis", translate(error.message))
        return _problem(checked.line, "", _("Deze gebeurtenis is al geïmporteerd."))


def make_checker(kind: ImportKind, user: User, today: date) -> ClientChecker | EventChecker:
    return ClientChecker(user, today) if kind == ImportKind.CLIENTS else EventChecker(user, today)


# --- checking and importing a batch ---------------------------------------------------------------


def _problem(line: int, column: str, message: Any) -> dict:
    return {"line": line, "column": column, "message": str(message)}


def _sorted(problems: list[dict], kind: ImportKind) -> list[dict]:
    order = {name: i for i, name in enumerate(COLUMNS[kind])}
    return sorted(problems, key=lambda p: (p["line"], order.get(p["column"], -1)))


def _row_problems(checked: Checked) -> list[dict]:
    return [_problem(checked.line, column, message) for column, message in checked.problems]


def batch_rows(batch: ImportBatch) -> list[Row]:
    return parse(batch.content, batch.kind)


def check_step(batch: ImportBatch, size: int, today: date) -> None:
    """Check the next ``size`` rows; with the last of them, the checks that need the whole file."""
    checker = make_checker(batch.kind, batch.uploaded_by, today)
    rows = batch_rows(batch)
    start = batch.checked_rows
    step = rows[start:start + max(size, 1)]
    checker.prefetch(step)
    step_results = [checker.check(row) for row in step]
    problems = [*batch.problems, *(p for c in step_results for p in _row_problems(c))]
    batch.checked_rows = start + len(step)
    if batch.checked_rows >= len(rows):
        earlier = rows[:start]
        checker.prefetch(earlier)
        results = [checker.check(row) for row in earlier] + step_results
        refused = {p["line"] for p in problems}
        for checked in results:
            checked.excluded = checked.excluded or checked.line in refused
        problems += checker.cross(results)
        batch.checked_rows = len(rows)
        batch.status = ImportStatus.CHECKED
    batch.problems = _sorted(problems, batch.kind)


class ImportRefused(Exception):
    """The import was refused as a whole: nothing was written. ``problems`` are the rows' current problems."""

    def __init__(self, message: str, problems: list[dict]):
        super().__init__(message)
        self.message = message
        self.problems = problems


def import_batch(batch: ImportBatch, user: User, only_valid: bool, today: date) -> None:
    """Check every row again, against the database as it is now, and write: all rows, or only the valid ones.

    Runs inside the caller's transaction: the caller commits, or rolls back on :class:`ImportRefused` or
    any other error. Each row is written in its own savepoint, so that when only the valid rows are
    imported a row the database refuses after all is skipped and reported instead of spoiling the rest.
    """
    checker = make_checker(batch.kind, user, today)
    rows = batch_rows(batch)
    checker.prefetch(rows)
    results = [checker.check(row) for row in rows]
    problems = [p for c in results for p in _row_problems(c)]
    problems += checker.cross(results)
    problems = _sorted(problems, batch.kind)
    bad_lines = {p["line"] for p in problems}
    if bad_lines and not only_valid:
        raise ImportRefused(_("Het bestand heeft %(n)s regels met fouten. Kies ervoor alleen de geldige regels "
                              "te importeren, of verwerp het bestand.", n=len(bad_lines)), problems)
    if not any(c.ok for c in results):
        raise ImportRefused(_("Geen enkele regel is zonder fouten: er valt niets te importeren."), problems)
    created = 0
    for checked in checker.to_write(results):
        try:
            with session.begin_nested():
                checker.write(checked)
        except (TrajectError, IntegrityError) as error:
            problem = checker.write_failed(checked, error)
            if not only_valid:
                raise ImportRefused(_("Regel %(line)s kon niet worden opgeslagen: %(problem)s",
                                      line=checked.line, problem=problem["message"]),
                                    _sorted([*problems, problem], batch.kind)) from error
            problems.append(problem)
            checked.excluded = True
        else:
            created += 1
    unchanged = sum(1 for c in results if c.ok and c.unchanged)
    batch.problems = _sorted(problems, batch.kind)
    batch.created_count = created
    batch.unchanged_count = unchanged
    batch.skipped_count = len(rows) - created - unchanged
    batch.status = ImportStatus.IMPORTED
    batch.imported_at = utcnow()


# --- forms and pages ------------------------------------------------------------------------------


class UploadForm(FlaskForm):
    kind = SelectField(_l("Wat importeer je?"), validate_choice=False)
    file = FileField(_l("CSV-bestand"), validators=[FileRequired(_l("Kies een CSV-bestand."))],
                     render_kw={"accept": ".csv,text/csv"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k.value, str(KIND_LABELS[k])) for k in importable_kinds()]

    def validate_kind(self, field) -> None:
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(str(_l("Kies wat je wilt importeren.")))


class ImportForm(FlaskForm):
    only_valid = BooleanField(_l("Ik importeer alleen de geldige regels"), render_kw={"value": "1", "required": True})


def importable_kinds() -> list[ImportKind]:
    return [k for k in ImportKind if can(PERMISSIONS[k])]


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "import_kind_label": lambda k: KIND_LABELS[ImportKind(k)],
        "import_status_label": lambda s: STATUS_LABELS[ImportStatus(s)],
        "import_columns": COLUMNS,
        "ImportStatus": ImportStatus,
    }


def _batch(batch_id: int, lock: bool = False) -> ImportBatch:
    """The batch if it is the user's own (an admin sees all); 404 otherwise, never a hint that it exists."""
    if batch_id > MAX_ID:
        abort(404)
    stmt = select(ImportBatch).where(ImportBatch.id == batch_id)
    if current_user.role != Role.ADMIN:
        stmt = stmt.where(ImportBatch.uploaded_by_id == current_user.id)
    if lock:
        stmt = stmt.with_for_update()
    batch = session.scalar(stmt)
    if batch is None:
        abort(404)
    if not can(PERMISSIONS[batch.kind]):
        abort(403)
    return batch


def _render_index(form: UploadForm, status: int = 200):
    stmt = (select(ImportBatch).options(defer(ImportBatch.content), selectinload(ImportBatch.uploaded_by))
            .order_by(ImportBatch.uploaded_at.desc(), ImportBatch.id.desc()).limit(25))
    if current_user.role != Role.ADMIN:
        stmt = stmt.where(ImportBatch.uploaded_by_id == current_user.id)
    return render_template("imports/index.html", form=form, batches=list(session.scalars(stmt)),
                           kinds=importable_kinds()), status


@bp.route("/")
@requires(Permission.IMPORT_EVENTS)
def index():
    return _render_index(UploadForm(formdata=None))


@bp.route("/", methods=["POST"])
@requires(Permission.IMPORT_EVENTS)
def upload():
    form = UploadForm()
    if form.kind.data == ImportKind.CLIENTS.value and not can(Permission.IMPORT_CLIENTS):
        abort(403)
    if not form.validate_on_submit():
        return _render_index(form, 422)
    kind = ImportKind(form.kind.data)
    upload_file = form.file.data
    raw = upload_file.read()
    try:
        text = decode(raw)
        rows = parse(text, kind)
    except FileError as error:
        form.file.errors = [*form.file.errors, str(error)]
        return _render_index(form, 422)
    filename = (upload_file.filename or "import.csv").replace("\\", "/").rsplit("/", 1)[-1][:200]
    digest = hashlib.sha256(raw).hexdigest()
    seen = session.scalar(select(ImportBatch.id).where(
        ImportBatch.uploaded_by_id == current_user.id, ImportBatch.sha256 == digest,
        ImportBatch.status == ImportStatus.IMPORTED).limit(1))
    batch = ImportBatch(kind=kind, filename=filename, sha256=digest, content=text, status=ImportStatus.CHECKING,
                        total_rows=len(rows), checked_rows=0, problems=[], uploaded_by_id=current_user.id)
    session.add(batch)
    session.commit()
    if seen is not None:
        flash(_("Je hebt dit bestand al eerder geïmporteerd. Regels die er al zijn, worden niet nog eens "
                "opgeslagen."), "info")
    return redirect(url_for("imports.batch", batch_id=batch.id))


def _render_batch(batch: ImportBatch, form: ImportForm | None = None, status: int = 200,
                  import_error: str | None = None):
    problems = batch.problems or []
    bad_lines = len({p["line"] for p in problems})
    valid_rows = max(batch.total_rows - bad_lines, 0)
    form = form or ImportForm(formdata=None)
    own = batch.uploaded_by_id == current_user.id
    form.only_valid.label.text = _("Ik importeer alleen de %(n)s geldige regels; de regels met fouten worden "
                                   "niet opgeslagen", n=valid_rows)
    return render_template("imports/batch.html", batch=batch, problems=problems, bad_lines=bad_lines,
                           valid_rows=valid_rows, form=form, import_error=import_error,
                           may_import=own, may_discard=own or current_user.role == Role.ADMIN), status


@bp.route("/<int:batch_id>")
@requires(Permission.IMPORT_EVENTS)
def batch(batch_id: int):
    return _render_batch(_batch(batch_id))


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


@bp.route("/<int:batch_id>/controleren", methods=["POST"])
@requires(Permission.IMPORT_EVENTS)
def check(batch_id: int):
    """One step of the check. Always as the uploader: an admin looking on gets the uploader's results."""
    found = _batch(batch_id, lock=True)
    expected = request.form.get("from", "")
    in_step = not expected.isdigit() or int(expected) == found.checked_rows  # a second tab does not check twice
    if found.status == ImportStatus.CHECKING and in_step:
        try:
            check_step(found, current_app.config["IMPORT_CHECK_ROWS_PER_STEP"], clock.today())
            session.commit()
        except Exception:
            session.rollback()
            raise
    if _wants_json():
        return jsonify(checked=found.checked_rows, total=found.total_rows,
                       done=found.status != ImportStatus.CHECKING)
    return redirect(url_for("imports.batch", batch_id=found.id))


@bp.route("/<int:batch_id>/importeren", methods=["POST"])
@requires(Permission.IMPORT_EVENTS)
def run(batch_id: int):
    found = _batch(batch_id, lock=True)
    if found.uploaded_by_id != current_user.id:
        abort(403)  # only the uploader imports: the rows are checked against their gemeenten and trajecten
    if found.status != ImportStatus.CHECKED:
        flash(_("Dit bestand kan nu niet worden geïmporteerd: het is %(status)s.",
                status=STATUS_LABELS[found.status]), "warning")
        return redirect(url_for("imports.batch", batch_id=found.id))
    form = ImportForm()
    only_valid = request.form.get("only_valid") == "1"
    try:
        import_batch(found, current_user, only_valid, clock.today())
        session.commit()
    except ImportRefused as refused:
        session.rollback()
        found = _batch(batch_id)
        found.problems = refused.problems  # what the check found now; no client or event was stored
        session.commit()
        form.only_valid.errors = [refused.message]
        return _render_batch(found, form, 422, import_error=refused.message)
    except Exception:
        session.rollback()
        raise
    flash(_("De import is klaar: %(created)s nieuw, %(unchanged)s al aanwezig, %(skipped)s overgeslagen.",
            created=found.created_count, unchanged=found.unchanged_count, skipped=found.skipped_count), "success")
    return redirect(url_for("imports.batch", batch_id=found.id))


@bp.route("/<int:batch_id>/verwerpen", methods=["POST"])
@requires(Permission.IMPORT_EVENTS)
def discard(batch_id: int):
    found = _batch(batch_id, lock=True)
    if found.status in (ImportStatus.CHECKING, ImportStatus.CHECKED):
        found.status = ImportStatus.DISCARDED
        found.content = ""  # the rows (BSNs among them) are not kept for a file that was not taken in
        session.commit()
        flash(_("Het bestand is verworpen; er is niets uit opgeslagen."), "success")
    else:
        flash(_("Dit bestand kan niet meer worden verworpen: het is %(status)s.",
                status=STATUS_LABELS[found.status]), "warning")
    return redirect(url_for("imports.batch", batch_id=found.id))


def _example(kind: ImportKind) -> list[str]:
    today = _day(clock.today())
    if kind == ImportKind.CLIENTS:
        ids = gemeente_ids_for(current_user)
        stmt = select(Gemeente.cbs_code).order_by(Gemeente.name).limit(1)
        if ids is not None:
            stmt = stmt.where(Gemeente.id.in_(ids))
        cbs = session.scalar(stmt) or "GM0363"
        group = session.scalar(select(TargetGroup.code).order_by(TargetGroup.code).limit(1)) or "algemeen"
        return ["999999990", "Fenna", "de Vries", "17-05-1990", cbs, "participatiewet", "1.234,56", group, "2", "3"]
    return ["T000012", "placement", today, "", "Bakkerij De Korenschoof", "32", "regular", "12", "nee",
            "2.150,00", "Plaatsing na werkervaringsplek"]


@bp.route("/sjabloon/<kind>.csv")
@requires(Permission.IMPORT_EVENTS)
def download_template(kind: str):
    """A header row and one example row, ``;``-separated, UTF-8 with BOM so that Excel opens it as it is."""
    if kind not in ImportKind._value2member_map_:
        abort(404)
    chosen = ImportKind(kind)
    if not can(PERMISSIONS[chosen]):
        abort(403)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(COLUMNS[chosen])
    writer.writerow(_example(chosen))
    return Response(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{TEMPLATE_NAMES[chosen]}"'})
