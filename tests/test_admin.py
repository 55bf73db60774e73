"""User administration and target groups: only the admin manages them, with clear messages."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.audit import record
from app.models import Role, TargetGroup, User
from tests.conftest import field_error, login, tbody

VALID = {
    "username": "nieuwe.klantmanager",
    "full_name": "Nieuwe Klantmanager",
    "email": "nieuw@gemeente.nl",
    "role": "klantmanager",
    "provider_id": 0,
    "active": "y",
    "password": "een-goed-wachtwoord",
}


def test_admin_creates_a_klantmanager_who_can_log_in(as_role, world, db, app):
    c = as_role("admin")
    response = c.post("/beheer/gebruikers/nieuw", data={**VALID, "gemeenten": [world.gemeenten[2].id]})
    assert response.status_code == 302, response.get_data(as_text=True)
    user = db.scalar(select(User).where(User.username == "nieuwe.klantmanager"))
    assert user.role == Role.KLANTMANAGER
    assert [g.name for g in user.gemeenten] == ["Ceeveen"]
    assert user.password_hash.startswith("$argon2id$")
    assert login(app.test_client(), "nieuwe.klantmanager", "een-goed-wachtwoord").status_code == 302


def test_user_form_rules(as_role, world, db):
    c = as_role("admin")
    before = db.scalar(select(func.count()).select_from(User))
    cases = [
        ({**VALID, "username": "Inkoper", "gemeenten": [world.gemeenten[0].id]}, "username", "al in gebruik"),
        ({**VALID, "password": "kort"}, "password", "Minstens 12 tekens."),
        ({**VALID, "password": ""}, "password", "Dit veld is verplicht."),
        ({**VALID, "email": "geen-email"}, "email", "geldig e-mailadres"),
        (VALID, "gemeenten", "minstens één gemeente"),
        ({**VALID, "role": "provider"}, "provider_id", "precies één aanbieder"),
        ({**VALID, "role": "finance", "provider_id": world.providers[0].id}, "provider_id", "Alleen gebruikers"),
    ]
    for data, field, message in cases:
        response = c.post("/beheer/gebruikers/nieuw", data=data)
        assert response.status_code == 422, data
        assert message in field_error(response.get_data(as_text=True), field), data
    assert db.scalar(select(func.count()).select_from(User)) == before


def test_admin_cannot_demote_or_block_themselves(as_role, world):
    c = as_role("admin")
    admin = world.users["admin"]
    response = c.post(f"/beheer/gebruikers/{admin.id}/bewerken",
                      data={**VALID, "username": "admin", "role": "inkoper", "password": ""})
    assert response.status_code == 422
    assert "eigen beheerdersrol" in response.get_data(as_text=True)


def test_edit_user_unlocks_and_changes_role(as_role, world, db):
    from app.db import utcnow

    target = world.users["finance"]
    target.locked_until = utcnow().replace(year=2100)
    db.commit()
    c = as_role("admin")
    form = c.get(f"/beheer/gebruikers/{target.id}/bewerken").get_data(as_text=True)
    assert 'value="finance"' in form
    response = c.post(f"/beheer/gebruikers/{target.id}/bewerken", data={
        "username": "finance", "full_name": "Finance", "email": "f@x.nl", "role": "management",
        "provider_id": 0, "active": "y", "unlock": "y", "password": ""})
    assert response.status_code == 302
    db.expire_all()
    user = db.get(User, target.id)
    assert user.role == Role.MANAGEMENT and user.locked_until is None
    history = c.get(f"/beheer/gebruikers/{target.id}").get_data(as_text=True)
    assert "<dt>Rol</dt>" in history
    assert "<del>financieel medewerker</del> → <ins>management</ins>" in history


def test_user_list_filters_by_role(as_role, world):
    rows = tbody(as_role("admin").get("/beheer/gebruikers?role=klantmanager").get_data(as_text=True))
    assert "klantmanager_c" in rows and ">inkoper<" not in rows


def test_target_groups(as_role, world, db):
    c = as_role("admin")
    created = c.post("/beheer/doelgroepen/nieuw", data={"code": "Statushouders", "name": "Statushouders"})
    assert created.status_code == 302
    assert db.scalar(select(TargetGroup).where(TargetGroup.code == "statushouders")) is not None
    duplicate = c.post("/beheer/doelgroepen/nieuw", data={"code": "algemeen", "name": "Nog eens"})
    assert duplicate.status_code == 422
    assert "al in gebruik" in field_error(duplicate.get_data(as_text=True), "code")
    group = world.target_groups[1]
    assert c.post(f"/beheer/doelgroepen/{group.id}/bewerken", data={"code": "jongeren",
                                                                     "name": "Jongeren tot 27"}).status_code == 302
    assert "Jongeren tot 27" in c.get("/beheer/doelgroepen").get_data(as_text=True)


def test_audit_log_lists_changes_newest_first_and_filters(as_role, world):
    c = as_role("admin")
    c.post("/gemeenten/nieuw", data={"name": "Zuidstad", "cbs_code": "GM8009", "executing_body_id": 0})
    rows = tbody(c.get("/beheer/auditlog").get_data(as_text=True))
    assert rows.index("<td>gemeente ") < rows.index("<td>budget ")  # the world's last record, made before it
    only_updates = tbody(c.get("/beheer/auditlog?action=update").get_data(as_text=True))
    assert "aangemaakt" not in only_updates


def _audit_entry(db, monkeypatch, at: datetime, actor) -> None:
    """A change to a target group by ``actor`` stored at ``at`` (UTC) as the trail stores every entry."""
    monkeypatch.setattr("app.audit.utcnow", lambda: at)
    db.info["actor"] = (actor.id, actor.username)
    record(db, "update", "target_group", 4242, {"name": {"before": "Oud", "after": "=Nieuw"}})
    db.commit()
    del db.info["actor"]


def test_the_audit_log_filters_by_amsterdam_day_user_kind_action_and_exports_its_list(as_role, world, db,
                                                                                       monkeypatch):
    """A day is the Amsterdam day: 23:30 UTC on 1 July is 2 July there. The files hold the page's selection."""
    admin = world.users["admin"]
    _audit_entry(db, monkeypatch, datetime(2026, 7, 1, 23, 30), admin)  # 01:30 on 2 July in Amsterdam (UTC+2)
    _audit_entry(db, monkeypatch, datetime(2026, 7, 1, 21, 30), world.users["inkoper"])  # 23:30 on 1 July there
    c = as_role("admin")
    query = {"from": "2026-07-02", "until": "2026-07-02", "entity_type": "target_group"}
    rows = tbody(c.get("/beheer/auditlog", query_string=query).get_data(as_text=True))
    assert rows.count("<tr") == 1 and "doelgroep 4242" in rows and "admin" in rows, rows
    july_first = tbody(c.get("/beheer/auditlog", query_string={**query, "from": "2026-07-01", "until": "2026-07-01"})
                       .get_data(as_text=True))
    assert july_first.count("<tr") == 1 and "inkoper" in july_first
    by_user = tbody(c.get("/beheer/auditlog", query_string={"actor": admin.id, "entity_type": "target_group",
                                                            "from": "2026-07-01", "until": "2026-07-02"})
                    .get_data(as_text=True))
    assert by_user.count("<tr") == 1 and "inkoper" not in by_user
    assert "doelgroep 4242" not in tbody(c.get("/beheer/auditlog", query_string={**query, "action": "delete"})
                                         .get_data(as_text=True))

    csv = c.get("/beheer/auditlog/export.csv", query_string=query)
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "Wanneer;Wie;Actie;Record;Velden;IP-adres"
    assert lines[1:] == ["2026-07-02 01:30:00;admin;gewijzigd;doelgroep 4242;Naam;"]

    book = load_workbook(io.BytesIO(c.get("/beheer/auditlog/export.xlsx", query_string=query).data))
    sheet = book.worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values == [["Wanneer", "Wie", "Actie", "Record", "Velden", "IP-adres"],
                      [datetime(2026, 7, 2, 1, 30), "admin", "gewijzigd", "doelgroep 4242", "Naam", None]]
    assert sheet["A2"].number_format == "DD-MM-YYYY HH:MM:SS"


