"""Test fixtures: a real database migrated with Alembic, and one rolled-back transaction per test.

The database is SQLite by default; with ``DATABASE_URL`` pointing at a PostgreSQL server the suite
creates a fresh database on that server for the run and drops it afterwards (one per xdist worker: every
session fixture here exists once per worker process). Each test runs inside an outer transaction that is
rolled back at the end, so the app's own commits (savepoints here) never leak from one test into another.

Building the ``world`` costs far more than most tests that use it. A module marked
``pytestmark = pytest.mark.shared_world`` builds the app and the world once, in a transaction of its own
that is rolled back after the module; each of its tests runs inside a SAVEPOINT of that transaction,
rolled back after the test, and gets the world's rows loaded afresh into its own ``db`` session. A test
there may still write: its writes are gone before the next test starts. A test of such a module that does not
ask for ``world`` runs in that transaction too (its rows are there, unloaded); tests of other modules start from
an empty database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from app import clock, create_app
from app.config import normalise_database_url
from app.db import make_engine
from app.migrate import upgrade

PASSWORD = "correct-horse-battery"


def _server_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "").strip()
    return normalise_database_url(url) if url.startswith(("postgres://", "postgresql")) else None


@pytest.fixture(scope="session")
def fresh_database_url(tmp_path_factory) -> Iterator[Callable[[], str]]:
    """A factory of empty databases: SQLite files, or new databases on the PostgreSQL server."""
    server = _server_url()
    created: list[str] = []

    def make() -> str:
        if server is None:
            return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        name = f"test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        created.append(name)
        return make_url(server).set(database=name).render_as_string(hide_password=False)

    yield make
    if server is not None and created:
        admin = create_engine(make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(fresh_database_url) -> str:
    url = fresh_database_url()
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


def _shares_world(request: pytest.FixtureRequest) -> bool:
    """Every test of a ``shared_world`` module runs in the module's transaction, also one that does not ask for the
    world: on SQLite that transaction holds the write lock (it wrote the world), and a test on a connection of its
    own would wait for it, since every connection outside a request begins IMMEDIATE (``app.db.sqlite_begin``)."""
    return request.node.get_closest_marker("shared_world") is not None


def _make_app(database_url: str, folder, bind):
    overrides = {"DATABASE_URL": database_url, "EVIDENCE_DIR": str(folder / "evidence"),
                 "JOBS_RESULT_DIR": str(folder / "job-results")}
    return create_app("testing", overrides=overrides, bind=bind)


@pytest.fixture(scope="module")
def shared_connection(engine):
    """The connection of a ``shared_world`` module: its world lives in this transaction until the module ends."""
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture(scope="module")
def shared_app(shared_connection, database_url, tmp_path_factory):
    return _make_app(database_url, tmp_path_factory.mktemp("shared"), shared_connection)


@pytest.fixture(scope="module")
def shared_world_keys(shared_app) -> dict:
    """The world of a ``shared_world`` module, built once; kept as (class, id) keys, not as rows of a session."""
    session = shared_app.extensions["db_sessionmaker"]()
    world = _build_world(shared_app, session)
    keys = {f.name: _key(getattr(world, f.name)) for f in fields(world)}
    session.close()
    return keys


@pytest.fixture
def connection(request, engine):
    if _shares_world(request):
        request.getfixturevalue("shared_world_keys")  # built before the savepoint, so it outlives the test
        conn = request.getfixturevalue("shared_connection")
        savepoint = conn.begin_nested()
        yield conn
        if savepoint.is_active:
            savepoint.rollback()
        return
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def app(request, connection, database_url, tmp_path):
    """The app, with no context pushed: each test-client request gets its own app context, as in production."""
    if _shares_world(request):
        return request.getfixturevalue("shared_app")
    return _make_app(database_url, tmp_path, connection)


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def db(app):
    """The test's own session on the shared connection; call ``db.expire_all()`` to see what requests did."""
    session = app.extensions["db_sessionmaker"]()
    yield session
    session.close()


@dataclass
class World:
    """A small, known world: two gemeenten in one body, a third on its own, providers, a user per role."""

    gemeenten: list
    body: object
    providers: list
    target_groups: list
    users: dict
    clients: list
    tender: object = None
    contract: object = None
    traject: object = None
    batch: object = None
    invoice: object = None
    export: object = None
    budget: object = None
    target: object = None
    transfer: object = None
    job: object = None


