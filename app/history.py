"""The record history as a user reads it: what changed, in words, instead of database columns and raw values.

The audit trail (:mod:`app.audit`) keeps what the database held: ``gemeente_id: 1``, ``is_price: true``,
``status: "referral_stop"``, ``amount: "2500.00"``. That is the right thing to keep and the wrong thing to show.
:func:`labelled` turns entries into what every history on every page shows, and it learns how to show a field
from the model that the entry is about: a foreign key becomes the name of the row it points to (read in one
query per kind of row, not one per value), a boolean "ja" or "nee", an enum its label, a date and a moment the
user's notation, money euros. Only the field's label is written here, in :data:`FIELD_LABELS`; a test checks
that every audited column of every model has one, so a new column cannot reach a page as its database name.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Date, DateTime, Numeric, select
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Session

from app.clients.forms import LADDER_LABELS, REVEAL_REASONS
from app.contracting.forms import CONTRACT_STATUS_LABELS, EVALUATION_KIND_LABELS, VERDICT_LABELS
from app.db import Base, session
from app.formatting import money
from app.models.audit import Audited, AuditEntry
from app.models.invoicing import InvoiceSource, LineDecision
from app.navigation import BENEFIT_LABELS, ENTITY_LABELS, PROVIDER_STATUS_LABELS, ROLE_LABELS
from app.tenders.forms import PROCEDURE_LABELS
from app.trajecten.forms import EVENT_LABELS, EXIT_REASON_LABELS, WORK_KIND_LABELS
from contracts.clients import TRANSFER_STATUS_LABELS
from contracts.events import ExitReason, WorkKind
from contracts.lifecycle import STATUS_LABELS as TRAJECT_STATUS_LABELS
from contracts.procurement import TENDER_STATUS_LABELS
from invoicing.matching import VERDICT_LABELS as MATCH_VERDICT_LABELS
from invoicing.status import STATUS_LABELS as INVOICE_STATUS_LABELS
from invoicing.status import STEP_LABELS

# Columns that only the software reads: a row's own id and the key that keeps one traject open per lot.
HIDDEN = frozenset({"id", "open_lot_key"})

# The label of each field, by column name; where one name means different things, by (entity type, name).
FIELD_LABELS: dict[str | tuple[str, str], Any] = {
    "acceptance_days": _l("Termijn voor acceptatie (dagen)"),
    "accepted_on": _l("Geaccepteerd op"),
    "active": _l("Actief"),
    "amount": _l("Bedrag"),
    "approved_cost": _l("Goedgekeurde kosten"),
    "at": _l("Moment"),
    "award_announced_on": _l("Gunningsvoornemen bekendgemaakt op"),
    "award_count": _l("Aantal te gunnen aanbieders"),
    "awarded": _l("Gegund"),
    "benefit_type": _l("Uitkering"),
    "bid_id": _l("Inschrijving"),
    "birth_date": _l("Geboortedatum"),
    "bsn": _l("BSN"),
    "budget_ceiling": _l("Budgetplafond"),
    "by_provider": _l("Gemeld door de aanbieder"),
    "carried_over": _l("Overgeheveld"),
    "cbs_code": _l("CBS-gemeentecode"),
    "certificate_number": _l("Certificaatnummer"),
    "city": _l("Plaats"),
    "claimed_amount": _l("Gedeclareerd bedrag"),
    "claimed_total": _l("Gedeclareerd totaal"),
    "client_group": _l("Cliëntgroep"),
    "client_id": _l("Cliënt"),
    "closing_at": _l("Sluiting inschrijving"),
    "code": _l("Code"),
    "confirmed_at": _l("Bevestigd op"),
    "confirmed_by_id": _l("Bevestigd door"),
    "contract_id": _l("Contract"),
    "contract_months": _l("Duur van het arbeidscontract (maanden)"),
    "contract_version_id": _l("Contractversie"),
    "created_at": _l("Aangemaakt op"),
    "created_by_id": _l("Aangemaakt door"),
    "credit_note": _l("Creditnota"),
    "credits_invoice_id": _l("Crediteert factuur"),
    "criterion_id": _l("Criterium"),
    "decided_at": _l("Besloten op"),
    "decided_by_id": _l("Besloten door"),
    "decision": _l("Besluit"),
    "decision_note": _l("Toelichting bij het besluit"),
    "description": _l("Omschrijving"),
    "dropped_out_on": _l("Uitgevallen op"),
    "due_date": _l("Vervaldatum"),
    "due_on": _l("Verschuldigd op"),
    "durability_months": _l("Duurzaamheidstermijn (maanden)"),
    "durable_on": _l("Duurzaam op"),
    "effective_from": _l("Geldig vanaf"),
    "email": _l("E-mailadres"),
    "employer": _l("Werkgever"),
    "end_date": _l("Einddatum"),
    "ended_on": _l("Beëindigd op"),
    "entitlement_key": _l("Aanspraak"),
    "evaluated_by_id": _l("Geëvalueerd door"),
    "evaluated_on": _l("Geëvalueerd op"),
    "evaluator": _l("Beoordelaar"),
    "event_date": _l("Datum"),
    "event_id": _l("Gebeurtenis"),
    "evidence_id": _l("Bewijsstuk"),
    "executing_body_id": _l("Uitvoeringsorganisatie"),
    "exit_reason": _l("Reden van uitstroom"),
    "exited_on": _l("Uitgestroomd op"),
    "expected_volume": _l("Verwacht aantal trajecten"),
    "export_id": _l("Export"),
    "extension_options": _l("Verlengingsopties"),
    "external_number": _l("Factuurnummer van de aanbieder"),
    "fell_back_on": _l("Teruggevallen op"),
    "filename": _l("Bestandsnaam"),
    "first_name": _l("Voornaam"),
    "full_name": _l("Naam"),
    "function": _l("Functie"),
    "funding_source": _l("Financieringsbron"),
    "gemeente_id": _l("Gemeente"),
    ("client_transfer", "from_gemeente_id"): _l("Van gemeente"),
    ("client_transfer", "to_gemeente_id"): _l("Naar gemeente"),
    ("client_transfer", "requested_by_id"): _l("Aangevraagd door"),
    ("client_transfer", "requested_at"): _l("Aangevraagd op"),
    "gemeenten": _l("Gemeenten"),
    "hours_per_week": _l("Uren per week"),
    "house_number": _l("Huisnummer"),
    "iban": _l("IBAN"),
    "import_key": _l("Importsleutel"),
    "inactivity_days": _l("Termijn zonder activiteit (dagen)"),
    "indicator": _l("Indicator"),
    "intended_award_date": _l("Beoogde gunningsdatum"),
    "invoice_id": _l("Factuur"),
    "is_price": _l("Prijscriterium"),
    "issue_date": _l("Factuurdatum"),
    "kind": _l("Soort"),
    "klantmanager_id": _l("Klantmanager"),
    "knockout_reason": _l("Reden van uitsluiting"),
    "kvk_number": _l("KvK-nummer"),
    "ladder_rung": _l("Trede op de participatieladder"),
    "last_event_on": _l("Laatste gebeurtenis op"),
    "last_name": _l("Achternaam"),
    "light_regime": _l("Sociaal en specifiek (licht regime)"),
    "lot_id": _l("Perceel"),
    "max_duration_months": _l("Maximale duur (maanden)"),
    "media_type": _l("Soort bestand"),
    "monthly_benefit": _l("Uitkering per maand"),
    "motivation": _l("Toelichting"),
    "must_change_password": _l("Moet een eigen wachtwoord kiezen"),
    "name": _l("Naam"),
    "note": _l("Notitie"),
    "notes": _l("Notities"),
    "number": _l("Nummer"),
    ("contract_version", "number"): _l("Versie"),
    ("lot", "number"): _l("Perceelnummer"),
    "oin": _l("OIN"),
    "open_ended": _l("Voor onbepaalde tijd"),
    "outcome_definitions": _l("Definities van resultaten"),
    "paid_on": _l("Betaald op"),
    "passed": _l("Voldoet"),
    "payment_model": _l("Betalingsmodel"),
    "payment_term_days": _l("Betalingstermijn (dagen)"),
    "period_end": _l("Periode tot en met"),
    "period_start": _l("Periode van"),
    "phase": _l("Fase"),
    "phase_at_referral": _l("Fase bij verwijzing"),
    "phone": _l("Telefoon"),
    "placed_on": _l("Geplaatst op"),
    "placement_kind": _l("Soort werk"),
    "position": _l("Regel"),
    "postcode": _l("Postcode"),
    "price": _l("Prijs"),
    "price_ceiling": _l("Plafondprijs"),
    "procedure": _l("Procedure"),
    "provider_id": _l("Aanbieder"),
    "publication_date": _l("Publicatiedatum"),
    "questions_deadline": _l("Uiterste datum voor vragen"),
    "rank": _l("Rang"),
    "reason": _l("Reden"),
    "recorded_at": _l("Vastgelegd op"),
    "recorded_by_id": _l("Vastgelegd door"),
    "reference": _l("Kenmerk"),
    "referral_date": _l("Verwijsdatum"),
    "referred_by_id": _l("Verwezen door"),
    "refused_on": _l("Geweigerd op"),
    "rejection_reason": _l("Reden van afwijzing"),
    "remaining_reported": _l("Gemeld restant"),
    "replaces_id": _l("Vervangt factuur"),
    "returned_on": _l("Teruggemeld op"),
    "revokes_id": _l("Trekt in"),
    "role": _l("Rol"),
    "rule": _l("Regel van het betalingsmodel"),
    "score": _l("Score"),
    "sha256": _l("Vingerafdruk (SHA-256)"),
    "size": _l("Grootte (bytes)"),
    "source": _l("Herkomst"),
    "spent_reported": _l("Gemelde besteding"),
    "standstill_days": _l("Standstill-termijn (dagen)"),
    "standstill_end": _l("Einde standstill-termijn"),
    "start_date": _l("Begindatum"),
    "started_on": _l("Gestart op"),
    "status": _l("Status"),
    "status_reason": _l("Reden van de status"),
    "status_since": _l("Status sinds"),
    "step": _l("Stap"),
    "street": _l("Straat"),
    "submitted_at": _l("Ingediend op"),
    "subtotal": _l("Subtotaal"),
    "target": _l("Doel"),
    "target_group_id": _l("Doelgroep"),
    "tender_id": _l("Aanbesteding"),
    "title": _l("Titel"),
    "tolerance": _l("Marge"),
    "total": _l("Totaal"),
    "total_points": _l("Totaal aantal punten"),
    "traject_id": _l("Traject"),
    "type": _l("Gebeurtenis"),
    "uploaded_at": _l("Geüpload op"),
    "uploaded_by_id": _l("Geüpload door"),
    "user_id": _l("Gebruiker"),
    "username": _l("Gebruikersnaam"),
    "valid_from": _l("Vastgesteld op"),
    "valid_until": _l("Geldig tot en met"),
    "vat": _l("Btw"),
    "vat_category": _l("Btw-categorie"),
    "vat_exemption_reason": _l("Reden van btw-vrijstelling"),
    "vat_number": _l("Btw-nummer"),
    "vat_rate": _l("Btw-tarief (%)"),
    "verdict": _l("Oordeel"),
    "version": _l("Versie"),
    "volume_ceiling": _l("Volumeplafond"),
    "wage": _l("Loon"),
    "website": _l("Website"),
    "weight": _l("Weging"),
    "work_kind": _l("Soort werk"),
    "year": _l("Jaar"),
    # What an action that changes no record logs (see app.audit.record).
    "minutes": _l("Minuten"),
    "evidence": _l("Bewijsstuk"),
    "file": _l("Bestand"),
    "anonymised_at": _l("Geanonimiseerd op"),
    "purged_at": _l("Verwijderd na bewaartermijn op"),
    # What a check of the hash chain logs (see app.audit.record_verification) and what the retention run logs.
    "intact": _l("Intact"),
    "checked": _l("Gecontroleerde regels"),
    "up_to_id": _l("Tot en met regel"),
    "up_to_hash": _l("Hash van die regel"),
    "broken_at": _l("Gebroken bij regel"),
    "retention_kind": _l("Bewaarregel"),
    "fields": _l("Velden"),
}

# Amounts in euros; other decimals (hours, rates, scores, targets) are plain numbers.
MONEY_FIELDS = frozenset({
    "amount", "approved_cost", "budget_ceiling", "carried_over", "claimed_amount", "claimed_total",
    "monthly_benefit", "price", "price_ceiling", "remaining_reported", "spent_reported", "subtotal", "total",
    "vat", "wage",
})

# The label of each value of an enum, whichever column stores it.
ENUM_LABELS: dict[type[enum.Enum], Mapping[Any, Any]] = {
    enum_class: labels for labels in (
        BENEFIT_LABELS, PROVIDER_STATUS_LABELS, ROLE_LABELS, CONTRACT_STATUS_LABELS, EVALUATION_KIND_LABELS,
        VERDICT_LABELS, PROCEDURE_LABELS, EVENT_LABELS, EXIT_REASON_LABELS, WORK_KIND_LABELS,
        TRAJECT_STATUS_LABELS, TENDER_STATUS_LABELS, MATCH_VERDICT_LABELS, INVOICE_STATUS_LABELS, STEP_LABELS,
        {InvoiceSource.SELF_BILLING: _l("zelffacturering"), InvoiceSource.PROVIDER: _l("factuur van de aanbieder")},
        {LineDecision.ACCEPT: _l("geaccepteerd"), LineDecision.REJECT: _l("afgewezen")},
        {status: _l(label) for status, label in TRANSFER_STATUS_LABELS.items()},
    ) for enum_class in {type(member) for member in labels}
}

# Columns that store an enum's value as plain text, and fields whose values have labels of their own.
VALUE_LABELS: dict[tuple[str, str], Mapping[Any, Any]] = {
    ("traject", "exit_reason"): {m.value: EXIT_REASON_LABELS[m] for m in ExitReason},
    ("traject", "placement_kind"): {m.value: WORK_KIND_LABELS[m] for m in WorkKind},
    ("client", "ladder_rung"): LADDER_LABELS,
    ("client_phase_record", "ladder_rung"): LADDER_LABELS,
    ("client", "reason"): REVEAL_REASONS,
}


@dataclass(frozen=True)
class ShownChange:
    """One changed field: its label and the values before and after (None shows as a dash)."""

    label: str
    before: str | None = None
    after: str | None = None
    added: tuple[str, ...] | None = None
    removed: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ShownEntry:
    entry: AuditEntry
    changes: tuple[ShownChange, ...]


@dataclass(frozen=True)
class _Field:
    kind: str
    target: type | None = None  # the model a foreign key points to, or the enum of an enum column


@cache
def _models() -> dict[str, type]:
    return {mapper.class_.__tablename__: mapper.class_ for mapper in Base.registry.mappers
            if issubclass(mapper.class_, Audited)}


@cache
def _field(entity_type: str, key: str) -> _Field:
    """How to show a field, read from the model's column: its type and where a foreign key points."""
    model = _models().get(entity_type)
    column = model.__table__.columns.get(key) if model is not None else None
    if column is None:
        return _Field("text")
    if column.foreign_keys:
        table = next(iter(column.foreign_keys)).column.table.name
        return _Field("reference", _models().get(table))
    kinds = ((Boolean, "boolean"), (DateTime, "datetime"), (Date, "date"), (JSON, "json"), (Numeric, "decimal"))
    if isinstance(column.type, SAEnum) and column.type.enum_class is not None:
        return _Field("enum", column.type.enum_class)
    kind = next((name for sql_type, name in kinds if isinstance(column.type, sql_type)), "text")
    return _Field("money" if kind == "decimal" and key in MONEY_FIELDS else kind)


