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
from contracts.contracting import PROVIDER_STATUS_LABELS as PROVIDER_STATUS_MSGIDS


@dataclass(frozen=True)
class MenuItem:
    """One entry of the main menu and the pages it stands for.

    ``sections`` are endpoint prefixes: a page belongs to the item with the longest prefix of its endpoint,
    so ``trajecten.worklist`` is Werklijst and every other ``trajecten.`` page is Trajecten. Marking "the
    same blueprint" instead made two or three items current at once where a blueprint has several items.
    """

    endpoint: str
    label: str
    permission: Permission | None
    sections: tuple[str, ...] = ()

    def owns(self, endpoint: str) -> int:
        """How specifically this item owns the endpoint: the length of its longest matching prefix, or 0."""
        return max((len(p) for p in (self.endpoint, *self.sections) if endpoint.startswith(p)), default=0)


START = MenuItem("home.index", _l("Start"), None)
MENU = (
    MenuItem("trajecten.worklist", _l("Werklijst"), Permission.VIEW_TRAJECTEN),
    MenuItem("trajecten.index", _l("Trajecten"), Permission.VIEW_TRAJECTEN, ("trajecten.",)),
    MenuItem("clients.index", _l("Cliënten"), Permission.VIEW_CLIENTS,
             ("clients.", "trajecten.refer_client", "trajecten.client_timeline")),
    MenuItem("imports.index", _l("Importeren"), Permission.IMPORT_EVENTS, ("imports.",)),
    MenuItem("invoices.index", _l("Facturen"), Permission.VIEW_INVOICES, ("invoices.",)),
    MenuItem("budgets.index", _l("Budgetten"), Permission.VIEW_BUDGETS, ("budgets.",)),
    MenuItem("reports.index", _l("Prestaties"), Permission.VIEW_REPORTS, ("reports.",)),
    MenuItem("reports.marap", _l("Marap"), Permission.VIEW_REPORTS),
    MenuItem("providers.index", _l("Aanbieders"), Permission.VIEW_PROVIDERS, ("providers.",)),
    MenuItem("tenders.index", _l("Aanbestedingen"), Permission.VIEW_TENDERS, ("tenders.",)),
    MenuItem("contracts.index", _l("Contracten"), Permission.VIEW_CONTRACTS, ("contracts.",)),
    MenuItem("gemeenten.index", _l("Gemeenten"), Permission.VIEW_GEMEENTEN, ("gemeenten.",)),
    MenuItem("admin.users", _l("Gebruikers"), Permission.MANAGE_USERS, ("admin.user",)),
    MenuItem("admin.target_groups", _l("Doelgroepen"), Permission.MANAGE_REFERENCE_DATA, ("admin.target_group",)),
    MenuItem("admin.audit_log", _l("Auditlog"), Permission.VIEW_AUDIT, ("admin.audit",)),
    MenuItem("jobs.index", _l("Taken"), None, ("jobs.",)),  # everyone's own background jobs
)


def current_item(endpoint: str | None) -> MenuItem | None:
    """The one menu item a page belongs to (None for a page outside the menu, such as the login page)."""
    if not endpoint:
        return None
    best = max((START, *MENU), key=lambda item: item.owns(endpoint))
    return best if best.owns(endpoint) else None


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

PROVIDER_STATUS_LABELS = {status: _l(label) for status, label in PROVIDER_STATUS_MSGIDS.items()}

AUDIT_ACTION_LABELS = {
    "create": _l("aangemaakt"),
    "update": _l("gewijzigd"),
    "delete": _l("verwijderd"),
    "reveal_bsn": _l("BSN ingezien"),
    "lockout": _l("account geblokkeerd"),
    "view_evidence": _l("bewijsstuk ingezien"),
    "verify_chain": _l("hashketen gecontroleerd"),
    "anonymise": _l("geanonimiseerd na bewaartermijn"),
    "purge": _l("verwijderd na bewaartermijn"),
}


ENTITY_LABELS = {
    "gemeente": _l("gemeente"),
    "executing_body": _l("uitvoeringsorganisatie"),
    "provider": _l("aanbieder"),
    "provider_contact": _l("contactpersoon"),
    "quality_mark": _l("keurmerk"),
    "client": _l("cliënt"),
    "client_phase_record": _l("fase en trede"),
    "client_transfer": _l("overdrachtsverzoek"),
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
    "audit_entry": _l("auditregel"),
    "import_batch": _l("importbestand"),
}


def menu_items() -> list[MenuItem]:
    """Start and the items the user's role may use."""
    return [START, *(item for item in MENU if item.permission is None or can(item.permission))]


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


def zip_labels(values, labeller) -> list[tuple[str, str]]:
    """Pair enum values with their translated labels for a select filter."""
    return [(v, str(labeller(v))) for v in values]


def init_app(app: Flask) -> None:
    app.add_template_filter(zip_labels)
    app.add_template_global(utcnow, "now_utc")

    app.jinja_env.globals.update(
        menu_items=menu_items,
        current_menu_item=current_item,
        field_attributes=field_attributes,
        can=can,
        Permission=Permission,
        role_label=lambda role: ROLE_LABELS[Role(role)],
        benefit_label=lambda b: BENEFIT_LABELS[BenefitType(b)],
        provider_status_label=lambda s: PROVIDER_STATUS_LABELS[ProviderStatus(s)],
        audit_action_label=lambda a: AUDIT_ACTION_LABELS.get(a, a),
        entity_label=lambda t: ENTITY_LABELS.get(t, t),
    )