def _key(value):
    if value is None:
        return None
    if isinstance(value, list):
        return [_key(item) for item in value]
    if isinstance(value, dict):
        return {name: _key(item) for name, item in value.items()}
    return type(value), value.id


def _load(db, key):
    if key is None:
        return None
    if isinstance(key, list):
        return [_load(db, item) for item in key]
    if isinstance(key, dict):
        return {name: _load(db, item) for name, item in key.items()}
    model, ident = key
    return db.get(model, ident)


@pytest.fixture
def world(request, app, db) -> World:
    if _shares_world(request):
        world = World(**{name: _load(db, key) for name, key in request.getfixturevalue("shared_world_keys").items()})
        db.expire_all()  # every attribute is read when first used, so what a request changed is seen
        return world
    return _build_world(app, db)


def _build_world(app, db) -> World:
    from app.auth.passwords import hash_password
    from app.models import (
        BenefitType,
        Client,
        ExecutingBody,
        Gemeente,
        Provider,
        ProviderContact,
        ProviderStatus,
        QualityMark,
        Role,
        TargetGroup,
        User,
    )

    db.info["actor"] = (None, "test")
    body = ExecutingBody(name="Sociale Dienst Testland", description="")
    g1 = Gemeente(name="Aastad", cbs_code="GM8001", executing_body=body, oin="00000001001234567000",
                  street="Raadhuisplein 1", postcode="1234 AB", city="Aastad")
    g2 = Gemeente(name="Beedorp", cbs_code="GM8002", executing_body=body, oin="00000001007654321000",
                  street="Dorpsstraat 2", postcode="2345 BC", city="Beedorp")
    g3 = Gemeente(name="Ceeveen", cbs_code="GM8003")
    groups = [TargetGroup(code="algemeen", name="Algemeen"), TargetGroup(code="jongeren", name="Jongeren")]
    today = clock.today()
    p1 = Provider(name="Werk Eerst B.V.", kvk_number="12345678", vat_number="NL111222333B01",
                  iban="NL91ABNA0417164300", street="Werkweg", house_number="10", postcode="1234 CD",
                  city="Aastad", status=ProviderStatus.ACTIVE)
    p1.quality_marks.append(QualityMark(name="Keurmerk", valid_until=today + timedelta(days=200)))
    p1.contacts.append(ProviderContact(name="Petra Contact", function="Accountmanager", email="petra@werkeerst.nl"))
    p2 = Provider(name="Stap Twee", kvk_number="87654321", vat_number="NL123456782B01",
                  iban="NL20INGB0001234567", city="Beedorp", status=ProviderStatus.REFERRAL_STOP,
                  status_reason="Evaluatie", status_since=today)
    p2.quality_marks.append(QualityMark(name="Keurmerk", valid_until=today - timedelta(days=1)))
    db.add_all([body, g1, g2, g3, *groups, p1, p2])
    with app.app_context():
        hashed = hash_password(PASSWORD)
    users = {
        "admin": User(username="admin", full_name="Admin", email="a@x.nl", role=Role.ADMIN),
        "inkoper": User(username="inkoper", full_name="Inkoper", email="i@x.nl", role=Role.INKOPER),
        "klantmanager": User(username="klantmanager", full_name="Klantmanager", email="k@x.nl",
                             role=Role.KLANTMANAGER, gemeenten=[g1, g2]),
        "klantmanager_c": User(username="klantmanager_c", full_name="Klantmanager C", email="kc@x.nl",
                               role=Role.KLANTMANAGER, gemeenten=[g3]),
        "finance": User(username="finance", full_name="Finance", email="f@x.nl", role=Role.FINANCE),
        "finance2": User(username="finance2", full_name="Finance Twee", email="f2@x.nl", role=Role.FINANCE),
        "finance3": User(username="finance3", full_name="Finance Drie", email="f3@x.nl", role=Role.FINANCE),
        "management": User(username="management", full_name="Management", email="m@x.nl", role=Role.MANAGEMENT),
        "provider": User(username="provider", full_name="Provider", email="p@x.nl", role=Role.PROVIDER, provider=p1),
    }
    for user in users.values():
        user.password_hash = hashed
    db.add_all(users.values())
    clients = []
    for i, (bsn, gemeente) in enumerate((("111222333", g1), ("123456782", g2), ("100000009", g3))):
        client = Client(bsn=bsn, first_name=f"Voornaam{i}", last_name=f"Achternaam{i}", gemeente=gemeente,
                        benefit_type=BenefitType.PARTICIPATIEWET, monthly_benefit=Decimal("1250.00"),
                        target_group=groups[0],
                        klantmanager=users["klantmanager"] if gemeente is not g3 else users["klantmanager_c"])
        client.assess(2, 3, today - timedelta(days=30))
        clients.append(client)
    db.add_all(clients)
    tender, contract = _procurement(db, [g1, g2], groups[0], p1)
    traject = _traject(app, db, clients[0], contract, users)
    batch = _batch(db, users["klantmanager"], traject)
    db.commit()
    db.info.pop("actor")
    invoice, export = _invoicing(app, db, contract, users["finance"])
    from app.models import Budget, PerformanceTarget

    budget = Budget(gemeente=g3, year=today.year - 5, funding_source="Participatiebudget", amount=Decimal("1000.00"))
    target = PerformanceTarget(indicator="placement_rate", year=today.year - 5, gemeente=g1, target=Decimal("38"),
                               tolerance=Decimal("2"))
    db.add_all([budget, target])
    from app.models import ClientTransfer, Job, JobKind, JobStatus

    # Ceeveen asks Beedorp for its client: the klantmanager of Aastad and Beedorp decides.
    transfer = ClientTransfer(client=clients[1], from_gemeente=g2, to_gemeente=g3,
                              requested_by=users["klantmanager_c"])
    job = Job(kind=JobKind.IMPORT, owner=users["klantmanager"], status=JobStatus.DONE, done=2, total=2, attempts=1,
              params={"batch_id": batch.id, "only_valid": False, "today": today.isoformat()},
              result={"batch_id": batch.id, "refusal": "Dit bestand kan nu niet worden geïmporteerd."})
    db.add_all([transfer, job])
    db.commit()
    return World([g1, g2, g3], body, [p1, p2], groups, users, clients, tender, contract, traject, batch, invoice,
                 export, budget, target, transfer, job)


