"""The page benchmark (bench/pages.py) finds every page in the route table, fills its parameters with real
records, and fails when a page is above its aim: run on the demo, quickly (one request a page)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import pages

from app.db import session as app_session
from app.uow import committed

# Pages the demo has no record for in anyone's view (the route is measured wherever such a record exists).
NO_DEMO_RECORD = {"trajecten.evidence", "trajecten.confirm_event", "jobs.show", "jobs.download", "jobs.status",
                  "imports.batch"}


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    from app import create_app
    from app.demo import load_demo
    from app.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('bench') / 'pages.sqlite3'}"
    upgrade(url)
    app = create_app(overrides={"DATABASE_URL": url, "TESTING": True})
    with app.app_context(), committed():
        load_demo(app_session, seed=7, clients=40)
    baseline, results = pages.measure(app, list(pages.ROLES), repeat=0, aim=60_000)
    return app, baseline, results


def test_every_get_route_of_the_route_table_is_measured(measured):
    app, _baseline, results = measured
    found = {r.endpoint for r in results}
    wanted = {rule.endpoint for rule in pages.routes(app, None)}
    assert wanted - found <= NO_DEMO_RECORD, sorted(wanted - found - NO_DEMO_RECORD)
    # The skipped ones are the stated few, and the baseline is a real page.
    assert {"static", "auth.login", "i18n.switch", "health.healthz"} <= {
        rule.endpoint for rule in app.url_map.iter_rules() if pages.SKIPPED.match(rule.endpoint)}


def test_parameters_are_filled_with_the_heaviest_record_and_list_pages_get_their_variants(measured):
    _app, _baseline, results = measured
    detail = [r for r in results if r.endpoint == "trajecten.detail" and r.role == "klantmanager"]
    assert detail and all(r.status == 200 for r in detail)
    variants = {r.variant for r in results if r.endpoint == "trajecten.index" and r.role == "klantmanager"}
    assert any(v.startswith("sort=") for v in variants) and "" in variants
    assert all(r.statements > 0 for r in results)
    # A provider's user gets its own pages only: never another provider's detail page.
    assert not [r for r in results if r.role == "aanbieder" and r.status != 200]


def test_a_page_above_the_aim_fails_the_run_and_the_table_says_so(measured, capsys):
    _app, baseline, results = measured
    assert pages.print_table(baseline, results, aim=60_000) == 0
    assert pages.print_table(baseline, results, aim=0.001, explain=True) == len(results)
    out = capsys.readouterr().out
    assert "FAIL" in out and f"{len(results)} pages and variants, {len(results)} above the aim" in out


def test_a_form_with_a_preview_is_timed_posted_as_well(measured):
    """The amendment page's 'Simulatie tonen' stores nothing and shows a page: it is timed as the inkoper would
    press it, with the form as it stands, and it answers the page (200), not a refusal."""
    _app, _baseline, results = measured
    previews = [r for r in results if r.endpoint == "contracts.amend" and r.variant == "POST preview"]
    assert previews and all(r.status == 200 for r in previews)
    assert all(r.path.endswith("[POST preview]") for r in previews)
