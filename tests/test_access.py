"""Every route, every role, and anonymous.

Anonymous visitors are sent to the login page (API paths answer 401 JSON), a role without the
permission gets 403, and a role with it gets its page (200/302; a POST with an empty form may answer
422 with the errors at the fields). A route that is not in ``ROUTES`` below fails the test: a new
route must join this table when it is added.

The module shares one world (``shared_world``): it is built once, and every case runs in a savepoint that is
rolled back after it, so a POST that does change something is undone before the next case.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.shared_world

ROLES = ("admin", "inkoper", "klantmanager", "finance", "management", "provider")
EVERYONE = frozenset(ROLES)
ADMIN = frozenset({"admin"})
PROCUREMENT = frozenset({"admin", "inkoper"})
CASEWORK = frozenset({"admin", "klantmanager"})
READERS = frozenset({"admin", "inkoper", "klantmanager", "finance", "management"})
TENDER_READERS = frozenset({"admin", "inkoper", "management"})
TRAJECT_WORKERS = frozenset({"admin", "klantmanager", "provider"})
FINANCE = frozenset({"admin", "finance"})
REPORT_READERS = frozenset({"admin", "inkoper", "finance", "management"})
TARGET_EDITORS = frozenset({"admin", "inkoper", "management"})
FINANCE_READERS = frozenset({"admin", "finance", "management"})
INVOICE_READERS = frozenset({"admin", "finance", "management", "provider"})
INVOICE_SENDERS = frozenset({"admin", "finance", "provider"})

# Routes that anyone may reach: the login page itself, log-out, the language switch and the health check.
# The code page after the password and the single sign-on routes belong to the log-in too (SSO answers 404 unless
# configured; tests/test_sso.py covers it).
PUBLIC = {"static", "auth.login", "auth.logout", "i18n.switch", "health.healthz", "auth.login_code", "auth.sso_login",
          "auth.sso_callback"}


def _provider(w):
    return {"provider_id": w.providers[0].id}


def _client(w):
    return {"client_id": w.clients[0].id}


def _tender(w):
    return {"tender_id": w.tender.id}


def _lot(w):
    return {"lot_id": w.tender.lots[0].id}


def _contract(w):
    return {"contract_id": w.contract.id}


def _traject(w):
    return {"traject_id": w.traject.id}


def _placement(w):
    return {**_traject(w), "event_id": w.traject.events[-1].id}


def _batch(w):
    return {"batch_id": w.batch.id}


def _job(w):
    return {"job_id": w.job.id}


def _invoice(w):
    return {"invoice_id": w.invoice.id}


def _evidence(w):
    return {**_traject(w), "evidence_id": w.traject.events[-1].evidence_id}


# endpoint: (roles allowed, methods to try, url arguments from the test world)
ROUTES = {
    "home.index": (EVERYONE, ("GET",), lambda w: {}),
    "auth.change_password": (EVERYONE, ("GET", "POST"), lambda w: {}),
    "auth.totp_enrol": (EVERYONE, ("GET", "POST"), lambda w: {}),
    "gemeenten.index": (READERS, ("GET",), lambda w: {}),
    "gemeenten.detail": (READERS, ("GET",), lambda w: {"gemeente_id": w.gemeenten[0].id}),
    "gemeenten.create": (ADMIN, ("GET", "POST"), lambda w: {}),
    "gemeenten.edit": (ADMIN, ("GET", "POST"), lambda w: {"gemeente_id": w.gemeenten[0].id}),
    "gemeenten.body_detail": (READERS, ("GET",), lambda w: {"body_id": w.body.id}),
    "gemeenten.body_create": (ADMIN, ("GET", "POST"), lambda w: {}),
    "gemeenten.body_edit": (ADMIN, ("GET", "POST"), lambda w: {"body_id": w.body.id}),
    "providers.index": (READERS, ("GET",), lambda w: {}),
    "providers.detail": (READERS, ("GET",), _provider),
    "providers.create": (PROCUREMENT, ("GET", "POST"), lambda w: {}),
    "providers.edit": (PROCUREMENT, ("GET", "POST"), _provider),
    "providers.contact_create": (PROCUREMENT, ("GET", "POST"), _provider),
    "providers.contact_delete": (
        PROCUREMENT, ("POST",), lambda w: {**_provider(w), "contact_id": w.providers[0].contacts[0].id}
    ),
    "providers.mark_create": (PROCUREMENT, ("GET", "POST"), _provider),
    "providers.mark_delete": (
        PROCUREMENT, ("POST",), lambda w: {**_provider(w), "mark_id": w.providers[0].quality_marks[0].id}
    ),
    "clients.index": (CASEWORK, ("GET",), lambda w: {}),
    "clients.find_by_bsn": (CASEWORK, ("POST",), lambda w: {}),
    "clients.assign_many": (CASEWORK, ("POST",), lambda w: {}),
    "clients.detail": (CASEWORK, ("GET",), _client),
    "clients.create": (CASEWORK, ("GET", "POST"), lambda w: {}),
    "clients.edit": (CASEWORK, ("GET", "POST"), _client),
    "clients.reveal_bsn": (CASEWORK, ("POST",), _client),
    "clients.phase_create": (CASEWORK, ("GET", "POST"), _client),
    "clients.transfers": (CASEWORK, ("GET",), lambda w: {}),
    "clients.transfer_accept": (CASEWORK, ("POST",), lambda w: {"transfer_id": w.transfer.id}),
    "clients.transfer_refuse": (CASEWORK, ("POST",), lambda w: {"transfer_id": w.transfer.id}),
    "tenders.index": (TENDER_READERS, ("GET",), lambda w: {}),
    "tenders.create": (PROCUREMENT, ("GET", "POST"), lambda w: {}),
    "tenders.detail": (TENDER_READERS, ("GET",), _tender),
    "tenders.edit": (PROCUREMENT, ("GET", "POST"), _tender),
    "tenders.transition": (PROCUREMENT, ("POST",), _tender),
    "tenders.selection_create": (PROCUREMENT, ("GET", "POST"), _tender),
    "tenders.selection_delete": (
        PROCUREMENT, ("POST",), lambda w: {**_tender(w), "criterion_id": w.tender.selection_criteria[0].id}
    ),
    "tenders.award_criterion_create": (PROCUREMENT, ("GET", "POST"), _tender),
    "tenders.award_criterion_edit": (
        PROCUREMENT, ("GET", "POST"), lambda w: {**_tender(w), "criterion_id": w.tender.award_criteria[0].id}
    ),
    "tenders.award_criterion_delete": (
        PROCUREMENT, ("POST",), lambda w: {**_tender(w), "criterion_id": w.tender.award_criteria[0].id}
    ),
    "tenders.lot_create": (PROCUREMENT, ("GET", "POST"), _tender),
    "tenders.lot_detail": (TENDER_READERS, ("GET",), _lot),
    "tenders.lot_edit": (PROCUREMENT, ("GET", "POST"), _lot),
    "tenders.bid_create": (PROCUREMENT, ("GET", "POST"), _lot),
    "tenders.bid_evaluate": (PROCUREMENT, ("GET", "POST"), lambda w: {"bid_id": w.tender.lots[0].bids[0].id}),
    "tenders.lot_award": (PROCUREMENT, ("POST",), _lot),
    "tenders.lot_simulate": (TENDER_READERS, ("GET", "POST"), _lot),
    "tenders.ocds": (TENDER_READERS, ("GET",), _tender),
    "contracts.index": (READERS, ("GET",), lambda w: {}),
    "contracts.create": (PROCUREMENT, ("GET", "POST"), lambda w: {}),
    "contracts.detail": (READERS, ("GET",), _contract),
    "contracts.edit": (PROCUREMENT, ("GET", "POST"), _contract),
    "contracts.amend": (PROCUREMENT, ("GET", "POST"), _contract),
    "contracts.version_detail": (
        READERS, ("GET",), lambda w: {**_contract(w), "number": w.contract.versions[0].number}
    ),
    "contracts.evaluation_create": (PROCUREMENT, ("GET", "POST"), _contract),
    "contracts.simulate": (READERS, ("GET", "POST"), _contract),
    "trajecten.index": (TRAJECT_WORKERS, ("GET",), lambda w: {}),
    "trajecten.worklist": (TRAJECT_WORKERS, ("GET",), lambda w: {}),
    "trajecten.confirm_many": (CASEWORK, ("POST",), lambda w: {}),
    "trajecten.close_many": (TRAJECT_WORKERS, ("POST",), lambda w: {}),
    "trajecten.detail": (TRAJECT_WORKERS, ("GET",), _traject),
    "trajecten.add_event": (TRAJECT_WORKERS, ("POST",), _traject),
    "trajecten.correct": (CASEWORK, ("GET", "POST"), _traject),
    "trajecten.confirm_event": (CASEWORK, ("GET", "POST"), _placement),
    "trajecten.evidence": (TRAJECT_WORKERS, ("GET",), _evidence),
    "trajecten.refer_client": (CASEWORK, ("GET", "POST"), _client),
    "trajecten.client_timeline": (CASEWORK, ("GET",), _client),
    "imports.index": (TRAJECT_WORKERS, ("GET",), lambda w: {}),
    "imports.upload": (TRAJECT_WORKERS, ("POST",), lambda w: {}),
    "imports.download_template": (TRAJECT_WORKERS, ("GET",), lambda w: {"kind": "events"}),
    "imports.batch": (CASEWORK, ("GET",), _batch),
    "imports.check": (CASEWORK, ("POST",), _batch),
    "imports.run": (frozenset({"klantmanager"}), ("POST",), _batch),
    "imports.discard": (CASEWORK, ("POST",), _batch),
    "jobs.index": (EVERYONE, ("GET",), lambda w: {}),
    "jobs.show": (EVERYONE, ("GET",), _job),
    "jobs.status": (EVERYONE, ("GET",), _job),
    "jobs.download": (EVERYONE, ("GET",), _job),
    "notifications.index": (EVERYONE, ("GET",), lambda w: {}),
    "notifications.settings": (EVERYONE, ("GET", "POST"), lambda w: {}),
    "notifications.read_all": (EVERYONE, ("POST",), lambda w: {}),
    "notifications.open_one": (EVERYONE, ("POST",), lambda w: {"notification_id": 2_000_000_000}),
    "invoices.index": (INVOICE_READERS, ("GET",), lambda w: {}),
    "invoices.payment_run": (FINANCE, ("GET", "POST"), lambda w: {}),
    "invoices.provider_invoice": (INVOICE_SENDERS, ("GET", "POST"), lambda w: {}),
    "invoices.claim_template": (INVOICE_SENDERS, ("GET",), lambda w: {}),
    "invoices.detail": (INVOICE_READERS, ("GET",), _invoice),
    "invoices.take_step": (INVOICE_SENDERS, ("POST",), lambda w: {**_invoice(w), "step": "submit"}),
    "invoices.bulk_step": (INVOICE_SENDERS, ("POST",), lambda w: {}),
    "invoices.decide": (FINANCE, ("POST",), lambda w: {**_invoice(w), "line_id": w.invoice.lines[0].id}),
    "invoices.redo": (FINANCE, ("POST",), _invoice),
    "invoices.ubl": (INVOICE_READERS, ("GET",), _invoice),
    "invoices.statement": (INVOICE_READERS, ("GET",), _invoice),
    "invoices.exports": (FINANCE, ("GET", "POST"), lambda w: {}),
    "invoices.export_file": (FINANCE, ("GET",), lambda w: {"batch_id": w.export.id, "fmt": "csv"}),
    "invoices.overdue": (INVOICE_READERS, ("GET",), lambda w: {}),
    "budgets.index": (FINANCE_READERS, ("GET",), lambda w: {}),
    "budgets.template": (FINANCE_READERS, ("GET",), lambda w: {}),
    "budgets.create": (FINANCE, ("GET", "POST"), lambda w: {}),
    "budgets.edit": (FINANCE, ("GET", "POST"), lambda w: {"budget_id": w.budget.id}),
    "budgets.import_budgets": (FINANCE, ("GET", "POST"), lambda w: {}),
    "reports.index": (REPORT_READERS, ("GET",), lambda w: {}),
    "reports.members": (REPORT_READERS, ("GET",), lambda w: {"indicator": "placement_rate", "part": "numerator"}),
    "reports.comparison": (REPORT_READERS, ("GET",), lambda w: {}),
    "reports.targets": (REPORT_READERS, ("GET",), lambda w: {}),
    "reports.target_create": (TARGET_EDITORS, ("GET", "POST"), lambda w: {}),
    "reports.target_edit": (TARGET_EDITORS, ("GET", "POST"), lambda w: {"target_id": w.target.id}),
    "reports.target_delete": (TARGET_EDITORS, ("POST",), lambda w: {"target_id": w.target.id}),
    "reports.marap": (REPORT_READERS, ("GET",), lambda w: {"gemeente": w.gemeenten[0].id}),
    "reports.marap_file": (REPORT_READERS, ("GET",), lambda w: {"fmt": "xlsx", "gemeente": w.gemeenten[0].id}),
    "reports.marap_pdf": (REPORT_READERS, ("POST",), lambda w: {"gemeente": w.gemeenten[0].id}),
    "admin.users": (ADMIN, ("GET",), lambda w: {}),
    "admin.user_create": (ADMIN, ("GET", "POST"), lambda w: {}),
    "admin.user_detail": (ADMIN, ("GET",), lambda w: {"user_id": w.users["inkoper"].id}),
    "admin.user_edit": (ADMIN, ("GET", "POST"), lambda w: {"user_id": w.users["inkoper"].id}),
    "admin.user_totp_reset": (ADMIN, ("POST",), lambda w: {"user_id": w.users["inkoper"].id}),
    "admin.target_groups": (ADMIN, ("GET",), lambda w: {}),
    "admin.target_group_create": (ADMIN, ("GET", "POST"), lambda w: {}),
    "admin.target_group_edit": (ADMIN, ("GET", "POST"), lambda w: {"group_id": w.target_groups[0].id}),
    "admin.audit_log": (ADMIN, ("GET",), lambda w: {}),
    "admin.audit_log_file": (ADMIN, ("GET",), lambda w: {"fmt": "xlsx"}),
    "api.gemeenten": (READERS, ("GET",), lambda w: {}),
    "api.providers": (READERS, ("GET",), lambda w: {}),
    "api.provider": (READERS, ("GET",), _provider),
}

# A batch is its uploader's (the klantmanager's): another user who may import gets 404 for it, not 403, so
# that a batch's existence is not given away.
NOT_FOUND_FOR = {"imports.batch": {"provider"}, "imports.check": {"provider"}, "imports.run": {"provider"},
                 "imports.discard": {"provider"},
                 # A job is its owner's (the klantmanager's) and an admin's: everyone else gets 404.
                 "jobs.show": {"inkoper", "finance", "management", "provider"},
                 "jobs.status": {"inkoper", "finance", "management", "provider"},
                 # ... and the world's job (an import) has no file: 404 for all; tests/test_jobs.py downloads one.
                 "jobs.download": set(ROLES),
                 # A notification is its user's alone; one that is no one's (as here) is 404 for everyone.
                 # tests/test_notifications.py opens one's own and another's.
                 "notifications.open_one": set(ROLES)}

CASES = [(endpoint, method) for endpoint, (_, methods, _) in ROUTES.items() for method in methods]


def test_every_route_is_in_the_access_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = endpoints - set(ROUTES) - PUBLIC
    assert not missing, f"add these routes to ROUTES in tests/test_access.py: {sorted(missing)}"
    stale = set(ROUTES) - endpoints
    assert not stale, f"these routes no longer exist: {sorted(stale)}"


def test_declared_methods_match_the_url_map(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ROUTES:
            declared = set(ROUTES[rule.endpoint][1])
            assert declared == set(rule.methods) - {"HEAD", "OPTIONS"}, rule.endpoint


def _url(app, world, endpoint):
    from flask import url_for

    with app.test_request_context():
        return url_for(endpoint, **ROUTES[endpoint][2](world))


@pytest.mark.parametrize(("endpoint", "method"), CASES)
def test_anonymous_is_sent_to_login(app, world, client, endpoint, method):
    url = _url(app, world, endpoint)
    response = client.open(url, method=method)
    if url.startswith("/api/"):
        assert response.status_code == 401
        assert response.json["error"] == "unauthenticated"
    else:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("endpoint", "method"), CASES)
def test_role_gets_page_or_403(app, world, as_role, role, endpoint, method):
    allowed = role in ROUTES[endpoint][0]
    url = _url(app, world, endpoint)
    response = as_role(role).open(url, method=method, data={})
    if role in NOT_FOUND_FOR.get(endpoint, ()):
        assert response.status_code == 404, f"{role} must not find {method} {url}"
    elif not allowed:
        assert response.status_code == 403, f"{role} must not reach {method} {url}"
    elif method == "GET":
        assert response.status_code in (200, 302), f"{role} should reach {url}: {response.status_code}"
    else:
        assert response.status_code in (200, 302, 422), f"{role} should reach {method} {url}"


@pytest.mark.parametrize("role", (None, *ROLES))
def test_the_health_check_answers_everyone_and_anonymous_alike(app, world, client, as_role, role):
    response = (client if role is None else as_role(role)).get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"