@pytest.mark.parametrize("value", ["2026-02-30", "gisteren", "99999999999999999999", "-1", "2026-13-01"])
def test_an_impossible_day_or_user_in_the_audit_filters_is_ignored(as_role, world, value):
    """Not a day the calendar can hold, or not an id: the page and the file list as if it were not there."""
    c = as_role("admin")
    unfiltered = {url: c.get(url) for url in ("/beheer/auditlog", "/beheer/auditlog/export.csv")}
    for name in ("from", "until", "actor"):
        for url, whole in unfiltered.items():
            response = c.get(url, query_string={name: value})
            assert response.status_code == 200, (name, value, url)
            if url.endswith(".csv"):
                assert response.data == whole.data, (name, value)
            else:
                assert tbody(response.get_data(as_text=True)) == tbody(whole.get_data(as_text=True)), (name, value)
    for day in ("9999-12-31", "0001-01-01"):  # the calendar's ends: days, at the edge of what a moment can hold
        assert all(c.get(url, query_string={"from": day, "until": day}).status_code == 200 for url in unfiltered)
    assert c.get("/beheer/auditlog/export.pdf").status_code == 404
    assert as_role("finance").get("/beheer/auditlog/export.csv").status_code == 403


def test_the_account_rules_know_the_roles_by_their_stored_names():
    from contracts import accounts

    stored = (Role.ADMIN.value, Role.KLANTMANAGER.value, Role.PROVIDER.value)
    assert stored == (accounts.ADMIN, accounts.KLANTMANAGER, accounts.PROVIDER)


def test_nobody_can_be_called_systeem_the_trails_name_for_the_system(as_role, world, db):
    """Creating or renaming an account to the system's name, in any spelling, is refused at the field."""
    c = as_role("admin")
    before = db.scalar(select(func.count()).select_from(User))
    target = world.users["inkoper"]
    for url, data in (("/beheer/gebruikers/nieuw", {**VALID, "gemeenten": [world.gemeenten[0].id]}),
                      (f"/beheer/gebruikers/{target.id}/bewerken", {**VALID, "role": "inkoper", "password": ""})):
        for name in ("systeem", " Systeem ", "SYS TEEM"):
            response = c.post(url, data={**data, "username": name})
            assert response.status_code == 422, (url, name)
            assert "gereserveerd" in field_error(response.get_data(as_text=True), "username")
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(User)) == before
    assert db.get(User, target.id).username == "inkoper"


def test_the_model_refuses_the_name_for_every_other_writer_too():
    from contracts.accounts import AccountError

    with pytest.raises(AccountError):
        User(username="Systeem", full_name="x", email="x@example.org", role=Role.ADMIN, password_hash="x")
