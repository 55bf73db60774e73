"""CSV import of clients and traject events: header check, stepped checking, all-or-nothing, idempotence, scope."""

from __future__ import annotations

import html
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app import clock
from app.models import Client, ClientPhaseRecord, ImportBatch, ImportKind, ImportStatus
from app.models.trajecten import Traject, TrajectEvent
from app.parsing import ParseError, parse_number, traject_number
from app.trajecten.imports import CLIENT_COLUMNS, EVENT_COLUMNS
from contracts.events import EventType
from contracts.lifecycle import TrajectStatus

TODAY = clock.today()
CLIENT_HEADER = ";".join(CLIENT_COLUMNS)
EVENT_HEADER = ";".join(EVENT_COLUMNS)
NEW_BSNS = ("200000007", "300000005", "400000003")


# --- helpers ---------------------------------------------------------------------------------------


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True)).replace("\xa0", " ")


def squash(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def error_at(response, field_id: str) -> str:
    match = re.search(rf'<p class="error-message" id="{field_id}-error">(.*?)</p>', text(response), re.S)
    return squash(match.group(1)) if match else ""


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


def dmy(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def upload(c, kind: str, content: str, name: str = "bestand.csv", bom: bool = True):
    raw = (("\ufeff" if bom else "") + content).encode("utf-8")
    return c.post("/import/", data={"kind": kind, "file": (io.BytesIO(raw), name)},
                  content_type="multipart/form-data")


def batch_id_of(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.fullmatch(r"/import/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def step(c, batch_id: int):
    return c.post(f"/import/{batch_id}/controleren", headers={"Accept": "application/json"})


def check_all(c, batch_id: int) -> dict:
    for _ in range(1000):
        answer = step(c, batch_id).get_json()
        if answer["done"]:
            return answer
    raise AssertionError("the check never finished")


def uploaded_and_checked(c, kind: str, content: str) -> int:
    batch_id = batch_id_of(upload(c, kind, content))
    check_all(c, batch_id)
    return batch_id


def run_import(c, batch_id: int, only_valid: bool = False):
    """Start the import, a background job (run at once in tests), and give its job page."""
    r = c.post(f"/import/{batch_id}/importeren", data={"only_valid": "1"} if only_valid else {})
    assert r.status_code == 302 and r.headers["Location"].startswith("/taken/"), r.status_code
    return c.get(r.headers["Location"])


def refusal_of(page) -> str | None:
    """Why the job imported nothing, or None when it imported."""
    found = re.search(r'<h2>Er is niets geïmporteerd</h2>\s*<p>(.*?)</p>', text(page), re.S)
    return found.group(1) if found else None


def imported(page) -> bool:
    return page.status_code == 200 and 'id="imported-heading"' in text(page) and refusal_of(page) is None


def refused(page) -> bool:
    return page.status_code == 200 and refusal_of(page) is not None


def batch_of(db, batch_id: int) -> ImportBatch:
    db.expire_all()
    return db.get(ImportBatch, batch_id)


def problems_table(response) -> list[str]:
    page = text(response)
    section = page.split('id="problems-heading"', 1)[1]
    body = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [squash(r) for r in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def client_row(bsn: str, gemeente: str = "GM8001", first: str = "Fenna", last: str = "de Vries",
               benefit: str = "participatiewet", amount: str = "1.234,56", group: str = "jongeren",
               phase: str = "3", rung: str = "4", birth: str = "17-05-1990") -> str:
    return ";".join([bsn, first, last, birth, gemeente, benefit, amount, group, phase, rung])


def event_row(traject, type_: str, day: date, reason: str = "", employer: str = "", hours: str = "",
              kind: str = "", months: str = "", open_ended: str = "", wage: str = "", note: str = "") -> str:
    ref = traject if isinstance(traject, str) else traject.reference
    return ";".join([ref, type_, dmy(day), reason, employer, hours, kind, months, open_ended, wage, note])


def csv_file(header: str, *rows: str) -> str:
    return "\r\n".join([header, *rows]) + "\r\n"


def make_traject(app, world, client_index: int = 1, days_ago: int = 30) -> int:
    """A referral through the service, committed as a request would commit it (the world's first client
    already has a running traject in the lot)."""
    from app.db import session
    from app.models import User
    from app.trajecten.services import refer

    with app.app_context():
        client = session.get(Client, world.clients[client_index].id)
        user = session.get(User, world.users["klantmanager"].id)
        traject = refer(client, world.contract.id, TODAY - timedelta(days=days_ago), user)
        session.commit()
        traject_id = traject.id
    return traject_id


def traject(db, traject_id: int) -> Traject:
    db.expire_all()
    return db.get(Traject, traject_id)


def other_providers_traject(db, world) -> Traject:
    """A traject of the second provider (whose user we don't have), made directly for the scope tests."""
    version = world.contract.versions[0]
    found = Traject(client_id=world.clients[1].id, contract_id=world.contract.id, contract_version_id=version.id,
                    provider_id=world.providers[1].id, gemeente_id=world.clients[1].gemeente_id,
                    client_group="algemeen", price=Decimal("2400.00"), referral_date=TODAY - timedelta(days=30),
                    status=TrajectStatus.REFERRED, open_lot_key=None, last_event_on=TODAY - timedelta(days=30))
    db.add(found)
    db.commit()
    return found


# --- templates and the header --------------------------------------------------------------------


def test_template_downloads_have_the_header_and_an_example_row(as_role, world):
    c = as_role("klantmanager")
    r = c.get("/import/sjabloon/clients.csv")
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert r.data.startswith("\ufeff".encode())
    lines = r.data.decode("utf-8-sig").splitlines()
    assert lines[0] == CLIENT_HEADER
    assert len(lines) == 2 and lines[1].count(";") == len(CLIENT_COLUMNS) - 1
    assert "GM8001" in lines[1]  # a gemeente the klantmanager works for
    r = c.get("/import/sjabloon/events.csv")
    assert r.status_code == 200
    assert r.data.decode("utf-8-sig").splitlines()[0] == EVENT_HEADER
    assert c.get("/import/sjabloon/onzin.csv").status_code == 404


def test_the_example_rows_of_the_templates_pass_the_header_check(as_role, world, db):
    c = as_role("klantmanager")
    for kind in ("clients", "events"):
        content = c.get(f"/import/sjabloon/{kind}.csv").data.decode("utf-8-sig")
        assert upload(c, kind, content).status_code == 302


def test_index_offers_only_the_kinds_the_role_may_import(as_role, world):
    page = text(as_role("klantmanager").get("/import/"))
    assert 'value="clients"' in page and 'value="events"' in page
    r = as_role("provider").get("/import/")
    assert r.status_code == 200
    assert 'value="clients"' not in text(r) and 'value="events"' in text(r)
    assert "sjabloon/clients.csv" not in text(r)


@pytest.mark.parametrize(("header", "expected"), [
    (CLIENT_HEADER + ";telefoon", "Onbekende kolom: telefoon"),
    (CLIENT_HEADER.replace(";trede", ""), "Deze kolommen ontbreken: trede"),
    (CLIENT_HEADER + ";bsn", "meer dan één keer"),
])
def test_a_bad_header_is_refused_at_the_file_field_and_nothing_is_stored(as_role, world, db, header, expected):
    r = upload(as_role("klantmanager"), "clients", csv_file(header, client_row(NEW_BSNS[0])))
    assert r.status_code == 422
    assert expected in error_at(r, "file")
    assert count(db, ImportBatch) == 1  # only the world's own batch: nothing was stored


def test_an_upload_without_file_or_rows_is_refused(as_role, world, db):
    c = as_role("klantmanager")
    r = c.post("/import/", data={"kind": "clients"}, content_type="multipart/form-data")
    assert r.status_code == 422 and error_at(r, "file") == "Fout: Kies een CSV-bestand."
    r = upload(c, "clients", csv_file(CLIENT_HEADER, ";;;;;;;;;"))
    assert r.status_code == 422 and "geen regels onder de kopregel" in error_at(r, "file")
    r = c.post("/import/", data={"kind": "clients", "file": (io.BytesIO("bsn;naam\n\xe9".encode("latin-1")), "x.csv")},
               content_type="multipart/form-data")
    assert r.status_code == 422 and "UTF-8" in error_at(r, "file")
    assert count(db, ImportBatch) == 1  # only the world's own batch: nothing was stored


def test_comma_separated_files_without_bom_are_read_too(as_role, world, db):
    c = as_role("klantmanager")
    content = csv_file(",".join(CLIENT_COLUMNS), ",".join([NEW_BSNS[0], "Fenna", "de Vries", "1990-05-17", "GM8001",
                                                           "ioaw", "1234.56", "jongeren", "3", "4"]))
    batch_id = uploaded_and_checked(c, "clients", content)
    assert batch_of(db, batch_id).problems == []
    assert imported(run_import(c, batch_id))
    client = db.scalar(select(Client).where(Client.bsn == NEW_BSNS[0]))
    assert client.monthly_benefit == Decimal("1234.56") and client.birth_date == date(1990, 5, 17)


# --- clients ---------------------------------------------------------------------------------------


def test_a_client_file_with_one_bad_row_is_imported_all_or_only_the_valid_rows(as_role, world, db):
    c = as_role("klantmanager")
    content = csv_file(CLIENT_HEADER, client_row(NEW_BSNS[0]), client_row("123456789"),
                       client_row(NEW_BSNS[1], gemeente="GM8002", amount="950"))
    batch_id = uploaded_and_checked(c, "clients", content)
    batch = batch_of(db, batch_id)
    assert batch.status == ImportStatus.CHECKED and batch.checked_rows == 3
    assert [(p["line"], p["column"]) for p in batch.problems] == [(3, "bsn")]
    page = c.get(f"/import/{batch_id}")
    rows = problems_table(page)
    assert len(rows) == 1 and rows[0].startswith("3 bsn") and "elfproef" in rows[0]
    assert "Ik importeer alleen de 2 geldige regels" in text(page)
    assert re.search(r'<input[^>]*name="only_valid"[^>]*required[^>]*value="1"|<input[^>]*name="only_valid"'
                     r'[^>]*value="1"[^>]*required', text(page))
    before = count(db, Client)

    r = run_import(c, batch_id)
    assert "1 regels met fouten" in refusal_of(r)
    assert count(db, Client) == before
    assert batch_of(db, batch_id).status == ImportStatus.CHECKED

    r = run_import(c, batch_id, only_valid=True)
    assert imported(r)
    batch = batch_of(db, batch_id)
    assert batch.status == ImportStatus.IMPORTED and batch.imported_at is not None
    assert (batch.created_count, batch.unchanged_count, batch.skipped_count) == (2, 0, 1)
    assert count(db, Client) == before + 2
    new = db.scalar(select(Client).where(Client.bsn == NEW_BSNS[1]))
    assert new.monthly_benefit == Decimal("950.00")
    assert new.klantmanager_id == world.users["klantmanager"].id
    assert (new.phase, new.ladder_rung) == (3, 4)
    assert count(db, ClientPhaseRecord, ClientPhaseRecord.client_id == new.id,
                 ClientPhaseRecord.valid_from == TODAY) == 1
    page = text(c.get(f"/import/{batch_id}"))
    assert "nieuw opgeslagen" in page and "overgeslagen wegens fouten" in page
    assert "Importeren</button>" not in page


def test_importing_the_same_client_file_twice_creates_nothing_the_second_time(as_role, world, db):
    c = as_role("klantmanager")
    content = csv_file(CLIENT_HEADER, client_row(NEW_BSNS[0]), client_row(NEW_BSNS[1], birth=""))
    first = uploaded_and_checked(c, "clients", content)
    assert imported(run_import(c, first))
    assert batch_of(db, first).created_count == 2
    before = count(db, Client)
    r = upload(c, "clients", content)
    second = batch_id_of(r)
    check_all(c, second)
    assert batch_of(db, second).problems == []
    assert imported(run_import(c, second))
    batch = batch_of(db, second)
    assert (batch.created_count, batch.unchanged_count, batch.skipped_count) == (0, 2, 0)
    assert count(db, Client) == before


def test_an_existing_bsn_with_other_data_is_an_error_only_where_the_user_can_see_it(as_role, world, db):
    """A record in a gemeente the user does not work for plays no part: that row is a new client (and a
    transfer request, tests/test_client_transfers.py), exactly like a BSN that is nowhere."""
    c = as_role("klantmanager")
    own, hidden = world.clients[0].bsn, world.clients[2].bsn
    content = csv_file(CLIENT_HEADER, client_row(own), client_row(hidden),
                       client_row(own, first="Voornaam0", last="Achternaam0", birth="", amount="1250",
                                  group="algemeen", phase="2", rung="3").replace(own, own, 1))
    batch_id = uploaded_and_checked(c, "clients", content)
    problems = batch_of(db, batch_id).problems
    assert [(p["line"], p["column"]) for p in problems] == [(2, "bsn"), (4, "bsn")]
    assert "bestaat al met andere gegevens" in problems[0]["message"]
    assert "staat ook op regel 2" in problems[1]["message"]


def test_the_same_data_as_an_existing_client_is_unchanged(as_role, world, db):
    c = as_role("klantmanager")
    own = world.clients[0]
    content = csv_file(CLIENT_HEADER, client_row(own.bsn, first="Voornaam0", last="Achternaam0", birth="",
                                                 amount="1.250,00", group="algemeen", phase="2", rung="3"))
    batch_id = uploaded_and_checked(c, "clients", content)
    assert batch_of(db, batch_id).problems == []
    assert imported(run_import(c, batch_id))
    assert (batch_of(db, batch_id).created_count, batch_of(db, batch_id).unchanged_count) == (0, 1)


def test_a_klantmanager_cannot_import_clients_into_another_gemeente(as_role, world, db):
    c = as_role("klantmanager")
    batch_id = uploaded_and_checked(c, "clients", csv_file(CLIENT_HEADER, client_row(NEW_BSNS[0], gemeente="GM8003"),
                                                          client_row(NEW_BSNS[1], gemeente="GM9999")))
    problems = batch_of(db, batch_id).problems
    assert [(p["line"], p["column"]) for p in problems] == [(2, "gemeente_cbs"), (3, "gemeente_cbs")]
    assert "je werkt er niet voor" in problems[0]["message"]
    assert refused(run_import(c, batch_id, only_valid=True))
    assert count(db, Client, Client.bsn.in_(NEW_BSNS)) == 0


def test_every_column_of_a_client_row_is_checked(as_role, world, db):
    c = as_role("klantmanager")
    bad = ";".join(["", "", "x" * 121, "31-02-2020", "", "wwb", "12,345", "onbekend", "5", "0"])
    batch_id = uploaded_and_checked(c, "clients", csv_file(CLIENT_HEADER, bad,
                                                          client_row(NEW_BSNS[0], benefit="none", amount="10")))
    found = {(p["line"], p["column"]) for p in batch_of(db, batch_id).problems}
    assert found == {(2, name) for name in CLIENT_COLUMNS} | {(3, "uitkering_per_maand")}


# --- events ----------------------------------------------------------------------------------------


def test_events_are_imported_through_the_lifecycle_and_a_second_import_changes_nothing(app, as_role, world, db):
    traject_id = make_traject(app, world)
    t = traject(db, traject_id)
    c = as_role("klantmanager")
    content = csv_file(EVENT_HEADER,
                       event_row(t, "started", TODAY - timedelta(days=20)),
                       event_row(f"{t.id}", "accepted", TODAY - timedelta(days=29)),
                       event_row(t, "intake", TODAY - timedelta(days=25), note="Eerste gesprek"),
                       event_row(t, "placement", TODAY - timedelta(days=10), employer="Garage Beedorp", hours="24,5",
                                 kind="regular", months="12", wage="2.150,00"))
    batch_id = uploaded_and_checked(c, "events", content)
    assert batch_of(db, batch_id).problems == []
    assert imported(run_import(c, batch_id))
    t = traject(db, traject_id)
    assert [e.type for e in t.events] == [EventType.ACCEPTED, EventType.INTAKE, EventType.STARTED, EventType.PLACEMENT]
    assert t.status == TrajectStatus.PLACED
    placement = t.events[-1]
    assert placement.hours_per_week == Decimal("24.5") and placement.wage == Decimal("2150.00")
    assert all(e.import_key for e in t.events)

    second = uploaded_and_checked(c, "events", content)
    assert batch_of(db, second).problems == []
    assert imported(run_import(c, second))
    batch = batch_of(db, second)
    assert (batch.created_count, batch.unchanged_count, batch.skipped_count) == (0, 4, 0)
    assert count(db, TrajectEvent, TrajectEvent.traject_id == traject_id) == 4


def test_a_placement_before_the_start_is_refused_with_its_line(app, as_role, world, db):
    traject_id = make_traject(app, world)
    t = traject(db, traject_id)
    c = as_role("klantmanager")
    content = csv_file(EVENT_HEADER,
                       event_row(t, "accepted", TODAY - timedelta(days=29)),
                       event_row(t, "placement", TODAY - timedelta(days=20), employer="Garage", hours="24",
                                 kind="regular", open_ended="ja"),
                       event_row(t, "started", TODAY - timedelta(days=10)))
    batch_id = uploaded_and_checked(c, "events", content)
    problems = batch_of(db, batch_id).problems
    assert [(p["line"], p["column"]) for p in problems] == [(3, "gebeurtenis")]
    assert "nog niet gestart" in problems[0]["message"]
    rows = problems_table(c.get(f"/import/{batch_id}"))
    assert rows[0].startswith("3 gebeurtenis")

    assert refused(run_import(c, batch_id))
    assert count(db, TrajectEvent, TrajectEvent.traject_id == traject_id) == 0
    assert imported(run_import(c, batch_id, only_valid=True))
    assert [e.type for e in traject(db, traject_id).events] == [EventType.ACCEPTED, EventType.STARTED]
    assert batch_of(db, batch_id).skipped_count == 1


def test_event_rows_are_checked_against_the_history_already_recorded(as_role, world, db):
    running = world.traject  # accepted, started and placed (see conftest)
    c = as_role("klantmanager")
    content = csv_file(EVENT_HEADER,
                       event_row(running, "started", TODAY - timedelta(days=3)),
                       event_row(running, "placement_ended", TODAY - timedelta(days=2)),
                       event_row(running, "placement", TODAY - timedelta(days=1), employer="Garage", hours="20",
                                 kind="temporary", months="3"))
    batch_id = uploaded_and_checked(c, "events", content)
    problems = batch_of(db, batch_id).problems
    assert [(p["line"], p["column"]) for p in problems] == [(2, "gebeurtenis")]
    assert "al gestart" in problems[0]["message"]
    assert imported(run_import(c, batch_id, only_valid=True))
    types = [e.type for e in traject(db, running.id).events]
    assert types[-2:] == [EventType.PLACEMENT_ENDED, EventType.PLACEMENT]


def test_rows_that_depend_on_a_bad_row_are_refused_too(app, as_role, world, db):
    traject_id = make_traject(app, world)
    t = traject(db, traject_id)
    c = as_role("klantmanager")
    content = csv_file(EVENT_HEADER,
                       event_row(t, "accepted", TODAY - timedelta(days=29)),
                       event_row(t, "started", TODAY + timedelta(days=2)),  # in the future
                       event_row(t, "progress_report", TODAY - timedelta(days=1)))
    batch_id = uploaded_and_checked(c, "events", content)
    lines = [(p["line"], p["column"]) for p in batch_of(db, batch_id).problems]
    assert lines == [(3, "datum"), (4, "gebeurtenis")]
    assert imported(run_import(c, batch_id, only_valid=True))
    assert [e.type for e in traject(db, traject_id).events] == [EventType.ACCEPTED]


def test_event_rows_need_the_fields_of_their_type(app, as_role, world, db):
    traject_id = make_traject(app, world)
    t = traject(db, traject_id)
    c = as_role("klantmanager")
    content = csv_file(EVENT_HEADER,
                       event_row(t, "placement", TODAY - timedelta(days=5)),
                       event_row(t, "benefit_exit", TODAY - timedelta(days=5), reason="lottowinst"),
                       event_row(t, "dropout", TODAY - timedelta(days=5)),
                       event_row(t, "correction", TODAY - timedelta(days=5)),
                       event_row("T999999", "accepted", TODAY - timedelta(days=5)))
    batch_id = uploaded_and_checked(c, "events", content)
    found = {(p["line"], p["column"]) for p in batch_of(db, batch_id).problems}
    assert found == {(2, "werkgever"), (2, "uren_per_week"), (2, "soort_werk"), (2, "contractduur_maanden"),
                     (3, "reden"), (4, "reden"), (5, "gebeurtenis"), (6, "traject")}


def test_a_provider_imports_events_only_for_its_own_trajecten_and_never_clients(app, as_role, world, db):
    own_id = make_traject(app, world)
    own = traject(db, own_id)
    other = other_providers_traject(db, world)
    c = as_role("provider")
    assert upload(c, "clients", csv_file(CLIENT_HEADER, client_row(NEW_BSNS[0]))).status_code == 403
    assert c.get("/import/sjabloon/clients.csv").status_code == 403
    content = csv_file(EVENT_HEADER,
                       event_row(own, "accepted", TODAY - timedelta(days=29)),
                       event_row(other, "accepted", TODAY - timedelta(days=29)),
                       event_row(own, "plan_submitted", TODAY - timedelta(days=28)),
                       event_row(own, "plan_approved", TODAY - timedelta(days=27)))
    batch_id = uploaded_and_checked(c, "events", content)
    problems = batch_of(db, batch_id).problems
    assert [(p["line"], p["column"]) for p in problems] == [(3, "traject"), (5, "gebeurtenis")]
    assert "geen toegang" in problems[0]["message"]
    assert "legt de gemeente vast" in problems[1]["message"]
    assert imported(run_import(c, batch_id, only_valid=True))
    events = traject(db, own_id).events
    assert [e.type for e in events] == [EventType.ACCEPTED, EventType.PLAN_SUBMITTED]
    assert all(e.by_provider for e in events)
    assert count(db, TrajectEvent, TrajectEvent.traject_id == other.id) == 0


# --- steps, ownership, discarding ------------------------------------------------------------------


def test_checking_goes_in_steps_and_answers_json(app, as_role, world, db):
    app.config["IMPORT_CHECK_ROWS_PER_STEP"] = 2
    c = as_role("klantmanager")
    rows = [client_row(bsn) for bsn in (*NEW_BSNS, "500000001")] + [client_row("123456789")]
    batch_id = batch_id_of(upload(c, "clients", csv_file(CLIENT_HEADER, *rows)))
    batch = batch_of(db, batch_id)
    assert (batch.status, batch.total_rows, batch.checked_rows) == (ImportStatus.CHECKING, 5, 0)
    page = text(c.get(f"/import/{batch_id}"))
    assert '<progress id="check-progress" max="5" value="0"' in page
    assert '<label for="check-progress">' in page
    assert "0 van 5 regels gecontroleerd" in page
    assert "data-auto-step" in page and "Controle voortzetten" in page

    assert step(c, batch_id).get_json() == {"checked": 2, "total": 5, "done": False}
    assert batch_of(db, batch_id).checked_rows == 2
    assert "2 van 5 regels gecontroleerd" in text(c.get(f"/import/{batch_id}"))
    r = c.post(f"/import/{batch_id}/controleren")  # without JavaScript: the button, and back to the page
    assert r.status_code == 302 and r.headers["Location"] == f"/import/{batch_id}"
    assert batch_of(db, batch_id).checked_rows == 4
    # A second tab that still thinks it is at row 2 does not check rows twice.
    stale = c.post(f"/import/{batch_id}/controleren", data={"from": "2"}, headers={"Accept": "application/json"})
    assert stale.get_json() == {"checked": 4, "total": 5, "done": False}
    assert step(c, batch_id).get_json() == {"checked": 5, "total": 5, "done": True}
    batch = batch_of(db, batch_id)
    assert batch.status == ImportStatus.CHECKED and [p["line"] for p in batch.problems] == [6]
    assert step(c, batch_id).get_json() == {"checked": 5, "total": 5, "done": True}
    assert batch_of(db, batch_id).problems == batch.problems


def test_no_import_before_the_check_is_done(as_role, world, db):
    c = as_role("klantmanager")
    batch_id = batch_id_of(upload(c, "clients", csv_file(CLIENT_HEADER, client_row(NEW_BSNS[0]))))
    r = c.post(f"/import/{batch_id}/importeren")
    assert r.status_code == 302 and r.headers["Location"] == f"/import/{batch_id}"  # no job started
    assert batch_of(db, batch_id).status == ImportStatus.CHECKING
    assert count(db, Client, Client.bsn == NEW_BSNS[0]) == 0


def test_a_user_cannot_see_or_touch_another_users_batch(as_role, world, db):
    batch_id = batch_id_of(upload(as_role("klantmanager"), "clients", csv_file(CLIENT_HEADER, client_row(NEW_BSNS[0]))))
    other = as_role("klantmanager_c")
    assert other.get(f"/import/{batch_id}").status_code == 404
    for action in ("controleren", "importeren", "verwerpen"):
        assert other.post(f"/import/{batch_id}/{action}").status_code == 404
    assert as_role("provider").get(f"/import/{batch_id}").status_code == 404
    assert batch_of(db, batch_id).checked_rows == 0
    assert f"/import/{batch_id}" not in text(other.get("/import/"))
    admin = as_role("admin")
    assert admin.get(f"/import/{batch_id}").status_code == 200
    assert f"/import/{batch_id}" in text(admin.get("/import/"))
    check_all(admin, batch_id)
    assert admin.post(f"/import/{batch_id}/importeren").status_code == 403
    assert as_role("klantmanager").get("/import/99999999999").status_code == 404


def test_discarding_keeps_nothing_of_the_rows(as_role, world, db):
    c = as_role("klantmanager")
    batch_id = uploaded_and_checked(c, "clients", csv_file(CLIENT_HEADER, client_row(NEW_BSNS[0])))
    assert c.post(f"/import/{batch_id}/verwerpen").status_code == 302
    batch = batch_of(db, batch_id)
    assert batch.status == ImportStatus.DISCARDED and batch.content == ""
    assert c.post(f"/import/{batch_id}/importeren").headers["Location"] == f"/import/{batch_id}"
    assert count(db, Client, Client.bsn == NEW_BSNS[0]) == 0
    assert "verworpen" in text(c.get(f"/import/{batch_id}"))


def test_roles_without_import_permission_get_403(as_role, world):
    for role in ("inkoper", "finance", "management"):
        c = as_role(role)
        assert c.get("/import/").status_code == 403
        assert c.get("/import/sjabloon/events.csv").status_code == 403


# --- reading cells ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "value"), [
    ("1.234,56", Decimal("1234.56")), ("1234,56", Decimal("1234.56")), ("1234.56", Decimal("1234.56")),
    ("1,234.56", Decimal("1234.56")), ("1.234", Decimal("1234")), ("€ 950", Decimal("950")), ("0", Decimal("0")),
    ("12.34.5", None), ("abc", None), ("", None), ("1,2,3", None),
])
def test_numbers_in_dutch_or_plain_notation(written, value):
    if value is None:
        with pytest.raises(ParseError):
            parse_number(written)
    else:
        assert parse_number(written) == value


@pytest.mark.parametrize(("written", "number"), [
    ("T000012", 12), ("t12", 12), ("12", 12), (" 0012 ", 12), ("T0", None), ("X12", None), ("99999999999", None),
])
def test_traject_numbers(written, number):
    assert traject_number(written) == number


def test_import_kinds_match_the_permissions():
    assert {k.value for k in ImportKind} == {"clients", "events"}


def test_an_exit_from_benefit_of_a_client_without_benefit_is_refused_at_its_row(as_role, world, db):
    from app.models import BenefitType

    world.clients[0].benefit_type, world.clients[0].monthly_benefit = BenefitType.NONE, Decimal("0.00")
    db.commit()
    c = as_role("klantmanager")
    batch_id = uploaded_and_checked(c, "events", csv_file(EVENT_HEADER, event_row(
        world.traject, "benefit_exit", TODAY - timedelta(days=1), reason="work")))
    problems = batch_of(db, batch_id).problems
    assert [(p["line"], p["column"]) for p in problems] == [(2, "gebeurtenis")]
    assert "geen uitkering" in problems[0]["message"]
    assert refused(run_import(c, batch_id))
    assert count(db, TrajectEvent, TrajectEvent.traject_id == world.traject.id) == 3
