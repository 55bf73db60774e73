"""Contracts: direct entry and from an award, versioned terms, status, evaluations and simulation."""

from __future__ import annotations

import copy
import html
import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app import clock
from app.models import AuditEntry, Contract, ContractStatus, ContractVersion, LotAward, ProviderStatus
from tests.conftest import TIERS_MODEL

TODAY = clock.today()


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True)).replace("\xa0", " ")


def field_error(response, field_id: str) -> str:
    """The error text next to a field (a <p> from the field macro, or the list under the model textarea)."""
    match = re.search(rf'<(p|div) class="error-message" id="{field_id}-error">(.*?)</\1>', text(response), re.S)
    assert match, f"no error element for {field_id}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(2))).strip()


def iso(day: date) -> str:
    return day.isoformat()


def contract_count(db) -> int:
    return db.scalar(select(func.count(Contract.id)))


def version_count(db) -> int:
    return db.scalar(select(func.count(ContractVersion.id)))


def contract_data(world, **overrides) -> dict:
    data = {
        "number": "C-2026-7",
        "title": "Werkfit Beedorp",
        "provider_id": str(world.providers[0].id),
        "lot_id": "0",
        "gemeenten": [str(world.gemeenten[1].id)],
        "start_date": iso(TODAY - timedelta(days=10)),
        "end_date": iso(TODAY + timedelta(days=365)),
        "extension_options": "2 × 1 jaar",
        "volume_ceiling": "25",
        "budget_ceiling": "62.500,00",
        "status": "active",
        "template": "",
        "payment_model": json.dumps(TIERS_MODEL),
        "outcome_definitions": "Duurzaam: zes maanden regulier werk zonder uitkering.",
    }
    data.update(overrides)
    return data


def amended_model(name: str = "Treden 2027", price: str = "2750.00") -> dict:
    model = copy.deepcopy(TIERS_MODEL)
    model["name"] = name
    model["base_price"] = {"default": price}
    return model


def amend(as_role, world, **overrides):
    data = {"effective_from": iso(TODAY), "reason": "Indexering van de prijs", "template": "",
            "payment_model": json.dumps(amended_model()), "outcome_definitions": "Nieuwe definitie"}
    data.update(overrides)
    return as_role("inkoper").post(f"/contracten/{world.contract.id}/wijziging", data=data)


def award(db, world, awarded: bool = True) -> int:
    lot = world.tender.lots[0]
    bid = lot.bids[0]
    db.add(LotAward(lot=lot, bid=bid, rank=1, total_points=Decimal("87.50"), awarded=awarded,
                    reason="Beste prijs-kwaliteitverhouding" if awarded else "Niet de hoogste score"))
    db.commit()
    return bid.id


# --- list -----------------------------------------------------------------------------------------


def test_index_lists_contracts_with_referral_stop_and_ending_badges(as_role, world, db):
    r = as_role("inkoper").post("/contracten/nieuw", data=contract_data(
        world, number="C-STAP-1", title="Stap Twee kort", provider_id=str(world.providers[1].id),
        end_date=iso(TODAY + timedelta(days=30))))
    assert r.status_code == 302, text(r)
    r = as_role("finance").get("/contracten/")
    assert r.status_code == 200
    body = text(r)
    assert "C-TEST-1" in body and "C-STAP-1" in body
    assert '<caption class="visually-hidden">Contracten</caption>' in body
    row = body.split("C-STAP-1", 1)[1].split("</tr>", 1)[0]
    assert "verwijsstop aanbieder" in row and "loopt af binnen 90 dagen" in row
    row = body.split("C-TEST-1", 1)[1].split("</tr>", 1)[0]
    assert "verwijsstop" not in row and "loopt af" not in row
    assert "Contract toevoegen" not in body  # finance only reads


def test_index_search_filters_and_sort(as_role, world):
    c = as_role("inkoper")
    assert c.post("/contracten/nieuw", data=contract_data(
        world, number="C-STAP-1", title="Activering", provider_id=str(world.providers[1].id),
        gemeenten=[str(world.gemeenten[2].id)], status="draft")).status_code == 302

    def rows(query: str) -> str:
        return text(c.get("/contracten/?" + query)).split("<tbody>", 1)[1].split("</tbody>", 1)[0]

    assert "C-STAP-1" in rows("q=stap twee") and "C-TEST-1" not in rows("q=stap twee")
    assert "C-TEST-1" in rows("q=werkfit") and "C-STAP-1" not in rows("q=werkfit")
    assert "C-STAP-1" in rows("status=draft") and "C-TEST-1" not in rows("status=draft")
    assert "C-TEST-1" in rows(f"provider={world.providers[0].id}")
    assert "C-STAP-1" not in rows(f"provider={world.providers[0].id}")
    assert "C-STAP-1" in rows(f"gemeente={world.gemeenten[2].id}")
    assert "C-TEST-1" not in rows(f"gemeente={world.gemeenten[2].id}")
    assert "C-TEST-1" in rows("status=bogus&provider=x") and "C-STAP-1" in rows("status=bogus&provider=x")
    by_provider = rows("sort=provider&dir=desc")
    assert by_provider.index("C-TEST-1") < by_provider.index("C-STAP-1")  # Werk Eerst after Stap Twee, desc
    by_number = rows("sort=number")
    assert by_number.index("C-STAP-1") < by_number.index("C-TEST-1")


