"""Hostile values posted to every form the app has: never a server error, and a refusal stores nothing.

The forms are discovered from the app, not listed here: every POST route of the url map (so a new one is
covered the day it is added, and ``tests/test_access.py`` makes sure it has a role that may post there), its
fields from the WTForms form the view builds (recorded while a probe POST runs) and from the ``<form>`` on the
app's own pages that posts to it, whose current values are the starting point. One field at a time, or a few,
is then replaced by a generated hostile value: numbers that are not finite or do not fit a column, NUL and
control characters, a file part where text is expected, text where a file is expected, and hypothesis' own
text. A response of 5xx, or an exception out of the view, fails; so does a refusal (4xx, or the page with its
errors at the fields) after which a table has more or fewer rows than before.

``HOSTILE_EXAMPLES`` sets the number of posts per route (default 6, which keeps the module within a minute).
"""

from __future__ import annotations

import io
import json
import os
import zlib
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from lxml import html as lxml_html
from sqlalchemy import func, literal, select, union_all
from wtforms.form import BaseForm

from app.db import Base
from contracts.procurement import TenderStatus
from tests.test_access import NOT_FOUND_FOR, PUBLIC, ROUTES, _url

pytestmark = pytest.mark.shared_world

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "6"))
PREFERRED_ROLES = ("admin", "klantmanager", "inkoper", "finance", "provider", "management")
# What a refused post may still write, by design: a failed log-in counts toward the lock-out (and a lock-out is
# recorded); an upload counts against its sender's quota as it arrives, also when the file is then refused
# (app/uploads.py), so that refused files cannot be sent without limit.
WRITTEN_ON_REFUSAL = {"auth.login": {"audit_entry"}, "imports.upload": {"upload_charge"},
                      "budgets.import_budgets": {"upload_charge"}, "invoices.provider_invoice": {"upload_charge"}}

NUMBERS = ["1e308", "-1e308", "1E5", "NaN", "nan", "Infinity", "-Infinity", "inf", "-0", "-0,00", "1e999999999",
           "9" * 40, "99999999999,99", "2147483648", "-2147483649", "9223372036854775808", "0x1F", "1_000", "١٢",
           "１２", "1\x00", " ", "--1"]
TEXTS = ["a\x00b", "\x00", "regel\r\nregel", "\x1b[31mrood", "\x7f\x08", "\u202egnp.exe", "<script>x</script>",
         "' OR 1=1 --", "x" * 5000, "\ufeff"]
DATES = ["9999-12-31", "0001-01-01", "31-02-2026", "2026-13-01", "99999-01-01", "1e308", "\x00"]
IDS = ["99999999999999999999", "2147483648", "-1", "0", "NaN", "1e308", "\x00"]


def _model(amount: str) -> str:
    return json.dumps({"schema_version": 1, "name": "Vijandig", "base_price": {"default": amount},
                       "milestones": {"start": {"event": "started"}},
                       "rules": [{"id": "p", "type": "tiers", "tiers": [{"milestone": "start",
                                                                          "amount": {"percent": amount}}]}]})


def _trajecten(value: object) -> str:
    return json.dumps([{"id": "T-1", "referral_date": "2026-01-05", "price": value,
                        "events": [{"id": "e1", "type": "started", "date": "2026-01-22", "hours_per_week": value,
                                    "contract_months": value}]}])


# JSON where a payment model or a simulation's trajecten are read: the wrong shape, too deep, the wrong types,
# numbers that are not finite (``1e400`` is infinity to Python's reader).
JSON = ["{}", "null", "1e308", '"x"', "[" * 5000 + "]" * 5000, '{"a":' * 3000 + "1" + "}" * 3000, "[" * 100 + "]" * 100,
        '{"schema_version": "1", "rules": {}}', '{"trajecten": {"id": []}}', '{"trajecten": [[]]}',
        '{"trajecten": [], "as_of": 1e400}', '[{"id": "T", "referral_date": "2026-01-01", "price": NaN}]',
        *(_model(amount) for amount in ("NaN", "1e308", "Infinity", "-0", "1e999999", "x", "")),
        *(_trajecten(value) for value in ("NaN", "1e308", 1e308, [], {}, "-0", True))]
# Odd, and still trajecten a simulation may run: none at all, no price, a number of months beyond any contract.
ODD_JSON = ["[]", _trajecten(None), _trajecten(2**70)]


def file_part(content: bytes = b"{}", name: str = "waarde.txt"):
    return io.BytesIO(content), name


