"""Every page of the route table, as every role, in headless Chromium: axe-core finds no WCAG 2.1 A/AA violation,
and every stop of the keyboard shows a focus ring.

The Flask test client sees markup, not pages: contrast, a region that scrolls but cannot be reached by keyboard,
the focus ring of a date field's calendar button only exist in a browser that lays the page out. So the app runs
on 127.0.0.1 in a server thread, on a database of its own loaded with the demo (SQLite, or PostgreSQL when
``DATABASE_URL`` says so), and one Chromium session walks the pages of ``tests/test_access.py``'s route table that
each role may see, with demo rows for the pages that need an id.

Chromium, ChromeDriver (Debian's ``chromium`` and ``chromium-driver``) and axe-core (``npm ci`` in this folder) are
needed. Without them the tests fail and say what to install: a check that passes because its browser is missing
would hide every violation. ``SKIP_BROWSER_TESTS=1`` opts out on a machine that cannot have them; CI ignores it.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from app import create_app
from app.db import session
from app.demo import DEMO_PASSWORD, load_demo
from app.migrate import upgrade
from app.uow import committed
from tests.browser.chromium import chromium, serve
from tests.test_access import NOT_FOUND_FOR, ROLES, ROUTES

try:
    from selenium import webdriver
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:  # the tools fixture says what to install
    webdriver = None

pytestmark = pytest.mark.browser

HERE = Path(__file__).resolve().parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
OPT_OUT = "SKIP_BROWSER_TESTS"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1280,1024")
WCAG_21_AA = {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
# What a narrower screen can change; the other rules judge the same markup and colours at any width.
WIDTH_RULES = {"type": "rule", "values": ["scrollable-region-focusable"]}

# The route table's roles, as the demo users who have them.
DEMO_USERS = {"admin": "admin", "inkoper": "inkoper", "klantmanager": "klantmanager", "finance": "financien",
              "management": "management", "provider": "aanbieder"}

RUN_AXE = """
const done = arguments[arguments.length - 1];
if (typeof axe === 'undefined') {
  done([{rule: 'axe-missing', impact: 'critical', help: 'axe-core was not loaded', nodes: []}]);
  return;
}
axe.run(document, {runOnly: arguments[0], resultTypes: ['violations']})
  .then(result => done(result.violations.map(v => ({
    rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))}))))
  .catch(error => done([{rule: 'axe-error', impact: 'critical', help: String(error), nodes: []}]));
"""

# What the focused element shows: its own outline, or (a date field whose calendar button has focus, which
# Chromium reports as the field itself but matching :focus-within only) the field's.
FOCUS_RING = """
const a = document.activeElement;
if (!a || a === document.body) { return null; }
const style = getComputedStyle(a);
const width = style.outlineStyle === 'none' ? 0 : parseFloat(style.outlineWidth);
return {id: a.id, tag: a.tagName.toLowerCase(), name: a.getAttribute('name') || '',
        text: (a.textContent || a.value || '').trim().slice(0, 40), ring: width,
        where: a.matches(':focus') ? 'element' : 'inside', key: a.outerHTML.slice(0, 200)};
