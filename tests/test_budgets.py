"""Budgets: realised, committed and expected per gemeente and funding source; the form; the import; access."""

from __future__ import annotations

import html
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app import clock
from app.models import Contract, ContractStatus, Traject, TrajectEvent
from app.models.invoicing import Budget, Invoice, InvoiceLine, InvoiceSource
from app.projections import keep_events, keep_invoice_costs
from contracts.events import EventType
from invoicing.budget import Warning as BudgetWarning
from invoicing.status import InvoiceStatus

TODAY = clock.today()
YEAR = TODAY.year
PB = "Participatiebudget"
E = Decimal


# --- helpers ---------------------------------------------------------------------------------------


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True)).replace("\xa0", " ").replace("\u202f", " ")


def squash(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def error_at(response, field_id: str) -> str:
    match = re.search(rf'<p class="error-message" id="{field_id}-error">(.*?)</p>', text(response), re.S)
    return squash(match.group(1)) if match else ""


def row(response, gemeente_id: int | None, source: str = PB) -> str:
    """The visible text of one overview row, found by its (gemeente, source) key."""
    key = re.escape(f'data-key="{gemeente_id or ""}|{source}"')
    match = re.search(rf"<tr [^>]*{key}[^>]*>(.*?)</tr>", text(response), re.S)
    assert match, f"no row for {gemeente_id} {source}"
    return squash(match.group(1))


def cells(response, gemeente_id: int | None, source: str = PB) -> list[str]:
    key = re.escape(f'data-key="{gemeente_id or ""}|{source}"')
    match = re.search(rf"<tr [^>]*{key}[^>]*>(.*?)</tr>", text(response), re.S)
    return [squash(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)]


# The world holds one old budget (for the route table); these tests count the ones they make.
NOT_THE_WORLDS = Budget.year > clock.today().year - 5


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


def add_budget(db, gemeente, amount, year=YEAR, source=PB, **extra) -> Budget:
    budget = Budget(gemeente_id=gemeente.id, year=year, funding_source=source, amount=E(amount), **extra)
    db.add(budget)
    db.commit()
    return budget


_numbers = iter(range(1, 10_000))


def add_invoice(db, contract, status, lines, credit=False, traject=None) -> Invoice:
    """An invoice with ``lines`` of (gemeente, due_on, amount), straight into the database; the first line is
    for ``traject`` when one is given."""
    subtotal = sum((E(a) for _g, _d, a in lines), E("0.00"))
    invoice = Invoice(number=f"T-{next(_numbers):05d}", source=InvoiceSource.SELF_BILLING,
                      provider_id=contract.provider_id, contract_id=contract.id, period_start=date(YEAR - 1, 1, 1),
                      period_end=TODAY, issue_date=TODAY,
                      due_date=TODAY + timedelta(days=30), status=status, credit_note=credit, vat_category="S",
                      vat_rate=E("21.00"), subtotal=subtotal, vat=(subtotal * E("0.21")).quantize(E("0.01")),
                      total=(subtotal * E("1.21")).quantize(E("0.01")))
    for position, (gemeente, due_on, amount) in enumerate(lines, start=1):
        invoice.lines.append(InvoiceLine(position=position, gemeente_id=gemeente.id if gemeente else None,
                                         traject_id=traject.id if traject and position == 1 else None,
                                         due_on=due_on, amount=E(amount), description="test"))
    db.add(invoice)
    db.commit()
    return invoice


def keep_cost(app, db, invoice) -> None:
    """What every invoice step does after it: the approved cost its trajecten keep (app.projections)."""
    from app.db import session

    with app.app_context():
        keep_invoice_costs(session.get(Invoice, invoice.id))
        session.commit()
    db.expire_all()


def second_contract(db, world, source="Eigen middelen") -> Contract:
    contract = Contract(number="C-TEST-2", title="Eigen middelen", provider=world.providers[0],
                        status=ContractStatus.ACTIVE, start_date=TODAY - timedelta(days=60),
                        end_date=TODAY + timedelta(days=300), gemeenten=world.gemeenten[:2], funding_source=source)
    db.add(contract)
    db.commit()
    return contract


def add_traject(db, world, client, events, days_ago=60) -> Traject:
    """A traject of ``client`` under the world's contract, referred ``days_ago``; ``events`` are (type, days
    after referral, extra). Referred more than 24 months ago (the maximum duration), all it may still earn
    falls due now."""
    referral = TODAY - timedelta(days=days_ago)
    contract = world.contract
    traject = Traject(client=client, contract=contract, contract_version=contract.versions[0],
                      provider=contract.provider, gemeente=client.gemeente, client_group="algemeen",
                      price=E("2500.00"), referral_date=referral, referred_by=world.users["klantmanager"])
    db.add(traject)
    for kind, days, extra in events:
        traject.events.append(TrajectEvent(type=kind, event_date=referral + timedelta(days=days),
                                           recorded_by=world.users["klantmanager"], **extra))
    db.flush()
    keep_events(traject)
    db.commit()
    return traject


ACCEPTED = (EventType.ACCEPTED, 1, {})
STARTED = (EventType.STARTED, 5, {})
ENDED = (EventType.ENDED, 30, {"reason": "Traject afgerond"})
REFUSED = (EventType.REFUSED, 1, {"reason": "Past niet"})


def upload(client, content: str, name="budgetten.csv", bom=False):
    raw = (("\ufeff" if bom else "") + content).encode("utf-8")
    return client.post("/budgetten/import", data={"file": (io.BytesIO(raw), name)},
                       content_type="multipart/form-data")


HEADER = "gemeente_cbs;jaar;bron;budget;overgeheveld;besteed;resterend;toelichting\n"


# --- realised ----------------------------------------------------------------------------------------


def test_realised_counts_approved_lines_due_in_the_year_per_gemeente_and_source(app, db, world):
    from app.budgets.services import realised

    g1, g2, _g3 = world.gemeenten
    own = second_contract(db, world)
    this_year, last_year = date(YEAR, 3, 1), date(YEAR - 1, 12, 31)
    add_invoice(db, world.contract, InvoiceStatus.APPROVED, [(g1, this_year, "1750.00"), (g2, this_year, "500.00")])
    add_invoice(db, world.contract, InvoiceStatus.EXPORTED, [(g1, date(YEAR, 12, 31), "250.00")])
    add_invoice(db, world.contract, InvoiceStatus.PAID, [(g1, date(YEAR, 1, 1), "100.00"),
                                                         (g1, last_year, "999.00")])  # last year's line
    add_invoice(db, world.contract, InvoiceStatus.PAID, [(g1, this_year, "-100.00")], credit=True)
    for status in (InvoiceStatus.DRAFT, InvoiceStatus.SUBMITTED, InvoiceStatus.CHECKED, InvoiceStatus.REJECTED):
        add_invoice(db, world.contract, status, [(g1, this_year, "5000.00")])  # not (yet) approved: not realised
    add_invoice(db, own, InvoiceStatus.APPROVED, [(g1, this_year, "300.00")])
    with app.app_context():
        assert realised(YEAR) == {(g1.id, PB): E("2000.00"), (g2.id, PB): E("500.00"),
                                  (g1.id, "Eigen middelen"): E("300.00")}
        assert realised(YEAR - 1) == {(g1.id, PB): E("999.00")}
        assert realised(YEAR + 1) == {}


def test_realised_shows_on_the_overview_excluding_vat(as_role, db, world):
    g1 = world.gemeenten[0]
    add_budget(db, g1, "10000.00", year=YEAR - 1)
    add_invoice(db, world.contract, InvoiceStatus.APPROVED, [(g1, date(YEAR - 1, 6, 30), "1000.00")])
    page = as_role("finance").get(f"/budgetten/?jaar={YEAR - 1}")
    assert page.status_code == 200
    got = cells(page, g1.id)
    assert got[2] == "€ 10.000,00" and got[3] == "€ 1.000,00"  # the invoice's total incl. 21% VAT is € 1.210,00
    assert got[4].startswith("€ 0,00") and got[5].startswith("€ 0,00")  # no commitments in a past year
    assert "staan hier geen verplichtingen" in text(page)


# --- committed and expected --------------------------------------------------------------------------


def test_outlook_of_the_worlds_open_traject_worked_out_by_hand(app, db, world):
    """TIERS at € 2.500: 70% at the start, 100% at a placement. The traject is started (€ 1.750 owed); the
    placement the provider reported is not confirmed yet, so it does not count. While the € 1.750 is only on a
    draft invoice nothing is realised: it can still cost € 2.500, and € 1.750 (what it is owed, more than half
    the maximum) is expected. The € 1.750 owed falls due now, in this year; the € 750 it may still earn when
    its maximum duration of 24 months from the start ends, two years on. Once that invoice is approved,
    € 1.750 is realised: € 750 more at most, in that later year, and nothing more expected (half the maximum,
    € 1.250, is less than what was paid)."""
    from app.budgets.services import Outlook, outlook

    g1 = world.gemeenten[0].id
    later = world.traject.cost_due_year
    assert later == world.traject.started_on.year + 2  # 24 months from the start
    between = {year: Outlook(E("0.00"), E("0.00"), 0, 0, 0) for year in range(YEAR + 1, later)}
    with app.app_context():
        assert outlook(TODAY) == {(g1, PB): Outlook(E("1750.00"), E("1750.00"), 1, 0, 1)}
        assert {year: outlook(TODAY, year)[(g1, PB)] for year in between} == between
        assert outlook(TODAY, later) == {(g1, PB): Outlook(E("750.00"), E("0.00"), 1, 0, 1)}
        assert outlook(TODAY, YEAR - 1) == {}
    db.get(Invoice, world.invoice.id).status = InvoiceStatus.APPROVED
    db.commit()
    keep_cost(app, db, world.invoice)
    with app.app_context():
        assert outlook(TODAY) == {(g1, PB): Outlook(E("0.00"), E("0.00"), 1, 0, 1)}
        assert outlook(TODAY, later) == {(g1, PB): Outlook(E("750.00"), E("0.00"), 1, 0, 1)}


def over_years(app, today=TODAY) -> dict:
    """(committed, expected) per (gemeente, source) summed over every budget year from today's on."""
    from app.budgets.services import outlook

    found: dict = {}
    with app.app_context():
        for year in range(today.year, today.year + 4):
            for key, part in outlook(today, year).items():
                committed, expected = found.get(key, (E("0.00"), E("0.00")))
                found[key] = (committed + part.committed, expected + part.expected)
    return found


def test_outlook_per_client_gemeente_and_from_finished_trajecten(app, db, world):
    """A joint contract's traject is charged to its client's gemeente. Once ten trajecten of the contract are
    finished, their average (here € 1.750 each) is the expectation instead of half the maximum; a refused
    referral is no finished traject and does not pull the average down."""
    from app.budgets.services import Outlook, outlook

    g1, g2, _g3 = world.gemeenten
    add_traject(db, world, world.clients[1], [ACCEPTED])  # Beedorp: nothing owed yet
    with app.app_context():
        before = outlook(TODAY)
    assert before[(g2.id, PB)] == Outlook(E("0.00"), E("0.00"), 1, 0, 1)  # nothing owed: nothing due this year
    assert over_years(app)[(g2.id, PB)] == (E("2500.00"), E("1250.00"))

    for _ in range(10):
        add_traject(db, world, world.clients[2], [ACCEPTED, STARTED, ENDED])  # € 1.750 each
    add_traject(db, world, world.clients[2], [REFUSED])
    after = over_years(app)
    assert after[(g2.id, PB)] == (E("2500.00"), E("1750.00"))
    assert after[(g1.id, PB)] == (E("2500.00"), E("1750.00"))  # owed 1.750, none of it approved
    with app.app_context():
        assert outlook(TODAY)[(g2.id, PB)].by_default == 0
    assert len(after) == 2  # closed trajecten are no commitment


def test_a_traject_whose_maximum_cannot_be_known_counts_zero_and_is_shown(as_role, db, monkeypatch, world):
    import invoicing.budget

    monkeypatch.setattr(invoicing.budget, "max_cost", lambda *args: None)
    keep_events(db.get(Traject, world.traject.id))
    db.commit()
    page = as_role("finance").get("/budgetten/")
    assert "niet te bepalen: 1" in row(page, world.gemeenten[0].id)
    assert cells(page, world.gemeenten[0].id)[4].startswith("€ 0,00")


# --- the overview -----------------------------------------------------------------------------------


def test_overview_figures_and_warnings(app, as_role, db, world):
    """The current year's view: what is owed and not yet paid falls due now; the rest of a traject's maximum
    in the year its maximum duration ends (two years on), so it is not in this year's figures."""
    g1, g2, g3 = world.gemeenten
    add_traject(db, world, world.clients[1], [ACCEPTED, STARTED])  # g2: € 1.750 owed, unpaid: due now
    add_budget(db, g1, "2500.00", carried_over=E("500.00"))  # 3.000 = realised 2.250 + available 750
    add_budget(db, g2, "1000.00")  # forecast 1.750 above 1.000
    add_budget(db, g3, "0.00")  # not in use: no warnings
    invoice = add_invoice(db, world.contract, InvoiceStatus.APPROVED,
                          [(g1, TODAY, "1750.00"), (g1, TODAY, "500.00")], traject=world.traject)
    keep_cost(app, db, invoice)
    page = as_role("management").get("/budgetten/")
    assert page.status_code == 200
    first = cells(page, g1.id)
    assert first[:8] == ["Aastad", PB, "€ 3.000,00 waarvan overgeheveld € 500,00", "€ 2.250,00",
                         "€ 0,00 lopende trajecten: 1", "€ 0,00 geschat op de helft van het maximum: 1",
                         "€ 750,00", "€ 2.250,00"]
    # Nothing more this year, and the forecast is exactly 75% of the budget (not under it): no signals.
    assert first[9] == "geen"
    second = cells(page, g2.id)
    assert second[2] == "€ 1.000,00" and second[4].startswith("€ 1.750,00") and second[5].startswith("€ 1.750,00")
    assert second[6].replace("-€ ", "€ -") == "€ -750,00"
    assert second[9] == "verwachte uitgaven boven het budget"
    assert "175 procent van het budget van € 1.000,00" in second[8]  # the bar's text equivalent
    assert cells(page, g3.id)[9] == "geen"
    total = squash(text(page).split("<tfoot>", 1)[1].split("</tfoot>", 1)[0])
    assert total.startswith("Totaal € 4.000,00 € 2.250,00 € 1.750,00 € 1.750,00")
    # The rest of both maxima (€ 750 each, nothing more expected) in the year they fall due.
    later = cells(as_role("management").get(f"/budgetten/?jaar={world.traject.cost_due_year}"), g1.id)
    assert later[4].startswith("€ 750,00") and later[5].startswith("€ 0,00")


def test_committed_over_budget_and_money_without_a_budget_line(app, as_role, db, world):
    g1, g2, _g3 = world.gemeenten
    # Referred three years ago, past its maximum duration: all it may still earn falls due now. It is owed
    # € 1.750 (expected, the forecast, fits € 2.000) and may cost € 2.500 (does not fit).
    add_traject(db, world, world.clients[1], [ACCEPTED, STARTED], days_ago=3 * 365)
    add_budget(db, g2, "2000.00")
    invoice = add_invoice(db, world.contract, InvoiceStatus.PAID, [(g1, TODAY, "1750.00")], traject=world.traject)
    keep_cost(app, db, invoice)
    page = as_role("finance").get("/budgetten/")
    over = cells(page, g2.id)
    assert over[4].startswith("€ 2.500,00") and over[5].startswith("€ 1.750,00")
    assert over[9] == "maximale verplichtingen boven het budget"
    missing = cells(page, g1.id)  # realised money, no budget
    assert missing[2] == "—" and "geen budget vastgelegd" in missing[9]
    assert f"/budgetten/nieuw?jaar={YEAR}&amp;gemeente={g1.id}" in page.get_data(as_text=True)


def test_underspent_late_in_the_year(app, db, world):
    """From October on, a forecast under 75% of the budget is a signal; before October it is not."""
    from app.budgets.services import positions

    year = YEAR + 1  # days of a year still to come: every event of the world is known by then
    add_budget(db, world.gemeenten[0], "100000.00", year=year)
    with app.app_context():
        late = positions(year, date(year, 10, 1))
        early = positions(year, date(year, 9, 30))
    # The year's own view: what is owed falls due now, the rest if its maximum duration ends in the year.
    rest = E("750.00") if world.traject.cost_due_year <= year else E("0.00")
    assert late[0].position.committed == E("1750.00") + rest
    assert late[0].warnings == [BudgetWarning.UNDERSPENT]
    assert early[0].warnings == []


def test_rows_that_do_not_add_up_are_flagged_and_reported_spent_is_compared(as_role, db, world):
    g1, g2, _g3 = world.gemeenten
    add_budget(db, g1, "10000.00", carried_over=E("1000.00"), spent_reported=E("4000.00"),
               remaining_reported=E("6900.00"))
    add_budget(db, g2, "5000.00", spent_reported=E("1000.00"), remaining_reported=E("4000.00"))
    page = as_role("finance").get("/budgetten/")
    off = cells(page, g1.id)[10]
    assert "telt niet op: verschil € 100,00" in off
    assert "besteed volgens de opgave € 4.000,00, volgens goedgekeurde facturen € 0,00" in off
    assert 'class="badge badge-danger">telt niet op' in text(page)
    fine = cells(page, g2.id)[10]
    assert "telt op" in fine and "telt niet op" not in fine


def test_the_year_selector_and_a_bad_year(as_role, db, world):
    add_budget(db, world.gemeenten[2], "123.00", year=2019)
    c = as_role("finance")
    page = text(c.get("/budgetten/"))
    assert '<option value="2019" >2019</option>' in page or '<option value="2019">2019</option>' in page
    assert f"Budgetten {YEAR}" in page
    assert "€ 123,00" in text(c.get("/budgetten/?jaar=2019"))
    assert f"Budgetten {YEAR}" in text(c.get("/budgetten/?jaar=abc"))


# --- the form ---------------------------------------------------------------------------------------


def _form(gemeente, **changes) -> dict:
    data = {"gemeente_id": gemeente.id, "year": str(YEAR), "funding_source": PB, "amount": "25.000,00",
            "carried_over": "", "spent_reported": "", "remaining_reported": "", "note": ""}
    return {**data, **changes}


def test_create_a_budget(as_role, db, world):
    g1 = world.gemeenten[0]
    c = as_role("finance")
    assert 'list="bronnen"' in c.get("/budgetten/nieuw").get_data(as_text=True)
    response = c.post("/budgetten/nieuw", data=_form(g1, funding_source="  participatiebudget ",
                                                      carried_over="-1.250,50", note="Begroting"))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/budgetten/?jaar={YEAR}")
    budget = db.scalar(select(Budget).where(Budget.gemeente_id == g1.id))
    assert (budget.year, budget.funding_source, budget.amount, budget.carried_over) == (
        YEAR, PB, E("25000.00"), E("-1250.50"))  # the source in the spelling the contracts use
    assert budget.spent_reported is None and budget.note == "Begroting"
    assert "is opgeslagen" in text(c.get("/budgetten/"))


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"gemeente_id": "0"}, "gemeente_id", "Kies een gemeente uit de lijst."),
    ({"gemeente_id": "999999"}, "gemeente_id", "Kies een gemeente uit de lijst."),
    ({"year": "twintig"}, "year", "Vul een jaar in van 2000 tot en met 2100"),
    ({"year": "1999"}, "year", "Vul een jaar in van 2000 tot en met 2100"),
    ({"year": ""}, "year", "Dit veld is verplicht."),
    ({"funding_source": "   "}, "funding_source", "Dit veld is verplicht."),
    ({"amount": "veel"}, "amount", "Vul een bedrag in euro's in"),
    ({"amount": ""}, "amount", "Dit veld is verplicht."),
    ({"amount": "-5,00"}, "amount", "Een bedrag kan niet negatief zijn."),
    ({"amount": "99.999.999.999,00"}, "amount", "Dit bedrag is te groot."),
    ({"spent_reported": "1,234"}, "spent_reported", "hoogstens twee cijfers achter de komma"),
])
def test_form_errors_are_shown_at_the_field_and_nothing_is_stored(as_role, db, world, changes, field, message):
    response = as_role("finance").post("/budgetten/nieuw", data=_form(world.gemeenten[0], **changes))
    assert response.status_code == 422
    assert message in error_at(response, field)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert count(db, Budget, NOT_THE_WORLDS) == 0


