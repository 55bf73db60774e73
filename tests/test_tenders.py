"""Tenders through the web: create, criteria, lots, the status machine, bids, evaluation, scoring and award.

The rules themselves (contracts.procurement) are unit-tested elsewhere; here every step goes through the
Flask test client, and the database is read afterwards to see what a request stored.
"""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app import clock
from app.models import (
    AwardCriterion,
    Bid,
    BidScore,
    BidSelection,
    Lot,
    LotAward,
    Procedure,
    Provider,
    ProviderStatus,
    SelectionCriterion,
    Tender,
)
from contracts.procurement import TENDER_TRANSITIONS, TenderStatus
from tests.conftest import TIERS_MODEL
from tests.test_accessibility import _check

TODAY = clock.today()


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def field_error(response, field_id: str) -> str:
    """The text of the error element that the field macro puts next to ``field_id``."""
    match = re.search(rf'<p class="error-message" id="{re.escape(field_id)}-error">(.*?)</p>', text(response), re.S)
    assert match, f"no error element for {field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("\xa0", " ").strip()


def has_field_error(response, field_id: str) -> bool:
    return f'id="{field_id}-error"' in response.get_data(as_text=True)


def flashes(response) -> str:
    """The flashed messages on a page (after following a redirect)."""
    match = re.search(r'<div class="flashes" role="status">(.*?)</div>', text(response), re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).replace("\xa0", " ") if match else ""


def moment(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M")


def active_provider(db, name: str, kvk: str) -> Provider:
    provider = Provider(name=name, kvk_number=kvk, vat_number="NL123456782B01", iban="NL91ABNA0417164300",
                        status=ProviderStatus.ACTIVE)
    db.add(provider)
    db.commit()
    return provider


def make_tender(db, world, status=TenderStatus.DRAFT, *, reference="AB-T-2", quality=60, price=40, lots=1,
                closing=None) -> Tender:
    """A tender straight in the database, with criteria Kwaliteit/Prijs, one selection criterion and lots."""
    closing = closing or datetime.combine(TODAY + timedelta(days=10), time(12, 0))
    tender = Tender(reference=reference, title="Re-integratie 2027", procedure=Procedure.OPEN, status=status,
                    publication_date=closing.date() - timedelta(days=30),
                    questions_deadline=closing.date() - timedelta(days=10), closing_at=closing,
                    intended_award_date=closing.date() + timedelta(days=14), gemeenten=world.gemeenten[:2])
    for number in range(1, lots + 1):
        tender.lots.append(Lot(number=number, title=f"Perceel {number}", target_group=world.target_groups[0],
                               expected_volume=30, price_ceiling=Decimal("3000.00"), award_count=2,
                               payment_model=TIERS_MODEL))
    tender.selection_criteria.append(SelectionCriterion(name="Solvabiliteit"))
    tender.award_criteria.extend([AwardCriterion(name="Kwaliteit", weight=quality),
                                  AwardCriterion(name="Prijs", weight=price, is_price=True)])
    db.add(tender)
    db.commit()
    return tender


def set_status(db, tender, status, **values):
    tender.status = status
    for key, value in values.items():
        setattr(tender, key, value)
    db.commit()


def go(client, tender, target, reason="", follow=False):
    return client.post(f"/aanbestedingen/{tender.id}/status", data={"target": target, "reason": reason},
                       follow_redirects=follow)


def status_of(db, tender) -> TenderStatus:
    db.expire_all()
    return db.get(Tender, tender.id).status


TENDER_FORM = {
    "reference": "AB-2027-01",
    "title": "Re-integratie Aastad en Beedorp",
    "description": "Gezamenlijke inkoop van re-integratietrajecten.",
    "procedure": "open",
    "light_regime": "y",
    "publication_date": (TODAY + timedelta(days=1)).isoformat(),
    "questions_deadline": (TODAY + timedelta(days=10)).isoformat(),
    "closing_at": moment(datetime.combine(TODAY + timedelta(days=30), time(12, 0))),
    "intended_award_date": (TODAY + timedelta(days=45)).isoformat(),
    "standstill_days": "20",
}


# --- happy path -----------------------------------------------------------------------------------


def test_create_tender_with_lot_and_criteria_and_publish_it(as_role, world, db):
    c = as_role("inkoper")
    form = dict(TENDER_FORM, gemeenten=[world.gemeenten[0].id, world.gemeenten[1].id])
    r = c.post("/aanbestedingen/nieuw", data=form)
    assert r.status_code == 302, text(r)
    db.expire_all()
    tender = db.scalar(select(Tender).where(Tender.reference == "AB-2027-01"))
    assert r.headers["Location"] == f"/aanbestedingen/{tender.id}"
    assert tender.status == TenderStatus.DRAFT
    assert tender.procedure == Procedure.OPEN and tender.light_regime is True
    assert [g.name for g in tender.gemeenten] == ["Aastad", "Beedorp"]
    assert tender.closing_at == clock.to_utc(datetime.combine(TODAY + timedelta(days=30), time(12, 0)))
    assert tender.standstill_days == 20

    r = c.post(f"/aanbestedingen/{tender.id}/percelen/nieuw", data={
        "number": "1", "title": "Werkfit", "target_group_id": str(world.target_groups[0].id),
        "description": "Trajecten naar werk", "expected_volume": "40", "price_ceiling": "3.000,00",
        "award_count": "2", "outcome_definitions": "Duurzaam: zes maanden werk.",
        "template": "template:no_cure_less_pay_tiers", "payment_model": "",
    })
    assert r.status_code == 302, text(r)
    r = c.post(f"/aanbestedingen/{tender.id}/selectiecriteria/nieuw", data={"name": "Solvabiliteit"})
    assert r.status_code == 302
    r = c.post(f"/aanbestedingen/{tender.id}/gunningscriteria/nieuw", data={"name": "Kwaliteit", "weight": "60"})
    assert r.status_code == 302
    r = c.post(f"/aanbestedingen/{tender.id}/gunningscriteria/nieuw",
               data={"name": "Prijs", "weight": "40", "is_price": "y"})
    assert r.status_code == 302

    db.expire_all()
    tender = db.get(Tender, tender.id)
    lot = tender.lots[0]
    assert (lot.number, lot.title, lot.price_ceiling, lot.award_count) == (1, "Werkfit", Decimal("3000.00"), 2)
    assert lot.payment_model["name"] == "No cure less pay in treden"
    assert [(a.name, a.weight, a.is_price) for a in tender.award_criteria] == [("Kwaliteit", 60, False),
                                                                               ("Prijs", 40, True)]
    page = text(c.get(f"/aanbestedingen/{tender.id}"))
    assert "Perceel 1: Werkfit" in page and "Solvabiliteit" in page
    assert "Let op:" not in page  # the weights sum to 100

    r = go(c, tender, "published", follow=True)
    assert "De aanbesteding is gepubliceerd." in flashes(r)
    assert status_of(db, tender) == TenderStatus.PUBLISHED
    # The history shows the tender and its parts (lots and criteria).
    assert "perceel" in page and "gunningscriterium" in page


def test_publish_without_publication_date_sets_it_to_today(as_role, world, db):
    tender = make_tender(db, world)
    tender.publication_date = None
    db.commit()
    go(as_role("inkoper"), tender, "published")
    db.expire_all()
    assert db.get(Tender, tender.id).publication_date == TODAY


def test_draft_pages_are_accessible(as_role, world, db):
    tender = make_tender(db, world)
    c = as_role("admin")
    for url in (f"/aanbestedingen/{tender.id}", f"/aanbestedingen/{tender.id}/bewerken",
                f"/aanbestedingen/{tender.id}/percelen/nieuw", f"/aanbestedingen/percelen/{tender.lots[0].id}/bewerken",
                f"/aanbestedingen/{tender.id}/selectiecriteria/nieuw",
                f"/aanbestedingen/{tender.id}/gunningscriteria/nieuw",
                f"/aanbestedingen/{tender.id}/gunningscriteria/{tender.award_criteria[0].id}/bewerken"):
        r = c.get(url)
        assert r.status_code == 200, url
        assert _check(r.get_data(as_text=True)) == [], url
    r = c.post("/aanbestedingen/nieuw", data={"reference": ""})
    assert r.status_code == 422
    assert _check(r.get_data(as_text=True)) == []


# --- the list -------------------------------------------------------------------------------------


def test_index_search_filter_and_sort(as_role, world, db):
    make_tender(db, world, reference="AB-ZZZ-9")
    c = as_role("management")
    page = text(c.get("/aanbestedingen/"))
    assert "AB-TEST-1" in page and "AB-ZZZ-9" in page
    assert "<caption class=\"visually-hidden\">Aanbestedingen</caption>" in page
    page = text(c.get("/aanbestedingen/?status=draft"))
    assert "AB-ZZZ-9" in page and "AB-TEST-1" not in page
    page = text(c.get("/aanbestedingen/?q=zzz"))
    assert "AB-ZZZ-9" in page and "AB-TEST-1" not in page
    page = text(c.get("/aanbestedingen/?procedure=niet_openbaar"))
    assert "AB-ZZZ-9" not in page and "AB-TEST-1" not in page
    page = text(c.get("/aanbestedingen/?sort=reference&dir=desc"))
    assert page.index("AB-ZZZ-9") < page.index("AB-TEST-1")
    assert "Aanbesteding toevoegen" not in page  # management only reads


# --- the tender form ------------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"questions_deadline": (TODAY - timedelta(days=1)).isoformat()}, "questions_deadline",
     "De termijn voor vragen kan niet vóór de publicatie liggen."),
    ({"questions_deadline": (TODAY + timedelta(days=40)).isoformat()}, "questions_deadline",
     "De termijn voor vragen moet vóór de sluiting liggen."),
    ({"closing_at": moment(datetime.combine(TODAY, time(9, 0)))}, "closing_at",
     "De sluiting moet na de publicatie liggen."),
    ({"intended_award_date": (TODAY + timedelta(days=29)).isoformat()}, "intended_award_date",
     "De beoogde gunning kan niet vóór de sluiting liggen."),
    ({"standstill_days": "-1"}, "standstill_days", "Vul 0 of meer dagen in."),
])
def test_contradicting_dates_are_refused_at_their_field(as_role, world, db, changes, field, message):
    form = dict(TENDER_FORM, gemeenten=[world.gemeenten[0].id], **changes)
    r = as_role("inkoper").post("/aanbestedingen/nieuw", data=form)
    assert r.status_code == 422
    assert field_error(r, field).endswith(message)
    db.expire_all()
    assert db.scalar(select(func.count(Tender.id)).where(Tender.reference == "AB-2027-01")) == 0