"""


def _missing() -> list[str]:
    problems = []
    if not shutil.which("chromium"):
        problems.append("chromium (apt-get install chromium)")
    if not shutil.which("chromedriver"):
        problems.append("chromedriver (apt-get install chromium-driver)")
    if not AXE.exists():
        problems.append("axe-core (npm ci --prefix tests/browser)")
    if webdriver is None:
        problems.append("selenium (make install)")
    return problems


@pytest.fixture(scope="module")
def tools() -> None:
    missing = _missing()
    if not missing:
        return
    if os.environ.get(OPT_OUT) == "1" and not os.environ.get("CI"):
        pytest.skip(f"{OPT_OUT}=1: the browser checks did not run (missing: {', '.join(missing)})")
    pytest.fail(f"The browser checks need {', '.join(missing)}. Install them, or set {OPT_OUT}=1 to opt out on "
                "this machine (CI never does).", pytrace=False)


@dataclass
class DemoWorld:
    """The demo's rows under the names the route table's url builders use (``w.traject``, ``w.invoice`` ...):
    one that the klantmanager and the provider user may both open, wherever the route table uses one row for
    both."""

    gemeenten: list
    body: object
    providers: list
    target_groups: list
    users: dict
    clients: list
    tender: object
    contract: object
    traject: object
    batch: object
    invoice: object
    export: object
    budget: object
    target: object
    job: object


def _demo_job(owner, batch_id: int):
    """A finished import job of the klantmanager (the demo starts none), so that the job pages have one to show."""
    from app.models import Job, JobKind, JobStatus

    with committed():
        job = Job(kind=JobKind.IMPORT, owner=owner, status=JobStatus.DONE, done=1, total=1, attempts=1,
                  params={"batch_id": batch_id, "only_valid": False}, result={"batch_id": batch_id})
        session.add(job)
    return job


def _demo_world(batch_id: int) -> DemoWorld:
    from app.models import (
        Budget,
        ExecutingBody,
        Gemeente,
        ImportBatch,
        Invoice,
        InvoiceExport,
        PerformanceTarget,
        Provider,
        Tender,
        TrajectEvent,
        User,
    )
    from app.models import TargetGroup as Group

    portal = session.scalar(select(User).where(User.username == DEMO_USERS["provider"]))
    klantmanager = session.scalar(select(User).where(User.username == DEMO_USERS["klantmanager"]))
    own = {g.id for g in klantmanager.gemeenten}
    # The newest outcome the portal's provider reported with evidence that still waits for confirmation.
    event = next(e for e in session.scalars(
        select(TrajectEvent).where(TrajectEvent.evidence_id.is_not(None)).order_by(TrajectEvent.id.desc()))
        if e.traject.provider_id == portal.provider_id and e.traject.gemeente_id in own
        and e.confirmation is None and e.traject.events[-1] is e)
    traject = event.traject
    providers = [portal.provider, *session.scalars(select(Provider).where(Provider.id != portal.provider_id))]
    return DemoWorld(
        gemeenten=list(session.scalars(select(Gemeente).order_by(Gemeente.id))),
        body=session.scalars(select(ExecutingBody)).first(),
        providers=providers,
        target_groups=list(session.scalars(select(Group).order_by(Group.id))),
        users={"inkoper": session.scalar(select(User).where(User.username == "inkoper"))},
        clients=[traject.client],
        tender=session.scalar(select(Tender).where(Tender.reference == "AB-2026-002")),
        contract=traject.contract,
        traject=traject,
        batch=session.get(ImportBatch, batch_id),
        invoice=session.scalars(select(Invoice).where(Invoice.provider_id == portal.provider_id)
                                .order_by(Invoice.id.desc())).first(),
        export=session.scalars(select(InvoiceExport)).first(),
        budget=session.scalars(select(Budget).order_by(Budget.id)).first(),
        target=session.scalars(select(PerformanceTarget).order_by(PerformanceTarget.id)).first(),
        job=_demo_job(klantmanager, batch_id),
    )


@dataclass
class Site:
    base: str
    driver: object
    app: object
    pages: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def login(self, role: str | None) -> None:
        self.driver.delete_all_cookies()
        if role is None:
            return
        self.driver.get(self.base + "/login")
        self.driver.find_element("name", "username").send_keys(DEMO_USERS[role])
        password = self.driver.find_element("name", "password")
        password.send_keys(DEMO_PASSWORD)
        password.submit()
        WebDriverWait(self.driver, 10).until(lambda d: d.find_elements("css selector", "form[action='/logout']"),
                                             f"{role} could not log in")

    def fetch(self, path: str) -> tuple[int, str]:
        """Status and media type of ``path`` for the browser's user, without following a redirect, so that only
        pages (not files, JSON or redirects) are given to the browser."""
        cookies = "; ".join(f"{c['name']}={c['value']}" for c in self.driver.get_cookies())
        # The session is bound to the browser's user agent (Flask-Login's strong session protection).
        agent = self.driver.execute_script("return navigator.userAgent")
        request = urllib.request.Request(self.base + path, headers={"Cookie": cookies, "User-Agent": agent})  # noqa: S310
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request) as response:
                return response.status, response.headers.get_content_type()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get_content_type()

    def axe(self, path: str, rules: dict = WCAG_21_AA) -> list[dict]:
        self.driver.get(self.base + path)
        return self.driver.execute_async_script(RUN_AXE, rules)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _upload_events_file(site: Site, folder: Path) -> int:
    """A klantmanager's events import with one good and one bad row, checked: the batch page with its problems."""
    site.login("klantmanager")
    with site.app.app_context():
        from app.models import Traject, User

        klantmanager = session.scalar(select(User).where(User.username == DEMO_USERS["klantmanager"]))
        reference = session.scalars(select(Traject).where(
            Traject.gemeente_id.in_([g.id for g in klantmanager.gemeenten])).order_by(Traject.id)).first().reference
    site.driver.get(site.base + "/import")
    columns = site.driver.find_element("xpath", "//a[contains(@href, 'events')]/following-sibling::code").text
    blank = [""] * (len(columns.split(";")) - 3)
    rows = [columns, ";".join([reference, "progress_report", "01-01-2026", *blank]),
            ";".join([reference, "bestaat_niet", "31-02-2026", *blank])]
    path = folder / "gebeurtenissen.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    Select(site.driver.find_element("name", "kind")).select_by_value("events")
    site.driver.find_element("name", "file").send_keys(str(path))
    site.driver.find_element("name", "file").submit()
    deadline = time.monotonic() + 30
    while site.driver.find_elements("css selector", "form[data-auto-step]") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not site.driver.find_elements("css selector", "form[data-auto-step]"), "the import check did not finish"
    assert "/import/" in site.driver.current_url, site.driver.current_url
    return int(site.driver.current_url.rstrip("/").rsplit("/", 1)[1])


