"""Invoices through the web: payment runs, a provider's own invoice, four-eyes approval, exports, UBL, overdue.

The world's traject earned 70% of 2500 at its start (TIERS_MODEL); its placement, reported by the
provider, adds the other 750 once a klantmanager confirms it. The world's draft invoice (made by the
``finance`` user's payment run) holds the 1750.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from lxml import etree
from openpyxl import load_workbook
from peppol import check_rules, validate_xsd
from sqlalchemy import select

from app import clock
from app.models import Invoice, InvoicedEntitlement, InvoiceLine, Role, User
from contracts.events import EventType
from invoicing.status import InvoiceStatus
from tests.conftest import PASSWORD, statements_of
from tests.test_trajecten import count, error_at, text

TODAY = clock.today()
EFFORT = "price/effort"
WORK = "price/work"


def run(c, start: date = TODAY - timedelta(days=60), end: date = TODAY, contract: int = 0):
    """Start a payment run, a background job (run at once in tests), and give its job page (a refusal: the form)."""
    r = c.post("/facturen/betaalrun", data={"period_start": start.strftime("%d-%m-%Y"),
                                            "period_end": end.strftime("%d-%m-%Y"), "contract_id": contract})
    return c.get(r.headers["Location"]) if r.status_code == 302 else r


def step(c, invoice, name: str, note: str = ""):
    return c.post(f"/facturen/{invoice.id}/stap/{name}", data={"note": note})


def confirm_placement(as_role, world):
    placement = next(e for e in world.traject.events if e.type == EventType.PLACEMENT)
    r = as_role("klantmanager").post(f"/trajecten/{world.traject.id}/gebeurtenissen/{placement.id}/bevestigen",
                                     data={"note": "gezien"}, content_type="multipart/form-data")
    assert r.status_code == 302


def invoices(db) -> list[Invoice]:
    db.expire_all()
    return list(db.scalars(select(Invoice).order_by(Invoice.id)))


# --- payment run ----------------------------------------------------------------------------------


def test_the_run_drafts_what_is_owed_with_vat_on_the_subtotal(world, as_role):
    invoice = world.invoice
    assert invoice.status == InvoiceStatus.DRAFT
    assert [(line.entitlement_key, line.amount) for line in invoice.lines] == [
        (f"t{world.traject.id}:{EFFORT}", Decimal("1750.00"))]
    assert invoice.lines[0].gemeente_id == world.gemeenten[0].id  # the client's gemeente pays
    assert (invoice.subtotal, invoice.vat, invoice.total) == (Decimal("1750.00"), Decimal("367.50"),
                                                              Decimal("2117.50"))
    assert invoice.due_date == invoice.issue_date + timedelta(days=30)
    page = text(as_role("finance").get(f"/facturen/{invoice.id}"))
    assert "€ 2.117,50" in page and "€ 367,50" in page and "70% van € 2.500,00" in page


def test_a_second_run_invoices_nothing_twice(world, as_role, db):
    c = as_role("finance")
    r = run(c)
    assert r.status_code == 200
    assert "niets te factureren" in text(r)
    assert len(invoices(db)) == 1


def test_a_confirmed_placement_is_invoiced_once_in_the_next_run(world, as_role, db):
    confirm_placement(as_role, world)
    c = as_role("finance")
    assert run(c).status_code == 200
    found = invoices(db)
    assert len(found) == 2
    assert [(line.entitlement_key, line.amount) for line in found[1].lines] == [
        (f"t{world.traject.id}:{WORK}", Decimal("750.00"))]
    assert found[1].total == Decimal("907.50")
    run(c)
    assert len(invoices(db)) == 2
    keys = db.scalars(select(InvoicedEntitlement.key)).all()
    assert sorted(keys) == sorted([f"t{world.traject.id}:{EFFORT}", f"t{world.traject.id}:{WORK}"])


def test_a_period_that_ends_before_it_starts_is_refused_at_the_field(world, as_role, db):
    r = run(as_role("finance"), start=TODAY, end=TODAY - timedelta(days=1))
    assert r.status_code == 422
    assert "vóór het begin" in error_at(r, "period_end")
    assert len(invoices(db)) == 1


def test_a_clawback_becomes_a_credit_note_against_the_last_approved_invoice(world, as_role, db, app):
    """Correcting the start voids the 1750 already invoiced: the next run is a credit note."""
    invoice = world.invoice
    approve_fully(as_role, invoice)
    start = next(e for e in world.traject.events if e.type == EventType.STARTED)
    r = as_role("klantmanager").post(f"/trajecten/{world.traject.id}/correctie", data={
        "revokes_id": start.id, "event_date": TODAY.strftime("%d-%m-%Y"), "reason": "nooit begonnen"})
    assert r.status_code in (302, 422)
    if r.status_code == 422:  # the later placement depends on the start: correct that first
        placement = next(e for e in world.traject.events if e.type == EventType.PLACEMENT)
        assert as_role("klantmanager").post(f"/trajecten/{world.traject.id}/correctie", data={
            "revokes_id": placement.id, "event_date": TODAY.strftime("%d-%m-%Y"),
            "reason": "geen plaatsing"}).status_code == 302
        assert as_role("klantmanager").post(f"/trajecten/{world.traject.id}/correctie", data={
            "revokes_id": start.id, "event_date": TODAY.strftime("%d-%m-%Y"),
            "reason": "nooit begonnen"}).status_code == 302
    assert run(as_role("finance")).status_code == 200
    credit = invoices(db)[-1]
    assert credit.credit_note
    assert credit.credits_invoice_id == invoice.id
    assert credit.subtotal == Decimal("-1750.00")
    assert credit.total == Decimal("-2117.50")
    assert credit.number.startswith("C")
    # The credit nets out its original.
    assert invoice.subtotal + credit.subtotal == 0
    ok, errors = validate_xsd(as_role("finance").get(f"/facturen/{credit.id}/ubl.xml").data)
    assert ok, errors


# --- four eyes ------------------------------------------------------------------------------------


def approve_fully(as_role, invoice):
    assert step(as_role("provider"), invoice, "submit").status_code == 302
    assert step(as_role("finance2"), invoice, "check").status_code == 302
    assert step(as_role("finance3"), invoice, "approve").status_code == 302


def test_the_provider_submits_and_two_other_people_check_and_approve(world, as_role, db):
    invoice = world.invoice
    assert step(as_role("provider"), invoice, "submit").status_code == 302
    r = step(as_role("finance"), invoice, "check")  # made it: may not check it
    assert r.status_code == 422
    assert "Vier ogen" in error_at(r, "note-check")
    assert step(as_role("finance2"), invoice, "check").status_code == 302
    r = step(as_role("finance2"), invoice, "approve")  # checked it: may not approve it
    assert r.status_code == 422 and "Vier ogen" in text(r)
    r = step(as_role("finance"), invoice, "approve")  # made it
    assert r.status_code == 422
    assert step(as_role("finance3"), invoice, "approve").status_code == 302
    db.expire_all()
    assert db.get(Invoice, invoice.id).status == InvoiceStatus.APPROVED
    page = text(as_role("management").get(f"/facturen/{invoice.id}"))
    assert "Finance Twee" in page and "Finance Drie" in page and "goedgekeurd" in page


def test_above_the_threshold_two_different_approvers_are_needed(world, as_role, db, app):
    app.config["INVOICE_SECOND_APPROVER_ABOVE"] = "2000.00"
    invoice = world.invoice  # 2117.50 > 2000.00
    assert step(as_role("provider"), invoice, "submit").status_code == 302
    assert step(as_role("finance2"), invoice, "check").status_code == 302
    assert step(as_role("finance3"), invoice, "approve").status_code == 302
    db.expire_all()
    assert db.get(Invoice, invoice.id).status == InvoiceStatus.CHECKED
    r = step(as_role("finance3"), invoice, "approve")
    assert r.status_code == 422 and "tweede goedkeurder" in text(r)
    assert step(as_role("admin"), invoice, "approve").status_code == 302
    db.expire_all()
    assert db.get(Invoice, invoice.id).status == InvoiceStatus.APPROVED


def test_a_rejection_needs_a_reason_and_frees_the_entitlements_for_a_corrected_invoice(world, as_role, db):
    invoice = world.invoice
    assert step(as_role("provider"), invoice, "submit").status_code == 302
    r = step(as_role("finance2"), invoice, "reject")
    assert r.status_code == 422
    assert "reden" in error_at(r, "note-reject")
    assert step(as_role("finance2"), invoice, "reject", "Periode klopt niet").status_code == 302
    db.expire_all()
    rejected = db.get(Invoice, invoice.id)
    assert rejected.status == InvoiceStatus.REJECTED and rejected.rejection_reason == "Periode klopt niet"
    assert count(db, InvoicedEntitlement) == 0
    r = as_role("finance").post(f"/facturen/{invoice.id}/opnieuw")
    assert r.status_code == 302
    new = invoices(db)[-1]
    assert new.replaces_id == invoice.id and new.total == invoice.total
    assert [line.entitlement_key for line in new.lines] == [line.entitlement_key for line in invoice.lines]
    # Only once.
    as_role("finance").post(f"/facturen/{invoice.id}/opnieuw")
    assert len(invoices(db)) == 2


def test_an_approved_invoice_is_exported_then_paid(world, as_role, db):
    approve_fully(as_role, world.invoice)
    c = as_role("finance")
    assert c.post("/facturen/export").status_code == 302
    db.expire_all()
    invoice = db.get(Invoice, world.invoice.id)
    assert invoice.status == InvoiceStatus.EXPORTED and invoice.export_id is not None
    rows = list(csv.reader(io.StringIO(c.get(f"/facturen/export/{invoice.export_id}.csv")
                                        .data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "factuurnummer"
    assert rows[1][:2] == [invoice.number, invoice.number] and rows[1][9] == "Aastad"
    assert rows[1][-3:] == ["1750,00", "367,50", "2117,50"]
    sheet = load_workbook(io.BytesIO(c.get(f"/facturen/export/{invoice.export_id}.xlsx").data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][0] == invoice.number
    assert [Decimal(str(v)) for v in values[1][-3:]] == [Decimal("1750"), Decimal("367.5"), Decimal("2117.5")]
    assert step(c, invoice, "pay").status_code == 302
    db.expire_all()
    assert db.get(Invoice, invoice.id).status == InvoiceStatus.PAID
    assert db.get(Invoice, invoice.id).paid_on == TODAY


def test_illegal_steps_are_refused(world, as_role, db):
    c = as_role("finance2")
    for name in ("check", "approve", "pay"):
        r = step(c, world.invoice, name)
        assert r.status_code == 422, name
        assert "kan de stap" in text(r)
    assert step(c, world.invoice, "export").status_code == 404  # export has its own page
    db.expire_all()
    assert db.get(Invoice, world.invoice.id).status == InvoiceStatus.DRAFT


# Each hand an invoice passes through, and who looks at it without having had it in hand.
HANDS = ("finance", "finance2", "finance3", "admin", "provider", "management")
# How an invoice reaches each state: finance made it, finance2 submitted, finance3 checked, admin approved.
ROUTE_TO = {
    "draft": [],
    "submitted": [("finance2", "submit")],
    "checked": [("finance2", "submit"), ("finance3", "check")],
    "half_approved": [("finance2", "submit"), ("finance3", "check"), ("admin", "approve")],
    "approved": [("finance2", "submit"), ("finance3", "check"), ("admin", "approve")],
    "exported": [("finance2", "submit"), ("finance3", "check"), ("admin", "approve"), ("finance", "export")],
}


@pytest.mark.parametrize("state", list(ROUTE_TO))
def test_the_page_offers_each_hand_exactly_the_steps_its_post_accepts(world, as_role, app, connection, state):
    """The buttons on the page and the refusals of the POST come from one rule, so they cannot disagree:
    for every hand, every step is shown if and only if posting it is accepted (each try is undone)."""
    if state == "half_approved":
        app.config["INVOICE_SECOND_APPROVER_ABOVE"] = "2000.00"  # 2117.50 needs a second approver
    invoice = world.invoice
    for who, name in ROUTE_TO[state]:
        r = as_role(who).post("/facturen/export") if name == "export" else step(as_role(who), invoice, name)
        assert r.status_code == 302, (who, name)
    for who in HANDS:
        c = as_role(who)
        page = text(c.get(f"/facturen/{invoice.id}"))
        shown = set(re.findall(rf"/facturen/{invoice.id}/stap/(\w+)", page))
        accepted = set()
        for name in ("submit", "check", "approve", "reject", "pay"):
            attempt = connection.begin_nested()
            if step(c, invoice, name, "reden van de poging").status_code == 302:
                accepted.add(name)
            attempt.rollback()
        assert shown == accepted, (state, who)


# --- scoping --------------------------------------------------------------------------------------


def test_another_providers_user_cannot_see_or_submit_the_invoice(world, app, db, client):
    from app.auth.passwords import hash_password
    from tests.conftest import login

    with app.app_context():
        hashed = hash_password(PASSWORD)
    db.add(User(username="other", full_name="Ander", email="o@x.nl", role=Role.PROVIDER,
                provider=world.providers[1], password_hash=hashed))
    db.commit()
    assert login(client, "other").status_code == 302
    assert client.get(f"/facturen/{world.invoice.id}").status_code == 404
    assert client.get(f"/facturen/{world.invoice.id}/ubl.xml").status_code == 404
    assert step(client, world.invoice, "submit").status_code == 404
    assert world.invoice.number not in text(client.get("/facturen/"))


def test_a_provider_may_only_submit(world, as_role, db):
    c = as_role("provider")
    assert step(c, world.invoice, "submit").status_code == 302
    assert step(c, world.invoice, "check").status_code == 403


# --- a provider's own invoice ---------------------------------------------------------------------


def upload(c, world, body: str, number: str = "INV-77"):
    return c.post("/facturen/aanbiederfactuur", content_type="multipart/form-data", data={
        "contract_id": world.contract.id, "external_number": number, "issue_date": TODAY.strftime("%d-%m-%Y"),
        "period_start": (TODAY - timedelta(days=60)).strftime("%d-%m-%Y"), "period_end": TODAY.strftime("%d-%m-%Y"),
        "file": (io.BytesIO(body.encode("utf-8")), "factuur.csv")})


def test_every_line_of_a_providers_invoice_gets_a_verdict(world, as_role, db):
    confirm_placement(as_role, world)
    ref = world.traject.reference
    body = (f"traject;regel;bedrag;omschrijving\n{ref};price;800,00;plaatsing\n{ref};price;1750,00;start\n"
            f"{ref};bonus;100,00;bonus\nT999999;price;10,00;onbekend\n")
    r = upload(as_role("provider"), world, body)
    assert r.status_code == 302
    invoice = invoices(db)[-1]
    assert invoice.source == "provider" and invoice.external_number == "INV-77"
    verdicts = [(line.claimed_amount, line.verdict, line.amount) for line in invoice.lines]
    assert verdicts == [
        (Decimal("800.00"), "amount_differs", Decimal("750.00")),
        (Decimal("1750.00"), "already_invoiced", Decimal("0.00")),
        (Decimal("100.00"), "unknown", Decimal("0.00")),
        (Decimal("10.00"), "unknown", Decimal("0.00")),
    ]
    assert invoice.claimed_total == Decimal("2660.00")
    assert invoice.subtotal == Decimal("750.00")  # what is owed, not what was asked
    # The differing line holds its entitlement: a payment run cannot take it too.
    run(as_role("finance"))
    assert len(invoices(db)) == 2


def test_finance_decides_every_differing_line_before_checking(world, as_role, db):
    confirm_placement(as_role, world)
    ref = world.traject.reference
    upload(as_role("provider"), world, f"traject;regel;bedrag;omschrijving\n{ref};price;800,00;x\n{ref};nee;5;y\n")
    invoice = invoices(db)[-1]
    differs, unknown = invoice.lines
    assert step(as_role("provider"), invoice, "submit").status_code == 302
    c = as_role("finance2")
    r = step(c, invoice, "check")
    assert r.status_code == 422 and "Beslis eerst" in text(r)
    r = c.post(f"/facturen/{invoice.id}/regels/{unknown.id}", data={f"line{unknown.id}-decision": "accept"})
    assert r.status_code == 422 and "alleen worden afgewezen" in text(r)
    r = c.post(f"/facturen/{invoice.id}/regels/{unknown.id}", data={f"line{unknown.id}-decision": "reject"})
    assert r.status_code == 422 and "reden" in text(r)
    assert c.post(f"/facturen/{invoice.id}/regels/{unknown.id}", data={
        f"line{unknown.id}-decision": "reject", f"line{unknown.id}-note": "geen betaalregel"}).status_code == 302
    assert c.post(f"/facturen/{invoice.id}/regels/{differs.id}",
                  data={f"line{differs.id}-decision": "accept"}).status_code == 302
    assert step(c, invoice, "check").status_code == 302
    db.expire_all()
    checked = db.get(Invoice, invoice.id)
    assert checked.status == InvoiceStatus.CHECKED and checked.subtotal == Decimal("750.00")


def test_a_rejected_line_lets_its_entitlement_go(world, as_role, db):
    confirm_placement(as_role, world)
    upload(as_role("provider"), world, f"traject;regel;bedrag;omschrijving\n{world.traject.reference};price;750;x\n")
    invoice = invoices(db)[-1]
    line = invoice.lines[0]
    assert line.verdict == "matched" and line.decision == "accept"
    step(as_role("provider"), invoice, "submit")
    as_role("finance").post(f"/facturen/{invoice.id}/regels/{line.id}", data={
        f"line{line.id}-decision": "reject", f"line{line.id}-note": "dubbel ingediend"})
    db.expire_all()
    assert db.get(InvoiceLine, line.id).amount == Decimal("0.00")
    assert db.get(InvoicedEntitlement, f"t{world.traject.id}:{WORK}") is None


def test_a_file_with_errors_stores_nothing_and_lists_every_bad_row(world, as_role, db):
    body = "traject;regel;bedrag;omschrijving\nXX;price;10;a\nT1;;abc;b\nT1;price;1,234;c\n"
    r = upload(as_role("provider"), world, body)
    assert r.status_code == 422
    page = text(r)
    assert "3 fouten" in page or "4 fouten" in page
    assert "trajectnummer" in page and "Dit veld is verplicht" in page and "bedrag in euro" in page
    assert len(invoices(db)) == 1


def test_a_wrong_header_is_refused_at_the_file_field(world, as_role, db):
    r = upload(as_role("provider"), world, "traject;bedrag\nT1;10\n")
    assert r.status_code == 422
    assert "ontbreken: regel, omschrijving" in error_at(r, "file")
    assert len(invoices(db)) == 1


def test_an_xlsx_file_is_read_too(world, as_role, db):
    from openpyxl import Workbook

    confirm_placement(as_role, world)
    book = Workbook()
    book.active.append(["traject", "regel", "bedrag", "omschrijving"])
    book.active.append([world.traject.reference, "price", 750, "plaatsing"])
    out = io.BytesIO()
    book.save(out)
    r = as_role("provider").post("/facturen/aanbiederfactuur", content_type="multipart/form-data", data={
        "contract_id": world.contract.id, "external_number": "X1", "issue_date": TODAY.strftime("%d-%m-%Y"),
        "period_start": TODAY.strftime("%d-%m-%Y"), "period_end": TODAY.strftime("%d-%m-%Y"),
        "file": (io.BytesIO(out.getvalue()), "factuur.xlsx")})
    assert r.status_code == 302
    assert invoices(db)[-1].lines[0].verdict == "matched"


def test_the_template_has_the_columns(world, as_role):
    body = as_role("provider").get("/facturen/aanbiederfactuur/sjabloon.csv").data.decode("utf-8-sig")
    assert body.splitlines()[0] == "traject;regel;bedrag;omschrijving"


# --- documents ------------------------------------------------------------------------------------


def test_the_ubl_document_is_valid_and_carries_the_figures(world, as_role):
    r = as_role("finance").get(f"/facturen/{world.invoice.id}/ubl.xml")
    assert r.status_code == 200 and r.mimetype == "application/xml"
    ok, errors = validate_xsd(r.data)
    assert ok, errors
    assert [f for f in check_rules(r.data) if f.severity == "fatal"] == []
    root = etree.fromstring(r.data)
    ns = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
          "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"}
    assert root.findtext("cbc:ID", namespaces=ns) == world.invoice.number
    assert root.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=ns) == "2117.50"
    assert root.findtext("cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID",
                         namespaces=ns) == "00000001001234567000"


def test_without_the_gemeentes_address_there_is_no_ubl_but_a_clear_reason(world, as_role, db):
    g = world.gemeenten[0]
    g.street = ""
    db.commit()
    r = as_role("finance").get(f"/facturen/{world.invoice.id}/ubl.xml", follow_redirects=True)
    assert "Geen UBL-document" in text(r) and "adres van de gemeente" in text(r)


def test_the_printable_statement_shows_every_line(world, as_role):
    page = text(as_role("provider").get(f"/facturen/{world.invoice.id}/afdruk"))
    assert world.invoice.number in page and world.traject.reference in page
    assert "€ 1.750,00" in page and "€ 2.117,50" in page and "per aanspraak" in page


# --- overdue --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "listed"), [("submitted", True), ("paid", False), ("draft", False)])
def test_unpaid_invoices_past_their_term_are_overdue(world, as_role, db, status, listed):
    invoice = db.get(Invoice, world.invoice.id)
    invoice.status = InvoiceStatus(status)
    invoice.due_date = TODAY - timedelta(days=12)
    db.commit()
    page = text(as_role("finance").get("/facturen/achterstallig"))
    assert (invoice.number in page) is listed
    if listed:
        assert ">12<" in page.replace(" ", "")


def test_the_list_filters_by_status(world, as_role):
    c = as_role("finance")
    assert world.invoice.number in text(c.get("/facturen/?status=draft"))
    assert world.invoice.number not in text(c.get("/facturen/?status=paid"))


def test_a_claim_for_an_unconfirmed_placement_is_not_yet_due(world, as_role, db):
    """An unconfirmed placement is 'not yet due': it waits for the klantmanager, not for finance."""
    r = upload(as_role("provider"), world,
               f"traject;regel;bedrag;omschrijving\n{world.traject.reference};price;750,00;plaatsing\n")
    assert r.status_code == 302
    line = invoices(db)[-1].lines[0]
    assert (line.verdict, line.amount, line.entitlement_key) == ("not_yet_due", Decimal("0.00"), None)


# --- terms on the contract and the gemeente -------------------------------------------------------


def test_an_exempt_contract_needs_its_reason_and_invoices_without_vat(world, as_role, db):
    from app.models import Contract
    from tests.test_contracts import contract_data

    c = as_role("inkoper")
    r = c.post("/contracten/nieuw", data=contract_data(world, number="C-VRIJ", vat_category="E", vat_rate="21",
                                                       payment_term_days="14", funding_source="Re-integratiebudget"))
    assert r.status_code == 422
    assert "reden van vrijstelling" in error_at(r, "vat_exemption_reason")
    r = c.post("/contracten/nieuw", data=contract_data(
        world, number="C-VRIJ", vat_category="E", vat_rate="21", vat_exemption_reason="Art. 11 lid 1 Wet OB",
        payment_term_days="14", funding_source="Re-integratiebudget"))
    assert r.status_code == 302
    db.expire_all()
    contract = db.scalar(select(Contract).where(Contract.number == "C-VRIJ"))
    assert (contract.vat_category, contract.vat_rate, contract.payment_term_days, contract.funding_source) == (
        "E", Decimal("0"), 14, "Re-integratiebudget")
    r = c.post("/contracten/nieuw", data=contract_data(world, number="C-BTW", vat_rate=""))
    assert r.status_code == 422 and "btw-tarief" in error_at(r, "vat_rate")


def test_the_gemeentes_oin_and_postcode_are_checked(world, as_role, db):
    g = world.gemeenten[2]
    url = f"/gemeenten/{g.id}/bewerken"
    data = {"name": g.name, "cbs_code": g.cbs_code, "executing_body_id": "0", "street": "Markt 1", "city": "Ceeveen"}
    r = as_role("admin").post(url, data={**data, "oin": "123", "postcode": "12AB"})
    assert r.status_code == 422
    assert "20 cijfers" in error_at(r, "oin") and "1234 AB" in error_at(r, "postcode")
    assert as_role("admin").post(url, data={**data, "oin": "00000001003214345000", "postcode": "3456cd"}
                                 ).status_code == 302
    db.expire_all()
    assert (g.oin, g.postcode) == ("00000001003214345000", "3456 CD")


def test_a_line_accepted_again_after_a_run_took_its_entitlement_is_refused(world, as_role, db):
    confirm_placement(as_role, world)
    upload(as_role("provider"), world, f"traject;regel;bedrag;omschrijving\n{world.traject.reference};price;750;x\n")
    invoice = invoices(db)[-1]
    line = invoice.lines[0]
    step(as_role("provider"), invoice, "submit")
    c = as_role("finance")
    c.post(f"/facturen/{invoice.id}/regels/{line.id}", data={
        f"line{line.id}-decision": "reject", f"line{line.id}-note": "eerst uitzoeken"})
    run(c)  # the released 750 goes on the next self-billing invoice
    taken_by = invoices(db)[-1]
    assert [ln.entitlement_key for ln in taken_by.lines] == [f"t{world.traject.id}:{WORK}"]
    r = c.post(f"/facturen/{invoice.id}/regels/{line.id}", data={f"line{line.id}-decision": "accept"})
    assert r.status_code == 422
    assert taken_by.number in text(r)
    db.expire_all()
    assert db.get(InvoiceLine, line.id).amount == Decimal("0.00")
    assert db.get(InvoicedEntitlement, f"t{world.traject.id}:{WORK}").invoice_id == taken_by.id


def test_working_out_what_a_contract_owes_reads_the_same_few_times_for_any_number_of_trajecten(
        app, db, world, connection):
    """The payment run's reading of a contract loads every traject's events, confirmations and version with
    it, in a fixed number of queries, rather than some queries per traject."""
    from app.invoicing.services import owed_for
    from tests.test_reports import make

    def owe() -> None:
        with app.app_context():
            from app.db import session
            owed_for(session.get(type(world.contract), world.contract.id), TODAY)

    def statements() -> int:
        return statements_of(connection, owe)

    few = statements()
    for days in range(10, 60, 10):
        make(db, world, world.providers[0], TODAY - timedelta(days=days))
    db.commit()
    assert statements() == few


def test_templates_show_the_overdue_rule_and_do_not_restate_it():
    """"Overdue" is decided in invoicing.status; a template that compares due dates or lists statuses itself
    would drift from the overdue list the moment the rule changes."""
    from pathlib import Path

    for path in Path("templates").rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        assert "due_date <" not in source and "due_date)" not in source.replace("days_overdue(", ""), path
        assert "'submitted', 'checked'" not in source, path


def test_invoice_lines_name_the_rule_as_the_contract_labels_it(world, as_role, db):
    """A line stores the rule's id (``price``); the page, the statement and the e-invoice show the label."""
    version = world.contract.versions[0]
    model = dict(version.payment_model)
    model["rules"] = [{**model["rules"][0], "label": "Prijs per trede"}]
    version.payment_model = model
    db.commit()
    for url in (f"/facturen/{world.invoice.id}", f"/facturen/{world.invoice.id}/afdruk"):
        page = text(as_role("finance").get(url))
        assert "<td>Prijs per trede</td>" in page and "<td>price</td>" not in page, url
    root = etree.fromstring(as_role("finance").get(f"/facturen/{world.invoice.id}/ubl.xml").data)
    names = root.xpath("//cac:Item/cbc:Name/text()", namespaces={
        "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
        "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"})
    assert names == ["Prijs per trede"]


