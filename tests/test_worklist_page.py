"""The work list page asks the kept actions (app.trajecten.worklist): what is due, in the user's scope, per kind
and per klantmanager, paged; in a fixed number of statements however many trajecten there are."""

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
