"""Provider performance in SQL against the same indicators computed in Python by hand and by
:mod:`contracts.indicators`; the trajecten behind a figure; targets; the pages and who may see them.

The dataset is a handful of trajecten whose facts are set directly (the kept copy the service writes), so
every figure can be worked out by hand. Placements etc. are dated relative to a fixed period.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app import clock
from app.models import PerformanceTarget, Traject
from contracts.events import EventType
from contracts.indicators import INDICATORS, Basis, fact_row, figure, members, months_between
from tests.test_trajecten import error_at, text

PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
D = date


def make(db, world, provider, referral, phase=2, group="algemeen", **facts):
    """A closed traject of the world's contract with the given facts (no open lot, so any client will do)."""
    contract = world.contract
    t = Traject(client=world.clients[1], contract=contract, contract_version=contract.versions[0],
                provider=provider, gemeente=world.gemeenten[1], client_group=group, price=Decimal("2500.00"),
                referral_date=referral, referred_by=world.users["klantmanager"], phase_at_referral=phase,
                status="ended", open_lot_key=None, last_event_on=referral, **facts)
    db.add(t)
    return t


@pytest.fixture
def dataset(db, world):
    """Provider A (p1): 6 referred in 2025; provider B (p2): 3 referred in 2025, 1 in 2024.

    A: a1 accepted, started 10 days later, placed regular 40 days after start, durable;
       a2 accepted, started, placed subsidised;  a3 accepted, started, dropped out;
       a4 accepted, started (placement in 2026, outside the period on an event basis);
       a5 refused;  a6 accepted, returned.
    B: b1 accepted, started, placed regular;  b2 accepted, started;  b3 accepted (not started);
       b0 referred in 2024, started in 2025 and placed in 2025 (counts on an event basis, not in the cohort).
    """
    p1, p2 = world.providers
    rows = [
        make(db, world, p1, D(2025, 2, 1), phase=1, accepted_on=D(2025, 2, 3), started_on=D(2025, 2, 11),
             placed_on=D(2025, 3, 23), placement_kind="regular", durable_on=D(2025, 9, 30)),
        make(db, world, p1, D(2025, 3, 1), phase=2, accepted_on=D(2025, 3, 2), started_on=D(2025, 3, 21),
             placed_on=D(2025, 6, 1), placement_kind="subsidised"),
        make(db, world, p1, D(2025, 4, 1), phase=3, accepted_on=D(2025, 4, 2), started_on=D(2025, 4, 5),
             dropped_out_on=D(2025, 5, 1)),
        make(db, world, p1, D(2025, 11, 1), phase=3, accepted_on=D(2025, 11, 2), started_on=D(2025, 11, 20),
             placed_on=D(2026, 1, 15), placement_kind="regular"),
        make(db, world, p1, D(2025, 5, 1), phase=4, refused_on=D(2025, 5, 3)),
        make(db, world, p1, D(2025, 6, 1), phase=4, accepted_on=D(2025, 6, 2), returned_on=D(2025, 7, 1)),
        make(db, world, p2, D(2025, 2, 1), phase=1, accepted_on=D(2025, 2, 2), started_on=D(2025, 2, 5),
             placed_on=D(2025, 2, 25), placement_kind="regular", exited_on=D(2025, 3, 1), exit_reason="work"),
        make(db, world, p2, D(2025, 3, 1), phase=3, accepted_on=D(2025, 3, 2), started_on=D(2025, 3, 9)),
        make(db, world, p2, D(2025, 9, 1), phase=2, accepted_on=D(2025, 9, 2)),
        make(db, world, p2, D(2024, 12, 1), phase=2, accepted_on=D(2024, 12, 2), started_on=D(2025, 1, 6),
             placed_on=D(2025, 4, 1), placement_kind="regular"),
    ]
    db.commit()
    return rows


def query(**kw):
    from app.reports.services import Query

    return Query(period=kw.pop("period", PERIOD), **kw)