# --- create ---------------------------------------------------------------------------------------


def test_create_form_renders_with_templates(as_role):
    r = as_role("inkoper").get("/contracten/nieuw")
    assert r.status_code == 200
    body = text(r)
    assert 'name="payment_model"' in body
    assert 'value="template:no_cure_less_pay_tiers"' in body
    assert '<label for="gemeenten">Gemeenten</label>' in body


def test_create_directly_stores_contract_version_1_and_audit(as_role, world, db):
    before = contract_count(db)
    r = as_role("inkoper").post("/contracten/nieuw", data=contract_data(world))
    assert r.status_code == 302, text(r)
    db.expire_all()
    assert contract_count(db) == before + 1
    contract = db.scalar(select(Contract).where(Contract.number == "C-2026-7"))
    assert r.headers["Location"].endswith(f"/contracten/{contract.id}")
    assert contract.provider_id == world.providers[0].id and contract.lot_id is None and contract.bid_id is None
    assert [g.name for g in contract.gemeenten] == ["Beedorp"]
    assert contract.status == ContractStatus.ACTIVE
    assert contract.volume_ceiling == 25 and contract.budget_ceiling == Decimal("62500.00")
    assert contract.extension_options == "2 × 1 jaar"
    [version] = contract.versions
    assert version.number == 1 and version.effective_from == contract.start_date
    assert version.reason == "Eerste versie"
    assert version.payment_model == TIERS_MODEL
    assert version.outcome_definitions.startswith("Duurzaam")
    assert version.created_by_id == world.users["inkoper"].id
    entries = db.scalars(select(AuditEntry).where(
        ((AuditEntry.entity_type == "contract") & (AuditEntry.entity_id == contract.id))
        | ((AuditEntry.parent_type == "contract") & (AuditEntry.parent_id == contract.id))
    )).all()
    assert {(e.entity_type, e.action) for e in entries} == {("contract", "create"), ("contract_version", "create")}
    assert all(e.actor_label == "inkoper" for e in entries)
    body = text(as_role("inkoper").get(f"/contracten/{contract.id}"))
    assert "Historie" in body and "contractversie" in body


def test_create_with_template_fills_the_model(as_role, world, db):
    c = as_role("inkoper")
    data = contract_data(world, template="template:tranches", payment_model="")
    r = c.post("/contracten/nieuw", data={**data, "action": "load_template"})
    assert r.status_code == 200
    assert "Betaling in tranches" in text(r)
    assert db.scalar(select(func.count(Contract.id)).where(Contract.number == "C-2026-7")) == 0
    # Saving with an empty model and a chosen template stores the template.
    assert c.post("/contracten/nieuw", data=data).status_code == 302
    db.expire_all()
    contract = db.scalar(select(Contract).where(Contract.number == "C-2026-7"))
    assert contract.versions[0].payment_model["name"] == "Betaling in tranches"


def test_create_from_awarded_bid_is_prefilled_and_linked(as_role, world, db):
    bid_id = award(db, world)
    lot = world.tender.lots[0]
    c = as_role("inkoper")
    r = c.get(f"/contracten/nieuw?bid={bid_id}")
    assert r.status_code == 200
    body = text(r)
    assert f'<option selected value="{world.providers[0].id}">Werk Eerst B.V.</option>' in body
    assert f'<option selected value="{lot.id}">' in body
    for g in world.gemeenten[:2]:
        assert f'<option selected value="{g.id}">{g.name}</option>' in body
    assert f'<option value="{world.gemeenten[2].id}">Ceeveen</option>' in body
    assert 'value="Re-integratie Testland, Perceel 1: Werkfit"' in body
    assert '"name": "Treden"' in body
    priced = {**lot.payment_model, "base_price": {"default": "2400.00"}}
    data = contract_data(world, number="C-GUNNING-1", title="Re-integratie Testland, Perceel 1: Werkfit",
                         lot_id=str(lot.id), gemeenten=[str(g.id) for g in world.gemeenten[:2]],
                         payment_model=json.dumps(priced), status="draft")
    r = c.post(f"/contracten/nieuw?bid={bid_id}", data=data)
    assert r.status_code == 302, text(r)
    db.expire_all()
    contract = db.scalar(select(Contract).where(Contract.number == "C-GUNNING-1"))
    assert contract.bid_id == bid_id and contract.lot_id == lot.id
    assert contract.versions[0].reason == "Gunning AB-TEST-1 perceel 1"
    # One contract per awarded bid.
    r = c.get(f"/contracten/nieuw?bid={bid_id}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/contracten/{contract.id}")


