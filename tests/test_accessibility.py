"""Markup rules of WCAG 2.1 AA that can be checked without a browser, on every page of the app.

Every form control has a label, ids are unique, tables have captions and header scopes, each page has
one h1 and a language, and every invalid field points at its error message.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.test_access import ROUTES, _url

# Routes that answer a file to download (or JSON for a page's script), not a page.
DOWNLOADS = {"tenders.ocds", "trajecten.evidence", "imports.download_template", "invoices.claim_template",
             "invoices.ubl", "invoices.export_file", "budgets.template", "reports.marap_file", "admin.audit_log_file",
             "jobs.status",
             "jobs.download"}
PAGES = [endpoint for endpoint, (roles, methods, _) in ROUTES.items()
         if "GET" in methods and "admin" in roles and not endpoint.startswith("api.") and endpoint not in DOWNLOADS]


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.controls: list[dict] = []
        self.tables = 0
        self.captions = 0
        self.th_without_scope = 0
        self.h1 = 0
        self.html_lang = None
        self.described: list[str] = []
        self.in_thead = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag == "label" and "for" in a:
            self.label_for.add(a["for"])
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "button"):
            self.controls.append(a)
        elif tag == "table":
            self.tables += 1
        elif tag == "caption":
            self.captions += 1
        elif tag == "th" and "scope" not in a:
            self.th_without_scope += 1
        elif tag == "h1":
            self.h1 += 1
        if a.get("aria-describedby"):
            self.described.extend(a["aria-describedby"].split())


def _check(page: str) -> list[str]:
    c = _Collector()
    c.feed(page)
    problems = []
    if c.html_lang not in ("nl", "en"):
        problems.append("html has no lang")
    if c.h1 != 1:
        problems.append(f"{c.h1} h1 elements")
    duplicates = {i for i in c.ids if c.ids.count(i) > 1}
    if duplicates:
        problems.append(f"duplicate ids {duplicates}")
    for control in c.controls:
        if control.get("id") not in c.label_for and not control.get("aria-label"):
            problems.append(f"unlabelled control {control}")
    if c.captions < c.tables:
        problems.append("table without caption")
    if c.th_without_scope:
        problems.append("th without scope")
    missing = set(c.described) - set(c.ids)
    if missing:
        problems.append(f"aria-describedby points at nothing: {missing}")
    return problems


@pytest.mark.parametrize("endpoint", PAGES)
def test_page_markup_is_accessible(app, world, as_role, endpoint):
    response = as_role("admin").get(_url(app, world, endpoint))
    assert response.status_code == 200
    assert _check(response.get_data(as_text=True)) == []


@pytest.mark.parametrize(("url", "data"), [
    ("/gemeenten/nieuw", {"name": "", "cbs_code": "x"}),
    ("/beheer/gebruikers/nieuw", {"username": ""}),
])
def test_invalid_forms_stay_accessible(as_role, world, url, data):
    page = as_role("admin").post(url, data=data).get_data(as_text=True)
    assert 'aria-invalid="true"' in page and 'class="error-summary"' in page
    assert _check(page) == []


def test_login_page_is_accessible(client, world):
    assert _check(client.get("/login").get_data(as_text=True)) == []