def python_rows(db):
    """Every traject's fact row, as the pure module reads them."""
    from contracts.indicators import FACT_FIELDS, Facts

    out = []
    for t in db.scalars(select(Traject)):
        row = fact_row(t.referral_date, Facts(**{f: getattr(t, f) for f in FACT_FIELDS}))
        row.update(id=t.id, provider_id=t.provider_id)
        out.append(row)
    return out


# --- SQL equals the definitions -------------------------------------------------------------------


def test_worked_figures_by_hand(app, dataset, world):
    from app.reports.services import table

    with app.app_context():
        t = table(query())
    a = {key: figs for key, _label, figs in t.rows}[world.providers[0].id]
    b = {key: figs for key, _label, figs in t.rows}[world.providers[1].id]
    # A: 6 referred, 5 accepted, 1 refused; 4 started, 3 placed (a4's placement in 2026 counts in the cohort).
    assert (a["referrals"].numerator, a["acceptance_rate"].numerator, a["acceptance_rate"].denominator) == (6, 5, 6)
    assert (a["placement_rate"].numerator, a["placement_rate"].denominator) == (3, 4)
    assert a["placement_rate"].value == Decimal("0.75")
    assert (a["regular_placement_rate"].numerator, a["subsidised_placement_rate"].numerator) == (2, 1)
    assert (a["durable_rate"].numerator, a["dropout_rate"].numerator) == (1, 1)
    assert (a["return_rate"].numerator, a["return_rate"].denominator) == (1, 5)
    # Median days referral→start over A's starts: 10, 20, 4, 19 → (10 + 19) / 2 = 14.5.
    assert a["days_to_start"].value == Decimal("14.5")
    # B's cohort has 3 referrals (b0 was referred in 2024): 2 started, 1 placed; nobody exited but b1.
    assert (b["referrals"].numerator, b["placement_rate"].numerator, b["placement_rate"].denominator) == (3, 1, 2)
    assert (b["work_exit_rate"].numerator, b["fall_back_rate"].denominator) == (1, 1)
    assert b["fall_back_rate"].value == Decimal("0")
    # Totals add up over the groups; a group too small to judge says so.
    assert t.total["referrals"].numerator == 9
    assert not a["placement_rate"].judgeable


def test_event_basis_counts_what_happened_in_the_period(app, dataset, world):
    from app.reports.services import table

    with app.app_context():
        t = table(query(basis=Basis.EVENT))
    b = {key: figs for key, _label, figs in t.rows}[world.providers[1].id]
    # On an event basis b0 (referred in 2024) counts: starts in 2025 are b1, b2, b0; placements b1, b0.
    assert (b["starts"].numerator, b["placements"].numerator) == (3, 2)
    assert b["placement_rate"].interval is None  # no share of one group, so no interval
    a = {key: figs for key, _label, figs in t.rows}[world.providers[0].id]
    assert a["placements"].numerator == 2  # a4's placement fell in 2026

@pytest.fixture
def costs(app, db, world, dataset):
    """Exits, a fall-back, one client benefit and invoice lines on the dataset, for the money table.

    a1 exits 2025-04-30; a2 exits 2025-07-15 and falls back 2025-10-14; b1 exited 2025-03-01 already.
    Approved lines: a1 1000.00 (due 2025-03-31), a2 750.50 (due 2026-02-01), a3 250.00 (due 2025-04-10),
    b1 500.00 (due 2025-02-28) and -200.00 (due 2025-05-01), b0 400.00 (due 2025-04-30); a draft line of
    300.00 for a1 does not count.
    """
    from invoicing.status import InvoiceStatus
    from tests.test_approved_cost import project_costs
    from tests.test_budgets import add_invoice

    a1, a2, a3, _a4, _a5, _a6, b1, _b2, _b3, b0 = dataset
    a1.exited_on, a1.exit_reason = D(2025, 4, 30), "work"
    a2.exited_on, a2.exit_reason, a2.fell_back_on = D(2025, 7, 15), "work", D(2025, 10, 14)
    world.clients[1].monthly_benefit = Decimal("1234.56")
    db.commit()
    g = world.gemeenten[1]
    s = InvoiceStatus
    for traject, due, amount, status in (
            (a1, D(2025, 3, 31), "1000.00", s.APPROVED), (a2, D(2026, 2, 1), "750.50", s.PAID),
            (a3, D(2025, 4, 10), "250.00", s.EXPORTED), (b1, D(2025, 2, 28), "500.00", s.APPROVED),
            (b1, D(2025, 5, 1), "-200.00", s.APPROVED), (b0, D(2025, 4, 30), "400.00", s.APPROVED),
            (a1, D(2025, 6, 30), "300.00", s.DRAFT)):
        add_invoice(db, world.contract, status, [(g, due, amount)], traject=traject)
    project_costs(app)
    return dataset


