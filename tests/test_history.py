"""The record history speaks the user's words: labels for fields, names for the rows a field points to,
ja/nee, enum labels, euros and dates, never a column name or a raw database value."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy import inspect

from app.db import Base
from app.history import ENUM_LABELS, FIELD_LABELS, HIDDEN, VALUE_LABELS, labelled
from app.models import AwardCriterion, Client, Contract, ContractStatus, Provider, ProviderStatus
from app.models.audit import Audited
from tests.conftest import tbody


def history_of(page: str) -> str:
    """The history table of a page, with the non-breaking spaces of money and dates as plain spaces."""
    section = page.split('aria-labelledby="history-title"', 1)[1].split("</section>", 1)[0]
    return re.sub(r"\s+", " ", section.replace("\xa0", " ").replace("\u202f", " "))


def test_a_gemeente_history_names_its_executing_body(as_role, world):
    c = as_role("admin")
    gemeente = world.gemeenten[2]
    response = c.post(f"/gemeenten/{gemeente.id}/bewerken",
                      data={"name": "Ceeveen", "cbs_code": "GM8003", "executing_body_id": world.body.id})
    assert response.status_code == 302
    shown = history_of(c.get(f"/gemeenten/{gemeente.id}").get_data(as_text=True))
    assert "<dt>Uitvoeringsorganisatie</dt>" in shown
    assert "<del>—</del> → <ins>Sociale Dienst Testland</ins>" in shown
    assert "executing_body_id" not in shown and f"<ins>{world.body.id}</ins>" not in shown
    assert "<dt>CBS-gemeentecode</dt>" in shown and "cbs_code" not in shown


def test_a_client_history_shows_gemeente_names_benefit_labels_money_and_the_reason_for_a_bsn_look(
        as_role, world, db):
    client = world.clients[0]
    c = as_role("klantmanager")
    response = c.post(f"/clienten/{client.id}/bewerken", data={
        "first_name": client.first_name, "last_name": client.last_name, "birth_date": "",
        "gemeente_id": str(world.gemeenten[1].id), "benefit_type": "ioaw", "monthly_benefit": "980,50",
        "target_group_id": str(client.target_group_id), "klantmanager_id": str(client.klantmanager_id)})
    assert response.status_code == 302
    c.post(f"/clienten/{client.id}/bsn", data={"reason": "contact"})
    shown = history_of(c.get(f"/clienten/{client.id}").get_data(as_text=True))
    assert "<dt>Gemeente</dt> <dd><del>Aastad</del> → <ins>Beedorp</ins>" in shown
    assert "<dt>Uitkering</dt> <dd><del>Participatiewet</del> → <ins>IOAW</ins>" in shown
    assert "<dt>Uitkering per maand</dt> <dd><del>€ 1.250,00</del> → <ins>€ 980,50</ins>" in shown
    assert "<dt>Klantmanager</dt>" in shown and "<ins>Klantmanager</ins>" in shown  # the user's name
    assert "<dt>Reden</dt> <dd>Contact met de cliënt of een andere instantie" in shown
    for technical in ("gemeente_id", "benefit_type", "monthly_benefit", "ioaw<", "participatiewet<", "1250.00",
                      "klantmanager_id", "search_name", ">contact<"):
        assert technical not in shown, technical


def test_a_tender_history_says_ja_for_the_price_criterion(as_role, world, db):
    criterion = db.get(AwardCriterion, next(a.id for a in world.tender.award_criteria if a.is_price))
    criterion.is_price = False
    db.commit()
    shown = history_of(as_role("inkoper").get(f"/aanbestedingen/{world.tender.id}").get_data(as_text=True))
    assert "<dt>Prijscriterium</dt> <dd><del>ja</del> → <ins>nee</ins>" in shown
    assert "is_price" not in shown and "True" not in shown and "False" not in shown
    assert "<dt>Aanbesteding</dt>" in shown and "tender_id" not in shown


def test_a_contract_history_shows_status_labels_euros_and_dates(as_role, world, db):
    contract = db.get(Contract, world.contract.id)
    contract.status = ContractStatus.REFERRAL_STOP
    contract.budget_ceiling = Decimal("50000.00")
    contract.end_date = date(2030, 12, 31)
    db.commit()
    shown = history_of(as_role("inkoper").get(f"/contracten/{contract.id}").get_data(as_text=True))
    assert "<dt>Status</dt> <dd><del>actief</del> → <ins>verwijsstop</ins>" in shown
    assert "<dt>Budgetplafond</dt> <dd><del>€ 100.000,00</del> → <ins>€ 50.000,00</ins>" in shown
    assert "<ins>31-12-2030</ins>" in shown
    for technical in ("referral_stop", "budget_ceiling", "2030-12-31", "end_date", "provider_id"):
        assert technical not in shown, technical
    assert "<ins>Werk Eerst B.V.</ins>" in shown  # the provider by name, on the contract's creation


def test_a_provider_history_shows_its_status_label_and_date(as_role, world, db):
    provider = db.get(Provider, world.providers[0].id)
    provider.status = ProviderStatus.ENDED
    provider.status_since = date(2026, 3, 1)
    db.commit()
    shown = history_of(as_role("inkoper").get(f"/aanbieders/{provider.id}").get_data(as_text=True))
    assert "<del>actief</del> → <ins>beëindigd</ins>" in shown and "<ins>01-03-2026</ins>" in shown
    assert "status_since" not in shown and ">ended<" not in shown


def test_an_invoice_entry_names_its_contract_and_provider_and_labels_its_status(app, world, db):
    from app.audit import history_for

    with app.test_request_context():
        entries = history_for(db, "invoice", world.invoice.id)
        create = next(s for s in labelled(entries) if s.entry.action == "create" and s.entry.entity_type == "invoice")
        totals = [c.after for s in labelled(entries) for c in s.changes if c.label == "Totaal" and c.after]
    changes = {change.label: change.after for change in create.changes}
    assert changes["Contract"] == "C-TEST-1 Werkfit Aastad"
    assert changes["Aanbieder"] == "Werk Eerst B.V."
    assert changes["Status"] == "concept"
    assert changes["Herkomst"] == "zelffacturering"
    # 70% of 2.500,00 earned by the start, plus 21% VAT: 1.750,00 + 367,50 = 2.117,50
    assert "€ 2.117,50" in [total.replace("\xa0", " ") for total in totals]
    assert changes["Creditnota"] == "nee"
    assert changes["Aangemaakt door"] == "Finance"


def test_the_audit_log_names_records_and_fields_in_words(as_role, world):
    rows = tbody(as_role("admin").get("/beheer/auditlog", query_string={"q": "gemeente"}).get_data(as_text=True))
    assert "executing_body_id" not in rows and "cbs_code" not in rows and "id, " not in rows
    assert "CBS-gemeentecode, Naam" in rows


def test_every_audited_column_has_a_label_and_every_enum_value_one_too():
    """A new column or enum member cannot reach a history as its database name."""
    for mapper in Base.registry.mappers:
        model = mapper.class_
        if not issubclass(model, Audited):
            continue
        for attr in inspect(model).column_attrs:
            key = attr.key
            if key in model.__audit_ignored__ or key in HIDDEN:
                continue
            assert (model.__tablename__, key) in FIELD_LABELS or key in FIELD_LABELS, (model.__tablename__, key)
            column_type = attr.columns[0].type
            enum_class = getattr(column_type, "enum_class", None)
            if enum_class is not None:
                assert set(ENUM_LABELS[enum_class]) == set(enum_class), enum_class
        for rel in inspect(model).relationships:
            if rel.secondary is not None:
                assert rel.key in FIELD_LABELS, (model.__tablename__, rel.key)
    assert all(labels for labels in VALUE_LABELS.values())


def test_a_deleted_row_and_an_unlabelled_old_value_are_still_shown(app, world, db):
    """Entries outlive the rows they point to and the shape of older versions; neither may break a page."""
    from app.models import AuditEntry

    entry = AuditEntry(actor_label="test", action="update", entity_type="client", entity_id=1,
                       changes={"gemeente_id": {"before": 999999, "after": None},
                                "monthly_benefit": {"before": "not a number", "after": "12.5"}})
    with app.test_request_context():
        (shown,) = labelled([entry])
    changes = {change.label: (change.before, change.after) for change in shown.changes}
    assert changes["Gemeente"] == ("gemeente 999999", None)
    assert changes["Uitkering per maand"][0] == "not a number"
    assert changes["Uitkering per maand"][1].replace("\xa0", " ") == "€ 12,50"
    assert Client.__tablename__ == "client"
