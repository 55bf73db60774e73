"""The clients register: scoping, BSN masking and reveal, validation, and the phase history."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app import clock
from app.models import AuditEntry, BenefitType, Client, ClientPhaseRecord, Role, User
from tests.conftest import tbody

FULL_BSNS = ("111222333", "123456782", "100000009")
NEW_BSN = "200000007"


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


def error_at(html: str, field: str) -> str:
    """The text of the error message rendered next to ``field`` (empty when there is none)."""
    match = re.search(rf'<p class="error-message" id="{field}-error">(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


def valid_data(world, **overrides) -> dict:
    data = {
        "bsn": NEW_BSN,
        "first_name": "Fenna",
        "last_name": "de Vries",
        "birth_date": "1990-05-17",
        "gemeente_id": str(world.gemeenten[0].id),
        "benefit_type": "participatiewet",
        "monthly_benefit": "1.234,56",
        "target_group_id": str(world.target_groups[1].id),
        "phase": "3",
        "ladder_rung": "4",
        "assessed_on": (clock.today() - timedelta(days=3)).isoformat(),
        "klantmanager_id": str(world.users["klantmanager"].id),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def edit_data(client, world, **overrides) -> dict:
    data = {
        "first_name": client.first_name,
        "last_name": client.last_name,
        "birth_date": "",
        "gemeente_id": str(client.gemeente_id),
        "benefit_type": client.benefit_type.value,
        "monthly_benefit": "1.250,00",
        "target_group_id": str(client.target_group_id),
        "klantmanager_id": str(client.klantmanager_id or ""),
    }
    data.update(overrides)
    return data


def assert_no_full_bsn(html: str) -> None:
    for bsn in (*FULL_BSNS, NEW_BSN):
        assert bsn not in html


# --- scoping ---------------------------------------------------------------------------------------


def test_klantmanager_list_shows_only_own_gemeenten_and_masks_bsn(as_role, world):
    c = as_role("klantmanager")
    r = c.get("/clienten/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Achternaam0" in html and "Achternaam1" in html
    assert "Achternaam2" not in html
    assert "******333" in html and "******782" in html
    assert '<span class="bsn">' in html
    assert_no_full_bsn(html)
    assert r.headers["Cache-Control"] == "no-store"


def test_other_klantmanager_sees_only_ceeveen(as_role, world):
    html = as_role("klantmanager_c").get("/clienten/").get_data(as_text=True)
    assert "Achternaam2" in html
    assert "Achternaam0" not in html and "Achternaam1" not in html


def test_admin_sees_all_clients(as_role, world):
    html = as_role("admin").get("/clienten/").get_data(as_text=True)
    for i in range(3):
        assert f"Achternaam{i}" in html
    assert_no_full_bsn(html)


@pytest.mark.parametrize("role", ["inkoper", "finance", "management", "provider"])
def test_roles_without_client_permission_get_403(as_role, world, role):
    c = as_role(role)
    cid = world.clients[0].id
    assert c.get("/clienten/").status_code == 403
    assert c.get(f"/clienten/{cid}").status_code == 403
    assert c.get("/clienten/nieuw").status_code == 403
    assert c.post(f"/clienten/{cid}/bsn", data={"reason": "contact"}).status_code == 403


def test_anonymous_is_sent_to_login(client, world):
    r = client.get("/clienten/")
    assert r.status_code == 302
    assert "/login" in r.headers["Location"]


def test_klantmanager_gets_404_on_every_url_of_a_client_outside_scope(as_role, world, db):
    c = as_role("klantmanager")
    cid = world.clients[2].id
    assert c.get(f"/clienten/{cid}").status_code == 404
    assert c.get(f"/clienten/{cid}/bewerken").status_code == 404
    assert c.post(f"/clienten/{cid}/bewerken", data=edit_data(world.clients[2], world)).status_code == 404
    assert c.post(f"/clienten/{cid}/bsn", data={"reason": "contact"}).status_code == 404
    assert c.get(f"/clienten/{cid}/fase/nieuw").status_code == 404
    r = c.post(f"/clienten/{cid}/fase/nieuw", data={"phase": "4", "ladder_rung": "6",
                                                     "valid_from": clock.today().isoformat()})
    assert r.status_code == 404
    assert "100000009" not in r.get_data(as_text=True)
    assert count(db, AuditEntry, AuditEntry.action == "reveal_bsn") == 0
    assert count(db, ClientPhaseRecord, ClientPhaseRecord.client_id == cid) == 1


def test_unknown_client_is_404(as_role, world):
    assert as_role("admin").get("/clienten/999999").status_code == 404


def test_admin_can_open_any_client(as_role, world):
    c = as_role("admin")
    for client in world.clients:
        r = c.get(f"/clienten/{client.id}")
        assert r.status_code == 200
        assert client.masked_bsn in r.get_data(as_text=True)


def test_detail_and_edit_pages_never_show_the_full_bsn(as_role, world):
    c = as_role("klantmanager")
    cid = world.clients[0].id
    for url in (f"/clienten/{cid}", f"/clienten/{cid}/bewerken", f"/clienten/{cid}/fase/nieuw"):
        r = c.get(url)
        html = r.get_data(as_text=True)
        assert r.status_code == 200
        if "fase" not in url:
            assert "******333" in html
        assert_no_full_bsn(html)
        assert 'name="bsn"' not in html


def test_detail_lists_phase_history_and_audit_history(as_role, world):
    html = as_role("klantmanager").get(f"/clienten/{world.clients[0].id}").get_data(as_text=True)
    assert "Fasen en treden" in html
    assert "Historie" in html
    assert "Toon BSN" in html
    assert "€" in html and "1.250,00" in html


# --- search, filters, sort -------------------------------------------------------------------------


def test_find_by_exact_bsn_is_a_post_that_opens_the_client(as_role, world):
    c = as_role("klantmanager")
    for typed in ("123456782", "123 456 782", "1234.56.782"):
        r = c.post("/clienten/zoek-bsn", data={"bsn": typed})
        assert r.status_code == 302, typed
        assert r.headers["Location"] == f"/clienten/{world.clients[1].id}"
        assert "123456782" not in r.headers["Location"]


def test_a_bsn_in_the_name_search_matches_nothing(as_role, world):
    html = as_role("klantmanager").get("/clienten/", query_string={"q": "123456782"}).get_data(as_text=True)
    assert "Geen cliënten gevonden." in html


def test_find_by_bsn_respects_scope_and_names_no_one(as_role, world):
    r = as_role("klantmanager").post("/clienten/zoek-bsn", data={"bsn": "100000009"})
    assert r.status_code == 404
    html = r.get_data(as_text=True)
    assert "Geen cliënt met dit BSN in je gemeenten." in html
    assert "Achternaam2" not in html


def test_find_by_bsn_refuses_an_invalid_number_at_the_field(as_role, world):
    r = as_role("klantmanager").post("/clienten/zoek-bsn", data={"bsn": "123456789"})
    assert r.status_code == 422
    assert "elfproef" in r.get_data(as_text=True).split('id="bsn-error"', 1)[1]


def test_search_by_name(as_role, world):
    c = as_role("klantmanager")
    html = c.get("/clienten/", query_string={"q": "achternaam1"}).get_data(as_text=True)
    assert "Achternaam1" in html and "Achternaam0" not in html
    html = c.get("/clienten/", query_string={"q": "voornaam0"}).get_data(as_text=True)
    assert "Achternaam0" in html and "Achternaam1" not in html


NAMED = {"Çelik": ("Ayşe", "Çelik"), "de Wit": ("Zoë", "de Wit"), "Nieuwkomer": ("Noor", "Nieuwkomer"),
         "Noorlander": ("Daan", "Noorlander")}


def _named_clients(world, db) -> None:
    for i, (first, last) in enumerate(NAMED.values()):
        client = Client(bsn=f"30000000{i}", first_name=first, last_name=last, gemeente=world.gemeenten[0],
                        benefit_type=BenefitType.NONE, monthly_benefit=Decimal("0.00"),
                        target_group=world.target_groups[0])
        client.assess(1, 1, clock.today() - timedelta(days=1))
        db.add(client)
    db.commit()


@pytest.mark.parametrize(("typed", "found"), [
    ("Çelik", {"Çelik"}), ("çelik", {"Çelik"}), ("Celik", {"Çelik"}), ("CELIK", {"Çelik"}), ("elik", {"Çelik"}),
    ("ayse", {"Çelik"}), ("Ayşe Çelik", {"Çelik"}),
    ("zoe", {"de Wit"}), ("Zoë", {"de Wit"}), ("ZOË DE WIT", {"de Wit"}), ("de wit, zoe", {"de Wit"}),
    ("Noor Nieuwkomer", {"Nieuwkomer"}), ("Nieuwkomer, Noor", {"Nieuwkomer"}), ("nieuwkomer noor", {"Nieuwkomer"}),
    ("  Noor   Nieuwkomer ", {"Nieuwkomer"}),
    ("noor", {"Nieuwkomer", "Noorlander"}),
    ("Noor Noorlander", set()), ("Daan Nieuwkomer", set()), ("%", set()), ("_", set()),
])
def test_search_folds_case_and_diacritics_and_matches_first_and_last_name_in_either_order(
        as_role, world, db, typed, found):
    _named_clients(world, db)
    html = tbody(as_role("klantmanager").get("/clienten/", query_string={"q": typed}).get_data(as_text=True))
    assert {last for last in NAMED if last in html} == found


def test_a_client_renamed_through_the_form_is_found_by_the_new_name_folded(as_role, world, db):
    client = world.clients[0]
    c = as_role("klantmanager")
    response = c.post(f"/clienten/{client.id}/bewerken",
                      data=edit_data(client, world, first_name="Émile", last_name="Öztürk"))
    assert response.status_code == 302
    html = tbody(c.get("/clienten/", query_string={"q": "emile ozturk"}).get_data(as_text=True))
    assert "Öztürk" in html
    assert "Öztürk" not in tbody(c.get("/clienten/", query_string={"q": "voornaam0"}).get_data(as_text=True))


def test_filter_on_gemeente(as_role, world):
    html = as_role("klantmanager").get(
        "/clienten/", query_string={"gemeente": world.gemeenten[1].id}
    ).get_data(as_text=True)
    assert "Achternaam1" in html and "Achternaam0" not in html


def test_filter_on_gemeente_outside_scope_shows_nothing(as_role, world):
    html = as_role("klantmanager").get(
        "/clienten/", query_string={"gemeente": world.gemeenten[2].id}
    ).get_data(as_text=True)
    assert "Achternaam2" not in html


def test_filters_on_benefit_type_target_group_phase_and_mine(as_role, world, db):
    client = db.get(Client, world.clients[1].id)
    client.benefit_type = BenefitType.IOAW
    client.target_group = world.target_groups[1]
    client.phase = 4
    client.klantmanager = None
    db.commit()
    c = as_role("klantmanager")

    def names(**args):
        html = c.get("/clienten/", query_string=args).get_data(as_text=True)
        return {n for n in ("Achternaam0", "Achternaam1", "Achternaam2") if n in html}

    assert names(benefit_type="ioaw") == {"Achternaam1"}
    assert names(benefit_type="participatiewet") == {"Achternaam0"}
    assert names(target_group=world.target_groups[1].id) == {"Achternaam1"}
    assert names(phase=4) == {"Achternaam1"}
    assert names(phase=2) == {"Achternaam0"}
    assert names(mine=1) == {"Achternaam0"}
    assert names(benefit_type="nonsense") == {"Achternaam0", "Achternaam1"}
    assert names(phase=9) == {"Achternaam0", "Achternaam1"}


def test_sort_by_name_both_directions(as_role, world):
    c = as_role("admin")
    html = c.get("/clienten/", query_string={"sort": "name", "dir": "asc"}).get_data(as_text=True)
    assert html.index("Achternaam0") < html.index("Achternaam1") < html.index("Achternaam2")
    html = c.get("/clienten/", query_string={"sort": "name", "dir": "desc"}).get_data(as_text=True)
    assert html.index("Achternaam2") < html.index("Achternaam1") < html.index("Achternaam0")


@pytest.mark.parametrize("sort", ["gemeente", "benefit_type", "phase", "klantmanager", "bsn", "nonsense"])
def test_every_sort_works(as_role, world, sort):
    c = as_role("admin")
    for direction in ("asc", "desc"):
        r = c.get("/clienten/", query_string={"sort": sort, "dir": direction})
        assert r.status_code == 200
        assert_no_full_bsn(r.get_data(as_text=True))


def test_sort_by_gemeente_desc(as_role, world):
    html = as_role("admin").get("/clienten/", query_string={"sort": "gemeente", "dir": "desc"}).get_data(as_text=True)
    assert html.index("Achternaam2") < html.index("Achternaam1") < html.index("Achternaam0")


# --- reveal ----------------------------------------------------------------------------------------


def test_reveal_shows_full_bsn_and_writes_one_audit_entry(as_role, world, db):
    c = as_role("klantmanager")
    cid = world.clients[0].id
    r = c.post(f"/clienten/{cid}/bsn", data={"reason": "contact"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "111222333" in html
    assert r.headers["Cache-Control"] == "no-store"
    entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "reveal_bsn")).all()
    assert len(entries) == 1
    entry = entries[0]
    assert entry.actor_id == world.users["klantmanager"].id
    assert entry.entity_type == "client" and entry.entity_id == cid
    assert entry.changes == {"reason": "contact"}
    assert "111222333" not in str(entry.changes)


def test_reveal_by_get_is_405(as_role, world, db):
    r = as_role("klantmanager").get(f"/clienten/{world.clients[0].id}/bsn")
    assert r.status_code == 405
    assert "111222333" not in r.get_data(as_text=True)
    assert count(db, AuditEntry, AuditEntry.action == "reveal_bsn") == 0


def test_reveal_needs_a_reason(as_role, world, db):
    c = as_role("klantmanager")
    for data in ({}, {"reason": "nieuwsgierigheid"}):
        r = c.post(f"/clienten/{world.clients[0].id}/bsn", data=data)
        html = r.get_data(as_text=True)
        assert r.status_code == 422
        assert "111222333" not in html
        assert error_at(html, "reason")
    assert count(db, AuditEntry, AuditEntry.action == "reveal_bsn") == 0


def test_reveal_needs_a_csrf_token_when_csrf_is_on(app, as_role, world, db):
    c = as_role("klantmanager")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        r = c.post(f"/clienten/{world.clients[0].id}/bsn", data={"reason": "contact"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert r.status_code == 400
    assert "111222333" not in r.get_data(as_text=True)
    assert count(db, AuditEntry, AuditEntry.action == "reveal_bsn") == 0


# --- create ----------------------------------------------------------------------------------------


def test_create_form_offers_only_own_gemeenten_and_their_klantmanagers(as_role, world):
    html = as_role("klantmanager").get("/clienten/nieuw").get_data(as_text=True)
    assert "Aastad" in html and "Beedorp" in html
    assert "Ceeveen" not in html
    assert "Klantmanager C" not in html


def test_create_valid_client(as_role, world, db):
    c = as_role("klantmanager")
    r = c.post("/clienten/nieuw", data=valid_data(world))
    assert r.status_code == 302, r.get_data(as_text=True)
    client = db.scalar(select(Client).where(Client.bsn == NEW_BSN))
    assert client is not None
    assert r.headers["Location"].endswith(f"/clienten/{client.id}")
    assert (client.first_name, client.last_name) == ("Fenna", "de Vries")
    assert client.birth_date == date(1990, 5, 17)
    assert client.monthly_benefit == Decimal("1234.56")
    assert client.benefit_type == BenefitType.PARTICIPATIEWET
    assert (client.phase, client.ladder_rung) == (3, 4)
    assert client.klantmanager_id == world.users["klantmanager"].id
    records = db.scalars(select(ClientPhaseRecord).where(ClientPhaseRecord.client_id == client.id)).all()
    assert len(records) == 1
    assert (records[0].phase, records[0].ladder_rung) == (3, 4)
    assert records[0].valid_from == clock.today() - timedelta(days=3)
    assert records[0].recorded_by_id == world.users["klantmanager"].id
    entry = db.scalar(select(AuditEntry).where(AuditEntry.entity_type == "client",
                                              AuditEntry.entity_id == client.id, AuditEntry.action == "create"))
    assert entry is not None
    assert entry.actor_id == world.users["klantmanager"].id
    assert entry.changes["bsn"]["after"] == "******007"
    assert NEW_BSN not in str(entry.changes)
    detail = c.get(r.headers["Location"]).get_data(as_text=True)
    assert "******007" in detail and NEW_BSN not in detail
    assert "Klantmanager" in detail


def test_create_accepts_bsn_with_separators_and_no_klantmanager(as_role, world, db):
    c = as_role("admin")
    r = c.post("/clienten/nieuw", data=valid_data(world, bsn="2000.00.007", klantmanager_id=""))
    assert r.status_code == 302, r.get_data(as_text=True)
    client = db.scalar(select(Client).where(Client.bsn == NEW_BSN))
    assert client.klantmanager_id is None


def test_create_without_benefit(as_role, world, db):
    r = as_role("klantmanager").post("/clienten/nieuw", data=valid_data(world, benefit_type="none",
                                                                         monthly_benefit="0,00"))
    assert r.status_code == 302
    client = db.scalar(select(Client).where(Client.bsn == NEW_BSN))
    assert client.benefit_type == BenefitType.NONE and client.monthly_benefit == 0


BAD_INPUTS = [
    ({"bsn": "123456789"}, "bsn", "elfproef"),
    ({"bsn": "10000008"}, "bsn", "precies 9 cijfers"),
    ({"bsn": "12345678"}, "bsn", "precies 9 cijfers"),
    ({"bsn": "abcdefghi"}, "bsn", "geldig BSN"),
    ({"bsn": ""}, "bsn", "verplicht"),
    ({"bsn": "111222333"}, "bsn", "Er is al een cliënt met dit BSN."),
    ({"first_name": ""}, "first_name", "verplicht"),
    ({"last_name": "  "}, "last_name", "verplicht"),
    ({"gemeente_id": ""}, "gemeente_id", "verplicht"),
    ({"benefit_type": ""}, "benefit_type", "verplicht"),
    ({"benefit_type": "ww"}, "benefit_type", "Kies een soort uitkering"),
    ({"monthly_benefit": ""}, "monthly_benefit", "verplicht"),
    ({"monthly_benefit": "-10,00"}, "monthly_benefit", "negatief"),
    ({"monthly_benefit": "veel"}, "monthly_benefit", "bedrag in euro"),
    ({"monthly_benefit": "1,234"}, "monthly_benefit", "twee cijfers"),
    ({"monthly_benefit": "999999"}, "monthly_benefit", "te hoog"),
    ({"monthly_benefit": "99999999999"}, "monthly_benefit", "te groot"),
    ({"benefit_type": "none", "monthly_benefit": "100,00"}, "monthly_benefit", "Zonder uitkering"),
    ({"target_group_id": ""}, "target_group_id", "verplicht"),
    ({"target_group_id": "99999"}, "target_group_id", "doelgroep"),
    ({"phase": "5"}, "phase", "fase van 1 tot en met 4"),
    ({"phase": "0"}, "phase", "fase van 1 tot en met 4"),
    ({"phase": "x"}, "phase", "fase van 1 tot en met 4"),
    ({"phase": ""}, "phase", "verplicht"),
    ({"ladder_rung": "0"}, "ladder_rung", "trede van 1 tot en met 6"),
    ({"ladder_rung": "7"}, "ladder_rung", "trede van 1 tot en met 6"),
    ({"assessed_on": ""}, "assessed_on", ""),
    ({"assessed_on": (clock.today() + timedelta(days=1)).isoformat()}, "assessed_on", "toekomst"),
    ({"birth_date": (clock.today() + timedelta(days=1)).isoformat()}, "birth_date", "toekomst"),
    ({"birth_date": "1850-01-01"}, "birth_date", "te ver in het verleden"),
    ({"birth_date": "31-02-1990"}, "birth_date", ""),
    ({"klantmanager_id": "abc"}, "klantmanager_id", "uit de lijst"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), BAD_INPUTS)
def test_create_refuses_bad_input_at_the_field(as_role, world, db, overrides, field, message):
    before = count(db, Client)
    r = as_role("klantmanager").post("/clienten/nieuw", data=valid_data(world, **overrides))
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert f'id="{field}-error"' in html
    assert message in error_at(html, field)
    assert count(db, Client) == before
    assert count(db, ClientPhaseRecord) == 3
    assert "error-summary" in html
    assert "111222333" not in error_at(html, field)


def test_create_refuses_tampered_gemeente_outside_own(as_role, world, db):
    before = count(db, Client)
    r = as_role("klantmanager").post(
        "/clienten/nieuw", data=valid_data(world, gemeente_id=str(world.gemeenten[2].id), klantmanager_id="")
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "gemeenten waarvoor je werkt" in error_at(html, "gemeente_id")
    assert count(db, Client) == before


def test_create_refuses_klantmanager_of_another_gemeente(as_role, world, db):
    r = as_role("admin").post(
        "/clienten/nieuw",
        data=valid_data(world, gemeente_id=str(world.gemeenten[2].id),
                        klantmanager_id=str(world.users["klantmanager"].id)),
    )
    assert r.status_code == 422
    assert "voor de gekozen gemeente" in error_at(r.get_data(as_text=True), "klantmanager_id")
    assert count(db, Client, Client.bsn == NEW_BSN) == 0


@pytest.mark.parametrize("user_key", ["admin", "inkoper"])
def test_create_refuses_a_user_who_is_not_a_klantmanager(as_role, world, db, user_key):
    r = as_role("admin").post("/clienten/nieuw",
                              data=valid_data(world, klantmanager_id=str(world.users[user_key].id)))
    assert r.status_code == 422
    assert error_at(r.get_data(as_text=True), "klantmanager_id")


def test_create_refuses_an_inactive_klantmanager(as_role, world, db):
    user = User(username="oud", full_name="Oud Klantmanager", email="o@x.nl", role=Role.KLANTMANAGER,
                password_hash="x", active=False, gemeenten=[world.gemeenten[0]])
    db.add(user)
    db.commit()
    c = as_role("admin")
    assert "Oud Klantmanager" not in c.get("/clienten/nieuw").get_data(as_text=True)
    r = c.post("/clienten/nieuw", data=valid_data(world, klantmanager_id=str(user.id)))
    assert r.status_code == 422
    assert error_at(r.get_data(as_text=True), "klantmanager_id")


def test_admin_may_create_in_any_gemeente(as_role, world, db):
    r = as_role("admin").post(
        "/clienten/nieuw",
        data=valid_data(world, gemeente_id=str(world.gemeenten[2].id),
                        klantmanager_id=str(world.users["klantmanager_c"].id)),
    )
    assert r.status_code == 302
    assert db.scalar(select(Client).where(Client.bsn == NEW_BSN)).gemeente_id == world.gemeenten[2].id


# --- edit ------------------------------------------------------------------------------------------


def test_edit_changes_fields_but_not_bsn_or_phase(as_role, world, db):
    client = world.clients[0]
    c = as_role("klantmanager")
    data = edit_data(client, world, last_name="Jansen", gemeente_id=str(world.gemeenten[1].id),
                     monthly_benefit="999,99", bsn="123456782", phase="4", ladder_rung="6")
    r = c.post(f"/clienten/{client.id}/bewerken", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)
    db.expire_all()
    stored = db.get(Client, client.id)
    assert stored.last_name == "Jansen"
    assert stored.gemeente_id == world.gemeenten[1].id
    assert stored.monthly_benefit == Decimal("999.99")
    assert stored.bsn == "111222333"
    assert (stored.phase, stored.ladder_rung) == (2, 3)
    entry = db.scalar(select(AuditEntry).where(AuditEntry.entity_type == "client",
                                              AuditEntry.entity_id == client.id, AuditEntry.action == "update"))
    assert entry.changes["last_name"] == {"before": "Achternaam0", "after": "Jansen"}
    assert "bsn" not in entry.changes


def test_edit_form_shows_current_values(as_role, world):
    html = as_role("klantmanager").get(f"/clienten/{world.clients[0].id}/bewerken").get_data(as_text=True)
    assert 'value="Achternaam0"' in html
    assert 'value="1.250,00"' in html
    assert '<option selected value="participatiewet">' in html or 'value="participatiewet" selected' in html


def test_edit_refuses_moving_client_to_a_gemeente_outside_own(as_role, world, db):
    client = world.clients[0]
    r = as_role("klantmanager").post(
        f"/clienten/{client.id}/bewerken",
        data=edit_data(client, world, gemeente_id=str(world.gemeenten[2].id), klantmanager_id=""),
    )
    assert r.status_code == 422
    assert error_at(r.get_data(as_text=True), "gemeente_id")
    db.expire_all()
    assert db.get(Client, client.id).gemeente_id == world.gemeenten[0].id


def test_edit_refuses_benefit_with_type_none(as_role, world, db):
    client = world.clients[0]
    r = as_role("klantmanager").post(f"/clienten/{client.id}/bewerken",
                                     data=edit_data(client, world, benefit_type="none"))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Zonder uitkering" in error_at(html, "monthly_benefit")
    assert_no_full_bsn(html)
    db.expire_all()
    assert db.get(Client, client.id).benefit_type == BenefitType.PARTICIPATIEWET


# --- phase history ---------------------------------------------------------------------------------


def phase_records(db, client_id):
    db.expire_all()
    return db.scalars(
        select(ClientPhaseRecord).where(ClientPhaseRecord.client_id == client_id)
        .order_by(ClientPhaseRecord.valid_from.desc(), ClientPhaseRecord.id.desc())
    ).all()


def test_new_assessment_updates_current_phase_and_keeps_old_record(as_role, world, db):
    client = world.clients[0]
    c = as_role("klantmanager")
    r = c.post(f"/clienten/{client.id}/fase/nieuw",
               data={"phase": "3", "ladder_rung": "5", "valid_from": clock.today().isoformat()})
    assert r.status_code == 302, r.get_data(as_text=True)
    records = phase_records(db, client.id)
    assert [(x.phase, x.ladder_rung) for x in records] == [(3, 5), (2, 3)]
    assert records[0].recorded_by_id == world.users["klantmanager"].id
    stored = db.get(Client, client.id)
    assert (stored.phase, stored.ladder_rung) == (3, 5)
    html = c.get(f"/clienten/{client.id}").get_data(as_text=True)
    assert html.index("5 – betaald werk met ondersteuning") < html.index("3 – deelname aan georganiseerde")
    assert "Klantmanager" in html


def test_backdated_assessment_is_history_only(as_role, world, db):
    client = world.clients[0]
    r = as_role("klantmanager").post(
        f"/clienten/{client.id}/fase/nieuw",
        data={"phase": "1", "ladder_rung": "1", "valid_from": (clock.today() - timedelta(days=60)).isoformat()},
    )
    assert r.status_code == 302
    records = phase_records(db, client.id)
    assert [(x.phase, x.ladder_rung) for x in records] == [(2, 3), (1, 1)]
    stored = db.get(Client, client.id)
    assert (stored.phase, stored.ladder_rung) == (2, 3)


def test_assessment_in_the_future_is_refused(as_role, world, db):
    client = world.clients[0]
    r = as_role("klantmanager").post(
        f"/clienten/{client.id}/fase/nieuw",
        data={"phase": "4", "ladder_rung": "6", "valid_from": (clock.today() + timedelta(days=1)).isoformat()},
    )
    assert r.status_code == 422
    assert "toekomst" in error_at(r.get_data(as_text=True), "valid_from")
    assert len(phase_records(db, client.id)) == 1
    assert db.get(Client, client.id).phase == 2


@pytest.mark.parametrize(("data", "field"), [
    ({"phase": "5", "ladder_rung": "3"}, "phase"),
    ({"phase": "", "ladder_rung": "3"}, "phase"),
    ({"phase": "2", "ladder_rung": "0"}, "ladder_rung"),
    ({"phase": "2", "ladder_rung": "7"}, "ladder_rung"),
])
def test_assessment_out_of_range_is_refused(as_role, world, db, data, field):
    client = world.clients[0]
    r = as_role("klantmanager").post(f"/clienten/{client.id}/fase/nieuw",
                                     data={**data, "valid_from": clock.today().isoformat()})
    assert r.status_code == 422
    assert error_at(r.get_data(as_text=True), field)
    assert len(phase_records(db, client.id)) == 1


def test_duplicate_bsn_is_reported_together_with_other_errors(as_role, world):
    html = as_role("klantmanager").post(
        "/clienten/nieuw", data=valid_data(world, bsn="123456782", first_name="")
    ).get_data(as_text=True)
    assert "Er is al een cliënt met dit BSN." in error_at(html, "bsn")
    assert "verplicht" in error_at(html, "first_name")


# --- markup ----------------------------------------------------------------------------------------


def test_client_pages_with_errors_or_revealed_bsn_stay_accessible(as_role, world):
    from tests.test_accessibility import _check

    c = as_role("klantmanager")
    cid = world.clients[0].id
    pages = [
        c.get("/clienten/", query_string={"mine": 1, "phase": 2}),
        c.post("/clienten/nieuw", data=valid_data(world, bsn="123", monthly_benefit="-1")),
        c.post(f"/clienten/{cid}/bewerken", data=edit_data(world.clients[0], world, last_name="")),
        c.post(f"/clienten/{cid}/fase/nieuw", data={"phase": "9"}),
        c.post(f"/clienten/{cid}/bsn", data={}),
        c.post(f"/clienten/{cid}/bsn", data={"reason": "controle"}),
    ]
    for response in pages:
        assert _check(response.get_data(as_text=True)) == []


def test_huge_numbers_are_not_found_instead_of_crashing(as_role, world):
    c = as_role("admin")
    huge = "9" * 30
    assert c.get(f"/clienten/{huge}").status_code == 404
    assert c.get("/clienten/", query_string={"gemeente": huge, "target_group": huge}).status_code == 200
    r = c.post("/clienten/nieuw", data=valid_data(world, target_group_id=huge, klantmanager_id=huge))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert error_at(html, "target_group_id") and error_at(html, "klantmanager_id")