AS_OF = D(2026, 6, 30)  # a1's and b1's exits are more than 12 months back by then: the horizon caps them


def test_money_on_a_cohort_basis_by_hand(app, costs, world):
    from app.reports.services import Money, money, totals_of

    with app.app_context():
        rows = money(query(), AS_OF)
    a, b = (rows[p.id] for p in world.providers)
    # A: a1 + a2 + a3 = 2000.50 (the draft does not count; a2's line falls due in 2026 but a2 is in the cohort);
    # placements a1, a2, a4; durable a1. Months: a1 12 (capped), a2 2 (07-15 to the fall-back on 10-14).
    assert a == Money(Decimal("2000.50"), 3, 1, 14, Decimal("17283.84"))
    assert (a.per_placement, a.per_durable, a.cost_saving_ratio) == (Decimal("666.83"), Decimal("2000.50"),
                                                                       Decimal("0.12"))
    # B: b1's 500.00 less its 200.00 clawback; b0 was referred in 2024 and is not in the cohort.
    assert b == Money(Decimal("300.00"), 1, 0, 12, Decimal("14814.72"))
    assert b.per_durable is None  # no durable placement: no cost per durable placement, and no error
    assert totals_of(rows).cost == Decimal("2300.50")


def test_money_on_an_event_basis_by_hand(app, costs, world):
    from app.reports.services import Money, money

    with app.app_context():
        rows = money(query(basis=Basis.EVENT), AS_OF)
        by_phase = money(query(basis=Basis.EVENT, group_by="phase"), AS_OF)
    a, b = (rows[p.id] for p in world.providers)
    # Lines due in 2025: A a1 1000.00 + a3 250.00; B 300.00 + b0 400.00. Placements in 2025: a1, a2; b1, b0.
    assert a == Money(Decimal("1250.00"), 2, 1, 14, Decimal("17283.84"))
    assert b == Money(Decimal("700.00"), 2, 0, 12, Decimal("14814.72"))
    # Phase 3 (a3, a4, b2) had cost in 2025 but no placement: it is still a row.
    assert by_phase[3] == Money(Decimal("250.00"), 0, 0, 0, Decimal("0.00"))
    assert by_phase[3].per_placement is None and by_phase[3].cost_saving_ratio is None


def test_benefit_saved_in_sql_equals_the_python_rule(app, db, costs):
    from app.reports.services import HORIZON_MONTHS, money, totals_of
    from contracts.indicators import euros_saved, months_off_benefit

    expected_months, expected_euros = 0, Decimal("0.00")
    for t in db.scalars(select(Traject).where(Traject.referral_date.between(*PERIOD))):
        m = months_off_benefit(t.exited_on, t.fell_back_on, AS_OF, HORIZON_MONTHS)
        expected_months += m
        expected_euros += euros_saved(m, t.client.monthly_benefit)
    with app.app_context():
        total = totals_of(money(query(), AS_OF))
    assert (total.months_saved, total.euros_saved) == (expected_months, expected_euros) == (26, Decimal("32098.56"))



@pytest.mark.parametrize("basis", list(Basis))
def test_every_indicator_in_sql_equals_the_python_definition(app, db, dataset, world, basis):
    from app.reports.services import table

    with app.app_context():
        t = table(query(basis=basis))
    rows = python_rows(db)
    for key, _label, figures in t.rows:
        mine = [r for r in rows if r["provider_id"] == key]
        for ind in INDICATORS.values():
            expected = figure(ind, mine, basis, PERIOD)
            got = figures[ind.id]
            assert (got.numerator, got.denominator, got.value, got.interval) == (
                expected.numerator, expected.denominator, expected.value, expected.interval), (key, ind.id)