def field_label(entity_type: str, key: str) -> str:
    label = FIELD_LABELS.get((entity_type, key), FIELD_LABELS.get(key))
    return str(label) if label is not None else key


def field_labels(entry: AuditEntry) -> list[str]:
    """The labels of the fields an entry touches, as the audit log lists them."""
    return sorted((field_label(entry.entity_type, key) for key in entry.changes or {} if key not in HIDDEN),
                  key=str.casefold)


def _label(labels: Mapping[Any, Any], value: Any) -> str | None:
    label = labels.get(value)
    if label is None:
        return None
    return gettext(label) if isinstance(label, str) else str(label)


def record_label(entity_type: str, row_id: Any) -> str:
    """A record as the audit log and a history name one that has no name of its own: its kind and its id."""
    kind = str(ENTITY_LABELS.get(entity_type, entity_type))
    return kind if row_id is None else f"{kind} {row_id}"


def _row_name(row: Any, entity_type: str, row_id: Any) -> str:
    if any("__str__" in vars(kind) for kind in type(row).__mro__[:-1]):  # the row's own name, not object's
        return str(row)
    return record_label(entity_type, row_id)


def _names(session: Session, entries: Iterable[AuditEntry]) -> dict[tuple[type, Any], str]:
    """The name of every row the entries point to by a foreign key: one query per kind of row."""
    wanted: dict[type, set[Any]] = defaultdict(set)
    for entry in entries:
        for key, change in (entry.changes or {}).items():
            field = _field(entry.entity_type, key)
            if field.kind == "reference" and field.target is not None and isinstance(change, dict):
                wanted[field.target].update(v for v in (change.get("before"), change.get("after")) if v is not None)
    names: dict[tuple[type, Any], str] = {}
    for model, ids in wanted.items():
        for row in session.scalars(select(model).where(model.id.in_(ids))):
            names[model, row.id] = _row_name(row, model.__tablename__, row.id)
    return names