def test_create_from_awarded_bid_keeps_the_bids_provider(as_role, world, db):
    bid_id = award(db, world)
    lot = world.tender.lots[0]
    data = contract_data(world, provider_id=str(world.providers[1].id), lot_id=str(lot.id))
    r = as_role("inkoper").post(f"/contracten/nieuw?bid={bid_id}", data=data)
    assert r.status_code == 422
    assert "aanbieder van de inschrijving" in field_error(r, "provider_id")


@pytest.mark.parametrize("decided", [None, False])
def test_create_from_bid_that_was_not_awarded_is_refused(as_role, world, db, decided):
    if decided is not None:
        award(db, world, awarded=decided)
    bid_id = world.tender.lots[0].bids[0].id
    before = contract_count(db)
    c = as_role("inkoper")
    r = c.get(f"/contracten/nieuw?bid={bid_id}")
    assert r.status_code == 302
    follow = text(c.get(r.headers["Location"]))
    assert "is niet gegund" in follow
    r = c.post(f"/contracten/nieuw?bid={bid_id}", data=contract_data(world, lot_id=str(world.tender.lots[0].id)))
    assert r.status_code == 302
    db.expire_all()
    assert contract_count(db) == before


def test_create_from_unknown_bid_is_404(as_role):
    assert as_role("inkoper").get("/contracten/nieuw?bid=999999").status_code == 404


def test_invalid_json_is_reported_at_the_field_and_nothing_stored(as_role, world, db):
    before, versions = contract_count(db), version_count(db)
    r = as_role("inkoper").post("/contracten/nieuw", data=contract_data(world, payment_model='{"name": "x",'))
    assert r.status_code == 422
    assert "Geen geldige JSON" in field_error(r, "payment_model")
    db.expire_all()
    assert (contract_count(db), version_count(db)) == (before, versions)


def test_invalid_model_lists_every_problem_at_the_field(as_role, world, db):
    model = copy.deepcopy(TIERS_MODEL)
    model["rules"][0]["tiers"][1]["milestone"] = "durable_work"
    before = contract_count(db)
    r = as_role("inkoper").post("/contracten/nieuw", data=contract_data(world, payment_model=json.dumps(model)))
    assert r.status_code == 422
    error = field_error(r, "payment_model")
    assert "rules[0].tiers[1].milestone: onbekende mijlpaal 'durable_work'" in error
    # A schema problem is named by its path too.
    del model["name"]
    r = as_role("inkoper").post("/contracten/nieuw", data=contract_data(world, payment_model=json.dumps(model)))
    assert "verplicht veld 'name' ontbreekt" in field_error(r, "payment_model")
    db.expire_all()
    assert contract_count(db) == before


def test_empty_form_shows_required_fields(as_role, db):
    r = as_role("inkoper").post("/contracten/nieuw", data={})
    assert r.status_code == 422
    for field in ("number", "title", "start_date", "end_date", "payment_model"):
        assert field_error(r, field), field
    assert "Kies een aanbieder" in field_error(r, "provider_id")
    assert "minstens één gemeente" in field_error(r, "gemeenten")


def test_duplicate_number_is_refused(as_role, world, db):
    before = contract_count(db)
    r = as_role("inkoper").post("/contracten/nieuw", data=contract_data(world, number="C-TEST-1"))
    assert r.status_code == 422
    assert "Er is al een contract met dit nummer" in field_error(r, "number")
    db.expire_all()
    assert contract_count(db) == before


@pytest.mark.parametrize("end", [TODAY - timedelta(days=11), TODAY - timedelta(days=10)])
def test_end_date_must_be_after_start(as_role, world, db, end):
    r = as_role("inkoper").post("/contracten/nieuw", data=contract_data(world, end_date=iso(end)))
    assert r.status_code == 422
    assert "na de startdatum" in field_error(r, "end_date")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("volume_ceiling", "0", "1 of meer"),
    ("budget_ceiling", "0", "groter zijn dan € 0"),
    ("budget_ceiling", "veel", "bedrag"),
    ("status", "ended", ""),
])
def test_create_rejects_bad_ceilings_and_status(as_role, world, db, field, value, message):
    r = as_role("inkoper").post("/contracten/nieuw", data=contract_data(world, **{field: value}))
    assert r.status_code == 422
    assert message in field_error(r, field)


# --- detail ---------------------------------------------------------------------------------------