def test_an_empty_group_gives_no_value_and_no_error(app, dataset):
    from app.reports.services import table

    with app.app_context():
        t = table(query(period=(D(2030, 1, 1), D(2030, 12, 31))))
    assert t.rows == []
    assert t.total["placement_rate"].value is None and t.total["placement_rate"].denominator == 0
    assert t.total["days_to_start"].value is None
    assert t.total["referrals"].value == 0


@pytest.mark.parametrize("part", ["numerator", "denominator"])
def test_the_trajecten_behind_a_figure_are_exactly_those_counted(app, db, dataset, world, part):
    from app.reports.services import members as sql_members

    rows = python_rows(db)
    for basis in Basis:
        for ind in INDICATORS.values():
            with app.app_context():
                found, total = sql_members(query(basis=basis), ind.id, part, world.providers[0].id)
            expected = {r["id"] for r in members(ind, [r for r in rows if r["provider_id"] == world.providers[0].id],
                                                 part, basis, PERIOD)}
            assert {t.id for t in found} == expected, (basis, ind.id)
            assert total == len(expected)


DATE_PAIRS = [(D(2025, 1, 15), D(2025, 2, 15)), (D(2025, 1, 15), D(2025, 2, 14)), (D(2025, 1, 31), D(2025, 2, 28)),
              (D(2024, 1, 31), D(2024, 2, 28)), (D(2024, 1, 31), D(2024, 2, 29)), (D(2025, 3, 31), D(2025, 4, 30)),
              (D(2025, 12, 31), D(2026, 1, 31)), (D(2025, 5, 10), D(2027, 5, 9)), (D(2025, 5, 10), D(2025, 5, 10))]


def test_calendar_months_in_sql_equal_the_python_rule(app):
    from app.db import session
    from app.reports.sql import as_date
    from app.reports.sql import months_between as sql_months

    with app.app_context():
        for a, b in DATE_PAIRS:
            assert session.scalar(select(sql_months(as_date(a), as_date(b)))) == months_between(a, b), (a, b)


def test_calendar_months_and_date_parts_in_sql_equal_python_for_any_dates(app):
    """Over many random pairs, in one statement: the SQLite form cuts the digits from the date's text."""
    import random

    from sqlalchemy import literal_column, union_all

    from app.db import session
    from app.reports.sql import as_date, day_of, month_of, year_of
    from app.reports.sql import months_between as sql_months

    pick = random.Random(15)
    pairs = []
    for _ in range(300):
        a = D(2000, 1, 1) + timedelta(days=pick.randrange(12_000))
        pairs.append((a, a + timedelta(days=pick.randrange(2_000))))
    rows = union_all(*(select(literal_column(str(i)).label("i"), sql_months(as_date(a), as_date(b)),
                              year_of(as_date(b)), month_of(as_date(b)), day_of(as_date(b)))
                       for i, (a, b) in enumerate(pairs)))
    with app.app_context():
        found = {int(i): tuple(int(v) for v in rest) for i, *rest in session.execute(rows)}
    assert found == {i: (months_between(a, b), b.year, b.month, b.day) for i, (a, b) in enumerate(pairs)}


# --- fair comparison ------------------------------------------------------------------------------