def json_file(content: str):
    return file_part(content.encode(), "trajecten.json")


def _kind(field_class: type) -> str:
    names = {cls.__name__ for cls in field_class.__mro__}
    if "FileField" in names:
        return "file"
    if names & {"BooleanField"}:
        return "bool"
    if names & {"SelectFieldBase", "RadioField"}:
        return "select"
    if names & {"IntegerField", "DecimalField", "FloatField", "NumberField", "MoneyField"}:
        return "number"
    if names & {"DateField", "DateTimeField", "DateTimeLocalField"}:
        return "date"
    if names & {"SubmitField", "CSRFTokenField"}:
        return "skip"
    return "text"


def hostile(kind: str) -> st.SearchStrategy:
    """What a hostile client may send in a field of this kind: the known troublemakers and generated values."""
    generated_text = st.text(st.characters(codec="utf-8"), max_size=40)
    as_file = st.builds(file_part, st.binary(max_size=64))
    numbers = st.one_of(st.sampled_from(NUMBERS), st.integers().map(str), st.floats().map(str),
                        st.decimals(allow_nan=True, allow_infinity=True).map(str))
    if kind == "number":
        return st.one_of(numbers, as_file, generated_text)
    if kind == "date":
        return st.one_of(st.sampled_from(DATES), st.dates().map(str), as_file, generated_text)
    if kind == "select":
        return st.one_of(st.sampled_from(IDS), as_file, generated_text)
    if kind == "file":
        return st.one_of(st.sampled_from(TEXTS), generated_text, st.sampled_from(JSON + ODD_JSON).map(json_file),
                         st.builds(file_part, st.binary(max_size=64), st.sampled_from(["", "x.json", "\x00"])))
    if kind == "bool":
        return st.one_of(st.sampled_from(["y", "\x00", "1e308"]), as_file)
    return st.one_of(st.sampled_from(TEXTS), generated_text, as_file, st.sampled_from(NUMBERS),
                     st.sampled_from(JSON + ODD_JSON))


@dataclass
class Target:
    """One POST route: whom to post as, where, and the form's fields with the values its own page shows."""

    endpoint: str
    role: str | None
    url: str
    fields: dict[str, str] = field(default_factory=dict)  # name -> kind
    baseline: dict[str, str | list[str]] = field(default_factory=dict)


def post_endpoints(app) -> list[str]:
    return sorted({rule.endpoint for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())})


def role_for(endpoint: str) -> str | None:
    if endpoint not in ROUTES:
        return None  # a public route (log-in, log-out, the language switch): posted to anonymously
    allowed = ROUTES[endpoint][0] - NOT_FOUND_FOR.get(endpoint, set())
    # A route whose world row nobody may reach (404 for all) is still asked, by a role the route admits.
    return next((role for role in PREFERRED_ROLES if role in allowed),
                next(role for role in PREFERRED_ROLES if role in ROUTES[endpoint][0]))


def _page_forms(page: str, page_path: str) -> list[tuple[str, dict[str, str | list[str]], dict[str, str]]]:
    """Each POST form on a page: the path it posts to, its inputs' current values, and the HTML kind of each."""
    out = []
    for form in lxml_html.fromstring(page).forms:
        if (form.method or "GET").upper() != "POST":
            continue
        action = urlsplit(form.action or page_path).path or page_path
        values: dict[str, str | list[str]] = {}
        kinds: dict[str, str] = {}
        for element in form.inputs:
            name = element.name
            if not name:
                continue
            kind = element.get("type", element.tag).lower()
            kinds[name] = {"file": "file", "checkbox": "bool", "select": "select", "date": "date",
                           "datetime-local": "date"}.get(kind, "text")
            if kind in ("submit", "button", "file"):
                continue
            if kind in ("checkbox", "radio"):
                if element.checked:
                    values[name] = element.value or "y"
                continue
            if element.tag == "select":
                options = [o.get("value", o.text_content()) for o in element.iter("option")]
                chosen = element.value
                if element.multiple:
                    chosen = list(chosen) or options[-1:]
                elif not chosen:
                    chosen = next((o for o in options if o and o != "0"), "")
                values[name] = chosen
            else:
                values[name] = element.value or ""
        out.append((action, values, kinds))
    return out