@pytest.fixture(scope="module")
def site(tools, fresh_database_url, tmp_path_factory) -> Iterator[Site]:
    url = fresh_database_url()
    upgrade(url)
    app = create_app("testing", overrides={"DATABASE_URL": url,
                                           "EVIDENCE_DIR": str(tmp_path_factory.mktemp("evidence"))})
    with app.app_context(), committed():
        load_demo(session)
    quiet = logging.getLogger("werkzeug")
    level, quiet.level = quiet.level, logging.WARNING
    server = serve(app)
    driver = chromium(CHROMIUM_FLAGS, str(tmp_path_factory.mktemp("chromium")))
    driver.set_script_timeout(30)
    # axe-core comes with every document the browser opens (the app's CSP has no say over it), instead of being
    # sent over the wire for each page.
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": AXE.read_text(encoding="utf-8")})
    site = Site(f"http://127.0.0.1:{server.server_port}", driver, app)
    try:
        batch_id = _upload_events_file(site, tmp_path_factory.mktemp("upload"))
        site.pages = _pages(app, batch_id)
        yield site
    finally:
        driver.quit()
        server.shutdown()
        quiet.level = level
        app.extensions["db_bind"].dispose()


def _pages(app, batch_id: int) -> dict[str, list[tuple[str, str]]]:
    """Per role: (endpoint, path) of every GET route of the table that the role may see."""
    from flask import url_for

    pages: dict[str, list[tuple[str, str]]] = {}
    with app.app_context(), app.test_request_context():
        world = _demo_world(batch_id)
        for role in ROLES:
            pages[role] = [(endpoint, url_for(endpoint, **build(world)))
                           for endpoint, (allowed, methods, build) in ROUTES.items()
                           if "GET" in methods and role in allowed and role not in NOT_FOUND_FOR.get(endpoint, ())]
    return pages


def _report(found: list[str]) -> str:
    return f"{len(found)} accessibility violation(s):\n" + "\n".join(found)


def test_every_page_of_every_role_passes_axe(site):
    started = time.monotonic()
    found: list[str] = []
    checked = files = 0
    site.login(None)
    for lang in ("nl", "en"):
        site.driver.get(f"{site.base}/taal/{lang}?next=/login")
        found += [_violation("anonymous", f"/login ({lang})", v, n) for v in site.axe("/login") for n in v["nodes"]]
        checked += 1
    for role in ROLES:
        site.login(role)
        for endpoint, path in site.pages[role]:
            status, media_type = site.fetch(path)
            if status != 200:
                found.append(f"{role} {path} [{endpoint}]: answered {status}, not the page")
                continue
            if media_type != "text/html":
                files += 1
                continue
            found += [_violation(role, f"{path} [{endpoint}]", v, n) for v in site.axe(path) for n in v["nodes"]]
            checked += 1
    site.login("provider")
    for path in (dict(site.pages["admin"])["admin.users"], "/bestaat-niet"):  # the 403 and 404 pages
        found += [_violation("provider", path, v, n) for v in site.axe(path) for n in v["nodes"]]
        checked += 1
    seconds = time.monotonic() - started
    print(f"axe: {checked} pages checked ({files} files and JSON left out) in {seconds:.1f} s")
    assert not found, _report(found)
    assert checked > 150


def test_every_page_of_the_admin_passes_axe_at_320_css_pixels(site):
    """WCAG 1.4.10 (reflow) asks for pages that work 320 CSS pixels wide: there a table that fitted before has to
    scroll, and a region that scrolls has to be reachable by keyboard. The admin sees nearly every page; the rules
    that do not depend on the width were run at full width already."""
    found: list[str] = []
    site.login("admin")
    site.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": 320, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    try:
        assert site.driver.execute_script("return window.innerWidth") == 320
        for endpoint, path in site.pages["admin"]:
            if site.fetch(path) == (200, "text/html"):
                found += [_violation("admin", f"{path} [{endpoint}] at 320 px", v, n)
                          for v in site.axe(path, WIDTH_RULES) for n in v["nodes"]]
    finally:
        site.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert not found, _report(found)