def _invoicing(app, db, contract, finance):
    """A draft self-billing invoice for what the traject earned by its start (70% of 2500), made by a payment
    run of ``finance`` through the service, and an (empty) export batch."""
    from app.db import session
    from app.invoicing.services import payment_run
    from app.models import Contract, Invoice, InvoiceExport, User

    today = clock.today()
    with app.app_context():
        session.info["actor"] = (finance.id, finance.username)
        run = payment_run([session.get(Contract, contract.id)], (today - timedelta(days=60), today),
                          session.get(User, finance.id), today)
        export = InvoiceExport(created_by_id=finance.id)
        session.add(export)
        session.commit()
        ids = run.invoices[0].id, export.id
    return db.get(Invoice, ids[0]), db.get(InvoiceExport, ids[1])


def _batch(db, owner, traject):
    """A checked events import of one progress report, uploaded by the klantmanager."""
    import hashlib

    from app.models import ImportBatch, ImportKind, ImportStatus
    from app.trajecten.imports import EVENT_COLUMNS

    row = [traject.reference, "progress_report", clock.today().isoformat()] + [""] * (len(EVENT_COLUMNS) - 3)
    content = ";".join(EVENT_COLUMNS) + "\n" + ";".join(row) + "\n"
    digest = hashlib.sha256(content.encode()).hexdigest()
    batch = ImportBatch(kind=ImportKind.EVENTS, filename="rapportage.csv", sha256=digest, content=content,
                        status=ImportStatus.CHECKED, total_rows=1, checked_rows=1, problems=[], uploaded_by=owner)
    db.add(batch)
    return batch


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _traject(app, db, client, contract, users):
    """A running traject of the first client: accepted, started, and a placement the provider reported
    with evidence, not yet confirmed."""
    import hashlib
    from pathlib import Path

    from app.models import EvidenceFile, Traject, TrajectEvent
    from app.projections import keep_events
    from contracts.events import EventType, WorkKind

    today = clock.today()
    referral = today - timedelta(days=40)
    traject = Traject(client=client, contract=contract, contract_version=contract.versions[0],
                      provider=contract.provider, gemeente=client.gemeente, client_group="algemeen",
                      price=Decimal("2500.00"), referral_date=referral, referred_by=users["klantmanager"],
                      phase_at_referral=client.phase)
    db.add(traject)
    db.flush()  # an id for the evidence
    digest = hashlib.sha256(PDF_BYTES).hexdigest()
    folder = Path(app.config["EVIDENCE_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / digest).write_bytes(PDF_BYTES)
    evidence = EvidenceFile(traject_id=traject.id, filename="arbeidsovereenkomst.pdf", media_type="application/pdf",
                            size=len(PDF_BYTES), sha256=digest, uploaded_by=users["provider"])
    provider = users["provider"]
    traject.events.extend([
        TrajectEvent(type=EventType.ACCEPTED, event_date=referral + timedelta(days=2), recorded_by=provider,
                     by_provider=True),
        TrajectEvent(type=EventType.STARTED, event_date=referral + timedelta(days=10), recorded_by=provider,
                     by_provider=True),
        TrajectEvent(type=EventType.PLACEMENT, event_date=today - timedelta(days=5), employer="Bakkerij Aastad",
                     hours_per_week=Decimal("32"), work_kind=WorkKind.REGULAR, contract_months=12,
                     recorded_by=provider, by_provider=True, evidence=evidence),
    ])
    db.flush()
    keep_events(traject)
    return traject


TIERS_MODEL = {
    "schema_version": 1, "name": "Treden", "base_price": {"default": "2500.00"},
    "milestones": {"effort": {"event": "started"}, "work": {"event": "placement", "kinds": ["regular"]}},
    "rules": [{"id": "price", "type": "tiers", "tiers": [{"milestone": "effort", "amount": {"percent": "70"}},
                                                         {"milestone": "work", "amount": {"percent": "100"}}]}],
}


def _procurement(db, gemeenten, target_group, provider):
    """A published tender with one lot, criteria and one bid; and an active contract with one version."""
    from datetime import datetime

    from app.models import (
        AwardCriterion,
        Bid,
        Contract,
        ContractStatus,
        ContractVersion,
        Lot,
        Procedure,
        SelectionCriterion,
        Tender,
    )
    from contracts.procurement import TenderStatus

    today = clock.today()
    tender = Tender(reference="AB-TEST-1", title="Re-integratie Testland", procedure=Procedure.OPEN,
                    status=TenderStatus.PUBLISHED, publication_date=today - timedelta(days=30),
                    questions_deadline=today - timedelta(days=10),
                    closing_at=datetime.combine(today + timedelta(days=10), datetime.min.time()),
                    intended_award_date=today + timedelta(days=20), gemeenten=gemeenten)
    lot = Lot(number=1, title="Werkfit", target_group=target_group, expected_volume=40,
              price_ceiling=Decimal("3000.00"), award_count=2, payment_model=TIERS_MODEL)
    tender.lots.append(lot)
    tender.selection_criteria.append(SelectionCriterion(name="Solvabiliteit"))
    tender.award_criteria.extend([AwardCriterion(name="Kwaliteit", weight=60),
                                  AwardCriterion(name="Prijs", weight=40, is_price=True)])
    lot.bids.append(Bid(provider=provider, price=Decimal("2400.00"),
                        submitted_at=datetime.combine(today - timedelta(days=1), datetime.min.time())))
    contract = Contract(number="C-TEST-1", title="Werkfit Aastad", provider=provider, lot=lot,
                        status=ContractStatus.ACTIVE, start_date=today - timedelta(days=60),
                        end_date=today + timedelta(days=300), volume_ceiling=40,
                        budget_ceiling=Decimal("100000.00"), gemeenten=gemeenten)
    contract.versions.append(ContractVersion(number=1, effective_from=contract.start_date, reason="Gunning",
                                             payment_model=TIERS_MODEL))
    db.add_all([tender, contract])
    return tender, contract


@pytest.fixture
def client(app):
    return app.test_client()


def login(test_client, username: str, password: str = PASSWORD):
    return test_client.post("/login", data={"username": username, "password": password})


@pytest.fixture
def as_role(app, world):
    """``as_role("klantmanager")`` gives a test client logged in as that demo user."""

    def make(name: str):
        c = app.test_client()
        response = login(c, name)
        assert response.status_code == 302, response.data
        return c

    return make


def statements_of(connection, action) -> int:
    """How many SQL statements ``action()`` issues on the test's connection: for tests that hold that number
    fixed as the data grow (a page or a run that reads per record would grow with them)."""
    from sqlalchemy import event

    seen = []

    def note(*_args):
        seen.append(1)

    event.listen(connection, "before_cursor_execute", note)
    try:
        action()
    finally:
        event.remove(connection, "before_cursor_execute", note)
    return len(seen)


def tbody(page: str) -> str:
    """The rows of the first table on a page, so that assertions don't match menus or side lists."""
    return page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def field_error(page: str, field: str) -> str:
    """The error text shown next to one form field."""
    return page.split(f'id="{field}-error"', 1)[1].split("</p>", 1)[0]
