"""The main menu marks exactly one item as the current page, on every page of the route table."""

from __future__ import annotations

import re

from tests.test_access import ROUTES, _url
from tests.test_accessibility import DOWNLOADS

# A user's own pages (the account and the notifications, reached from the header, not the menu) mark no menu item.
OWN_ACCOUNT = {"auth.change_password", "auth.totp_enrol", "notifications.index", "notifications.settings"}
PAGES = [endpoint for endpoint, (roles, methods, _) in ROUTES.items()
         if "GET" in methods and not endpoint.startswith("api.") and endpoint not in DOWNLOADS | OWN_ACCOUNT]
# The item each page must mark, where it is not the page's own menu entry or its area's only entry.
EXPECTED = {"trajecten.worklist": "Werklijst", "trajecten.detail": "Trajecten", "trajecten.index": "Trajecten",
            "trajecten.refer_client": "Cliënten", "reports.marap": "Marap", "reports.comparison": "Prestaties",
            "reports.targets": "Prestaties", "reports.index": "Prestaties", "admin.users": "Gebruikers",
            "admin.user_detail": "Gebruikers", "admin.target_groups": "Doelgroepen", "admin.audit_log": "Auditlog",
            "home.index": "Start"}


def _current(page: str) -> list[str]:
    nav = page.split('class="main-nav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a [^>]*aria-current="page"[^>]*>([^<]*)</a>', nav)


def test_every_page_marks_exactly_one_menu_item_as_current(app, world, as_role):
    admin = as_role("admin")
    wrong = {}
    for endpoint in PAGES:
        response = admin.get(_url(app, world, endpoint))
        assert response.status_code == 200, endpoint
        current = _current(response.get_data(as_text=True))
        if len(current) != 1 or current[0] != EXPECTED.get(endpoint, current[0]):
            wrong[endpoint] = current
    assert wrong == {}


def test_the_own_account_pages_mark_no_menu_item(app, world, as_role):
    admin = as_role("admin")
    for endpoint in sorted(OWN_ACCOUNT):
        assert _current(admin.get(_url(app, world, endpoint)).get_data(as_text=True)) == [], endpoint


def test_a_role_sees_its_own_current_item(app, world, as_role):
    page = as_role("provider").get("/").get_data(as_text=True)
    assert _current(page) == ["Start"]
    page = as_role("klantmanager").get(_url(app, world, "trajecten.worklist")).get_data(as_text=True)
    assert _current(page) == ["Werklijst"]