class Discovery:
    """The app's POST forms as the app itself shows them, gathered once per module."""

    def __init__(self, app, world, logins):
        self.app, self.world, self.logins = app, world, logins
        self.forms: dict[tuple[str | None, str], tuple[dict, dict]] = {}
        self.pool: dict[str, str | list[str]] = {}
        crawled: set[str | None] = set()
        for endpoint in post_endpoints(app):
            role = role_for(endpoint)
            if role not in crawled:
                crawled.add(role)
                self._crawl(role)

    def _crawl(self, role: str | None) -> None:
        client = self.logins(role)
        pages = ["/login"] if role is None else [
            _url(self.app, self.world, endpoint) for endpoint, (roles, methods, _) in ROUTES.items()
            if "GET" in methods and role in roles and role not in NOT_FOUND_FOR.get(endpoint, ())]
        for path in pages:
            response = client.get(path)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            for action, values, kinds in _page_forms(response.get_data(as_text=True), urlsplit(path).path):
                known_values, known_kinds = self.forms.setdefault((role, action), ({}, {}))
                known_values.update({k: v for k, v in values.items() if k not in known_values})
                known_kinds.update(kinds)
                for name, value in values.items():
                    if value and name not in self.pool:
                        self.pool[name] = value

    def target(self, endpoint: str, monkeypatch, *, fresh: bool = False) -> Target:
        """The route's form; ``fresh`` reads its page again (after the test changed the world)."""
        role = role_for(endpoint)
        url = "/login" if endpoint == "auth.login" else _url(self.app, self.world, endpoint) \
            if endpoint in ROUTES else self._public_url(endpoint)
        values, kinds = self.forms.get((role, urlsplit(url).path), ({}, {}))
        if fresh:
            page = self.logins(role).get(url)
            found = _page_forms(page.get_data(as_text=True), urlsplit(url).path) if page.status_code == 200 else []
            values, kinds = {}, {}
            for action, form_values, form_kinds in found:
                if action == urlsplit(url).path:
                    values, kinds = {**form_values, **values}, {**form_kinds, **kinds}
        wtforms_fields = self._probe(role, url, monkeypatch)
        fields = {**kinds, **wtforms_fields}
        fields = {name: kind for name, kind in fields.items() if kind != "skip" and name != "csrf_token"}
        baseline = {name: values.get(name) or self.pool.get(name, "") for name in fields}
        return Target(endpoint, role, url, fields, {k: v for k, v in baseline.items() if v})

    def _public_url(self, endpoint: str) -> str:
        from flask import url_for

        with self.app.test_request_context():
            return url_for(endpoint, **({"lang": "en"} if endpoint == "i18n.switch" else {}))

    def _probe(self, role: str | None, url: str, monkeypatch) -> dict[str, str]:
        """The fields of every WTForms form the view builds, recorded while an empty POST runs."""
        seen: dict[str, str] = {}
        client = self.logins(role)  # logged in before recording, so that the login form is not recorded
        original = BaseForm.process

        def recording(form, *args, **kwargs):
            for bound in form:
                seen.setdefault(bound.name, _kind(type(bound)))
            return original(form, *args, **kwargs)

        monkeypatch.setattr(BaseForm, "process", recording)
        try:
            response = client.post(url, data={})  # a form with every field left out is hostile too
        finally:
            monkeypatch.setattr(BaseForm, "process", original)
        assert response.status_code < 500, f"an empty POST to {url} answered {response.status_code}"
        return seen


def row_counts(connection) -> dict[str, int]:
    counts = [select(literal(name), func.count()).select_from(table)
              for name, table in sorted(Base.metadata.tables.items())]
    return dict(connection.execute(union_all(*counts)).all())


def refused(response) -> bool:
    if response.status_code >= 400:
        return True
    body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
    return response.status_code == 200 and ("error-summary" in body or 'class="error-message"' in body)


@pytest.fixture
def logins(app, as_role):
    clients: dict[str | None, object] = {}

    def login_as(role: str | None):
        if role not in clients:
            clients[role] = app.test_client() if role is None else as_role(role)
        return clients[role]

    return login_as


_DISCOVERY: dict[int, Discovery] = {}


@pytest.fixture
def discovery(app, world, logins) -> Discovery:
    if id(app) not in _DISCOVERY:
        _DISCOVERY.clear()
        _DISCOVERY[id(app)] = Discovery(app, world, logins)
    found = _DISCOVERY[id(app)]
    found.logins = logins
    found.world = world
    return found


def test_every_post_route_has_a_role_that_may_post(app):
    for endpoint in post_endpoints(app):
        assert endpoint in ROUTES or endpoint in PUBLIC, endpoint
        if endpoint in ROUTES:
            assert role_for(endpoint) is not None