def test_tender_form_requires_a_gemeente_a_unique_reference_and_valid_moment(as_role, world):
    form = dict(TENDER_FORM, reference="AB-TEST-1", closing_at="morgen")
    r = as_role("inkoper").post("/aanbestedingen/nieuw", data=form)
    assert r.status_code == 422
    assert field_error(r, "reference") == "Fout: Er is al een aanbesteding met dit kenmerk."
    assert "minstens één gemeente" in field_error(r, "gemeenten")
    assert "Vul een geldige datum en tijd in" in field_error(r, "closing_at")


def test_a_draft_tender_can_be_edited_in_full(as_role, world, db):
    tender = make_tender(db, world)
    form = dict(TENDER_FORM, reference="AB-T-2", title="Nieuwe titel", procedure="meervoudig_onderhands",
                gemeenten=[world.gemeenten[2].id])
    del form["light_regime"]
    r = as_role("inkoper").post(f"/aanbestedingen/{tender.id}/bewerken", data=form)
    assert r.status_code == 302, text(r)
    db.expire_all()
    tender = db.get(Tender, tender.id)
    assert tender.title == "Nieuwe titel" and tender.procedure == Procedure.MULTIPLE_PRIVATE
    assert tender.light_regime is False and [g.name for g in tender.gemeenten] == ["Ceeveen"]