def test_standardisation_against_a_hand_worked_example(app, dataset, world):
    """Placement (placed / started) per stratum (group algemeen, phase) over both providers:
    phase 1: A 1/1, B 1/1 → 2/2;  phase 2: A 1/1 → 1/1;  phase 3: A 1/2 (a3 no, a4 yes), B 0/1 → 1/3.
    A's mix: phase 1 ×1, 2 ×1, 3 ×2 → expected (1·1 + 1·1 + 2·1/3) / 4 = (8/3) / 4 = 2/3; actual 3/4.
    B's mix: phase 1 ×1, 3 ×1 → expected (1 + 1/3) / 2 = 2/3; actual 1/2; ratio 0.75."""
    from app.reports.services import fairness

    with app.app_context():
        found = {s.provider_id: s for s in fairness(query(), clock.today())[0]}
    a, b = found[world.providers[0].id], found[world.providers[1].id]
    assert (a.placed, a.started) == (3, 4) and (b.placed, b.started) == (1, 2)
    assert a.expected.quantize(Decimal("0.0001")) == Decimal("0.6667")
    assert a.ratio.quantize(Decimal("0.0001")) == Decimal("1.1250")
    assert b.ratio.quantize(Decimal("0.0001")) == Decimal("0.7500")
    assert b.interval[0] < b.ratio < b.interval[1]


def test_refusals_and_returns_by_phase(app, dataset, world):
    from app.reports.services import fairness

    with app.app_context():
        found = {s.provider_id: s for s in fairness(query(), clock.today())[1]}
    a = found[world.providers[0].id]
    assert (a.by_phase[4]["refusal_rate"].numerator, a.by_phase[4]["refusal_rate"].denominator) == (1, 2)
    assert (a.by_phase[4]["return_rate"].numerator, a.by_phase[4]["return_rate"].denominator) == (1, 1)
    assert a.by_phase[1]["refusal_rate"].numerator == 0


def test_parking_counts_the_open_trajecten_without_events_for_long(app, db, dataset, world):
    """Open trajecten as of today, whatever their referral date; inactive: no event for INACTIVE_DAYS. A
    provider with only such trajecten has no rate to standardise: it is in the parking table only."""
    from app.models import Provider
    from app.reports.services import INACTIVE_DAYS, fairness

    today = clock.today()
    with app.app_context():
        rates, _signs = fairness(query(), today)
    provider = Provider(name="Derde Stap", kvk_number="11223344", vat_number="NL000099998B57",
                        iban="NL91ABNA0417164300")
    db.add(provider)
    for days_quiet in (INACTIVE_DAYS + 1, INACTIVE_DAYS + 40, 3):
        t = make(db, world, provider, today - timedelta(days=900))  # referred long before the period
        t.status, t.last_event_on = "started", today - timedelta(days=days_quiet)
    make(db, world, provider, today - timedelta(days=900)).last_event_on = today - timedelta(days=400)  # closed
    db.commit()
    with app.app_context():
        rates_after, signs = fairness(query(), today)
    found = {s.provider_id: s for s in signs}
    assert (found[provider.id].open, found[provider.id].inactive, found[provider.id].by_phase) == (3, 2, {})
    assert rates_after == rates  # referred long before the period, they count in no rate


def test_cohort_curves_accumulate_placements_by_month_since_start(app, dataset, world):
    from app.reports.services import cohort_curves

    with app.app_context():
        curves = cohort_curves(query(), horizon=3)
    # A started 4 in 2025: a1 placed after 1 month (11-02 → 23-03), a2 after 2 (21-03 → 01-06),
    # a4 after 1 (20-11 → 15-01), a3 never: 0, 2/4, 3/4, 3/4.
    assert curves["Werk Eerst B.V."] == [(0, Decimal(0)), (1, Decimal("0.5")), (2, Decimal("0.75")),
                                         (3, Decimal("0.75"))]


# --- facts are kept from confirmed events ---------------------------------------------------------


def test_facts_follow_events_and_count_outcomes_only_once_confirmed(as_role, db, world):
    traject = db.get(Traject, world.traject.id)
    assert traject.started_on is not None and traject.accepted_on is not None
    assert traject.placed_on is None  # the provider's placement awaits confirmation
    placement = next(e for e in traject.events if e.type == EventType.PLACEMENT)
    r = as_role("klantmanager").post(f"/trajecten/{traject.id}/gebeurtenissen/{placement.id}/bevestigen",
                                     data={"note": "gezien"}, content_type="multipart/form-data")
    assert r.status_code == 302
    db.expire_all()
    traject = db.get(Traject, world.traject.id)
    assert traject.placed_on == placement.event_date and traject.placement_kind == "regular"