def test_the_excel_export_holds_real_dates_and_numbers_and_no_formulas(world, as_role, db):
    """A ledger reads dates and amounts as values, not text; a name that starts like a formula stays text; the
    header stays in view and every column is wide enough for what it holds."""
    from datetime import datetime

    from app.spreadsheet import MAX_WIDTH, MIN_WIDTH, MONEY_FORMAT

    approve_fully(as_role, world.invoice)
    world.providers[0].name = "=HYPERLINK(\"http://x\")"
    db.commit()
    c = as_role("finance")
    assert c.post("/facturen/export").status_code == 302
    db.expire_all()
    invoice = db.get(Invoice, world.invoice.id)
    sheet = load_workbook(io.BytesIO(c.get(f"/facturen/export/{invoice.export_id}.xlsx").data)).active
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1]) and not any(cell.font.bold for cell in sheet[2])
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, sheet[2], strict=True))
    for name, day in (("periode_van", invoice.period_start), ("periode_tot", invoice.period_end),
                      ("factuurdatum", invoice.issue_date), ("vervaldatum", invoice.due_date)):
        assert row[name].is_date and isinstance(row[name].value, datetime), name
        assert row[name].value.date() == day and row[name].number_format == "DD-MM-YYYY", name
    for name, amount in (("bedrag_excl_btw", "1750.00"), ("btw", "367.50"), ("bedrag_incl_btw", "2117.50")):
        assert isinstance(row[name].value, int | float) and not isinstance(row[name].value, str), name
        assert Decimal(str(row[name].value)) == Decimal(amount), name
        assert row[name].data_type == "n" and row[name].number_format == MONEY_FORMAT, name
    assert row["aanbieder"].data_type == "s" and row["aanbieder"].value == "'=HYPERLINK(\"http://x\")"
    widths = {cell.column_letter: sheet.column_dimensions[cell.column_letter].width for cell in sheet[1]}
    assert all(MIN_WIDTH <= width <= MAX_WIDTH for width in widths.values()), widths
    assert widths[row["factuurnummer_aanbieder"].column_letter] == len("factuurnummer_aanbieder") + 2
    assert widths[row["iban"].column_letter] >= len(invoice.provider.iban) + 2
    csv_rows = list(csv.reader(io.StringIO(c.get(f"/facturen/export/{invoice.export_id}.csv")
                                           .data.decode("utf-8-sig")), delimiter=";"))
    assert not csv_rows[1][4].startswith("=")