def test_detail_shows_ceilings_usage_and_terms(as_role, world, db):
    r = as_role("klantmanager").get(f"/contracten/{world.contract.id}")
    assert r.status_code == 200
    body = text(r)
    assert "Werk Eerst B.V." in body and "Aastad, Beedorp" in body
    assert "40 trajecten" in body and "€ 100.000,00" in body
    assert "1 van 40" in body  # the world's one traject takes a place
    assert "antwoord binnen 10 dagen" in body and "hoogstens 24 maanden" in body
    world.contract.acceptance_days, world.contract.volume_ceiling = 5, 1
    db.commit()
    body = text(as_role("klantmanager").get(f"/contracten/{world.contract.id}"))
    assert "antwoord binnen 5 dagen" in body and "plafond bereikt" in body
    assert "van kracht" in body and f"/contracten/{world.contract.id}/versies/1" in body
    assert "Verwijsstop" not in body
    # Read-only roles may simulate but not change.
    assert f"/contracten/{world.contract.id}/simuleren" in body
    assert f"/contracten/{world.contract.id}/bewerken" not in body
    assert f"/contracten/{world.contract.id}/wijziging" not in body


def test_detail_for_editor_offers_edit_amend_evaluate(as_role, world):
    body = text(as_role("inkoper").get(f"/contracten/{world.contract.id}"))
    for path in ("bewerken", "wijziging", "evaluaties/nieuw", "simuleren"):
        assert f"/contracten/{world.contract.id}/{path}" in body


def test_detail_of_unknown_contract_is_404(as_role):
    assert as_role("inkoper").get("/contracten/999999").status_code == 404


def test_detail_shows_referral_stop_of_the_provider(as_role, world, db):
    assert world.providers[1].status == ProviderStatus.REFERRAL_STOP
    r = as_role("inkoper").post("/contracten/nieuw", data=contract_data(
        world, number="C-STAP-1", provider_id=str(world.providers[1].id)))
    assert r.status_code == 302
    body = text(as_role("finance").get(r.headers["Location"]))
    assert "Verwijsstop" in body
    assert "geen nieuwe cliënten" in body and "Lopende trajecten lopen door" in body
    assert "De aanbieder Stap Twee heeft een verwijsstop: Evaluatie" in body


# --- edit -----------------------------------------------------------------------------------------


def edit_data(world, **overrides) -> dict:
    c = world.contract
    data = {"title": c.title, "status": c.status.value, "status_reason": "", "end_date": iso(c.end_date),
            "extension_options": "", "volume_ceiling": "40", "budget_ceiling": "100000.00",
            "gemeenten": [str(g.id) for g in c.gemeenten]}
    data.update(overrides)
    return data


def test_edit_form_is_prefilled(as_role, world):
    body = text(as_role("inkoper").get(f"/contracten/{world.contract.id}/bewerken"))
    assert 'value="Werkfit Aastad"' in body
    assert '<option selected value="active">actief</option>' in body
    assert 'name="payment_model"' not in body  # the model changes through an amendment


@pytest.mark.parametrize("status", ["referral_stop", "ended"])
def test_referral_stop_and_end_need_a_reason(as_role, world, db, status):
    r = as_role("inkoper").post(f"/contracten/{world.contract.id}/bewerken", data=edit_data(world, status=status))
    assert r.status_code == 422
    assert "reden" in field_error(r, "status_reason")
    db.expire_all()
    assert db.get(Contract, world.contract.id).status == ContractStatus.ACTIVE


def test_referral_stop_is_saved_and_shown(as_role, world, db):
    c = as_role("inkoper")
    r = c.post(f"/contracten/{world.contract.id}/bewerken",
               data=edit_data(world, status="referral_stop", status_reason="Te weinig plaatsingen"))
    assert r.status_code == 302
    db.expire_all()
    contract = db.get(Contract, world.contract.id)
    assert contract.status == ContractStatus.REFERRAL_STOP
    assert contract.status_reason == "Te weinig plaatsingen"
    body = text(c.get(f"/contracten/{world.contract.id}"))
    assert "Het contract heeft een verwijsstop: Te weinig plaatsingen" in body
    assert "Lopende trajecten lopen door" in body
    index = text(c.get("/contracten/"))
    assert "verwijsstop" in index.split("C-TEST-1", 1)[1].split("</tr>", 1)[0]