# --- pages ----------------------------------------------------------------------------------------


def test_the_performance_page_shows_definitions_sizes_and_links(as_role, dataset, world):
    r = as_role("management").get("/rapportages/?start=2025-01-01&end=2025-12-31")
    assert r.status_code == 200
    page = text(r)
    assert INDICATORS["placement_rate"].definition in page
    assert "cohort: trajecten verwezen in de periode" in page
    assert "75,0%" in page and "te klein om te oordelen" in page
    links = re.findall(r'href="(/rapportages/trajecten\?[^"]*)"', page)
    assert any("indicator=placement_rate" in link and "part=numerator" in link for link in links)


def test_the_drill_down_page_lists_the_counted_trajecten_without_client_names(as_role, dataset, world):
    url = (f"/rapportages/trajecten?start=2025-01-01&end=2025-12-31&indicator=placement_rate&part=numerator"
           f"&group={world.providers[0].id}")
    page = text(as_role("inkoper").get(url))
    assert "3 trajecten tellen mee" in page
    for t in dataset[:4]:
        assert (t.reference in page) is (t.placed_on is not None)
    assert world.clients[1].last_name not in page
    assert as_role("inkoper").get("/rapportages/trajecten?indicator=nope&part=numerator").status_code == 404


def test_a_bad_period_is_said_at_the_field(as_role, world):
    r = as_role("management").get("/rapportages/?start=2025-12-31&end=2025-01-01")
    assert "vóór het begin" in error_at(r, "end")


def test_targets_are_validated_and_judged_with_their_tolerance(as_role, db, dataset, world):
    c = as_role("management")
    base = {"indicator": "referrals", "year": "2025", "contract_id": str(world.contract.id), "gemeente_id": "0",
            "target": "10", "tolerance": "1"}
    r = c.post("/rapportages/doelen/nieuw", data={**base, "gemeente_id": str(world.gemeenten[0].id)})
    assert r.status_code == 422 and "één van beide" in error_at(r, "gemeente_id")
    assert c.post("/rapportages/doelen/nieuw", data=base).status_code == 302
    r = c.post("/rapportages/doelen/nieuw", data=base)
    assert r.status_code == 422 and "al een doel" in error_at(r, "indicator")
    def lights() -> str:
        return text(c.get("/rapportages/doelen?jaar=2025")).split("<tbody>", 1)[1].split("</tbody>", 1)[0]

    page = lights()
    # 9 referrals dated 2025 on the contract (counts are judged on the events of the year) against 10 ± 1:
    # reached, although 9 is a small number (a count is exact); 11 ± 1 is nearly; 20 ± 1 is not reached.
    assert "gehaald" in page and "bijna" not in page and "geen oordeel" not in page
    target = db.scalar(select(PerformanceTarget).where(PerformanceTarget.year == 2025))
    assert c.post(f"/rapportages/doelen/{target.id}/bewerken", data={**base, "target": "11"}).status_code == 302
    assert "bijna gehaald" in lights()
    assert c.post(f"/rapportages/doelen/{target.id}/bewerken", data={**base, "target": "20"}).status_code == 302
    assert "niet gehaald" in lights()


def test_the_targets_page_reads_the_trajecten_a_fixed_number_of_times(as_role, db, dataset, world, connection):
    """One grouped table per basis and kind of target, however many targets there are (no query per target)."""
    from sqlalchemy import event

    def target(indicator, **owner):
        db.add(PerformanceTarget(indicator=indicator, year=2025, target=Decimal("10"), tolerance=Decimal("1"),
                                 **owner))

    def reads() -> int:
        seen = []

        def note(_conn, _cursor, statement, *_args):
            seen.append(statement)

        event.listen(connection, "before_cursor_execute", note)
        try:
            page = text(as_role("inkoper").get("/rapportages/doelen?jaar=2025"))
        finally:
            event.remove(connection, "before_cursor_execute", note)
        return page, sum("FROM traject" in s for s in seen)

    g1, g2 = world.gemeenten[:2]
    # Every basis (counts by event, rates by cohort) with every kind of owner (contract, gemeente) ...
    target("referrals", contract=world.contract)
    target("referrals", gemeente=g1)
    target("placement_rate", contract=world.contract)
    target("placement_rate", gemeente=g2)
    db.commit()
    _page, few = reads()
    # ... and then three times as many targets of the same kinds.
    for indicator in ("starts", "placements"):
        target(indicator, contract=world.contract)
        target(indicator, gemeente=g1)
        target(indicator, gemeente=g2)
    for indicator in ("acceptance_rate", "dropout_rate"):
        target(indicator, contract=world.contract)
        target(indicator, gemeente=g1)
    db.commit()
    page, many = reads()
    assert few == many == 4
    assert page.count('class="light light-') == 14