def reject(as_role, invoice):
    assert step(as_role("provider"), invoice, "submit").status_code == 302
    assert step(as_role("finance2"), invoice, "reject", "opnieuw").status_code == 302


def test_a_runs_invoice_covers_the_due_dates_of_its_lines(world, as_role, db):
    """A run for the last three days takes the start payment due 30 days ago (nothing invoiced it any longer):
    its invoice's period reaches back to that due date, on the page, the result and the e-invoice."""
    reject(as_role, world.invoice)
    r = run(as_role("finance"), start=TODAY - timedelta(days=3), end=TODAY)
    assert r.status_code == 200 and "vóór deze periode verschuldigd" in text(r)
    invoice = invoices(db)[-1]
    started = TODAY - timedelta(days=30)  # the world's start: referral 40 days ago + 10
    assert [line.due_on for line in invoice.lines] == [started]
    assert (invoice.period_start, invoice.period_end) == (started, TODAY)
    root = etree.fromstring(as_role("finance").get(f"/facturen/{invoice.id}/ubl.xml").data)
    assert root.xpath("string(//*[local-name()='InvoicePeriod']/*[local-name()='StartDate'])") == started.isoformat()


def nightly(app, day):
    """The worker's night at ``day``: the kept warnings are worked out anew for every contract."""
    from app import clock
    from app.invoicing.services import refresh_backlog

    with app.app_context(), clock.frozen(day):
        refresh_backlog(day, every=True)