def test_after_publication_only_the_description_may_change(as_role, world, db):
    c = as_role("inkoper")
    tender = world.tender
    page = text(c.get(f"/aanbestedingen/{tender.id}/bewerken"))
    assert "Na publicatie kan alleen de omschrijving nog worden gewijzigd" in page
    assert 'name="title"' not in page

    r = c.post(f"/aanbestedingen/{tender.id}/bewerken", data={"description": "Nieuw", "title": "Andere titel"})
    assert r.status_code == 422
    assert "Na publicatie kan alleen de omschrijving worden gewijzigd" in text(r)
    db.expire_all()
    assert db.get(Tender, tender.id).title == "Re-integratie Testland"
    assert db.get(Tender, tender.id).description == ""

    r = c.post(f"/aanbestedingen/{tender.id}/bewerken", data={"description": "Nieuwe omschrijving"})
    assert r.status_code == 302
    db.expire_all()
    assert db.get(Tender, tender.id).description == "Nieuwe omschrijving"


# --- criteria -------------------------------------------------------------------------------------


def test_award_criterion_weight_and_single_price_criterion(as_role, world, db):
    tender = make_tender(db, world)
    c = as_role("inkoper")
    r = c.post(f"/aanbestedingen/{tender.id}/gunningscriteria/nieuw",
               data={"name": "Tweede prijs", "weight": "0", "is_price": "y"})
    assert r.status_code == 422
    assert "1 tot en met 100" in field_error(r, "weight")
    assert "al een prijscriterium" in field_error(r, "is_price")
    # Editing the price criterion itself keeps it the one price criterion.
    price = tender.award_criteria[1]
    r = c.post(f"/aanbestedingen/{tender.id}/gunningscriteria/{price.id}/bewerken",
               data={"name": "Prijs", "weight": "30", "is_price": "y"}, follow_redirects=True)
    assert "tellen op tot 90; dat moet 100 zijn" in flashes(r)
    db.expire_all()
    assert db.get(AwardCriterion, price.id).weight == 30
    page = text(c.get(f"/aanbestedingen/{tender.id}"))
    assert "Let op:" in page and "tellen op tot 90" in page


def test_criteria_can_be_deleted_in_draft_only(as_role, world, db):
    tender = make_tender(db, world)
    c = as_role("inkoper")
    criterion_id = tender.selection_criteria[0].id
    award_id = tender.award_criteria[0].id
    r = c.post(f"/aanbestedingen/{tender.id}/selectiecriteria/{criterion_id}/verwijderen")
    assert r.status_code == 302
    assert c.post(f"/aanbestedingen/{tender.id}/gunningscriteria/{award_id}/verwijderen").status_code == 302
    db.expunge_all()
    assert db.get(SelectionCriterion, criterion_id) is None and db.get(AwardCriterion, award_id) is None

    published = world.tender
    before = len(published.award_criteria)
    r = c.post(f"/aanbestedingen/{published.id}/gunningscriteria/nieuw", data={"name": "Extra", "weight": "5"},
               follow_redirects=True)
    assert "alleen worden gewijzigd zolang de aanbesteding een concept is" in flashes(r)
    r = c.post(f"/aanbestedingen/{published.id}/gunningscriteria/{published.award_criteria[0].id}/verwijderen",
               follow_redirects=True)
    assert "concept" in flashes(r)
    r = c.get(f"/aanbestedingen/{published.id}/selectiecriteria/nieuw")
    assert r.status_code == 200 and "concept" in text(r) and 'name="name"' not in text(r)
    db.expire_all()
    assert len(db.get(Tender, published.id).award_criteria) == before


def test_weights_not_summing_to_100_block_publishing(as_role, world, db):
    tender = make_tender(db, world, quality=50, price=40)
    r = go(as_role("inkoper"), tender, "published", follow=True)
    assert "De wegingen van de gunningscriteria tellen op tot 90; dat moet 100 zijn." in flashes(r)
    assert status_of(db, tender) == TenderStatus.DRAFT


def test_publishing_needs_a_lot_one_price_criterion_and_a_closing_moment(as_role, world, db):
    tender = make_tender(db, world, lots=0)
    tender.award_criteria[1].is_price = False
    tender.closing_at = None
    db.commit()
    r = go(as_role("inkoper"), tender, "published", follow=True)
    messages = flashes(r)
    assert "minstens één perceel" in messages
    assert "precies één prijscriterium" in messages
    assert "sluitingsmoment" in messages
    assert status_of(db, tender) == TenderStatus.DRAFT


# --- lots -----------------------------------------------------------------------------------------


LOT_FORM = {"number": "2", "title": "Jongeren", "target_group_id": "0", "description": "", "expected_volume": "10",
            "price_ceiling": "2.500,00", "award_count": "1", "outcome_definitions": "", "template": ""}


def test_lot_payment_model_problems_are_shown_at_the_field(as_role, world, db):
    tender = make_tender(db, world)
    c = as_role("inkoper")
    r = c.post(f"/aanbestedingen/{tender.id}/percelen/nieuw", data=dict(LOT_FORM, payment_model="{ kapot"))
    assert r.status_code == 422
    assert "Geen geldige JSON (regel 1, kolom 3)" in field_error(r, "payment_model")

    r = c.post(f"/aanbestedingen/{tender.id}/percelen/nieuw",
               data=dict(LOT_FORM, payment_model='{"schema_version": 1, "name": "x", "milestones": {}}'))
    assert r.status_code == 422
    error = field_error(r, "payment_model")
    assert "(model): verplicht veld 'rules' ontbreekt" in error

    r = c.post(f"/aanbestedingen/{tender.id}/percelen/nieuw", data=dict(LOT_FORM, payment_model=""))
    assert "Vul het betalingsmodel in of kies een sjabloon." in field_error(r, "payment_model")

    r = c.post(f"/aanbestedingen/{tender.id}/percelen/nieuw",
               data=dict(LOT_FORM, number="1", price_ceiling="0", award_count="0", template="template:tempo"))
    assert r.status_code == 422
    assert field_error(r, "number") == "Fout: Deze aanbesteding heeft al een perceel met dit nummer."
    assert "groter zijn dan € 0" in field_error(r, "price_ceiling")
    assert "minstens één" in field_error(r, "award_count")
    db.expire_all()
    assert len(db.get(Tender, tender.id).lots) == 1