def _post_endpoints_of_the_app() -> list[str]:
    """The POST endpoints, read from the app's url map at collection time so that a new route is a new case."""
    from app import create_app

    return post_endpoints(create_app("testing", overrides={"DATABASE_URL": "sqlite://"}))


@pytest.mark.parametrize("endpoint", _post_endpoints_of_the_app())
def test_hostile_values_are_refused_without_a_server_error(app, world, db, connection, discovery, monkeypatch,
                                                           endpoint):
    target = discovery.target(endpoint, monkeypatch)
    if not target.fields and endpoint.startswith("tenders."):
        # The world's tender is published, which locks its lots and criteria: their forms need a draft.
        world.tender.status = TenderStatus.DRAFT
        db.commit()
        target = discovery.target(endpoint, monkeypatch, fresh=True)
    client = discovery.logins(target.role)
    names = sorted(target.fields)
    if not names:
        names = ["waarde"]  # a form without fields still must not break on one it does not expect
        target.fields["waarde"] = "text"

    @seed(zlib.crc32(endpoint.encode()))  # reproducible, and another sequence of values for each route
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(data=st.data())
    def post_hostile(data):
        spoiled = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=min(3, len(names)), unique=True))
        form: dict[str, object] = dict(target.baseline)
        for name in spoiled:
            form[name] = data.draw(hostile(target.fields[name]), label=name)
        before = row_counts(connection)
        response = client.post(target.url, data=form, content_type="multipart/form-data")
        assert response.status_code < 500, f"{endpoint}: {form!r} answered {response.status_code}"
        if refused(response):
            after = row_counts(connection)
            changed = {table: (before[table], after[table]) for table in before
                       if before[table] != after[table] and table not in WRITTEN_ON_REFUSAL.get(endpoint, ())}
            assert not changed, f"{endpoint}: refused {form!r} but changed rows {changed}"

    post_hostile()


@pytest.mark.parametrize("content", JSON)
@pytest.mark.parametrize("endpoint", ["contracts.simulate", "tenders.lot_simulate"])
def test_a_hostile_simulation_file_gets_its_message_at_the_field(app, world, as_role, endpoint, content):
    response = as_role("inkoper").post(_url(app, world, endpoint), content_type="multipart/form-data", data={
        "source": "upload", "compare_with": "", "as_of": "2026-12-31", "trajecten_file": json_file(content)})
    assert response.status_code == 422, response.status_code
    assert 'id="trajecten_file-error"' in response.get_data(as_text=True)


@pytest.mark.parametrize("content", JSON)
def test_a_hostile_payment_model_gets_its_message_at_the_field(app, world, as_role, content):
    client = as_role("inkoper")
    url = _url(app, world, "contracts.amend")
    values = next(values for _, values, kinds in _page_forms(client.get(url).get_data(as_text=True), url)
                  if "payment_model" in kinds)
    response = client.post(url, data={**values, "payment_model": content})
    assert response.status_code == 422, response.status_code
    assert 'id="payment_model-error"' in response.get_data(as_text=True)


QUERY_NAMES = ("q", "sort", "dir", "page", "jaar", "gemeente", "bron", "indicator", "part", "group", "mine", "kind",
               "event", "bid", "beoordelaar", "template", "next", "from", "until", "actor", "action", "entity_type",
               "fmt")


def _get_form_names(page: str) -> set[str]:
    """The names a page's search and filter forms (``method=get``) put in the query string."""
    return {element.name for form in lxml_html.fromstring(page).forms if (form.method or "GET").upper() == "GET"
            for element in form.inputs if element.name}


GET_ENDPOINTS = sorted(endpoint for endpoint, (_, methods, _) in ROUTES.items() if "GET" in methods)


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
def test_a_hostile_query_string_never_breaks_a_page(app, world, logins, endpoint):
    """Search and filter values reach queries too: a NUL byte (PostgreSQL), an id beyond the column."""
    client = logins(role_for(endpoint))
    url = _url(app, world, endpoint)
    page = client.get(url)
    names = set(QUERY_NAMES) | (_get_form_names(page.get_data(as_text=True)) if page.mimetype == "text/html" else set())
    for value in ("a\x00b", "99999999999999999999", "-1e308"):
        query = {**dict.fromkeys(names, value), **dict(parse_qsl(urlsplit(url).query))}
        response = client.get(urlsplit(url).path, query_string=query)
        assert response.status_code < 500, f"{endpoint}: {value!r} answered {response.status_code}"