def test_edit_extends_end_date_and_changes_gemeenten_with_history(as_role, world, db):
    new_end = world.contract.end_date + timedelta(days=365)
    c = as_role("inkoper")
    r = c.post(f"/contracten/{world.contract.id}/bewerken", data=edit_data(
        world, end_date=iso(new_end), extension_options="1 × 1 jaar", volume_ceiling="",
        budget_ceiling="", gemeenten=[str(world.gemeenten[0].id)]))
    assert r.status_code == 302
    db.expire_all()
    contract = db.get(Contract, world.contract.id)
    assert contract.end_date == new_end and contract.extension_options == "1 × 1 jaar"
    assert contract.volume_ceiling is None and contract.budget_ceiling is None
    assert [g.name for g in contract.gemeenten] == ["Aastad"]
    assert contract.versions[0].payment_model == TIERS_MODEL
    update = db.scalar(select(AuditEntry).where(AuditEntry.entity_type == "contract",
                                                AuditEntry.entity_id == contract.id, AuditEntry.action == "update"))
    assert update.changes["gemeenten"] == {"removed": ["Beedorp"], "added": []}
    assert update.changes["end_date"]["after"] == new_end.isoformat()


def test_edit_refuses_end_before_start(as_role, world, db):
    r = as_role("inkoper").post(f"/contracten/{world.contract.id}/bewerken",
                                data=edit_data(world, end_date=iso(world.contract.start_date - timedelta(days=1))))
    assert r.status_code == 422
    assert "na de startdatum" in field_error(r, "end_date")


# --- amendments and versions ----------------------------------------------------------------------


def test_amendment_creates_version_2_and_version_1_stays_readable(as_role, world, db):
    r = amend(as_role, world)
    assert r.status_code == 302, text(r)
    assert r.headers["Location"].endswith(f"/contracten/{world.contract.id}/versies/2")
    db.expire_all()
    contract = db.get(Contract, world.contract.id)
    v1, v2 = contract.versions
    assert (v1.number, v2.number) == (1, 2)
    assert v1.payment_model == TIERS_MODEL and v1.reason == "Gunning" and v1.outcome_definitions == ""
    assert v2.payment_model == amended_model() and v2.effective_from == TODAY
    assert v2.reason == "Indexering van de prijs" and v2.outcome_definitions == "Nieuwe definitie"
    assert v2.created_by_id == world.users["inkoper"].id
    assert contract.version_on(TODAY) == v2

    reader = as_role("management")
    page1 = text(reader.get(f"/contracten/{contract.id}/versies/1"))
    page2 = text(reader.get(f"/contracten/{contract.id}/versies/2"))
    assert "Betalingsmodel: Treden<" in page1 and "Treden 2027" not in page1
    assert "Betalingsmodel: Treden 2027" in page2
    assert "€ 2.500,00" in page1 and "€ 2.750,00" not in page1
    assert "€ 2.750,00" in page2 and "70% van € 2.750,00" in page2
    assert "vervangen door een latere versie" in page1 and "van kracht op" in page2
    assert "<details" in page1 and '"base_price"' in page1
    assert "Indexering van de prijs" in page2 and "Inkoper" in page2

    audit = db.scalars(select(AuditEntry).where(AuditEntry.entity_type == "contract_version")).all()
    assert not [e for e in audit if e.action != "create"]  # no version is ever updated


def test_amendment_form_is_prefilled_with_the_current_version(as_role, world):
    body = text(as_role("inkoper").get(f"/contracten/{world.contract.id}/wijziging"))
    assert '"name": "Treden"' in body
    assert f'value="{iso(TODAY)}"' in body


@pytest.mark.parametrize(("day", "message"), [
    (lambda c: c.start_date - timedelta(days=1), "vóór de start"),
    (lambda c: c.end_date + timedelta(days=1), "na de einddatum"),
])
def test_amendment_dates_outside_the_contract_are_refused(as_role, world, db, day, message):
    r = amend(as_role, world, effective_from=iso(day(world.contract)))
    assert r.status_code == 422
    assert message in field_error(r, "effective_from")
    db.expire_all()
    assert len(db.get(Contract, world.contract.id).versions) == 1


def test_amendment_before_the_latest_version_is_refused(as_role, world, db):
    assert amend(as_role, world, effective_from=iso(TODAY + timedelta(days=5))).status_code == 302
    r = amend(as_role, world, effective_from=iso(TODAY))
    assert r.status_code == 422
    assert "vóór versie 2" in field_error(r, "effective_from")
    # The same day as the latest version is fine: the later number wins.
    assert amend(as_role, world, effective_from=iso(TODAY + timedelta(days=5)),
                 payment_model=json.dumps(amended_model("Derde"))).status_code == 302
    db.expire_all()
    contract = db.get(Contract, world.contract.id)
    assert [v.number for v in contract.versions] == [1, 2, 3]
    assert contract.version_on(TODAY + timedelta(days=5)).number == 3


def test_amendment_requires_reason_and_a_valid_model(as_role, world, db):
    model = copy.deepcopy(TIERS_MODEL)
    model["rules"][0]["tiers"][0]["milestone"] = "nope"
    r = amend(as_role, world, reason="", payment_model=json.dumps(model))
    assert r.status_code == 422
    assert field_error(r, "reason") == "Fout: Dit veld is verplicht."
    assert "rules[0].tiers[0].milestone: onbekende mijlpaal 'nope'" in field_error(r, "payment_model")
    db.expire_all()
    assert len(db.get(Contract, world.contract.id).versions) == 1


