"""The long lists page in SQL: they count and find a page's ids in the listed table alone, join a related table
only to sort on its column, and read the same few statements however many rows there are."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import event, select

from app import clock
from app.models import Traject
from tests.test_budget_outlook import add, new_client
from tests.test_trajecten import table_rows

TODAY = clock.today()


def many(db, world, n: int, last_names: tuple[str, ...] = ("Bakker",)) -> list[Traject]:
    made = []
    for i in range(n):
        client = new_client(db, world, 0)
        client.last_name = last_names[i % len(last_names)]
        made.append(add(db, world, client, TODAY - timedelta(days=30 + i), ["accept"]))
    db.commit()
    return made


def statements(connection, action) -> list[str]:
    seen: list[str] = []

    def note(_conn, _cursor, sql, *_args):
        seen.append(sql)

    event.listen(connection, "before_cursor_execute", note)
    try:
        action()
    finally:
        event.remove(connection, "before_cursor_execute", note)
    return seen


def test_the_traject_list_reads_the_same_statements_for_any_number_of_trajecten(as_role, db, world, connection):
    c = as_role("klantmanager")

    def opened(query: str = "") -> list[str]:
        return statements(connection, lambda: c.get(f"/trajecten/{query}"))

    many(db, world, 3)
    few = len(opened())
    many(db, world, 30)
    assert len(opened()) == few
    assert len(opened("?sort=client")) == few


def test_counting_and_paging_join_only_what_the_sort_needs(as_role, db, world, connection):
    many(db, world, 3)
    c = as_role("klantmanager")
    plain = [s for s in statements(connection, lambda: c.get("/trajecten/"))
             if re.search(r"count\(\*\)|LIMIT", s) and "FROM traject" in s]
    by_client = [s for s in statements(connection, lambda: c.get("/trajecten/?sort=client"))
                 if "LIMIT" in s and "FROM traject" in s]
    assert plain and not any("JOIN" in s for s in plain)  # the count and the page's ids: the traject table alone
    assert by_client and all("JOIN client" in s for s in by_client)


def test_every_traject_is_on_exactly_one_page_in_either_direction_ties_included(app, as_role, db, world):
    app.config["PAGE_SIZE"] = 4
    made = many(db, world, 11, ("Bakker", "Aarts", "Bakker", "Visser"))
    in_view = {t.reference for t in db.scalars(select(Traject).where(Traject.gemeente_id == made[0].gemeente_id))}
    c = as_role("klantmanager")
    for direction in ("asc", "desc"):
        seen: list[str] = []
        names: list[str] = []
        for number in range(1, 20):
            rows = table_rows(c.get(f"/trajecten/?sort=client&dir={direction}&page={number}"))
            if number > 1 and rows and rows[0].split()[0] in seen:
                break  # past the last page: the list shows the last page again
            seen += [row.split()[0] for row in rows]
            names += [row.split()[1].rstrip(",") for row in rows]
        assert sorted(seen) == sorted(in_view), direction  # each once, none left out
        assert names == sorted(names, reverse=direction == "desc")


def test_the_traject_list_finds_a_client_by_name_in_either_order(as_role, db, world):
    made = many(db, world, 3, ("Bakker", "Visser", "De Vries"))
    c = as_role("klantmanager")
    found = table_rows(c.get("/trajecten/?q=nieuw+visser"))
    assert [row.split()[0] for row in found] == [made[1].reference]
    assert [row.split()[0] for row in table_rows(c.get("/trajecten/?q=Vries,+Nieuw"))] == [made[2].reference]