def test_lot_template_is_loaded_into_the_textarea_and_lots_are_editable_in_draft(as_role, world, db):
    tender = make_tender(db, world)
    c = as_role("inkoper")
    r = c.post(f"/aanbestedingen/{tender.id}/percelen/nieuw",
               data=dict(LOT_FORM, template="template:tranches", payment_model="", load_template="1"))
    assert r.status_code == 200
    assert "&#34;schema_version&#34;: 1" in r.get_data(as_text=True) or '"schema_version": 1' in text(r)
    db.expire_all()
    assert len(db.get(Tender, tender.id).lots) == 1  # loading saves nothing

    lot = tender.lots[0]
    r = c.post(f"/aanbestedingen/percelen/{lot.id}/bewerken",
               data=dict(LOT_FORM, number="1", title="Werkfit plus", payment_model='{"name": 1}'))
    assert r.status_code == 422
    r = c.post(f"/aanbestedingen/percelen/{lot.id}/bewerken",
               data=dict(LOT_FORM, number="1", title="Werkfit plus",
                         payment_model=json.dumps(TIERS_MODEL)))
    assert r.status_code == 302
    db.expire_all()
    assert db.get(Lot, lot.id).title == "Werkfit plus"

    published_lot = world.tender.lots[0]
    r = c.post(f"/aanbestedingen/percelen/{published_lot.id}/bewerken", data=dict(LOT_FORM, number="1"),
               follow_redirects=True)
    assert "Percelen kunnen alleen worden gewijzigd zolang de aanbesteding een concept is" in flashes(r)
    db.expire_all()
    assert db.get(Lot, published_lot.id).title == "Werkfit"


def test_lot_detail_shows_the_payment_model_and_links_to_the_simulation(as_role, world):
    lot = world.tender.lots[0]
    page = text(as_role("management").get(f"/aanbestedingen/percelen/{lot.id}"))
    assert "Treden" in page and "<details>" in page and '"schema_version": 1' in page
    assert f'href="/aanbestedingen/percelen/{lot.id}/simuleren"' in page
    assert "prijspunten = weging × laagste geldige prijs ÷ deze prijs" in page
    r = as_role("management").get(f"/aanbestedingen/percelen/{lot.id}/simuleren")
    assert r.status_code == 200 and "Perceel 1: Werkfit" in text(r)


# --- the status machine ---------------------------------------------------------------------------


def _evaluate(c, bid, evaluator="Inkoper", scores=None, selection="pass", knockout=""):
    tender = bid.lot.tender
    data = {"evaluator": evaluator, "knockout_reason": knockout}
    for s in tender.selection_criteria:
        data[f"selection_{s.id}"] = selection
        data[f"selection_{s.id}_note"] = ""
    quality = [a for a in tender.award_criteria if not a.is_price]
    for criterion, value in zip(quality, scores or ["7"] * len(quality), strict=True):
        data[f"score_{criterion.id}"] = value
    return c.post(f"/aanbestedingen/inschrijvingen/{bid.id}/beoordelen", data=data)


def test_every_forward_step_of_the_status_machine(as_role, world, db):
    """published → closed → evaluated → award_announced → standstill → contracted, each with its precondition."""
    c = as_role("inkoper")
    tender = world.tender
    bid = tender.lots[0].bids[0]

    r = go(c, tender, "closed", follow=True)
    assert "kan pas worden gesloten na het sluitingsmoment" in flashes(r)
    assert status_of(db, tender) == TenderStatus.PUBLISHED
    set_status(db, tender, TenderStatus.PUBLISHED, closing_at=datetime.now() - timedelta(minutes=1))
    go(c, tender, "closed")
    assert status_of(db, tender) == TenderStatus.CLOSED

    r = go(c, tender, "evaluated", follow=True)
    assert "inschrijving van Werk Eerst B.V.: nog niet beoordeeld (selectie op Solvabiliteit, score voor Kwaliteit)" \
        in flashes(r)
    assert status_of(db, tender) == TenderStatus.CLOSED
    assert _evaluate(c, db.get(Bid, bid.id)).status_code == 302
    go(c, tender, "evaluated")
    assert status_of(db, tender) == TenderStatus.EVALUATED

    r = go(c, tender, "award_announced", follow=True)
    assert "Perceel 1 heeft nog geen gunningsbeslissing." in flashes(r)
    assert status_of(db, tender) == TenderStatus.EVALUATED
    assert c.post(f"/aanbestedingen/percelen/{tender.lots[0].id}/gunning", data={}).status_code == 302
    go(c, tender, "award_announced")
    db.expire_all()
    announced = db.get(Tender, tender.id)
    assert announced.status == TenderStatus.AWARD_ANNOUNCED
    # The standstill period ends 20 calendar days after the announcement.
    assert announced.award_announced_on == TODAY
    assert announced.standstill_end == TODAY + timedelta(days=20)

    go(c, tender, "standstill")
    assert status_of(db, tender) == TenderStatus.STANDSTILL
    r = go(c, tender, "contracted", follow=True)
    assert f"De standstill-termijn loopt tot {(TODAY + timedelta(days=20)).strftime('%d-%m-%Y')}" in flashes(r)
    assert status_of(db, tender) == TenderStatus.STANDSTILL
    set_status(db, db.get(Tender, tender.id), TenderStatus.STANDSTILL, standstill_end=TODAY)
    r = go(c, tender, "contracted", follow=True)
    assert "De aanbesteding is nu gecontracteerd." in flashes(r)
    assert status_of(db, tender) == TenderStatus.CONTRACTED


def test_standstill_days_come_from_the_tender(as_role, world, db):
    tender = make_tender(db, world, TenderStatus.EVALUATED)
    tender.standstill_days = 15
    db.commit()  # no bids: nothing to decide
    go(as_role("admin"), tender, "award_announced")
    db.expire_all()
    assert db.get(Tender, tender.id).standstill_end == TODAY + timedelta(days=15)


CANCELLABLE = [s for s, targets in TENDER_TRANSITIONS.items() if TenderStatus.CANCELLED in targets]


