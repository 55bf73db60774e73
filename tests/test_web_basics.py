"""Layout, error pages, security headers, the JSON API's errors and the language switch."""

from __future__ import annotations

import re

import pytest

from app import create_app


def test_security_headers_on_every_page(client, world):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_hsts_only_in_production(monkeypatch, connection, database_url):
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    app = create_app("production", overrides={"DATABASE_URL": database_url}, bind=connection)
    response = app.test_client().get("/login")
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def test_pages_load_nothing_from_other_hosts(as_role):
    page = as_role("admin").get("/").get_data(as_text=True)
    for url in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert not url.startswith(("http://", "https://", "//")), url


def test_static_assets_are_served_by_the_app(client):
    for path in ("/static/css/app.css", "/static/js/app.js", "/static/favicon.svg"):
        assert client.get(path).status_code == 200, path


def test_404_page_in_house_style(as_role):
    response = as_role("admin").get("/bestaat-niet")
    assert response.status_code == 404
    assert "Pagina niet gevonden" in response.get_data(as_text=True)


def test_403_page_in_house_style(as_role):
    response = as_role("provider").get("/gemeenten/")
    assert response.status_code == 403
    assert "Geen toegang" in response.get_data(as_text=True)


@pytest.fixture
def failing_app(connection, database_url):
    app = create_app("testing", overrides={"DATABASE_URL": database_url, "PROPAGATE_EXCEPTIONS": False},
                     bind=connection)

    @app.route("/kapot")
    def broken():
        raise RuntimeError("boom")

    @app.route("/api/v1/kapot")
    def broken_api():
        raise RuntimeError("boom")

    return app


def test_500_page_and_json(failing_app):
    c = failing_app.test_client()
    page = c.get("/kapot")
    assert page.status_code == 500
    assert "Er ging iets mis" in page.get_data(as_text=True)
    api = c.get("/api/v1/kapot")
    assert api.status_code == 500
    assert api.json["error"] == "internal_error"


def test_api_errors_are_json(as_role, client, world):
    assert client.get("/api/v1/gemeenten").json == {"error": "unauthenticated", "message": "Log in first."}
    forbidden = as_role("provider").get("/api/v1/gemeenten")
    assert forbidden.status_code == 403 and forbidden.json["error"] == "forbidden"
    missing = as_role("admin").get("/api/v1/providers/999999")
    assert missing.status_code == 404 and missing.json["error"] == "not_found"
    unknown = as_role("admin").get("/api/v1/nothing-here")
    assert unknown.status_code == 404 and unknown.is_json


def test_api_lists_registers(as_role, world):
    data = as_role("inkoper").get("/api/v1/providers").json
    assert {p["kvk_number"] for p in data} == {"12345678", "87654321"}
    gemeenten = as_role("finance").get("/api/v1/gemeenten").json
    assert [g["name"] for g in gemeenten] == ["Aastad", "Beedorp", "Ceeveen"]
    assert gemeenten[0]["executing_body"] == "Sociale Dienst Testland"


def test_dutch_by_default_english_on_request(as_role):
    c = as_role("admin")
    assert '<html lang="nl">' in c.get("/").get_data(as_text=True)
    response = c.get("/taal/en?next=/gemeenten/")
    assert response.headers["Location"] == "/gemeenten/"
    page = c.get("/gemeenten/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Municipalities" in page
    c.get("/taal/nl")
    assert "Gemeenten" in c.get("/gemeenten/").get_data(as_text=True)


def test_language_switch_ignores_unknown_codes_and_foreign_next(as_role):
    c = as_role("admin")
    assert c.get("/taal/xx?next=https://evil.example/").headers["Location"] == "/"
    assert '<html lang="nl">' in c.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "visible", "hidden"),
    [
        ("admin", ["Gebruikers", "Auditlog", "Cliënten"], []),
        ("inkoper", ["Aanbieders", "Gemeenten"], ["Cliënten", "Gebruikers"]),
        ("klantmanager", ["Cliënten", "Aanbieders"], ["Gebruikers", "Auditlog"]),
        ("finance", ["Aanbieders"], ["Cliënten", "Gebruikers"]),
        ("management", ["Aanbieders", "Gemeenten"], ["Cliënten", "Gebruikers"]),
        ("provider", [], ["Cliënten", "Aanbieders", "Gebruikers", "Gemeenten"]),
    ],
)
def test_menu_shows_what_the_role_may_use(as_role, role, visible, hidden):
    page = as_role(role).get("/").get_data(as_text=True)
    nav = page.split('class="main-nav"', 1)[1].split("</nav>", 1)[0]
    for label in visible:
        assert f">{label}<" in nav, label
    for label in hidden:
        assert f">{label}<" not in nav, label


def test_accessible_landmarks_and_skip_link(as_role):
    page = as_role("klantmanager").get("/").get_data(as_text=True)
    assert 'href="#main"' in page and '<main id="main"' in page
    assert "<header" in page and "<footer" in page and 'aria-label="Hoofdmenu"' in page


def test_an_id_beyond_an_integer_column_matches_no_route(app, as_role):
    """Every ``<int:…>`` path segment is bounded by the route converter, so no view binds an id the database
    cannot hold (a 500 on PostgreSQL): 2**31 answers 404 on every route that takes one, 2**31 - 1 still routes."""
    from werkzeug.exceptions import NotFound

    client = as_role("admin")
    adapter = app.url_map.bind("localhost")
    rules = [rule for rule in app.url_map.iter_rules() if any(
        type(conv).__name__ == "IdConverter" for conv in rule._converters.values())]
    assert len(rules) > 40
    for rule in rules:
        method = "GET" if "GET" in (rule.methods or ()) else "POST"
        args = {name: 2**31 if type(conv).__name__ == "IdConverter" else "csv"
                for name, conv in rule._converters.items()}
        path = rule.build(args, append_unknown=False)[1]
        with pytest.raises(NotFound):
            adapter.match(path, method=method)
        assert client.open(path, method=method).status_code == 404, path
        adapter.match(path.replace(str(2**31), str(2**31 - 1)), method=method)