def test_version_on_picks_the_version_by_date(as_role, world, db):
    later = TODAY + timedelta(days=30)
    assert amend(as_role, world, effective_from=iso(later)).status_code == 302
    db.expire_all()
    contract = db.get(Contract, world.contract.id)
    assert contract.version_on(contract.start_date - timedelta(days=1)) is None
    assert contract.version_on(contract.start_date).number == 1
    assert contract.version_on(later - timedelta(days=1)).number == 1
    assert contract.version_on(later).number == 2
    body = text(as_role("inkoper").get(f"/contracten/{contract.id}"))
    rows = body.split('id="versies"', 1)[1].split("</tbody>", 1)[0]
    assert "van kracht" in rows.split("Versie 1", 1)[1].split("</tr>", 1)[0]
    assert "gaat nog in" in rows.split("Versie 2", 1)[1].split("</tr>", 1)[0]


def test_unknown_version_is_404(as_role, world):
    assert as_role("inkoper").get(f"/contracten/{world.contract.id}/versies/2").status_code == 404
    assert as_role("inkoper").get("/contracten/999999/versies/1").status_code == 404


# --- evaluations ----------------------------------------------------------------------------------


def evaluation(as_role, world, **overrides):
    data = {"kind": "interim", "evaluated_on": iso(TODAY), "verdict": "insufficient", "notes": ""}
    data.update(overrides)
    return as_role("inkoper").post(f"/contracten/{world.contract.id}/evaluaties/nieuw", data=data)


def test_insufficient_verdict_needs_notes(as_role, world, db):
    r = evaluation(as_role, world)
    assert r.status_code == 422
    assert "onvoldoende" in field_error(r, "notes")
    db.expire_all()
    assert db.get(Contract, world.contract.id).evaluations == []


def test_evaluation_is_stored_with_evaluator_and_shown(as_role, world, db):
    r = evaluation(as_role, world, notes="Te weinig plaatsingen in Q1", evaluated_on=iso(TODAY - timedelta(days=3)))
    assert r.status_code == 302
    db.expire_all()
    [e] = db.get(Contract, world.contract.id).evaluations
    assert e.verdict.value == "insufficient" and e.kind.value == "interim"
    assert e.evaluated_by_id == world.users["inkoper"].id and e.evaluated_on == TODAY - timedelta(days=3)
    body = text(as_role("management").get(f"/contracten/{world.contract.id}"))
    assert "Te weinig plaatsingen in Q1" in body and "onvoldoende" in body and "tussentijds" in body
    assert "evaluatie" in body.split('id="history-title"', 1)[1]
    assert evaluation(as_role, world, verdict="good", kind="final").status_code == 302  # notes optional


def test_evaluation_may_not_be_in_the_future(as_role, world):
    r = evaluation(as_role, world, verdict="good", evaluated_on=iso(TODAY + timedelta(days=1)))
    assert r.status_code == 422
    assert "toekomst" in field_error(r, "evaluated_on")


# --- simulation -----------------------------------------------------------------------------------


def test_simulate_page_renders(as_role, world):
    r = as_role("finance").get(f"/contracten/{world.contract.id}/simuleren")
    assert r.status_code == 200
    assert "C-TEST-1 Werkfit Aastad" in text(r)


def test_simulate_compares_with_a_template(as_role, world):
    r = as_role("finance").post(f"/contracten/{world.contract.id}/simuleren", data={
        "compare_with": "template:no_cure_less_pay_tiers", "source": "example", "as_of": "31-12-2027"})
    assert r.status_code == 200, text(r)
    body = text(r)
    assert "Treden" in body and "No cure less pay in treden" in body
    assert "Totaal" in body and "T-001" in body
    total_row = body.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]
    assert total_row.count("€") == 3


def test_simulate_uses_the_version_in_force(as_role, world):
    assert amend(as_role, world, payment_model=json.dumps(amended_model("Treden 2027"))).status_code == 302
    r = as_role("finance").post(f"/contracten/{world.contract.id}/simuleren",
                                data={"compare_with": "", "source": "example", "as_of": "31-12-2027"})
    assert "Treden 2027" in text(r)


# --- permissions (the full matrix is in test_access.py) -----------------------------------------