@pytest.mark.parametrize("status", CANCELLABLE)
def test_cancel_needs_a_reason_which_is_stored(as_role, world, db, status):
    tender = make_tender(db, world, status)
    c = as_role("inkoper")
    r = go(c, tender, "cancelled", reason="   ", follow=True)
    assert "Geef de reden op waarom de aanbesteding wordt ingetrokken." in flashes(r)
    assert status_of(db, tender) == status
    r = go(c, tender, "cancelled", reason="Budget vervallen", follow=True)
    assert "De aanbesteding is ingetrokken." in flashes(r)
    db.expire_all()
    cancelled = db.get(Tender, tender.id)
    assert cancelled.status == TenderStatus.CANCELLED and cancelled.status_reason == "Budget vervallen"
    assert "Budget vervallen" in text(c.get(f"/aanbestedingen/{tender.id}"))


def test_the_detail_page_offers_the_allowed_next_steps(as_role, world):
    page = text(as_role("inkoper").get(f"/aanbestedingen/{world.tender.id}"))
    assert '<input type="hidden" name="target" value="closed">' in page
    assert '<input type="hidden" name="target" value="cancelled">' in page
    assert '<label for="cancel-reason">Reden van intrekking</label>' in page
    assert 'value="evaluated"' not in page
    management = text(as_role("management").get(f"/aanbestedingen/{world.tender.id}"))
    assert 'name="target"' not in management


@pytest.mark.parametrize(("status", "target"), [
    (TenderStatus.DRAFT, "contracted"),
    (TenderStatus.PUBLISHED, "evaluated"),
    (TenderStatus.CLOSED, "published"),
    (TenderStatus.CANCELLED, "published"),
    (TenderStatus.CONTRACTED, "cancelled"),
    (TenderStatus.DRAFT, "onzin"),
])
def test_illegal_transitions_change_nothing(as_role, world, db, status, target):
    tender = make_tender(db, world, status)
    r = go(as_role("inkoper"), tender, target, reason="reden")
    assert r.status_code == 302
    db.expire_all()
    tender = db.get(Tender, tender.id)
    assert tender.status == status and tender.status_reason == ""


def test_illegal_transition_tells_what_is_possible(as_role, world, db):
    r = go(as_role("inkoper"), world.tender, "evaluated", follow=True)
    assert "Een aanbesteding met status 'gepubliceerd' kan niet naar 'beoordeeld'." in flashes(r)
    assert status_of(db, world.tender) == TenderStatus.PUBLISHED


# --- bids -----------------------------------------------------------------------------------------


def bid_form(provider, price="2.500,00", submitted=None):
    submitted = submitted or datetime.combine(TODAY, time(9, 30))
    return {"provider_id": str(provider.id), "price": price, "submitted_at": moment(submitted), "notes": ""}


def bid_count(db, lot) -> int:
    db.expire_all()
    return db.scalar(select(func.count(Bid.id)).where(Bid.lot_id == lot.id))


def test_a_bid_is_recorded(as_role, world, db):
    provider = active_provider(db, "Nieuwe Kansen", "23456789")
    lot = world.tender.lots[0]
    r = as_role("inkoper").post(f"/aanbestedingen/percelen/{lot.id}/inschrijvingen/nieuw", data=bid_form(provider))
    assert r.status_code == 302, text(r)
    db.expire_all()
    bid = db.scalar(select(Bid).where(Bid.provider_id == provider.id))
    assert bid.price == Decimal("2500.00") and bid.submitted_at == clock.to_utc(datetime.combine(TODAY, time(9, 30)))


def test_a_bid_above_the_price_ceiling_is_refused(as_role, world, db):
    provider = active_provider(db, "Nieuwe Kansen", "23456789")
    lot = world.tender.lots[0]
    r = as_role("inkoper").post(f"/aanbestedingen/percelen/{lot.id}/inschrijvingen/nieuw",
                                data=bid_form(provider, price="3.000,01"))
    assert r.status_code == 422
    assert "boven het prijsplafond van € 3.000,00" in field_error(r, "price")
    assert bid_count(db, lot) == 1


def test_a_bid_after_closing_is_refused(as_role, world, db):
    provider = active_provider(db, "Nieuwe Kansen", "23456789")
    lot = world.tender.lots[0]
    late = clock.to_local(world.tender.closing_at) + timedelta(minutes=1)
    r = as_role("inkoper").post(f"/aanbestedingen/percelen/{lot.id}/inschrijvingen/nieuw",
                                data=bid_form(provider, submitted=late))
    assert r.status_code == 422
    assert f"Ingediend na de sluiting op {clock.to_local(world.tender.closing_at).strftime('%d-%m-%Y %H:%M')}" in \
        field_error(r, "submitted_at")
    assert bid_count(db, lot) == 1


def test_a_second_bid_by_the_same_provider_is_refused(as_role, world, db):
    lot = world.tender.lots[0]
    r = as_role("inkoper").post(f"/aanbestedingen/percelen/{lot.id}/inschrijvingen/nieuw",
                                data=bid_form(world.providers[0]))
    assert r.status_code == 422
    assert field_error(r, "provider_id") == "Fout: Deze aanbieder heeft al ingeschreven op dit perceel."
    assert bid_count(db, lot) == 1


def test_only_active_providers_may_bid_and_only_while_published_or_closed(as_role, world, db):
    lot = world.tender.lots[0]
    c = as_role("inkoper")
    page = text(c.get(f"/aanbestedingen/percelen/{lot.id}/inschrijvingen/nieuw"))
    assert "Werk Eerst B.V." in page and "Stap Twee" not in page  # Stap Twee has a referral stop
    r = c.post(f"/aanbestedingen/percelen/{lot.id}/inschrijvingen/nieuw", data=bid_form(world.providers[1]))
    assert r.status_code == 422 and has_field_error(r, "provider_id")

    draft = make_tender(db, world)
    provider = active_provider(db, "Nieuwe Kansen", "23456789")
    r = c.post(f"/aanbestedingen/percelen/{draft.lots[0].id}/inschrijvingen/nieuw", data=bid_form(provider),
               follow_redirects=True)
    assert "zolang de aanbesteding gepubliceerd of gesloten is" in flashes(r)
    assert bid_count(db, draft.lots[0]) == 0