def test_a_target_is_deleted_with_a_post_and_the_deletion_is_in_the_history(as_role, db, world):
    from app.models import AuditEntry

    target_id, year, c = world.target.id, world.target.year, as_role("inkoper")
    assert f"/rapportages/doelen/{target_id}/verwijderen" in text(c.get(f"/rapportages/doelen?jaar={year}"))
    assert as_role("finance").post(f"/rapportages/doelen/{target_id}/verwijderen").status_code == 403
    r = c.post(f"/rapportages/doelen/{target_id}/verwijderen")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/rapportages/doelen?jaar={year}")
    db.expire_all()
    assert db.get(PerformanceTarget, target_id) is None
    assert db.scalar(select(AuditEntry).where(AuditEntry.entity_type == "performance_target",
                                              AuditEntry.entity_id == target_id, AuditEntry.action == "delete"))
    assert c.post(f"/rapportages/doelen/{target_id}/verwijderen").status_code == 404


def test_the_comparison_page_renders_its_sections(as_role, dataset):
    page = text(as_role("finance").get("/rapportages/vergelijking?start=2025-01-01&end=2025-12-31"))
    for heading in ("Plaatsing: werkelijk en verwacht", "Afromen en parkeren", "Van start naar plaatsing",
                    "Kosten en besparing"):
        assert heading in page
    assert "<svg" in page


def test_the_marap_counts_equal_the_facts_counted_one_by_one(app, db, dataset, world):
    """Closures, exits and placements in the period, per month and by reason, against a count in Python over
    the same trajecten, with one traject returned before the period and ended in it."""
    from app.reports.marap import CLOSING, build

    make(db, world, world.providers[0], D(2024, 10, 1), accepted_on=D(2024, 10, 2), returned_on=D(2024, 11, 1),
         ended_on=D(2025, 2, 14))
    make(db, world, world.providers[0], PERIOD[1] + timedelta(days=3))  # referred after the period: no status
    db.commit()
    g = world.gemeenten[1]
    with app.app_context():
        m = build(g.id, PERIOD, D(2026, 1, 31))
    rows = db.scalars(select(Traject).where(Traject.gemeente_id == g.id)).all()

    def within(day):
        return day is not None and PERIOD[0] <= day <= PERIOD[1]

    assert dict(m.closed_by_reason) == {label: sum(within(getattr(t, name)) for t in rows)
                                        for name, label in CLOSING.items()}
    assert dict(m.closed_by_reason)["beëindigd"] == 1  # the one returned in 2024 and ended in 2025
    assert dict(m.exits_by_reason)["work"] == sum(within(t.exited_on) and t.exit_reason == "work" for t in rows)
    assert dict(m.placements_by_kind) == {"regular": 3, "subsidised": 1, "temporary": 0}  # a1, b1, b0; a2
    closed = (t.refused_on or t.returned_on or t.dropped_out_on or t.ended_on for t in rows)  # the first closure
    assert {month: n for month, _referred, n in m.months if n} == Counter(
        f"{d.year:04d}-{d.month:02d}" for d in closed if within(d))
    by_end = Counter(str(t.status) for t in rows if t.referral_date <= PERIOD[1])
    assert {s: n for s, n in m.status if n} == dict(by_end) and sum(by_end.values()) < len(rows)