def test_a_duplicate_is_refused_at_the_field(as_role, db, world):
    g1 = world.gemeenten[0]
    add_budget(db, g1, "1000.00")
    c = as_role("finance")
    response = c.post("/budgetten/nieuw", data=_form(g1, funding_source="PARTICIPATIEBUDGET"))
    assert response.status_code == 422
    assert "Er is al een budget voor deze gemeente, dit jaar en deze financieringsbron." in error_at(
        response, "funding_source")
    assert count(db, Budget, NOT_THE_WORLDS) == 1
    # Another year of the same gemeente and source is another budget line.
    assert c.post("/budgetten/nieuw", data=_form(g1, year=str(YEAR + 1))).status_code == 302
    assert count(db, Budget, NOT_THE_WORLDS) == 2


def test_edit_a_budget_and_its_history(as_role, db, world):
    g1, g2, _g3 = world.gemeenten
    budget = add_budget(db, g1, "1000.00")
    add_budget(db, g2, "1000.00")
    c = as_role("admin")
    form = text(c.get(f"/budgetten/{budget.id}/bewerken"))
    assert 'value="1.000,00"' in form
    clash = c.post(f"/budgetten/{budget.id}/bewerken", data=_form(g2))
    assert clash.status_code == 422 and "Er is al een budget" in error_at(clash, "funding_source")
    saved = c.post(f"/budgetten/{budget.id}/bewerken", data=_form(g1, amount="1.500,00", spent_reported="200",
                                                                   remaining_reported="1300"))
    assert saved.status_code == 302
    db.expire_all()
    budget = db.get(Budget, budget.id)
    assert (budget.amount, budget.spent_reported, budget.remaining_reported) == (E("1500.00"), E("200.00"),
                                                                               E("1300.00"))
    assert "Historie" in text(c.get(f"/budgetten/{budget.id}/bewerken"))
    assert c.get("/budgetten/999999/bewerken").status_code == 404