def _value(entity_type: str, key: str, value: Any, names: Mapping[tuple[type, Any], str]) -> str | None:
    if value is None or value == "":
        return None
    labels = VALUE_LABELS.get((entity_type, key))
    if labels is not None:
        return _label(labels, value) or str(value)
    field = _field(entity_type, key)
    try:
        if field.kind == "reference":
            if (field.target, value) in names:
                return names[field.target, value]
            table = field.target.__tablename__ if field.target is not None else key.removesuffix("_id")
            return f"{ENTITY_LABELS.get(table, table)} {value}"  # a row deleted since
        if field.kind == "boolean":
            return gettext("ja") if value else gettext("nee")
        if field.kind == "enum" and field.target is not None:
            return _label(ENUM_LABELS.get(field.target, {}), field.target(value)) or str(value)
        if field.kind == "money":
            return money(Decimal(str(value)))
        if field.kind == "decimal":
            return format_decimal(Decimal(str(value)))
        if field.kind == "date":
            return format_date(date.fromisoformat(str(value)), "short")
        if field.kind == "datetime":
            return format_datetime(datetime.fromisoformat(str(value)), "short")
        if field.kind == "json":
            name = value.get("name") if isinstance(value, dict) else None
            return str(name) if name else gettext("ingevuld")
    except (ValueError, InvalidOperation):
        pass  # a value an older version of the software wrote in another shape: shown as it was kept
    return str(value)


