"""Privacy between gemeenten: registering or finding a person answers the same whether or not another gemeente
holds them; a person held elsewhere becomes a transfer request that only the holding gemeente sees and decides."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import func, select

from app import clock
from app.models import AuditEntry, Client, ClientPhaseRecord, ClientTransfer
from contracts.clients import TransferStatus
from tests.test_clients import valid_data
from tests.test_imports import CLIENT_HEADER, batch_of, client_row, csv_file, run_import, uploaded_and_checked

FRESH_BSN = "200000007"  # no record anywhere
HIDDEN_BSN = "100000009"  # the world's client of Ceeveen, whom the klantmanager of Aastad and Beedorp cannot see


def told(response) -> tuple[int, str, str]:
    """What a response tells its reader: the status, where it sends them and the page's text. Digits are blanked
    (record ids, times, the echo of the BSN typed) and so is the session's CSRF token."""
    page = re.sub(r'<input[^>]*name="csrf_token"[^>]*>', "", response.get_data(as_text=True))
    return (response.status_code, re.sub(r"\d", "#", response.headers.get("Location", "")),
            re.sub(r"\d", "#", page))


def created(c, world, bsn: str):
    """Nieuwe cliënt, and the page it leads to (with its flash)."""
    response = c.post("/clienten/nieuw", data=valid_data(world, bsn=bsn))
    follow = c.get(response.headers["Location"]) if response.status_code == 302 else response
    return told(response), told(follow)


def transfers(db, **where) -> list[ClientTransfer]:
    db.expire_all()
    return list(db.scalars(select(ClientTransfer).filter_by(**where).order_by(ClientTransfer.id)))


# --- nothing to learn ------------------------------------------------------------------------------


def test_new_client_answers_the_same_for_a_person_held_elsewhere_and_for_a_fresh_bsn(as_role, world):
    c = as_role("klantmanager")
    hidden = created(c, world, HIDDEN_BSN)
    fresh = created(c, world, FRESH_BSN)
    assert hidden[0][0] == 302
    assert hidden == fresh


def test_find_by_bsn_answers_the_same_for_a_person_held_elsewhere_and_for_a_fresh_bsn(as_role, world):
    c = as_role("klantmanager")
    hidden = told(c.post("/clienten/zoek-bsn", data={"bsn": HIDDEN_BSN}))
    fresh = told(c.post("/clienten/zoek-bsn", data={"bsn": FRESH_BSN}))
    assert hidden[0] == 404
    assert hidden == fresh


def test_client_import_rows_answer_the_same_for_a_person_held_elsewhere_and_for_a_fresh_bsn(as_role, world, db):
    c = as_role("klantmanager")
    results = []
    for bsn in (HIDDEN_BSN, FRESH_BSN):
        batch_id = uploaded_and_checked(c, "clients", csv_file(CLIENT_HEADER, client_row(bsn)))
        checked = (batch_of(db, batch_id).problems, told(c.get(f"/import/{batch_id}")))
        imported = told(run_import(c, batch_id))
        batch = batch_of(db, batch_id)
        results.append((checked, imported, told(c.get(f"/import/{batch_id}")),
                        (batch.created_count, batch.unchanged_count, batch.skipped_count, batch.problems)))
    assert results[0][3] == (1, 0, 0, [])
    assert results[0] == results[1]
    [request] = transfers(db, client_id=world.clients[2].id)  # the import asks, as the form does
    assert (request.to_gemeente_id, request.status) == (world.gemeenten[0].id, TransferStatus.PENDING)


def test_a_record_the_user_can_see_is_still_named(as_role, world, db):
    """In the user's own gemeenten the BSN is refused: they can look the person up anyway, nothing leaks."""
    c = as_role("klantmanager")
    for bsn, gemeente in ((world.clients[0].bsn, 0), (world.clients[1].bsn, 0)):  # Aastad's, and Beedorp's
        r = c.post("/clienten/nieuw", data=valid_data(world, bsn=bsn,
                                                       gemeente_id=str(world.gemeenten[gemeente].id)))
        assert r.status_code == 422
        assert "Er is al een cliënt met dit BSN." in r.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(ClientTransfer)) == 1  # only the world's own


# --- the transfer request ---------------------------------------------------------------------------


def test_registering_a_person_held_elsewhere_asks_that_gemeente_and_only_that_gemeente_sees_it(as_role, world, db):
    requester = as_role("klantmanager")
    requester.post("/clienten/nieuw", data=valid_data(world, bsn=HIDDEN_BSN))
    [request] = transfers(db, client_id=world.clients[2].id)
    assert (request.from_gemeente_id, request.to_gemeente_id) == (world.gemeenten[2].id, world.gemeenten[0].id)
    assert request.status == TransferStatus.PENDING
    assert request.requested_by_id == world.users["klantmanager"].id
    holder_page = as_role("klantmanager_c").get("/clienten/overdrachten").get_data(as_text=True)
    assert "Achternaam2" in holder_page and "Aastad" in holder_page and HIDDEN_BSN not in holder_page
    requester_page = requester.get("/clienten/overdrachten").get_data(as_text=True)
    assert "Achternaam2" not in requester_page
    assert requester.post(f"/clienten/overdrachten/{request.id}/overdragen").status_code == 404
    assert requester.post(f"/clienten/overdrachten/{request.id}/weigeren").status_code == 404
    # The new record's own history says nothing of the request either.
    new = db.scalar(select(Client).where(Client.bsn == HIDDEN_BSN, Client.gemeente_id == world.gemeenten[0].id))
    assert "overdracht" not in requester.get(f"/clienten/{new.id}").get_data(as_text=True).lower()