# --- import -----------------------------------------------------------------------------------------


def test_import_with_any_bad_row_stores_nothing_and_reports_every_row(as_role, db, world):
    add_budget(db, world.gemeenten[0], "1000.00")
    content = HEADER + (
        f"GM8001;{YEAR};{PB};2.000,00;;;;goed\n"           # line 2: fine (would update)
        f"GM9999;{YEAR};{PB};1000;;;;\n"                    # line 3: unknown gemeente
        f"GM8002;twee;{PB};1000;;;;\n"                      # line 4: bad year
        f"GM8002;{YEAR};{PB};duizend;;;;\n"                 # line 5: bad number
        f"GM8003;{YEAR};{PB};1000;;;;\n"                    # line 6: fine
        f"GM8003;{YEAR};participatiebudget;2000;;;;\n"      # line 7: same as line 6
        f"GM8002;{YEAR + 1};;-5;1,234;;;\n"                 # line 8: three problems
    )
    c = as_role("finance")
    response = upload(c, content)
    assert response.status_code == 422
    page = text(response)
    assert "Er is niets opgeslagen" in page and "5 regels met fouten" in page
    table = squash(page.split("Fouten per regel", 1)[1].split("</table>", 1)[0])
    for expected in ("3 gemeente_cbs Er is geen gemeente met CBS-code GM9999.",
                     "4 jaar Vul een jaar in van 2000 tot en met 2100",
                     "5 budget Vul een bedrag in euro's in",
                     "7 bron Deze gemeente, dit jaar en deze bron staan ook op regel 6.",
                     "8 bron Dit veld is verplicht.",
                     "8 budget Een bedrag kan niet negatief zijn.",
                     "8 overgeheveld Een bedrag heeft hoogstens twee cijfers achter de komma."):
        assert expected in table, expected
    assert " 2 " not in f" {table} ".split("3 gemeente_cbs", 1)[0]  # the good row is no problem
    db.expire_all()
    assert count(db, Budget, NOT_THE_WORLDS) == 1
    assert db.scalar(select(Budget.amount).where(NOT_THE_WORLDS)) == E("1000.00")