@pytest.mark.parametrize(("role", "method", "path"), [
    ("klantmanager", "get", "/contracten/nieuw"),
    ("finance", "post", "/contracten/nieuw"),
    ("management", "post", "/contracten/{id}/bewerken"),
    ("klantmanager", "post", "/contracten/{id}/wijziging"),
    ("finance", "post", "/contracten/{id}/evaluaties/nieuw"),
    ("provider", "get", "/contracten/{id}"),
])
def test_only_inkoper_and_admin_change_contracts(as_role, world, db, role, method, path):
    before = (contract_count(db), version_count(db))
    r = getattr(as_role(role), method)(path.format(id=world.contract.id), data=contract_data(world))
    assert r.status_code == 403
    db.expire_all()
    assert (contract_count(db), version_count(db)) == before


def test_admin_may_create(as_role, world, db):
    assert as_role("admin").post("/contracten/nieuw", data=contract_data(world)).status_code == 302


def test_amendment_can_start_from_a_template(as_role, world, db):
    c = as_role("inkoper")
    url = f"/contracten/{world.contract.id}/wijziging"
    r = c.post(url, data={"action": "load_template", "template": "", "effective_from": iso(TODAY), "reason": "x"})
    assert r.status_code == 422
    assert "Kies eerst een sjabloon" in field_error(r, "template")
    r = c.post(url, data={"action": "load_template", "template": "template:tempo", "effective_from": iso(TODAY),
                          "reason": "Tempobonus", "payment_model": json.dumps(TIERS_MODEL)})
    assert r.status_code == 200
    body = text(r)
    assert '"name": "Tempobonus"' in body and "\nTempobonus</textarea>" in body  # the reason is kept
    assert body.index("Wijziging vastleggen</button>") < body.index("Sjabloon invullen</button>")
    db.expire_all()
    assert len(db.get(Contract, world.contract.id).versions) == 1


def test_edit_sets_work_list_terms_and_refuses_out_of_range(as_role, world, db):
    c = as_role("inkoper")
    r = c.post(f"/contracten/{world.contract.id}/bewerken", data=edit_data(world, acceptance_days="0"))
    assert r.status_code == 422
    assert "1 tot en met 90" in field_error(r, "acceptance_days")
    r = c.post(f"/contracten/{world.contract.id}/bewerken",
               data=edit_data(world, acceptance_days="5", durability_months="12", inactivity_days=""))
    assert r.status_code == 302
    db.expire_all()
    terms = db.get(Contract, world.contract.id).terms
    assert (terms.acceptance_days, terms.durability_months, terms.inactivity_days) == (5, 12, 60)


# --- status machine (the table itself is tested in tests/contracts/test_contracting.py) -----------


def test_an_ended_contract_cannot_be_set_active_again(as_role, world, db):
    world.contract.status, world.contract.status_reason = ContractStatus.ENDED, "Looptijd voorbij"
    db.commit()
    c = as_role("inkoper")
    page = text(c.get(f"/contracten/{world.contract.id}/bewerken"))
    assert '<option selected value="ended">beëindigd</option>' in page and 'value="active"' not in page
    r = c.post(f"/contracten/{world.contract.id}/bewerken", data=edit_data(world, status="active"))
    assert r.status_code == 422
    assert "Een contract met status 'beëindigd' kan niet naar 'actief'. Mogelijk: geen." in field_error(r, "status")
    db.expire_all()
    assert db.get(Contract, world.contract.id).status == ContractStatus.ENDED


def test_an_active_contract_does_not_go_back_to_draft(as_role, world, db):
    r = as_role("inkoper").post(f"/contracten/{world.contract.id}/bewerken", data=edit_data(world, status="draft"))
    assert r.status_code == 422
    assert "kan niet naar 'concept'" in field_error(r, "status")


# --- from an award: the link, the bid's price, the standstill ------------------------------------


def test_the_lot_page_links_an_award_to_a_new_contract(as_role, world, db):
    bid_id = award(db, world)
    lot = world.tender.lots[0]
    link = f'href="/contracten/nieuw?bid={bid_id}"'
    assert link in as_role("inkoper").get(f"/aanbestedingen/percelen/{lot.id}").get_data(as_text=True)
    # Management reads tenders but makes no contracts: no link it could not follow.
    assert link not in as_role("management").get(f"/aanbestedingen/percelen/{lot.id}").get_data(as_text=True)


def test_the_lot_page_links_an_award_to_its_contract_once_made(as_role, world, db):
    bid_id = award(db, world)
    world.contract.bid_id = bid_id
    db.commit()
    body = as_role("inkoper").get(f"/aanbestedingen/percelen/{world.tender.lots[0].id}").get_data(as_text=True)
    assert f'href="/contracten/{world.contract.id}"' in body and "?bid=" not in body


def from_bid_data(world, model: dict, **overrides) -> dict:
    lot = world.tender.lots[0]
    return contract_data(world, **{"number": "C-GUNNING-2", "lot_id": str(lot.id), "status": "draft",
                                   "gemeenten": [str(g.id) for g in world.gemeenten[:2]],
                                   "payment_model": json.dumps(model), **overrides})