def test_the_marap_page_for_a_gemeente(as_role, dataset, world):
    g = world.gemeenten[1]
    page = text(as_role("management").get(f"/rapportages/marap?gemeente={g.id}&start=2025-01-01&end=2025-12-31"))
    assert f"Managementrapportage: {g.name}" in page
    assert "9 trajecten verwezen" in page
    assert "Vergelijking van aanbieders" in page
    empty = text(as_role("management").get("/rapportages/marap"))
    assert "Kies een gemeente" in empty


def test_marap_files_need_a_gemeente(as_role, world):
    r = as_role("management").post("/rapportages/marap-pdf", follow_redirects=True)
    assert "Kies een gemeente" in text(r)
    r = as_role("management").get("/rapportages/marap.xlsx", follow_redirects=True)
    assert "Kies een gemeente" in text(r)


def test_period_defaults_to_the_last_twelve_months(app, world):
    from app.reports.forms import ReportForm

    with app.test_request_context("/rapportages/"):
        form = ReportForm(formdata=None, today=date(2026, 11, 23))
        q = form.query()
    assert q.period == (date(2025, 11, 24), date(2026, 11, 23))
    assert q.period[1] - q.period[0] == timedelta(days=364)


def test_rebuild_recomputes_the_kept_facts(app, db, world):
    traject = db.get(Traject, world.traject.id)
    started, accepted, status = traject.started_on, traject.accepted_on, traject.status
    assert started is not None
    traject.started_on = traject.accepted_on = None
    traject.status = "referred"
    db.commit()
    result = app.test_cli_runner().invoke(args=["projections", "rebuild"])
    assert result.exit_code == 0 and "Klaar" in result.output
    db.expire_all()
    traject = db.get(Traject, world.traject.id)
    assert (traject.started_on, traject.accepted_on, traject.status) == (started, accepted, status)


def test_a_target_is_typed_with_a_decimal_comma_like_every_other_number(as_role, db, world):
    c = as_role("management")
    data = {"indicator": "placement_rate", "year": "2024", "contract_id": str(world.contract.id), "gemeente_id": "0",
            "target": "38,5", "tolerance": "1,5"}
    assert c.post("/rapportages/doelen/nieuw", data=data).status_code == 302
    target = db.scalar(select(PerformanceTarget).where(PerformanceTarget.year == 2024))
    assert (target.target, target.tolerance) == (Decimal("38.5"), Decimal("1.5"))
    r = c.post("/rapportages/doelen/nieuw", data={**data, "year": "2023", "target": "veel"})
    assert r.status_code == 422 and error_at(r, "target")


def test_the_cohort_reports_read_the_trajecten_from_their_covering_index(app, db, dataset, world, connection):
    """The marap's and the performance table's cohort statements (counts, medians, money; the marap's referrals
    per month) read a period's trajecten as a range of a covering index and never fetch a traject's row:
    ix_traject_cohort holds every column they count (app.models.trajecten.COHORT_COLUMNS). The plan is
    SQLite's; PostgreSQL's planner picks by statistics."""
    from sqlalchemy import event

    from app.reports.marap import build
    from app.reports.services import Query, money, table

    if connection.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL chooses its plan from statistics")
    seen = []

    def note(_conn, _cursor, statement, parameters, *_args):
        if "FROM traject" in statement and "referral_date BETWEEN" in statement:
            seen.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", note)
    try:
        with app.app_context():
            q = Query(period=PERIOD, gemeente_ids=frozenset({world.gemeenten[1].id}))
            money(q, D(2026, 1, 31), table(q, cost=True))
            build(world.gemeenten[1].id, PERIOD, D(2026, 1, 31))
    finally:
        event.remove(connection, "before_cursor_execute", note)
    assert len(seen) >= 6  # the table, two medians and the money, for each of the two callers
    for statement, parameters in seen:
        plan = " / ".join(row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}",
                                                                        parameters))
        traject = [step for step in plan.split(" / ") if " traject " in f"{step} "]
        assert traject and all(step.startswith("SEARCH traject USING COVERING INDEX ix_traject_")
                               and "referral_date>? AND referral_date<?" in step for step in traject), plan