def test_import_adds_updates_and_flags_rows_that_do_not_add_up(as_role, db, world):
    g1, g2, g3 = world.gemeenten
    add_budget(db, g1, "1000.00", note="oud")
    add_budget(db, g3, "700.00")
    content = HEADER + (
        f"GM8001;{YEAR};{PB};2.000,00;500;1500;1000;bijgesteld\n"   # update, adds up
        f"8002;{YEAR};Eigen middelen;10000.50;;4000;6100;\n"        # new, off by € -99,50
        f"GM8003;{YEAR};{PB};700,00;;;;\n"                          # unchanged
    )
    c = as_role("finance")
    response = upload(c, content, bom=True)
    assert response.status_code == 200
    page = text(response)
    assert "1 nieuw, 1 bijgewerkt, 1 ongewijzigd" in page
    flagged = squash(page.split("Regels die niet optellen", 1)[1].split("</table>", 1)[0])
    assert "3 Beedorp" in flagged and "telt niet op: verschil € -99,50" in flagged.replace("-€ ", "€ -")
    assert "Aastad" not in flagged
    db.expire_all()
    first = db.scalar(select(Budget).where(Budget.gemeente_id == g1.id))
    assert (first.amount, first.carried_over, first.spent_reported, first.remaining_reported, first.note) == (
        E("2000.00"), E("500.00"), E("1500.00"), E("1000.00"), "bijgesteld")
    new = db.scalar(select(Budget).where(Budget.gemeente_id == g2.id))
    assert (new.funding_source, new.amount, new.carried_over) == ("Eigen middelen", E("10000.50"), E("0.00"))
    overview = c.get("/budgetten/")
    assert "telt niet op" in cells(overview, g2.id, "Eigen middelen")[10]
    assert "telt op" in cells(overview, g1.id)[10] and "telt niet op" not in cells(overview, g1.id)[10]