def test_the_payment_run_page_warns_of_entitlements_never_invoiced_for_long(world, as_role, db, app):
    from app import clock

    later = TODAY + timedelta(days=45)  # the start payment (due 30 days ago) is then 75 days old
    nightly(app, later)
    with clock.frozen(later):
        assert "Lang niet gefactureerd" not in text(as_role("finance").get("/facturen/betaalrun"))  # invoiced
    reject(as_role, world.invoice)  # releases the entitlement: the warning is worked out at once, for today
    with clock.frozen(TODAY):
        page = text(as_role("finance").get("/facturen/betaalrun"))
    assert "Lang niet gefactureerd" not in page and f"Nagegaan op {TODAY:%d-%m-%Y}" in page  # only 30 days
    nightly(app, later)
    with clock.frozen(later):
        page = text(as_role("finance").get("/facturen/betaalrun"))
    assert "Lang niet gefactureerd" in page
    assert f"{world.contract.number}: 1 aanspraak van samen € 1.750,00" in page
    run(as_role("finance"), start=TODAY - timedelta(days=3), end=TODAY)  # a run takes it: worked out again
    assert "Lang niet gefactureerd" not in text(as_role("finance").get("/facturen/betaalrun"))


def test_a_change_marks_the_warning_as_being_worked_out_until_the_worker_has_done_it(world, as_role, db, app):
    """Without a worker (the queue holds the task), the page says the figure is being worked out."""
    from app.invoicing.services import refresh_backlog
    from app.models import ContractBacklog

    nightly(app, TODAY)
    app.extensions["huey"].immediate = False
    try:
        reject(as_role, world.invoice)
        page = text(as_role("finance").get("/facturen/betaalrun"))
    finally:
        app.extensions["huey"].immediate = True
    assert "wordt dit nu nagegaan" in page
    assert db.get(ContractBacklog, world.contract.id).as_of is None
    with app.app_context():
        assert refresh_backlog(TODAY) >= 1
    assert "wordt dit nu nagegaan" not in text(as_role("finance").get("/facturen/betaalrun"))


