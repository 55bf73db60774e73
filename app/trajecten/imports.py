"""The rows of an import file, read and checked: clients and traject events (the columns: docs/import.md).

Each reader turns a :class:`~app.tabular.Row` into what the service stores (a client's data, or the
:class:`~app.trajecten.services.EventInput` that the form also makes), noting every problem at its column,
and checks what needs the whole file (the same BSN or event twice, each traject's events in date order)
in ``cross``. Nothing here writes: :mod:`app.trajecten.services` checks a batch in steps and stores it
all-or-nothing, events through ``record_event``, so the lifecycle rules apply to an import exactly as to the
form. Reading the file itself (encodings, delimiters, the header) is the shared kernel's (:mod:`app.tabular`);
numbers and dates are read by :mod:`app.parsing`, as in every form.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.clients.services import ClientData
from app.db import session
from app.i18n import translate
from app.models.clients import BenefitType, Client, TargetGroup
from app.models.registers import Gemeente
from app.models.trajecten import ImportKind, Traject
from app.models.users import Role, User
from app.parsing import TWO_DECIMALS, ParseError, parse_amount, parse_date, parse_number, traject_number
from app.scoping import gemeente_ids_for, traject_scope
from app.tabular import REQUIRED, TOO_MANY_CELLS, Row, csv_records, rows_of
from app.trajecten.services import EventInput, TrajectError, engine_event, history, on_benefit
from app.validators import bsn_problem, normalise_bsn, normalise_cbs
from contracts.clients import LADDER_RUNGS, PHASES, check_monthly_benefit, check_past_date
from contracts.events import EventType, ExitReason, WorkKind
from contracts.lifecycle import check_new, may_record, required_details
from contracts.messages import N_, DomainError, Message

CHUNK = 500  # ids per IN (...) query

CLIENT_COLUMNS = ("bsn", "voornaam", "achternaam", "geboortedatum", "gemeente_cbs", "uitkering",
                  "uitkering_per_maand", "doelgroep", "fase", "trede")
EVENT_COLUMNS = ("traject", "gebeurtenis", "datum", "reden", "werkgever", "uren_per_week", "soort_werk",
                 "contractduur_maanden", "onbepaalde_tijd", "brutoloon", "notitie")
COLUMNS = {ImportKind.CLIENTS: CLIENT_COLUMNS, ImportKind.EVENTS: EVENT_COLUMNS}
IMPORTABLE_EVENTS = tuple(t for t in EventType if t != EventType.CORRECTION)

FILL_IN = _l("Vul dit in voor deze gebeurtenis.")
BSN_CONFLICT = _l("Een cliënt met dit BSN bestaat al met andere gegevens; een import overschrijft niets.")
YES_NO = _l("Vul ja of nee in.")
NO_CORRECTION = _l("Een correctie kan niet met een import; leg die vast bij het traject zelf.")
YES = frozenset({"ja", "j", "yes", "y", "true", "waar", "1"})
NO = frozenset({"nee", "n", "no", "false", "onwaar", "0", ""})


def parse(text: str, kind: ImportKind) -> list[Row]:
    """The data rows of a file, after checking its header against the documented columns."""
    return rows_of(csv_records(text), COLUMNS[kind])


def problem(line: int, column: str, message: Any) -> dict:
    return {"line": line, "column": column, "message": str(message)}


# --- reading cells --------------------------------------------------------------------------------


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

    def obeys(self, column: str, rule: Callable[[], None]) -> None:
        """Run a rule of the domain on what the row says; its refusal is this column's problem, in the same words
        as the form shows."""
        try:
            rule()
        except DomainError as refusal:
            self.checked.fail(column, translate(refusal.message))

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
        try:
            return parse_date(value)
        except ParseError as error:
            self.checked.fail(column, translate(error.message))
            return None

    def number(self, column: str, low: int, high: int, message: Any, required: bool, missing: Any = REQUIRED,
               integer: bool = False) -> Decimal | None:
        value = self.raw(column)
        if not value:
            if required:
                self.checked.fail(column, missing)
            return None
        try:
            number = parse_number(value)
        except ParseError as error:
            self.checked.fail(column, message if integer else translate(error.message))
            return None
        if integer and number != number.to_integral_value():
            self.checked.fail(column, message)
            return None
        if not low <= number <= high:
            self.checked.fail(column, message)
            return None
        if number.as_tuple().exponent < -2:  # type: ignore[operator]
            self.checked.fail(column, _(TWO_DECIMALS))
            return None
        return number

    def amount(self, column: str, required: bool) -> Decimal | None:
        value = self.raw(column)
        if not value:
            if required:
                self.checked.fail(column, REQUIRED)
            return None
        try:
            return parse_amount(value)
        except ParseError as error:
            self.checked.fail(column, translate(error.message))
            return None

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
class ImportedClient:
    """A new client as one row of a clients file says it: the client form's facts, the BSN and a first assessment."""

    bsn: str
    data: ClientData
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
        self.existing: dict[str, list[Client]] = {}

    def prefetch(self, rows: list[Row]) -> None:
        """The records of the rows' BSNs that the user may see; one they may not see plays no part in checking
        (the service asks its gemeente for a transfer), so that a row's outcome never tells it exists."""
        wanted = sorted({normalise_bsn(r.values.get("bsn", "")) for r in rows} - {""} - set(self.existing))
        for chunk in _chunks(wanted):
            self.existing.update({bsn: [] for bsn in chunk})
            for client in session.scalars(select(Client).where(Client.bsn.in_(chunk)).order_by(Client.id)):
                if self._may_see(client):
                    self.existing[client.bsn].append(client)

    def _bsn(self, cells: Cells) -> str | None:
        raw = cells.raw("bsn")
        if not raw:
            cells.checked.fail("bsn", REQUIRED)
            return None
        invalid = bsn_problem(raw)
        if invalid:
            cells.checked.fail("bsn", invalid)
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
        if birth_date is not None:
            cells.obeys("geboortedatum", lambda: check_past_date(birth_date, self.today, "geboortedatum", birth=True))
        gemeente = self._gemeente(cells)
        benefit = cells.choice("uitkering", [b.value for b in BenefitType],
                               _("Kies als uitkering een van: %(values)s.",
                                 values=", ".join(b.value for b in BenefitType)))
        amount = cells.amount("uitkering_per_maand", required=benefit != BenefitType.NONE.value)
        if amount is None and benefit == BenefitType.NONE.value and not cells.raw("uitkering_per_maand"):
            amount = Decimal("0.00")
        if amount is not None and benefit is not None:
            has_benefit = benefit != BenefitType.NONE.value
            cells.obeys("uitkering_per_maand", lambda: check_monthly_benefit(amount, has_benefit))
        group = cells.choice("doelgroep", self.groups, _("Onbekende doelgroep; gebruik een van: %(values)s.",
                                                        values=", ".join(t.code for t in self.groups.values())))
        phase = cells.number("fase", min(PHASES), max(PHASES), _("Kies een fase van 1 tot en met 4."),
                             required=True, integer=True)
        rung = cells.number("trede", min(LADDER_RUNGS), max(LADDER_RUNGS), _("Kies een trede van 1 tot en met 6."),
                            required=True, integer=True)
        if checked.problems:
            return checked
        data = ImportedClient(bsn, ClientData(
            first_name=first_name, last_name=last_name, birth_date=birth_date, gemeente_id=gemeente.id,
            benefit_type=BenefitType(benefit), monthly_benefit=amount, target_group_id=self.groups[group].id,
            klantmanager_id=None), phase=int(phase), ladder_rung=int(rung))
        known = self.existing.get(bsn, [])
        if known:
            if any(_same(client, data) for client in known):
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
                problems.append(problem(checked.line, "bsn", message))
                checked.excluded = True
            else:
                first[checked.key] = checked.line
        return problems

    def to_write(self, results: list[Checked]) -> list[Checked]:
        return [c for c in results if c.ok and not c.unchanged]

    def write_failed(self, checked: Checked, error: Exception) -> dict:
        return problem(checked.line, "bsn", BSN_CONFLICT)


