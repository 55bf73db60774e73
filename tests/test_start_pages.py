"""The start pages as work queues: every count opens a list with exactly that many records, for every demo
login on the demo data; the invoices waiting for a user follow the four-eyes rule."""

from __future__ import annotations

import html
import re

import pytest

from app.db import session as app_session
from app.demo import DEMO_PASSWORD, load_demo
from app.uow import committed
from tests.conftest import login
from tests.test_invoices import step
from tests.test_trajecten import text

ITEM = re.compile(r'data-queue="([^"]+)">\s*<a class="queue-count" href="([^"]+)"><span class="queue-number">(\d+)'
                  r'</span>')
RESULTS = re.compile(r"(\d+) resulta(?:at|ten), pagina")
DEMO_USERS = ("admin", "inkoper", "klantmanager", "klantmanager2", "financien", "controller", "budgethouder",
              "management", "aanbieder")


def queue_of(page: str) -> list[tuple[str, str, int]]:
    return [(key, html.unescape(href), int(n)) for key, href, n in ITEM.findall(page)]


def counts_of(client) -> dict[str, int]:
    return {key: n for key, _href, n in queue_of(text(client.get("/")))}


def listed(page: str, key: str) -> int:
    """How many records the list a start-page count links to shows, read as a person reads it."""
    if key.startswith("targets-"):
        return page.count(f'class="light light-{key.removeprefix("targets-")}"')
    if key == "budget-signals":
        return page.count("<tr id=\"budget-")
    found = RESULTS.search(page)
    assert found, "the list shows no count"
    return int(found.group(1))


@pytest.fixture
def demo(app, db):
    with app.app_context(), committed():
        load_demo(app_session, seed=7)


def test_every_start_page_count_equals_the_list_it_opens(app, demo):
    seen = {}
    for username in DEMO_USERS:
        c = app.test_client()
        assert login(c, username, DEMO_PASSWORD).status_code == 302
        items = queue_of(text(c.get("/")))
        seen[username] = items
        for key, href, count in items:
            r = c.get(href)
            assert r.status_code == 200, (username, href)
            assert listed(text(r), key) == count, (username, key, href)
    # Every role but the admin has a queue, and the demo gives each of them work to do.
    assert not seen["admin"]
    for username in DEMO_USERS[1:]:
        assert seen[username] and sum(n for *_, n in seen[username]) > 0, username
    assert {key for key, *_ in seen["financien"]} == {
        "invoices-controleren", "invoices-goedkeuren", "invoices-afgekeurd", "invoices-te-laat", "budget-signals"}


def test_an_invoice_waits_only_for_those_the_four_eyes_rule_lets_take_the_step(world, as_role):
    def waiting(role: str, work: str) -> int:
        return counts_of(as_role(role))[f"invoices-{work}"]

    invoice = world.invoice
    assert step(as_role("provider"), invoice, "submit").status_code == 302
    # finance made the draft: it may not check it; finance2 may.
    assert waiting("finance", "controleren") == 0 and waiting("finance2", "controleren") == 1
    assert step(as_role("finance2"), invoice, "check").status_code == 302
    # finance2 checked it and finance made it: neither may approve it; finance3 may.
    assert waiting("finance2", "goedkeuren") == 0 and waiting("finance", "goedkeuren") == 0
    assert waiting("finance3", "goedkeuren") == 1
    assert "1 resultaat" in text(as_role("finance3").get("/facturen/?werk=goedkeuren"))
    assert "0 resultaten" in text(as_role("finance2").get("/facturen/?werk=goedkeuren"))


def test_a_rejected_invoice_waits_until_it_is_replaced(world, as_role):
    def waiting(role: str) -> int:
        return counts_of(as_role(role))["invoices-afgekeurd"]

    invoice = world.invoice  # a self-billing invoice: finance draws up its replacement, the provider awaits it
    assert step(as_role("provider"), invoice, "submit").status_code == 302
    assert step(as_role("finance2"), invoice, "reject", note="bedrag klopt niet").status_code == 302
    assert waiting("provider") == 1 and waiting("finance") == 1
    assert as_role("finance").post(f"/facturen/{invoice.id}/opnieuw").status_code == 302
    assert waiting("provider") == 0 and waiting("finance") == 0


def test_unknown_work_filters_are_ignored_not_errors(as_role):
    c = as_role("finance")
    for value in ("", "x", "../", "te-laat' OR 1=1", "\x00"):
        assert c.get("/facturen/", query_string={"werk": value}).status_code == 200
    assert c.get("/budgetten/", query_string={"signalen": "ja"}).status_code == 200