# --- evaluation -----------------------------------------------------------------------------------


def test_evaluating_a_bid_with_two_evaluators(as_role, world, db):
    tender = world.tender
    set_status(db, tender, TenderStatus.CLOSED)
    bid = tender.lots[0].bids[0]
    quality = tender.award_criteria[0]
    selection = tender.selection_criteria[0]
    admin, inkoper = as_role("admin"), as_role("inkoper")

    page = text(inkoper.get(f"/aanbestedingen/inschrijvingen/{bid.id}/beoordelen"))
    assert 'value="Inkoper"' in page  # the evaluator defaults to the user's name
    assert _check(inkoper.get(f"/aanbestedingen/inschrijvingen/{bid.id}/beoordelen").get_data(as_text=True)) == []

    assert _evaluate(admin, bid, evaluator="Admin", scores=["6"]).status_code == 302
    assert _evaluate(inkoper, bid, evaluator="Inkoper", scores=["8,5"]).status_code == 302
    # Correcting one's own score replaces it (upsert per bid, criterion and evaluator).
    assert _evaluate(inkoper, bid, evaluator="Inkoper", scores=["8"]).status_code == 302
    db.expire_all()
    scores = db.scalars(select(BidScore).where(BidScore.bid_id == bid.id).order_by(BidScore.evaluator)).all()
    assert [(s.evaluator, s.criterion_id, s.score) for s in scores] == [
        ("Admin", quality.id, Decimal("6.00")), ("Inkoper", quality.id, Decimal("8.00"))]
    selections = db.scalars(select(BidSelection).where(BidSelection.bid_id == bid.id)).all()
    assert [(s.criterion_id, s.passed) for s in selections] == [(selection.id, True)]

    page = text(inkoper.get(f"/aanbestedingen/percelen/{tender.lots[0].id}"))
    # Average (6 + 8) / 2 = 7; quality points 60 × 7 / 10 = 42,00; the only valid bid gets all 40 price points.
    assert "gemiddelde score 7,00 (scores: 6; 8)" in page
    assert "42,00" in page and "82,00" in page


@pytest.mark.parametrize(("score", "message"), [
    ("11", "Een score ligt tussen 0 en 10."),
    ("7,555", "hoogstens twee cijfers achter de komma"),
    ("goed", "Vul een score van 0 tot en met 10 in"),
])
def test_invalid_scores_are_refused(as_role, world, db, score, message):
    set_status(db, world.tender, TenderStatus.CLOSED)
    bid = world.tender.lots[0].bids[0]
    r = _evaluate(as_role("inkoper"), bid, scores=[score])
    assert r.status_code == 422
    assert message in field_error(r, f"score_{world.tender.award_criteria[0].id}")
    db.expire_all()
    assert db.scalar(select(func.count(BidScore.id))) == 0
    assert db.scalar(select(func.count(BidSelection.id))) == 0


def test_evaluation_only_while_closed_or_evaluated(as_role, world, db):
    bid = world.tender.lots[0].bids[0]
    c = as_role("inkoper")
    r = c.get(f"/aanbestedingen/inschrijvingen/{bid.id}/beoordelen")
    assert r.status_code == 200 and "als de aanbesteding gesloten is" in text(r)
    r = _evaluate(c, bid)
    assert r.status_code == 302
    db.expire_all()
    assert db.scalar(select(func.count(BidScore.id))) == 0


def test_a_knocked_out_bid_counts_as_evaluated_and_gets_no_points(as_role, world, db):
    set_status(db, world.tender, TenderStatus.CLOSED)
    bid = world.tender.lots[0].bids[0]
    c = as_role("inkoper")
    data = {"evaluator": "Inkoper", "knockout_reason": "Onvolledige inschrijving",
            f"selection_{world.tender.selection_criteria[0].id}": "",
            f"score_{world.tender.award_criteria[0].id}": ""}
    assert c.post(f"/aanbestedingen/inschrijvingen/{bid.id}/beoordelen", data=data).status_code == 302
    page = text(c.get(f"/aanbestedingen/percelen/{world.tender.lots[0].id}"))
    assert "uitgesloten: Onvolledige inschrijving" in page
    go(c, world.tender, "evaluated")
    assert status_of(db, world.tender) == TenderStatus.EVALUATED


# --- scoring and award ----------------------------------------------------------------------------


@pytest.fixture
def worked_example(as_role, world, db):
    """Kwaliteit 60 / Prijs 40, top 2; bids of 2000, 2500 and 2400 with average quality 6, 9 and 7,
    each the average of two evaluators; and a fourth bid knocked out."""
    closing = datetime.now() - timedelta(hours=1)
    tender = make_tender(db, world, TenderStatus.CLOSED, reference="AB-VB-1", closing=closing)
    lot = tender.lots[0]
    providers = [world.providers[0], active_provider(db, "Beter Werk", "23456789"),
                 active_provider(db, "Civiel Talent", "34567890"), active_provider(db, "Derde Weg", "45678901")]
    early = closing - timedelta(days=2)
    for i, (provider, price) in enumerate(zip(providers, ("2000", "2500", "2400", "1500"), strict=True)):
        lot.bids.append(Bid(provider=provider, price=Decimal(price), submitted_at=early + timedelta(minutes=i)))
    db.commit()
    a, b, c_, d = lot.bids
    inkoper = as_role("inkoper")
    for bid, (first, second) in ((a, ("5", "7")), (b, ("8,5", "9,5")), (c_, ("6", "8"))):
        assert _evaluate(inkoper, bid, evaluator="Beoordelaar A", scores=[first]).status_code == 302
        assert _evaluate(inkoper, bid, evaluator="Beoordelaar B", scores=[second]).status_code == 302
    assert _evaluate(inkoper, d, knockout="Geen geldige verklaring", scores=[""]).status_code == 302
    return tender, lot, (a, b, c_, d)


def bid_table(page: str, bid) -> str:
    return page.split(f'id="bod-{bid.id}"', 1)[1].split("</table>", 1)[0]


