"""No page, file or API answer of the application is kept in a browser's or a proxy's cache.

Ledger exports carry IBANs, the marap and UBL documents figures and money, evidence files and import
templates personal data: ``Cache-Control: no-store`` on every answer that is not a static asset, so that
nothing stays on a shared computer after the user has gone. Every GET of the route table is asked for
(with a role that may see it, and anonymously), so a new route is covered as soon as it joins the table;
static files stay cacheable.
"""

from __future__ import annotations

import pytest

from tests.test_access import ROUTES, _url

pytestmark = pytest.mark.shared_world

GETS = sorted(endpoint for endpoint, (_roles, methods, _args) in ROUTES.items() if "GET" in methods)
# the same routes in their other formats
VARIANTS = {"invoices.export_file": {"fmt": "xlsx"}}
# what must come out as a download (an attachment); a route that stopped being one fails the test
DOWNLOADS = {"trajecten.evidence", "imports.download_template", "invoices.claim_template", "invoices.ubl",
             "invoices.export_file", "budgets.template", "reports.marap_file", "tenders.ocds",
             "admin.audit_log_file"}


def _variant_url(app, world, endpoint: str, extra: dict) -> str:
    from flask import url_for

    with app.test_request_context():
        return url_for(endpoint, **{**ROUTES[endpoint][2](world), **extra})


def _not_stored(response) -> bool:
    return "no-store" in response.headers.get("Cache-Control", "") and response.headers.get("Pragma") == "no-cache"


def test_every_answer_but_a_static_file_says_no_store(app, world, as_role, client):
    clients: dict = {}
    unsafe, attachments = [], set()
    for endpoint in GETS:
        roles = ROUTES[endpoint][0]
        role = "admin" if "admin" in roles else sorted(roles)[0]
        urls = [_url(app, world, endpoint)]
        if endpoint in VARIANTS:
            urls.append(_variant_url(app, world, endpoint, VARIANTS[endpoint]))
        for url in urls:
            if role not in clients:
                clients[role] = as_role(role)
            for who, response in ((role, clients[role].get(url)), ("anonymous", client.get(url))):
                if not _not_stored(response):
                    unsafe.append(f"{who} GET {url}: {response.status_code} {response.headers.get('Cache-Control')}")
                if "attachment" in response.headers.get("Content-Disposition", ""):
                    attachments.add(endpoint)
    assert unsafe == []
    assert attachments == DOWNLOADS


def test_a_page_that_is_not_found_is_not_stored_either(client):
    assert _not_stored(client.get("/bestaat-niet"))


def test_static_files_stay_cacheable(client):
    response = client.get("/static/favicon.svg")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