NS_UBL = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
          "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"}


def test_a_joint_contracts_invoice_reaches_each_paying_gemeente_as_its_own_e_invoice(world, app, as_role, db):
    """The contract serves Aastad and Beedorp. With a traject of each on one invoice (1750 each), each gemeente
    receives its own e-invoice of its own lines (1750 + 21% = 2117.50), numbered after the invoice, and the
    ledger export's rows say the same figures under the same numbers."""
    from tests.conftest import _traject

    with app.app_context():
        _traject(app, db, world.clients[1], db.get(type(world.contract), world.contract.id), world.users)
        db.commit()
    reject(as_role, world.invoice)
    assert run(as_role("finance")).status_code == 200
    invoice = invoices(db)[-1]
    assert sorted(line.gemeente.name for line in invoice.lines) == ["Aastad", "Beedorp"]
    assert (invoice.subtotal, invoice.vat, invoice.total) == (Decimal("3500.00"), Decimal("735.00"),
                                                              Decimal("4235.00"))
    c = as_role("finance")
    page = c.get(f"/facturen/{invoice.id}").data.decode()
    expected = {}
    for gemeente, oin in ((world.gemeenten[0], "00000001001234567000"), (world.gemeenten[1], "00000001007654321000")):
        assert f"/facturen/{invoice.id}/ubl.xml?gemeente={gemeente.id}" in page
        r = c.get(f"/facturen/{invoice.id}/ubl.xml?gemeente={gemeente.id}")
        ok, errors = validate_xsd(r.data)
        assert ok, errors
        assert [f for f in check_rules(r.data) if f.severity == "fatal"] == []
        root = etree.fromstring(r.data)
        number = f"{invoice.number}-{gemeente.cbs_code}"
        assert root.findtext("cbc:ID", namespaces=NS_UBL) == number
        assert root.findtext("cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID",
                             namespaces=NS_UBL) == oin
        assert root.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS_UBL) == "2117.50"
        assert len(root.findall("cac:InvoiceLine", namespaces=NS_UBL)) == 1
        expected[gemeente.name] = [number, "1750,00", "367,50", "2117,50"]
    r = c.get(f"/facturen/{invoice.id}/ubl.xml", follow_redirects=True)
    assert "Geen UBL-document" in text(r) and "Kies de gemeente" in text(r)
    assert step(as_role("provider"), invoice, "submit").status_code == 302
    assert step(as_role("finance2"), invoice, "check").status_code == 302
    assert step(as_role("finance3"), invoice, "approve").status_code == 302
    assert c.post("/facturen/export").status_code == 302
    db.expire_all()
    batch = db.get(Invoice, invoice.id).export_id
    rows = list(csv.reader(io.StringIO(c.get(f"/facturen/export/{batch}.csv").data.decode("utf-8-sig")),
                           delimiter=";"))
    assert {row[9]: [row[1], *row[-3:]] for row in rows[1:]} == expected