def test_a_file_that_cannot_be_read_is_refused_at_the_field(as_role, db, world):
    c = as_role("finance")
    response = upload(c, "gemeente;jaar\nGM8001;2026\n")
    assert response.status_code == 422
    assert "Deze kolommen ontbreken" in error_at(response, "file")
    missing = c.post("/budgetten/import", data={}, content_type="multipart/form-data")
    assert missing.status_code == 422 and "Kies een CSV-bestand." in error_at(missing, "file")
    assert count(db, Budget, NOT_THE_WORLDS) == 0


def test_the_template_downloads_and_imports_as_it_is(as_role, db, world):
    c = as_role("finance")
    response = c.get("/budgetten/sjabloon.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert 'filename="sjabloon-budgetten.csv"' in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == HEADER.strip() and len(lines) == 2
    assert lines[1].startswith(f"GM8001;{YEAR};{PB};")
    imported = c.post("/budgetten/import", data={"file": (io.BytesIO(raw), "sjabloon.csv")},
                      content_type="multipart/form-data")
    assert imported.status_code == 200 and "1 nieuw" in text(imported)
    assert "telt op" in text(imported) and "telt niet op" not in text(imported)  # the example adds up


# --- access -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["provider", "klantmanager", "inkoper"])
def test_roles_without_budgets_get_403(as_role, db, world, role):
    budget = add_budget(db, world.gemeenten[0], "1000.00")
    c = as_role(role)
    for url in ("/budgetten/", "/budgetten/nieuw", f"/budgetten/{budget.id}/bewerken", "/budgetten/import",
                "/budgetten/sjabloon.csv"):
        assert c.get(url).status_code == 403, url
    assert c.post("/budgetten/nieuw", data=_form(world.gemeenten[1])).status_code == 403
    assert upload(c, HEADER + f"GM8002;{YEAR};{PB};1;;;;\n").status_code == 403
    assert count(db, Budget, NOT_THE_WORLDS) == 1


def test_management_reads_but_does_not_edit(as_role, db, world):
    c = as_role("management")
    page = c.get("/budgetten/")
    assert page.status_code == 200 and "Budget toevoegen" not in text(page)
    assert c.get("/budgetten/nieuw").status_code == 403
    assert c.get("/budgetten/import").status_code == 403
    assert "Budget toevoegen" in text(as_role("finance").get("/budgetten/"))


def test_anonymous_is_sent_to_log_in(client, world):
    response = client.get("/budgetten/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- markup -----------------------------------------------------------------------------------------


def test_every_budget_page_passes_the_markup_checks(as_role, db, world):
    """The checks of tests/test_accessibility.py, on each page in its fullest state: rows of every kind,
    a form with errors, an import with errors and an import's result."""
    from tests.test_accessibility import _check

    g1 = world.gemeenten[0]
    budget = add_budget(db, g1, "1000.00", spent_reported=E("1.00"), remaining_reported=E("1.00"))
    add_traject(db, world, world.clients[1], [ACCEPTED])  # money without a budget line
    c = as_role("finance")
    pages = {
        "index": c.get("/budgetten/"),
        "create": c.get("/budgetten/nieuw"),
        "invalid": c.post("/budgetten/nieuw", data=_form(g1, year="x", amount="")),
        "edit": c.get(f"/budgetten/{budget.id}/bewerken"),
        "import": c.get("/budgetten/import"),
        "import errors": upload(c, HEADER + f"GM9999;{YEAR};{PB};x;;;;\n"),
        "imported": upload(c, HEADER + f"GM8002;{YEAR};{PB};10;;5;4;\n"),
    }
    assert 'aria-invalid="true"' in pages["invalid"].get_data(as_text=True)
    assert "<svg" in pages["index"].get_data(as_text=True)
    for name, response in pages.items():
        assert response.status_code in (200, 422), name
        assert _check(response.get_data(as_text=True)) == [], name