def test_the_scoring_page_shows_the_worked_example(as_role, worked_example):
    _tender, lot, (a, b, c, d) = worked_example
    r = as_role("management").get(f"/aanbestedingen/percelen/{lot.id}")
    assert r.status_code == 200
    page = text(r)
    assert _check(r.get_data(as_text=True)) == []
    assert ("prijspunten = weging × laagste geldige prijs ÷ deze prijs; kwaliteitspunten = weging × gemiddelde "
            "score ÷ 10; bij gelijke totaalscore gaat de hoogste kwaliteitsscore voor, daarna de laagste prijs, "
            "daarna de eerste inschrijving") in page

    # Bid a, € 2000 (the lowest valid price): price 40 × 2000 / 2000 = 40,00;
    # quality (5 + 7) / 2 = 6 → 60 × 6 / 10 = 36,00; total 76,00 → rank 2.
    table = bid_table(page, a)
    assert "40 × 2.000,00 ÷ 2.000,00" in table and "40,00" in table
    assert "gemiddelde score 6,00 (scores: 5; 7)" in table and "60 × 6,00 ÷ 10" in table and "36,00" in table
    assert "76,00" in table and "rang 2" in table
    # Bid b, € 2500: price 40 × 2000 / 2500 = 32,00; quality (8,5 + 9,5) / 2 = 9 → 60 × 9 / 10 = 54,00;
    # total 86,00 → rank 1.
    table = bid_table(page, b)
    assert "40 × 2.000,00 ÷ 2.500,00" in table and "32,00" in table
    assert "gemiddelde score 9,00 (scores: 8,5; 9,5)" in table and "54,00" in table
    assert "86,00" in table and "rang 1" in table
    # Bid c, € 2400: price 40 × 2000 / 2400 = 33,333… → 33,33; quality (6 + 8) / 2 = 7 → 42,00;
    # total 75,33 → rank 3.
    table = bid_table(page, c)
    assert "33,33" in table and "42,00" in table and "75,33" in table and "rang 3" in table
    # Bid d is knocked out: invalid, no points, and it does not set the lowest price (1500).
    table = bid_table(page, d)
    assert "Ongeldig, geen punten: uitgesloten: Geen geldige verklaring" in table

    ranking = page.split("<caption>Rangschikking</caption>", 1)[1].split("</table>", 1)[0]
    assert ranking.index("Beter Werk") < ranking.index("Werk Eerst B.V.") < ranking.index("Civiel Talent") \
        < ranking.index("Derde Weg")


def test_the_award_stores_reasons_per_bidder_and_the_top_n(as_role, world, db, worked_example):
    tender, lot, (a, b, c, d) = worked_example
    inkoper = as_role("inkoper")
    # Not yet: awarding waits for the evaluated status.
    r = inkoper.post(f"/aanbestedingen/percelen/{lot.id}/gunning", data={}, follow_redirects=True)
    assert "als de aanbesteding beoordeeld is" in flashes(r)
    go(inkoper, tender, "evaluated")
    assert status_of(db, tender) == TenderStatus.EVALUATED

    r = inkoper.post(f"/aanbestedingen/percelen/{lot.id}/gunning", data={"motivation": "Zie het beoordelingsverslag"},
                     follow_redirects=True)
    assert "2 gegund" in flashes(r)
    db.expire_all()
    awards = {aw.bid_id: aw for aw in db.scalars(select(LotAward).where(LotAward.lot_id == lot.id))}
    assert len(awards) == 4
    assert (awards[b.id].rank, awards[b.id].awarded, awards[b.id].total_points) == (1, True, Decimal("86.00"))
    assert awards[b.id].reason == "Gegund: rang 1 met 86,00 punten. Toelichting: Zie het beoordelingsverslag"
    assert awards[a.id].reason.startswith("Gegund: rang 2 met 76,00 punten")
    assert awards[c.id].awarded is False
    assert awards[c.id].reason.startswith(
        "Niet gegund: rang 3 met 75,33 punten; de laatst gegunde inschrijving had 76,00 punten")
    assert (awards[d.id].rank, awards[d.id].total_points, awards[d.id].awarded) == (None, None, False)
    assert awards[d.id].reason.startswith("Niet gegund: uitgesloten: Geen geldige verklaring")
    assert awards[b.id].decided_by_id == world.users["inkoper"].id
    page = text(inkoper.get(f"/aanbestedingen/percelen/{lot.id}"))
    assert "Gunningsbeslissing van" in page and "Niet gegund: rang 3 met 75,33 punten" in page

    # Deciding again replaces the earlier decision.
    assert inkoper.post(f"/aanbestedingen/percelen/{lot.id}/gunning", data={}).status_code == 302
    db.expire_all()
    awards = db.scalars(select(LotAward).where(LotAward.lot_id == lot.id)).all()
    assert len(awards) == 4
    assert all("Toelichting" not in aw.reason for aw in awards)


def test_a_tie_at_the_award_boundary_blocks_the_award(as_role, world, db):
    closing = datetime.now() - timedelta(hours=1)
    tender = make_tender(db, world, TenderStatus.CLOSED, reference="AB-GELIJK", closing=closing)
    lot = tender.lots[0]
    lot.award_count = 1
    same_moment = closing - timedelta(days=1)
    other = active_provider(db, "Beter Werk", "23456789")
    for provider in (world.providers[0], other):
        lot.bids.append(Bid(provider=provider, price=Decimal("2000"), submitted_at=same_moment))
    db.commit()
    c = as_role("inkoper")
    for bid in lot.bids:
        assert _evaluate(c, bid, scores=["7"]).status_code == 302
    go(c, tender, "evaluated")
    assert status_of(db, tender) == TenderStatus.EVALUATED

    page = text(c.get(f"/aanbestedingen/percelen/{lot.id}"))
    assert "Gelijke stand op de grens van de gunning" in page
    r = c.post(f"/aanbestedingen/percelen/{lot.id}/gunning", data={}, follow_redirects=True)
    assert "staan gelijk op rang 1, op de grens van de gunning" in flashes(r)
    assert "Beslis eerst hoe de gelijke stand wordt doorbroken" in flashes(r)
    db.expire_all()
    assert db.scalar(select(func.count(LotAward.id)).where(LotAward.lot_id == lot.id)) == 0

    # With two to award, both tied bids win: the tie is no longer at the boundary.
    db.get(Lot, lot.id).award_count = 2
    db.commit()
    assert c.post(f"/aanbestedingen/percelen/{lot.id}/gunning", data={}).status_code == 302
    db.expire_all()
    assert [aw.awarded for aw in db.scalars(select(LotAward).where(LotAward.lot_id == lot.id))] == [True, True]