def test_accepting_moves_the_record_with_its_history_and_folds_the_new_registration_into_it(as_role, world, db):
    as_role("klantmanager").post("/clienten/nieuw", data=valid_data(world, bsn=HIDDEN_BSN))
    new = db.scalar(select(Client).where(Client.bsn == HIDDEN_BSN, Client.gemeente_id == world.gemeenten[0].id))
    new_id, held_id = new.id, world.clients[2].id
    [request] = transfers(db, client_id=held_id)
    holder = as_role("klantmanager_c")
    r = holder.post(f"/clienten/overdrachten/{request.id}/overdragen")
    assert r.status_code == 302
    assert "De cliënt is overgedragen." in holder.get(r.headers["Location"]).get_data(as_text=True)
    db.expire_all()
    record = db.get(Client, held_id)
    assert db.get(Client, new_id) is None
    assert record.gemeente_id == world.gemeenten[0].id
    assert (record.first_name, record.last_name, record.birth_date) == ("Fenna", "de Vries", date(1990, 5, 17))
    assert record.klantmanager_id == world.users["klantmanager"].id
    assessments = db.scalars(select(ClientPhaseRecord).where(ClientPhaseRecord.client_id == held_id)).all()
    assert sorted(a.valid_from for a in assessments) == [clock.today() - timedelta(days=30),
                                                          clock.today() - timedelta(days=3)]
    assert (record.phase, record.ladder_rung) == (3, 4)  # the newer assessment, the requesting gemeente's
    assert transfers(db, client_id=held_id)[0].status == TransferStatus.ACCEPTED
    updates = db.scalars(select(AuditEntry).where(AuditEntry.entity_type == "client", AuditEntry.entity_id == held_id,
                                                  AuditEntry.action == "update")).all()
    [moved] = [u for u in updates if "gemeente_id" in u.changes]
    assert moved.changes["gemeente_id"] == {"before": world.gemeenten[2].id, "after": world.gemeenten[0].id}
    assert moved.actor_id == world.users["klantmanager_c"].id
    assert db.scalar(select(AuditEntry).where(AuditEntry.entity_type == "client_transfer",
                                              AuditEntry.entity_id == request.id, AuditEntry.action == "update"))
    assert as_role("klantmanager").get(f"/clienten/{held_id}").status_code == 200
    assert holder.get(f"/clienten/{held_id}").status_code == 404


def test_refusing_keeps_both_records_and_tells_the_requester_nothing(as_role, world, db):
    requester = as_role("klantmanager")
    requester.get(requester.post("/clienten/nieuw", data=valid_data(world, bsn=HIDDEN_BSN)).headers["Location"])
    [request] = transfers(db, client_id=world.clients[2].id)
    page_before = told(requester.get("/clienten/"))
    holder = as_role("klantmanager_c")
    r = holder.post(f"/clienten/overdrachten/{request.id}/weigeren")
    assert "Het overdrachtsverzoek is geweigerd." in holder.get(r.headers["Location"]).get_data(as_text=True)
    assert transfers(db, client_id=world.clients[2].id)[0].status == TransferStatus.REFUSED
    assert db.scalar(select(func.count()).select_from(Client).where(Client.bsn == HIDDEN_BSN)) == 2
    assert told(requester.get("/clienten/")) == page_before
    again = holder.post(f"/clienten/overdrachten/{request.id}/overdragen")
    assert "al beslist" in holder.get(again.headers["Location"]).get_data(as_text=True)
    assert db.get(Client, world.clients[2].id).gemeente_id == world.gemeenten[2].id


def test_a_record_with_a_running_traject_is_not_handed_over(as_role, world, db):
    """Aastad's client has a running traject, paid by Aastad: Ceeveen's registration cannot take it yet."""
    as_role("klantmanager_c").post("/clienten/nieuw", data=valid_data(
        world, bsn=world.clients[0].bsn, gemeente_id=str(world.gemeenten[2].id),
        klantmanager_id=str(world.users["klantmanager_c"].id)))
    [request] = transfers(db, client_id=world.clients[0].id)
    holder = as_role("klantmanager")
    r = holder.post(f"/clienten/overdrachten/{request.id}/overdragen")
    assert "nog een lopend traject" in holder.get(r.headers["Location"]).get_data(as_text=True)
    assert transfers(db, client_id=world.clients[0].id)[0].status == TransferStatus.PENDING
    assert db.get(Client, world.clients[0].id).gemeente_id == world.gemeenten[0].id


def test_a_third_gemeente_sees_nothing_of_a_request(as_role, world, db):
    """The world's request is Ceeveen's, for Beedorp's client: Ceeveen itself (the requester) finds nothing."""
    c = as_role("klantmanager_c")
    assert "Achternaam1" not in c.get("/clienten/overdrachten").get_data(as_text=True)
    for action in ("overdragen", "weigeren"):
        assert c.post(f"/clienten/overdrachten/{world.transfer.id}/{action}").status_code == 404
    assert transfers(db, id=world.transfer.id)[0].status == TransferStatus.PENDING
    assert "1 open" in as_role("klantmanager").get("/clienten/").get_data(as_text=True)
