"""The providers register: list, detail, create/edit with Dutch validation, contacts and quality marks."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.models import AuditEntry, Provider, ProviderContact, ProviderStatus, QualityMark

VALID = {
    "name": "Nieuwe Kansen B.V.",
    "kvk_number": "2345 6789",
    "vat_number": "NL123456782B02",
    "iban": "nl20 ingb 0001 2345 67",
    "street": "Stationsweg",
    "house_number": "12a",
    "postcode": "1234ab",
    "city": "Ceeveen",
    "website": "www.nieuwekansen.nl",
    "status": "active",
    "status_reason": "",
    "status_since": "",
}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def field_error(response, field_id: str) -> str:
    """The text of the error element that the field macro puts next to ``field_id``."""
    match = re.search(rf'<p class="error-message" id="{field_id}-error">(.*?)</p>', text(response), re.S)
    assert match, f"no error element for {field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def row_order(body: str, *names: str) -> list[int]:
    return [body.index(name) for name in names]


def provider_count(db) -> int:
    return db.scalar(select(func.count(Provider.id)))


# --- list ---------------------------------------------------------------------------------------


def test_index_lists_providers_with_status_and_expired_badge(as_role):
    r = as_role("inkoper").get("/aanbieders/")
    assert r.status_code == 200
    body = text(r)
    assert "Werk Eerst B.V." in body and "Stap Twee" in body
    assert "12345678" in body and "Beedorp" in body
    assert "verwijsstop" in body and "actief" in body
    # Only Stap Twee has an expired mark; the badge is text, not colour alone.
    assert body.count('<span class="badge badge-danger">keurmerk verlopen</span>') == 1
    assert 'href="/aanbieders/nieuw"' in body
    assert '<caption class="visually-hidden">Aanbieders</caption>' in body
    assert '<label for="filter-status">Status</label>' in body


def test_index_filter_on_status(as_role):
    body = text(as_role("inkoper").get("/aanbieders/?status=referral_stop"))
    assert "Stap Twee" in body
    assert "Werk Eerst B.V." not in body
    assert '<option value="referral_stop" selected>verwijsstop</option>' in body


def test_index_filter_on_expired_marks(as_role):
    body = text(as_role("inkoper").get("/aanbieders/?marks=expired"))
    assert "Stap Twee" in body
    assert "Werk Eerst B.V." not in body


def test_index_ignores_unknown_filter_values(as_role):
    body = text(as_role("inkoper").get("/aanbieders/?status=bogus&marks=whatever"))
    assert "Stap Twee" in body and "Werk Eerst B.V." in body


@pytest.mark.parametrize(
    ("q", "shown", "hidden"),
    [("werk eerst", "Werk Eerst B.V.", "Stap Twee"), ("8765", "Stap Twee", "Werk Eerst B.V."),
     ("beedorp", "Stap Twee", "Werk Eerst B.V.")],
)
def test_index_search_on_name_kvk_and_city(as_role, q, shown, hidden):
    body = text(as_role("inkoper").get("/aanbieders/", query_string={"q": q}))
    assert shown in body
    assert hidden not in body


def test_index_sorts(as_role):
    c = as_role("inkoper")
    asc = row_order(text(c.get("/aanbieders/?sort=name&dir=asc")), "Stap Twee", "Werk Eerst B.V.")
    assert asc[0] < asc[1]
    desc = row_order(text(c.get("/aanbieders/?sort=name&dir=desc")), "Stap Twee", "Werk Eerst B.V.")
    assert desc[0] > desc[1]
    by_kvk = row_order(text(c.get("/aanbieders/?sort=kvk_number")), "Werk Eerst B.V.", "Stap Twee")
    assert by_kvk[0] < by_kvk[1]
    by_city = row_order(text(c.get("/aanbieders/?sort=city&dir=desc")), "Stap Twee", "Werk Eerst B.V.")
    assert by_city[0] < by_city[1]  # Beedorp (Stap Twee) before Aastad when descending
    by_status = text(c.get("/aanbieders/?sort=status"))
    assert 'aria-sort="ascending"' in by_status


def test_index_for_read_only_role_has_no_add_button(as_role):
    body = text(as_role("finance").get("/aanbieders/"))
    assert "Werk Eerst B.V." in body
    assert 'href="/aanbieders/nieuw"' not in body


def test_provider_role_may_not_see_register(as_role):
    assert as_role("provider").get("/aanbieders/").status_code == 403


# --- detail -------------------------------------------------------------------------------------


def test_detail_shows_formatted_values_and_expired_flag(as_role, world):
    stap = world.providers[1]
    body = text(as_role("inkoper").get(f"/aanbieders/{stap.id}"))
    assert '<dl class="details">' in body
    assert "NL20 INGB 0001 2345 67" in body
    assert "NL123456782B01" in body and "87654321" in body
    assert "verwijsstop" in body and "Evaluatie" in body
    assert '<span class="badge badge-danger">verlopen</span>' in body
    assert f'href="/aanbieders/{stap.id}/bewerken"' in body
    assert f'href="/aanbieders/{stap.id}/keurmerken/nieuw"' in body
    assert "Historie" in body


def test_detail_flags_mark_expiring_within_90_days(as_role, world, db):
    werk = world.providers[0]
    werk.quality_marks.append(QualityMark(name="ISO 9001", valid_until=clock.today() + timedelta(days=30)))
    db.commit()
    body = text(as_role("inkoper").get(f"/aanbieders/{werk.id}"))
    assert body.count('<span class="badge badge-warning">verloopt binnen 90 dagen</span>') == 1
    assert '<span class="badge badge-success">geldig</span>' in body  # the mark valid for 200 days
    assert "badge-danger" not in body


def test_detail_read_only_for_finance(as_role, world, db):
    werk = world.providers[0]
    werk.contacts.append(ProviderContact(name="Jan Contact"))
    db.commit()
    body = text(as_role("finance").get(f"/aanbieders/{werk.id}"))
    assert "Jan Contact" in body
    assert "/bewerken" not in body
    assert "/verwijderen" not in body
    assert "/nieuw" not in body


def test_detail_of_unknown_provider_is_404(as_role):
    assert as_role("inkoper").get("/aanbieders/999999").status_code == 404


# --- create -------------------------------------------------------------------------------------


def test_create_form_renders(as_role):
    r = as_role("inkoper").get("/aanbieders/nieuw")
    assert r.status_code == 200
    body = text(r)
    assert '<label for="kvk_number">KvK-nummer</label>' in body
    assert '<option selected value="active">actief</option>' in body


def test_create_valid_provider_is_stored_normalised_and_audited(as_role, db):
    before = provider_count(db)
    r = as_role("inkoper").post("/aanbieders/nieuw", data=VALID)
    assert r.status_code == 302, text(r)
    assert provider_count(db) == before + 1
    provider = db.scalar(select(Provider).where(Provider.kvk_number == "23456789"))
    assert r.headers["Location"].endswith(f"/aanbieders/{provider.id}")
    assert provider.name == "Nieuwe Kansen B.V."
    assert provider.iban == "NL20INGB0001234567"
    assert provider.vat_number == "NL123456782B02"
    assert provider.postcode == "1234 AB"
    assert provider.website == "https://www.nieuwekansen.nl"
    assert provider.status == ProviderStatus.ACTIVE
    assert provider.status_since == clock.today()
    entry = db.scalar(select(AuditEntry).where(AuditEntry.entity_type == "provider",
                                               AuditEntry.entity_id == provider.id))
    assert entry.action == "create"
    assert entry.actor_label == "inkoper"
    assert entry.changes["kvk_number"] == {"before": None, "after": "23456789"}


def test_create_with_referral_stop_and_reason_keeps_given_date(as_role, db):
    data = {**VALID, "status": "referral_stop", "status_reason": "Wachtlijst vol", "status_since": "2026-01-15"}
    r = as_role("inkoper").post("/aanbieders/nieuw", data=data)
    assert r.status_code == 302
    provider = db.scalar(select(Provider).where(Provider.kvk_number == "23456789"))
    assert provider.status == ProviderStatus.REFERRAL_STOP
    assert provider.status_reason == "Wachtlijst vol"
    assert provider.status_since == date(2026, 1, 15)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("kvk_number", "1234567", "Een KvK-nummer bestaat uit precies 8 cijfers."),
        ("kvk_number", "1234567a", "Een KvK-nummer bestaat uit precies 8 cijfers."),
        ("iban", "NL91ABNA0417164301", "Dit is geen geldig IBAN"),
        ("vat_number", "NL123456789B99", "Dit is geen geldig Nederlands btw-nummer"),
        ("postcode", "123 AB", "Dit is geen geldige postcode (vorm 1234 AB)."),
        ("website", "niet een adres", "Vul een geldig webadres in"),
        ("status_since", "31-02-2026", "Vul een geldige datum in"),
        ("status", "gesloten", "Ongeldige keuze"),
    ],
)
def test_create_rejects_bad_input_at_the_field(as_role, db, field, value, message):
    before = provider_count(db)
    r = as_role("inkoper").post("/aanbieders/nieuw", data={**VALID, field: value})
    assert r.status_code == 422
    assert message in field_error(r, field)
    assert 'aria-invalid="true"' in text(r)
    assert "Controleer de invoer" in text(r)
    assert provider_count(db) == before


def test_create_rejects_duplicate_kvk(as_role, db):
    before = provider_count(db)
    r = as_role("inkoper").post("/aanbieders/nieuw", data={**VALID, "kvk_number": "1234.5678"})
    assert r.status_code == 422
    assert field_error(r, "kvk_number") == "Fout: Er is al een aanbieder met dit KvK-nummer."
    assert provider_count(db) == before
    assert db.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.actor_label == "inkoper",
                                                             AuditEntry.action == "create")) == 0


def test_create_requires_name_kvk_vat_and_iban(as_role, db):
    before = provider_count(db)
    r = as_role("inkoper").post("/aanbieders/nieuw", data={"status": "active"})
    assert r.status_code == 422
    for field in ("name", "kvk_number", "vat_number", "iban"):
        assert "Dit veld is verplicht." in field_error(r, field)
    assert "postcode-error" not in text(r)  # the address is optional
    assert provider_count(db) == before


def test_non_active_status_needs_a_reason(as_role, world, db):
    before = provider_count(db)
    r = as_role("inkoper").post("/aanbieders/nieuw", data={**VALID, "status": "referral_stop", "status_reason": "  "})
    assert r.status_code == 422
    assert "Geef de reden op van de verwijsstop of de beëindiging." in field_error(r, "status_reason")
    werk = world.providers[0]
    r = as_role("inkoper").post(f"/aanbieders/{werk.id}/bewerken", data=provider_form(werk, status="ended"))
    assert r.status_code == 422
    assert "Geef de reden op van de verwijsstop of de beëindiging." in field_error(r, "status_reason")
    assert provider_count(db) == before


def test_create_forbidden_for_read_only_roles(as_role, db):
    before = provider_count(db)
    c = as_role("finance")
    assert c.get("/aanbieders/nieuw").status_code == 403
    assert c.post("/aanbieders/nieuw", data=VALID).status_code == 403
    assert provider_count(db) == before


# --- edit ---------------------------------------------------------------------------------------


def test_edit_form_is_prefilled(as_role, world):
    stap = world.providers[1]
    body = text(as_role("inkoper").get(f"/aanbieders/{stap.id}/bewerken"))
    assert 'value="87654321"' in body
    assert '<option selected value="referral_stop">verwijsstop</option>' in body
    assert "Evaluatie</textarea>" in body


def test_edit_changes_field_and_history_shows_before_and_after(as_role, world, db):
    werk = world.providers[0]
    c = as_role("inkoper")
    form = {**VALID, "name": werk.name, "kvk_number": werk.kvk_number, "vat_number": werk.vat_number,
            "iban": werk.iban, "city": "Nieuwstad", "status": "active"}
    r = c.post(f"/aanbieders/{werk.id}/bewerken", data=form)
    assert r.status_code == 302, text(r)
    db.expire_all()
    assert db.get(Provider, werk.id).city == "Nieuwstad"
    entry = db.scalar(select(AuditEntry).where(AuditEntry.entity_type == "provider",
                                               AuditEntry.entity_id == werk.id, AuditEntry.action == "update"))
    assert entry.changes["city"] == {"before": "Aastad", "after": "Nieuwstad"}
    body = text(c.get(f"/aanbieders/{werk.id}"))
    assert "<del>Aastad</del> → <ins>Nieuwstad</ins>" in body
    assert "Aanbieder Werk Eerst B.V. is opgeslagen." in body


def test_edit_status_change_sets_since_today_and_keeps_own_kvk(as_role, world, db):
    werk = world.providers[0]
    form = {**VALID, "name": werk.name, "kvk_number": werk.kvk_number, "vat_number": werk.vat_number,
            "iban": werk.iban, "status": "ended", "status_reason": "Contract beëindigd"}
    r = as_role("inkoper").post(f"/aanbieders/{werk.id}/bewerken", data=form)
    assert r.status_code == 302, text(r)
    db.expire_all()
    provider = db.get(Provider, werk.id)
    assert provider.status == ProviderStatus.ENDED
    assert provider.status_since == clock.today()


def test_edit_to_another_providers_kvk_is_refused(as_role, world, db):
    werk, stap = world.providers
    form = {**VALID, "name": werk.name, "kvk_number": stap.kvk_number, "vat_number": werk.vat_number,
            "iban": werk.iban}
    r = as_role("inkoper").post(f"/aanbieders/{werk.id}/bewerken", data=form)
    assert r.status_code == 422
    assert "Er is al een aanbieder met dit KvK-nummer." in field_error(r, "kvk_number")
    db.expire_all()
    assert db.get(Provider, werk.id).kvk_number == "12345678"


def test_edit_unknown_provider_is_404(as_role):
    assert as_role("inkoper").get("/aanbieders/999999/bewerken").status_code == 404


# --- contacts -----------------------------------------------------------------------------------


def test_add_contact(as_role, world, db):
    werk = world.providers[0]
    c = as_role("inkoper")
    assert c.get(f"/aanbieders/{werk.id}/contactpersonen/nieuw").status_code == 200
    r = c.post(f"/aanbieders/{werk.id}/contactpersonen/nieuw",
               data={"name": "Petra de Wit", "function": "Accountmanager", "email": "petra@werkeerst.example",
                     "phone": "010-1234567"})
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/aanbieders/{werk.id}#contactpersonen")
    contact = db.scalar(select(ProviderContact).where(ProviderContact.provider_id == werk.id,
                                                      ProviderContact.name == "Petra de Wit"))
    assert (contact.function, contact.email) == ("Accountmanager", "petra@werkeerst.example")
    body = text(c.get(f"/aanbieders/{werk.id}"))
    assert "Petra de Wit" in body and "mailto:petra@werkeerst.example" in body
    assert 'data-confirm="Contactpersoon Petra de Wit verwijderen?"' in body
    assert "contactpersoon" in body  # related history lists the new contact


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [({"name": "", "email": ""}, "name", "Dit veld is verplicht."),
     ({"name": "Piet", "email": "geen-adres"}, "email", "Vul een geldig e-mailadres in.")],
)
def test_add_contact_rejects_bad_input(as_role, world, db, data, field, message):
    werk = world.providers[0]
    before = db.scalar(select(func.count(ProviderContact.id)))
    r = as_role("inkoper").post(f"/aanbieders/{werk.id}/contactpersonen/nieuw", data=data)
    assert r.status_code == 422
    assert message in field_error(r, field)
    assert db.scalar(select(func.count(ProviderContact.id))) == before


def test_delete_contact(as_role, world, db):
    werk = world.providers[0]
    contact = ProviderContact(name="Oud Contact")
    werk.contacts.append(contact)
    db.commit()
    contact_id = contact.id
    c = as_role("inkoper")
    r = c.post(f"/aanbieders/{werk.id}/contactpersonen/{contact_id}/verwijderen")
    assert r.status_code == 302
    db.expire_all()
    assert db.get(ProviderContact, contact_id) is None
    entry = db.scalar(select(AuditEntry).where(AuditEntry.entity_type == "provider_contact",
                                               AuditEntry.action == "delete"))
    assert entry.entity_id == contact_id
    body = text(c.get(f"/aanbieders/{werk.id}"))
    assert "Contactpersoon Oud Contact is verwijderd." in body
    assert "<del>Oud Contact</del>" in body  # the deleted contact stays in the related history


def test_delete_contact_of_another_provider_is_404(as_role, world, db):
    werk, stap = world.providers
    contact = ProviderContact(name="Van Stap Twee")
    stap.contacts.append(contact)
    db.commit()
    c = as_role("inkoper")
    assert c.post(f"/aanbieders/{werk.id}/contactpersonen/{contact.id}/verwijderen").status_code == 404
    assert c.post(f"/aanbieders/{werk.id}/contactpersonen/999999/verwijderen").status_code == 404
    db.expire_all()
    assert db.get(ProviderContact, contact.id) is not None


def test_delete_contact_needs_post_and_edit_permission(as_role, world, db):
    werk = world.providers[0]
    contact = ProviderContact(name="Blijft")
    werk.contacts.append(contact)
    db.commit()
    url = f"/aanbieders/{werk.id}/contactpersonen/{contact.id}/verwijderen"
    assert as_role("inkoper").get(url).status_code == 405
    assert as_role("klantmanager").post(url).status_code == 403
    db.expire_all()
    assert db.get(ProviderContact, contact.id) is not None


# --- quality marks ------------------------------------------------------------------------------


def test_add_mark_accepts_iso_and_dutch_dates(as_role, world, db):
    werk = world.providers[0]
    c = as_role("inkoper")
    assert c.get(f"/aanbieders/{werk.id}/keurmerken/nieuw").status_code == 200
    r = c.post(f"/aanbieders/{werk.id}/keurmerken/nieuw",
               data={"name": "ISO 9001", "certificate_number": "C-123", "valid_until": "2030-12-31"})
    assert r.status_code == 302
    r = c.post(f"/aanbieders/{werk.id}/keurmerken/nieuw", data={"name": "Blik op Werk", "valid_until": "31-12-2031"})
    assert r.status_code == 302
    marks = {m.name: m for m in db.scalars(select(QualityMark).where(QualityMark.provider_id == werk.id))}
    assert marks["ISO 9001"].valid_until == date(2030, 12, 31)
    assert marks["ISO 9001"].certificate_number == "C-123"
    assert marks["Blik op Werk"].valid_until == date(2031, 12, 31)
    assert db.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.entity_type == "quality_mark",
                                                             AuditEntry.action == "create",
                                                             AuditEntry.actor_label == "inkoper")) == 2


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [({"name": "ISO", "valid_until": ""}, "valid_until", "Dit veld is verplicht."),
     ({"name": "ISO", "valid_until": "morgen"}, "valid_until", "Vul een geldige datum in"),
     ({"name": "", "valid_until": "2030-01-01"}, "name", "Dit veld is verplicht.")],
)
def test_add_mark_rejects_bad_input(as_role, world, db, data, field, message):
    werk = world.providers[0]
    before = db.scalar(select(func.count(QualityMark.id)))
    r = as_role("inkoper").post(f"/aanbieders/{werk.id}/keurmerken/nieuw", data=data)
    assert r.status_code == 422
    error = field_error(r, field)
    assert message in error
    assert error.count(".") <= 2  # one message, not a parse error plus "required"
    assert db.scalar(select(func.count(QualityMark.id))) == before


def test_delete_mark_removes_expired_flag(as_role, world, db):
    stap = world.providers[1]
    mark_id = stap.quality_marks[0].id
    c = as_role("inkoper")
    r = c.post(f"/aanbieders/{stap.id}/keurmerken/{mark_id}/verwijderen")
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/aanbieders/{stap.id}#keurmerken")
    db.expire_all()
    assert db.get(QualityMark, mark_id) is None
    assert "Stap Twee" not in text(c.get("/aanbieders/?marks=expired"))


def test_delete_mark_of_another_provider_is_404(as_role, world, db):
    werk, stap = world.providers
    mark = stap.quality_marks[0]
    assert as_role("inkoper").post(f"/aanbieders/{werk.id}/keurmerken/{mark.id}/verwijderen").status_code == 404
    db.expire_all()
    assert db.get(QualityMark, mark.id) is not None


def test_duplicate_kvk_is_reported_together_with_other_errors(as_role, db):
    before = provider_count(db)
    r = as_role("inkoper").post("/aanbieders/nieuw", data={**VALID, "kvk_number": "12345678", "iban": "NL00"})
    assert r.status_code == 422
    assert "Er is al een aanbieder met dit KvK-nummer." in field_error(r, "kvk_number")
    assert "Dit is geen geldig IBAN" in field_error(r, "iban")
    assert provider_count(db) == before


# --- status machine (the table itself is tested in tests/contracts/test_contracting.py) -----------


def provider_form(provider, **changes) -> dict:
    return {**VALID, "name": provider.name, "kvk_number": provider.kvk_number, "vat_number": provider.vat_number,
            "iban": provider.iban, **changes}


def test_an_ended_provider_cannot_get_a_referral_stop(as_role, world, db):
    werk = world.providers[0]
    werk.status, werk.status_reason = ProviderStatus.ENDED, "Geen contract meer"
    db.commit()
    r = as_role("inkoper").post(f"/aanbieders/{werk.id}/bewerken",
                                data=provider_form(werk, status="referral_stop", status_reason="Evaluatie"))
    assert r.status_code == 422
    assert "Een aanbieder met status 'beëindigd' kan niet naar 'verwijsstop'. Mogelijk: actief." in \
        field_error(r, "status")
    db.expire_all()
    assert db.get(Provider, werk.id).status == ProviderStatus.ENDED


def test_an_ended_provider_may_be_admitted_again(as_role, world, db):
    werk = world.providers[0]
    werk.status, werk.status_reason = ProviderStatus.ENDED, "Geen contract meer"
    db.commit()
    page = text(as_role("inkoper").get(f"/aanbieders/{werk.id}/bewerken"))
    assert '<option value="active">actief</option>' in page and 'value="referral_stop"' not in page
    r = as_role("inkoper").post(f"/aanbieders/{werk.id}/bewerken", data=provider_form(werk, status="active"))
    assert r.status_code == 302, text(r)
    db.expire_all()
    assert db.get(Provider, werk.id).status == ProviderStatus.ACTIVE


def test_a_new_provider_does_not_start_as_ended(as_role, db):
    before = provider_count(db)
    r = as_role("inkoper").post("/aanbieders/nieuw", data={**VALID, "status": "ended", "status_reason": "Weg"})
    assert r.status_code == 422
    assert "Een nieuwe aanbieder kan niet beginnen met de status 'beëindigd'" in field_error(r, "status")
    assert provider_count(db) == before
