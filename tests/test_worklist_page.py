"""Pages that read a fixed number of statements however much there is: the work list (asking the kept actions
what is due, in the user's scope, per kind and per klantmanager, paged), a traject with a long history, a client
with many trajecten."""

from __future__ import annotations

from datetime import timedelta

from app import clock
from app.models import Traject
from tests.conftest import statements_of
from tests.test_budget_outlook import add, new_client
from tests.test_trajecten import table_rows

TODAY = clock.today()


def parked(db, world, gemeente: int, n: int) -> list[Traject]:
    """``n`` accepted trajecten with no activity for 80 days: each has a parking signal, and no other due yet."""
    made = [add(db, world, new_client(db, world, gemeente), TODAY - timedelta(days=90), ["accept"])
            for _ in range(n)]
    db.commit()
    return made


def test_the_work_list_reads_the_same_few_statements_for_any_number_of_trajecten(as_role, db, world, connection):
    client = as_role("klantmanager")

    def open_page() -> None:
        assert client.get("/werklijst?mine=0").status_code == 200

    def statements() -> int:
        return statements_of(connection, open_page)

    parked(db, world, 0, 2)
    few = statements()
    parked(db, world, 0, 15)
    parked(db, world, 1, 10)
    assert statements() == few


def test_counts_per_kind_and_per_klantmanager_and_the_filter_by_klantmanager(as_role, db, world):
    parked(db, world, 0, 3)  # Aastad: the world's klantmanager
    other = new_client(db, world, 1)
    other.klantmanager = None  # a client without klantmanager is counted too, under its own heading
    add(db, world, other, TODAY - timedelta(days=90), ["accept"])
    db.commit()
    c = as_role("klantmanager")
    page = c.get("/werklijst?mine=0&kind=parked").get_data(as_text=True)
    assert "Signalen per klantmanager" in page and "zonder klantmanager" in page
    assert 'geen activiteit (geparkeerd) (4)<' in page  # three in Aastad, one without klantmanager
    mine = table_rows(c.get("/werklijst?mine=1&kind=parked"))
    chosen = table_rows(c.get(f"/werklijst?mine=0&kind=parked&klantmanager={world.users['klantmanager'].id}"))
    everyone = table_rows(c.get("/werklijst?mine=0&kind=parked"))
    assert len(mine) == len(chosen) == len(everyone) - 1
    assert all("geparkeerd" in row for row in everyone)


def test_a_providers_user_sees_only_its_own_trajecten_and_no_caseloads(as_role, db, world):
    made = parked(db, world, 0, 2)
    theirs = as_role("provider").get("/werklijst").get_data(as_text=True)
    assert all(t.reference in theirs for t in made)  # the world's contract is the provider's
    assert "Signalen per klantmanager" not in theirs
    db.get(Traject, made[0].id).provider_id = world.providers[1].id
    db.commit()
    theirs = as_role("provider").get("/werklijst").get_data(as_text=True)
    assert made[0].reference not in theirs and made[1].reference in theirs


def test_the_work_list_pages_and_odd_query_strings_are_answered(app, as_role, db, world):
    app.config["PAGE_SIZE"] = 5
    parked(db, world, 0, 12)
    c = as_role("klantmanager")
    first = table_rows(c.get("/werklijst?mine=0&kind=parked"))
    last = c.get("/werklijst?mine=0&kind=parked&page=3")
    assert len(first) == 5 and 1 <= len(table_rows(last)) <= 5
    assert "pagina 3 van 3" in last.get_data(as_text=True)
    for odd in ("page=999999999999999999999", "page=-1", "kind=%00", "klantmanager=99999999999999999999",
                "klantmanager=abc", "mine=%27"):
        assert c.get(f"/werklijst?{odd}").status_code == 200, odd


def test_a_traject_page_reads_the_same_few_statements_with_ten_or_a_hundred_events(as_role, db, world, connection):
    """The engine runs for the one traject shown; its events, their confirmations and evidence come in a fixed
    number of queries, not one an event (a traject with a long history: 100 progress reports)."""
    from app.models import TrajectEvent
    from contracts.events import EventType

    t = add(db, world, new_client(db, world, 0), TODAY - timedelta(days=700), ["accept", "start"])
    db.commit()
    client = as_role("klantmanager")

    def open_page() -> None:
        assert client.get(f"/trajecten/{t.id}").status_code == 200

    def with_reports(n: int) -> int:
        traject = db.get(Traject, t.id)
        have = sum(e.type == EventType.PROGRESS_REPORT for e in traject.events)
        for day in range(have, n):
            traject.events.append(TrajectEvent(type=EventType.PROGRESS_REPORT, recorded_by=world.users["klantmanager"],
                                               event_date=TODAY - timedelta(days=680 - 6 * day)))
        db.commit()
        return statements_of(connection, open_page)

    assert with_reports(10) == with_reports(100)


def test_a_clients_pages_read_the_same_few_statements_with_two_or_eight_trajecten(as_role, db, world, connection):
    """A client referred again and again: the client page and its time line load the trajecten together."""
    person = new_client(db, world, 0)
    client = as_role("klantmanager")

    def with_trajecten(n: int) -> tuple[int, int]:
        have = db.query(Traject).filter(Traject.client_id == person.id).count() if person.id else 0
        for k in range(have, n):
            add(db, world, person, TODAY - timedelta(days=900 - 60 * k), ["accept", "start", "end"])
        db.commit()
        return (statements_of(connection, lambda: opened(f"/clienten/{person.id}")),
                statements_of(connection, lambda: opened(f"/clienten/{person.id}/tijdlijn")))

    def opened(url: str) -> None:
        assert client.get(url).status_code == 200, url

    assert with_trajecten(2) == with_trajecten(8)