def test_a_contract_from_a_bid_carries_the_bids_price_and_shows_the_bid(as_role, world, db):
    bid_id = award(db, world)  # the bid asks € 2.400,00; the lot's model says € 2.500,00
    c = as_role("inkoper")
    page = text(c.get(f"/contracten/nieuw?bid={bid_id}"))
    assert '"default": "2400.00"' in page and '"default": "2500.00"' not in page
    assert "€ 2.400,00" in page
    priced = copy.deepcopy(TIERS_MODEL)
    priced["base_price"] = {"default": "2400.00"}
    r = c.post(f"/contracten/nieuw?bid={bid_id}", data=from_bid_data(world, priced))
    assert r.status_code == 302, text(r)
    db.expire_all()
    contract = db.scalar(select(Contract).where(Contract.number == "C-GUNNING-2"))
    assert contract.bid_id == bid_id
    assert contract.versions[0].payment_model["base_price"] == {"default": "2400.00"}
    body = text(c.get(f"/contracten/{contract.id}"))
    assert "Inschrijving" in body and "€ 2.400,00" in body
    assert f'href="/aanbestedingen/percelen/{world.tender.lots[0].id}#gunning"' in body


def test_a_contract_from_a_bid_at_the_template_price_is_refused_at_the_model(as_role, world, db):
    bid_id = award(db, world)
    before = contract_count(db)
    r = as_role("inkoper").post(f"/contracten/nieuw?bid={bid_id}", data=from_bid_data(world, TIERS_MODEL))
    assert r.status_code == 422
    assert "moet de gegunde prijs van de inschrijving zijn (€ 2.400,00)" in field_error(r, "payment_model")
    assert contract_count(db) == before


def test_a_contract_from_a_bid_is_not_active_during_the_standstill(as_role, world, db):
    bid_id = award(db, world)
    world.tender.standstill_end = TODAY + timedelta(days=5)
    db.commit()
    priced = copy.deepcopy(TIERS_MODEL)
    priced["base_price"] = {"default": "2400.00"}
    c = as_role("inkoper")
    before = contract_count(db)
    r = c.post(f"/contracten/nieuw?bid={bid_id}", data=from_bid_data(world, priced, status="active"))
    assert r.status_code == 422
    end = (TODAY + timedelta(days=5)).strftime("%d-%m-%Y")
    assert f"De standstill-termijn loopt tot {end}" in field_error(r, "status")
    assert contract_count(db) == before
    # Saved as a draft, it cannot be made active through the edit form either, until the standstill ends.
    assert c.post(f"/contracten/nieuw?bid={bid_id}", data=from_bid_data(world, priced)).status_code == 302
    db.expire_all()
    contract = db.scalar(select(Contract).where(Contract.number == "C-GUNNING-2"))
    world.contract = contract
    r = c.post(f"/contracten/{contract.id}/bewerken", data=edit_data(world, status="active", volume_ceiling="25",
                                                                     budget_ceiling="62.500,00"))
    assert r.status_code == 422 and f"loopt tot {end}" in field_error(r, "status")
    contract.lot.tender.standstill_end = TODAY
    db.commit()
    r = c.post(f"/contracten/{contract.id}/bewerken", data=edit_data(world, status="active", volume_ceiling="25",
                                                                     budget_ceiling="62.500,00"))
    assert r.status_code == 302, text(r)


# --- simulation over the contract's own trajecten ------------------------------------------------


def test_simulate_offers_the_contracts_own_trajecten_anonymised(as_role, world, db):
    c = as_role("klantmanager")
    page = text(c.get(f"/contracten/{world.contract.id}/simuleren"))
    assert '<option selected value="own">Trajecten van dit contract (geanonimiseerd)</option>' in page
    r = c.post(f"/contracten/{world.contract.id}/simuleren",
               data={"compare_with": "", "source": "own", "as_of": iso(TODAY)})
    assert r.status_code == 200, text(r)
    body = text(r)
    assert "Traject 1" in body
    # 70% of 2500 for the start; the placement waits for confirmation and does not count.
    assert "€ 1.750,00" in body
    client = world.clients[0]
    secrets = (client.first_name, client.last_name, client.bsn, "Bakkerij Aastad", f"/trajecten/{world.traject.id}")
    for secret in secrets:
        assert secret not in body


def test_simulate_shows_only_the_trajecten_in_the_users_scope(as_role, world):
    # klantmanager_c works for Ceeveen; the contract's traject is Aastad's.
    r = as_role("klantmanager_c").post(f"/contracten/{world.contract.id}/simuleren",
                                       data={"compare_with": "", "source": "own", "as_of": iso(TODAY)})
    body = text(r)
    assert r.status_code == 422
    assert "Traject 1" not in body and "€ 1.750,00" not in body
    assert "geen trajecten die u mag zien" in body