def _violation(who: str, page: str, violation: dict, node: dict) -> str:
    return (f"- {who} {page}: {violation['rule']} ({violation['impact']}): {violation['help']}\n"
            f"    at {node['target']}: {node['summary'].splitlines()[-1].strip() if node['summary'] else ''}")


# Pages whose every tab stop is walked: forms with date and date-time fields, a wide table that scrolls.
KEYBOARD_PAGES = (("inkoper", "tenders.create"), ("management", "reports.comparison"), ("finance", "budgets.index"))


def test_every_tab_stop_shows_a_focus_ring(site):
    found = []
    for role, endpoint in KEYBOARD_PAGES:
        path = dict(site.pages[role])[endpoint]
        site.login(role)
        site.driver.get(site.base + path)
        stops = 0
        first = None
        for _ in range(400):
            ActionChains(site.driver).send_keys(Keys.TAB).perform()
            stop = site.driver.execute_script(FOCUS_RING)
            if stop is None or (first is not None and stop == first):
                break
            first = first or stop
            stops += 1
            if stop["ring"] < 2:
                found.append(f"- {role} {path}: no focus ring on <{stop['tag']}> id={stop['id']!r} "
                             f"name={stop['name']!r} {stop['text']!r} (focus {stop['where']})")
        assert stops > 5, f"{path}: the keyboard reached only {stops} elements"
    assert not found, "tab stops without a visible focus ring:\n" + "\n".join(found)


def test_the_column_choice_hides_a_group_and_the_first_column_stays_in_view(site):
    """The performance table's column choice (js/columns.js) hides a group of columns and remembers it on the
    next visit; scrolled sideways, the table keeps its first column (who the figures are of) in view."""
    site.login("management")
    path = dict(site.pages["management"])["reports.index"]
    site.driver.get(site.base + path)
    driver = site.driver
    shown = "return [...document.querySelectorAll('#performance-table [data-column-group=\"' + arguments[0] + '\"]')]" \
            ".map(c => c.offsetParent !== null)"
    assert driver.find_element("id", "column-choice").is_displayed()
    assert all(driver.execute_script(shown, "plaatsing"))
    driver.find_element("css selector", "#column-choice > summary").click()
    driver.find_element("id", "column-group-plaatsing").click()
    assert not any(driver.execute_script(shown, "plaatsing")) and all(driver.execute_script(shown, "instroom"))
    driver.get(site.base + path)
    assert not any(driver.execute_script(shown, "plaatsing")), "the choice was not remembered"
    assert driver.execute_script("return localStorage.getItem('columns:performance-table')") == '["plaatsing"]'
    driver.execute_script("localStorage.clear()")
    driver.get(site.base + path)
    assert all(driver.execute_script(shown, "plaatsing"))

    driver.set_window_size(900, 900)
    try:
        driver.get(site.base + path)
        left = """const wrap = document.querySelector('#performance-table').closest('.table-scroll');
                  wrap.scrollLeft = 600;
                  const cell = document.querySelector('#performance-table tbody th[scope=row]');
                  const offset = cell.getBoundingClientRect().left - wrap.getBoundingClientRect().left;
                  return [wrap.scrollLeft, Math.round(offset)];"""
        scrolled, offset = driver.execute_script(left)
        assert scrolled > 0, "the table did not scroll sideways at 900 px"
        assert abs(offset) <= 1, f"the first column moved {offset} px out of view"
    finally:
        driver.set_window_size(1280, 1024)


def test_a_payment_model_change_is_simulated_beside_the_form_and_passes_axe(site):
    """The inkoper changes a price in its field and asks for the simulation: the figures appear beside the form
    (not under it) on a laptop screen, with the changed value still in its field, and the page passes axe."""
    site.login("inkoper")
    path = dict(site.pages["inkoper"])["contracts.amend"]
    driver = site.driver
    driver.get(site.base + path)
    price = driver.execute_script("""return [...document.querySelectorAll("input[name^='pm-']")].find(
        i => i.offsetParent !== null && i.value && /(-amount-amount|base_price-default)$/.test(i.name));""")
    assert price is not None, "the form shows no amount to change"
    name = price.get_attribute("name")
    price.clear()
    price.send_keys("1.234,00")
    driver.find_element("css selector", "button[value='preview']").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements("css selector", ".model-preview table"))
    form = driver.find_element("css selector", ".with-aside > form").rect
    aside = driver.find_element("css selector", ".with-aside > aside").rect
    assert aside["x"] >= form["x"] + form["width"], (form, aside)
    assert driver.find_element("name", name).get_attribute("value") == "1.234,00"
    found = [_violation("inkoper", f"{path} (simulated)", v, n)
             for v in driver.execute_async_script(RUN_AXE, WCAG_21_AA) for n in v["nodes"]]
    assert not found, _report(found)