def _shown(entry: AuditEntry, names: Mapping[tuple[type, Any], str]) -> tuple[ShownChange, ...]:
    shown = []
    for key, change in (entry.changes or {}).items():
        if key in HIDDEN:
            continue
        label = field_label(entry.entity_type, key)
        if isinstance(change, dict) and ("before" in change or "after" in change):
            shown.append(ShownChange(label, _value(entry.entity_type, key, change.get("before"), names),
                                     _value(entry.entity_type, key, change.get("after"), names)))
        elif isinstance(change, dict) and ("added" in change or "removed" in change):
            shown.append(ShownChange(label, added=tuple(change.get("added") or ()),
                                     removed=tuple(change.get("removed") or ())))
        else:  # a detail of a logged action, such as the reason for showing a full BSN
            shown.append(ShownChange(label, after=_value(entry.entity_type, key, change, names)))
    return tuple(sorted(shown, key=lambda change: change.label.casefold()))


def labelled(entries: Sequence[AuditEntry]) -> list[ShownEntry]:
    """Entries as a user reads them; the names behind foreign keys are read in one query per kind of row."""
    names = _names(session, entries)
    return [ShownEntry(entry, _shown(entry, names)) for entry in entries]


def init_app(app: Flask) -> None:
    app.add_template_global(labelled, "labelled_history")
    app.add_template_global(field_labels, "history_field_labels")
    app.add_template_global(record_label)
