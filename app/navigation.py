"""What the layout needs from Python: the menu a role may use and the labels of enums."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.auth.permissions import Permission, can
from app.db import utcnow
from app.models.clients import BenefitType
from app.models.registers import ProviderStatus
from app.models.users import Role


@dataclass(frozen=True)
class MenuItem:
    endpoint: str
    label: str
    permission: Permission

    @property
    def blueprint(self) -> str:
        return self.endpoint.split(".", 1)[0]


MENU = (
    MenuItem("trajecten.worklist", _l("Werklijst"), Permission.VIEW_TRAJECTEN),
    MenuItem("trajecten.index", _l("Trajecten"), Permission.VIEW_TRAJECTEN),
    MenuItem("clients.index", _l("Cliënten"), Permission.VIEW_CLIENTS),
    MenuItem("imports.index", _l("Importeren"), Permission.IMPORT_EVENTS),
    MenuItem("invoices.index", _l("Facturen"), Permission.VIEW_INVOICES),
    MenuItem("budgets.index", _l("Budgetten"), Permission.VIEW_BUDGETS),
    MenuItem("reports.index", _l("Prestaties"), Permission.VIEW_REPORTS),
    MenuItem("reports.marap", _l("Marap"), Permission.VIEW_REPORTS),
    MenuItem("providers.index", _l("Aanbieders"), Permission.VIEW_PROVIDERS),
    MenuItem("tenders.index", _l("Aanbestedingen"), Permission.VIEW_TENDERS),
    MenuItem("contracts.index", _l("Contracten"), Permission.VIEW_CONTRACTS),
    MenuItem("gemeenten.index", _l("Gemeenten"), Permission.VIEW_GEMEENTEN),
    MenuItem("admin.users", _l("Gebruikers"), Permission.MANAGE_USERS),
    MenuItem("admin.target_groups", _l("Doelgroepen"), Permission.MANAGE_REFERENCE_DATA),
    MenuItem("admin.audit_log", _l("Auditlog"), Permission.VIEW_AUDIT),
)

ROLE_LABELS = {
    Role.ADMIN: _l("beheerder"),
    Role.INKOPER: _l("inkoper"),
    Role.KLANTMANAGER: _l("klantmanager"),
    Role.FINANCE: _l("financieel medewerker"),
    Role.MANAGEMENT: _l("management"),
    Role.PROVIDER: _l("aanbieder"),
}

BENEFIT_LABELS = {
    BenefitType.PARTICIPATIEWET: _l("Participatiewet"),
    BenefitType.IOAW: _l("IOAW"),
    BenefitType.IOAZ: _l("IOAZ"),
    BenefitType.NONE: _l("geen uitkering"),
}

PROVIDER_STATUS_LABELS = {
    ProviderStatus.ACTIVE: _l("actief"),
    ProviderStatus.REFERRAL_STOP: _l("verwijsstop"),
    ProviderStatus.ENDED: _l("beëindigd"),
}

AUDIT_ACTION_LABELS = {
    "create": _l("aangemaakt"),
    "update": _l("gewijzigd"),
    "delete": _l("verwijderd"),
    "reveal_bsn": _l("BSN ingezien"),
    "lockout": _l("account geblokkeerd"),
    "view_evidence": _l("bewijsstuk ingezien"),
}


ENTITY_LABELS = {
    "gemeente": _l("gemeente"),
    "executing_body": _l("uitvoeringsorganisatie"),
    "provider": _l("aanbieder"),
    "provider_contact": _l("contactpersoon"),
    "quality_mark": _l("keurmerk"),
    "client": _l("cliënt"),
    "client_phase_record": _l("fase en trede"),
    "user_account": _l("gebruiker"),
    "target_group": _l("doelgroep"),
    "tender": _l("aanbesteding"),
    "lot": _l("perceel"),
    "selection_criterion": _l("selectiecriterium"),
    "award_criterion": _l("gunningscriterium"),
    "bid": _l("inschrijving"),
    "bid_selection": _l("selectie"),
    "bid_score": _l("score"),
    "lot_award": _l("gunning"),
    "contract": _l("contract"),
    "contract_version": _l("contractversie"),
    "contract_evaluation": _l("evaluatie"),
    "traject": _l("traject"),
    "traject_event": _l("gebeurtenis"),
    "event_confirmation": _l("bevestiging"),
    "evidence_file": _l("bewijsstuk"),
    "invoice": _l("factuur"),
    "invoice_line": _l("factuurregel"),
    "invoice_step": _l("factuurstap"),
    "invoice_export": _l("export"),
    "budget": _l("budget"),
    "performance_target": _l("prestatiedoel"),
}


def menu_items() -> list[MenuItem]:
    return [item for item in MENU if can(item.permission)]


def field_attributes(field, hint: bool, autocomplete: str | None) -> dict[str, str]:
    """ARIA wiring for a form control: its hint and error message describe it, and errors mark it invalid."""
    described = [f"{field.id}-hint"] if hint else []
    attrs: dict[str, str] = {}
    if field.errors:
        described.append(f"{field.id}-error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if autocomplete:
        attrs["autocomplete"] = autocomplete
    return attrs


def money(amount) -> str:
    """Euros in the user's language: € 2.500,00 in Dutch, €2,500.00 in English."""
    from flask_babel import format_currency

    return format_currency(amount, "EUR") if amount is not None else "—"


def zip_labels(values, labeller) -> list[tuple[str, str]]:
    """Pair enum values with their translated labels for a select filter."""
    return [(v, str(labeller(v))) for v in values]


def init_app(app: Flask) -> None:
    app.add_template_filter(zip_labels)
    app.add_template_global(utcnow, "now_utc")

    app.jinja_env.globals.update(
        menu_items=menu_items,
        field_attributes=field_attributes,
        money=money,
        can=can,
        Permission=Permission,
        role_label=lambda role: ROLE_LABELS[Role(role)],
        benefit_label=lambda b: BENEFIT_LABELS[BenefitType(b)],
        provider_status_label=lambda s: PROVIDER_STATUS_LABELS[ProviderStatus(s)],
        audit_action_label=lambda a: AUDIT_ACTION_LABELS.get(a, a),
        entity_label=lambda t: ENTITY_LABELS.get(t, t),
    )