# --- who may do what ------------------------------------------------------------------------------


def test_only_inkoper_and_admin_may_change(as_role, world, db):
    tender = world.tender
    lot = tender.lots[0]
    for role in ("management", "finance", "klantmanager", "provider"):
        c = as_role(role)
        assert c.get("/aanbestedingen/nieuw").status_code == 403
        assert go(c, tender, "cancelled", reason="x").status_code == 403
        assert c.post(f"/aanbestedingen/percelen/{lot.id}/gunning").status_code == 403
        assert c.get(f"/aanbestedingen/percelen/{lot.id}/inschrijvingen/nieuw").status_code == 403
    assert status_of(db, tender) == TenderStatus.PUBLISHED
    assert as_role("management").get(f"/aanbestedingen/percelen/{lot.id}").status_code == 200
    assert as_role("klantmanager").get(f"/aanbestedingen/{tender.id}").status_code == 403
    for role in ("inkoper", "admin"):
        assert as_role(role).get("/aanbestedingen/nieuw").status_code == 200


def test_ocds_export_is_a_download(as_role, world):
    r = as_role("management").get(f"/aanbestedingen/{world.tender.id}/ocds.json")
    assert r.status_code == 200
    assert r.headers["Content-Disposition"] == "attachment; filename=AB-TEST-1-ocds.json"
    assert r.is_json


def test_refusals_from_the_procurement_rules_speak_the_users_language(as_role, world):
    c = as_role("inkoper")
    c.get("/taal/en")
    r = c.post(f"/aanbestedingen/{world.tender.id}/status", data={"target": "contracted", "reason": ""},
               follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "A tender with status &#39;published&#39; cannot move to &#39;contracted&#39;" in page
    assert "kan niet naar" not in page


# --- wording of a step, and moments in Amsterdam time -------------------------------------------


def test_a_step_is_reported_in_a_dutch_sentence(as_role, world, db):
    c = as_role("inkoper")
    tender = world.tender
    set_status(db, tender, TenderStatus.EVALUATED)
    db.add(LotAward(lot=tender.lots[0], bid=tender.lots[0].bids[0], rank=1, total_points=Decimal("80"),
                    awarded=True, reason="Gegund"))
    db.commit()
    r = go(c, tender, "award_announced", follow=True)
    end = (TODAY + timedelta(days=20)).strftime("%d-%m-%Y")
    assert f"Het gunningsvoornemen is bekendgemaakt; de standstill-termijn loopt tot en met {end}." in flashes(r)
    assert "is nu gunningsvoornemen" not in flashes(r)
    # A refusal that names the status quotes it as a name instead of using it as an adjective.
    r = c.post(f"/aanbestedingen/{tender.id}/percelen/nieuw", data={}, follow_redirects=True)
    assert "de status is nu ‘gunningsvoornemen bekendgemaakt’" in flashes(r)


# 30 March 2026 is the first Monday of summer time: 12:00 in Amsterdam is 10:00 UTC.
CLOSING_UTC = datetime(2026, 3, 30, 10, 0)


def test_the_closing_moment_is_typed_and_shown_in_amsterdam_time(as_role, world, db):
    c = as_role("inkoper")
    form = {**TENDER_FORM, "publication_date": "2026-03-01", "questions_deadline": "2026-03-20",
            "closing_at": "2026-03-30T12:00", "intended_award_date": "2026-04-15"}
    r = c.post("/aanbestedingen/nieuw", data={**form, "gemeenten": [str(world.gemeenten[0].id)]})
    assert r.status_code == 302, text(r)
    db.expire_all()
    tender = db.scalar(select(Tender).where(Tender.reference == "AB-2027-01"))
    assert tender.closing_at == CLOSING_UTC
    assert "30-03-2026 12:00" in text(c.get(f"/aanbestedingen/{tender.id}"))
    assert 'value="2026-03-30T12:00"' in text(c.get(f"/aanbestedingen/{tender.id}/bewerken"))


@pytest.mark.parametrize(("typed", "accepted"), [("2026-03-30T12:00", True), ("2026-03-30T12:01", False),
                                                 ("2026-03-30T11:30", True)])
def test_a_bid_near_the_closing_moment_is_judged_in_amsterdam_time(as_role, world, db, typed, accepted):
    set_status(db, world.tender, TenderStatus.PUBLISHED, closing_at=CLOSING_UTC)
    provider = active_provider(db, "Nieuwe Kansen", "23456789")
    lot = world.tender.lots[0]
    data = {**bid_form(provider), "submitted_at": typed}
    r = as_role("inkoper").post(f"/aanbestedingen/percelen/{lot.id}/inschrijvingen/nieuw", data=data)
    if accepted:
        assert r.status_code == 302, text(r)
        db.expire_all()
        stored = db.scalar(select(Bid).where(Bid.provider_id == provider.id)).submitted_at
        assert stored == datetime.fromisoformat(typed) - timedelta(hours=2)
    else:
        assert r.status_code == 422
        assert "Ingediend na de sluiting op 30-03-2026 12:00" in field_error(r, "submitted_at")


def test_the_bid_form_proposes_the_time_in_amsterdam(as_role, world, db, monkeypatch):
    from app import clock

    monkeypatch.setattr(clock, "now_local", lambda: datetime(2026, 3, 30, 11, 45))
    set_status(db, world.tender, TenderStatus.PUBLISHED, closing_at=CLOSING_UTC)
    page = text(as_role("inkoper").get(f"/aanbestedingen/percelen/{world.tender.lots[0].id}/inschrijvingen/nieuw"))
    assert 'value="2026-03-30T11:45"' in page
    assert "30-03-2026 12:00" in page  # the closing moment beside it, in the same time