def _same(client: Client, row: ImportedClient) -> bool:
    d = row.data
    return (client.first_name, client.last_name, client.birth_date, client.gemeente_id, client.benefit_type,
            client.monthly_benefit, client.target_group_id, client.phase, client.ladder_rung) == (
        d.first_name, d.last_name, d.birth_date, d.gemeente_id, d.benefit_type, d.monthly_benefit,
        d.target_group_id, row.phase, row.ladder_rung)


# --- events ---------------------------------------------------------------------------------------


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
                    .options(selectinload(Traject.events), selectinload(Traject.contract),
                             selectinload(Traject.client)))
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
            checked.fail("datum", translate(Message(N_("De datum %(date)s ligt in de toekomst."), date=day)))
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
                problems.append(problem(checked.line, "", message))
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
                refusal = check_new(traject.referral_date, accepted, event, self.today,
                                    on_benefit=on_benefit(traject.client))
                if refusal is not None:
                    problems.append(problem(checked.line, "gebeurtenis", translate(refusal)))
                    checked.excluded = True
                else:
                    accepted = [*accepted, event]
                    self.order.append(checked)
        return problems

    def to_write(self, results: list[Checked]) -> list[Checked]:
        """In the order :meth:`cross` accepted them: per traject by date, so each follows its predecessor."""
        return [c for c in self.order if c.ok]

    def write_failed(self, checked: Checked, error: Exception) -> dict:
        if isinstance(error, TrajectError):
            return problem(checked.line, "gebeurtenis", translate(error.message))
        return problem(checked.line, "", _("Deze gebeurtenis is al geïmporteerd."))


def make_checker(kind: ImportKind, user: User, today: date) -> ClientChecker | EventChecker:
    return ClientChecker(user, today) if kind == ImportKind.CLIENTS else EventChecker(user, today)


def row_problems(checked: Checked) -> list[dict]:
    return [problem(checked.line, column, message) for column, message in checked.problems]


def sorted_problems(problems: list[dict], kind: ImportKind) -> list[dict]:
    """By line, and within a line in the order of the columns, as the user reads the file."""
    order = {name: i for i, name in enumerate(COLUMNS[kind])}
    return sorted(problems, key=lambda p: (p["line"], order.get(p["column"], -1)))
