"""The UBL e-invoice: schema-valid, free of fatal Peppol findings, true to the Dutch national rules and to
the figures it was given, and refused with a Dutch message when it could not be valid.

``peppol`` (dev dependency peppol-ubl-validate) validates against the OASIS UBL 2.1 schemas and
re-implements a subset of the Peppol BIS Billing 3.0 rules. It does not check the Dutch national rules,
so :func:`dutch_rule_violations` does, with XPath, one rule id at a time, worded after the official
schematron (OpenPeppol peppol-bis-invoice-3, rules/sch/PEPPOL-EN16931-UBL.sch).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from peppol import check_rules, validate_xsd

from invoicing.ubl import Address, Party, UblDocument, UblError, UblLine, to_ubl

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CENT = Decimal("0.01")

SUPPLIER = Party(
    name="Werkfit Re-integratie B.V.",
    address=Address(street="Stationsplein 12", postcode="3511 ED", city="Utrecht"),
    kvk="12345678",
    vat_id="NL123456789B01",
    iban="NL91ABNA0417164300",
)
GEMEENTE = Party(
    name="Gemeente Súdwest-Fryslân",
    address=Address(street="Marktstraat 15", postcode="8601 CR", city="Sneek"),
    oin="00000001001234567000",
)
PLACEMENT = UblLine("1", "Plaatsing regulier werk", "Plaatsing op 3 maart 2025, zes maanden duurzaam",
                    Decimal("2500.00"), "T000012")
START = UblLine("2", "Startvergoeding", "Start van het traject op 10 februari 2025", Decimal("750.00"), "T000013")
CLAWBACK = UblLine("3", "Terugvordering plaatsing", "Uitval binnen de garantietermijn", Decimal("-1200.00"), "T000009")


def make_doc(lines: tuple[UblLine, ...] = (PLACEMENT, START), category: str = "S", rate: str = "21",
             credit_note: bool = False, **changes: object) -> UblDocument:
    """A consistent document; totals computed the way invoicing.totals computes them."""
    vat_rate = Decimal(rate)
    subtotal = sum((line.amount for line in lines), Decimal("0.00"))
    vat = (subtotal * vat_rate / 100).quantize(CENT, ROUND_HALF_UP)
    doc = UblDocument(
        number="CN2025-0001" if credit_note else "F2025-0001",
        issue_date=date(2025, 3, 31),
        due_date=date(2025, 4, 30),
        supplier=SUPPLIER,
        customer=GEMEENTE,
        buyer_reference="C-2025-007",
        lines=lines,
        vat_category=category,
        vat_rate=vat_rate,
        exemption_reason="Vrijgesteld van btw, artikel 11 Wet OB" if category == "E" else "",
        subtotal=subtotal,
        vat=vat,
        total=subtotal + vat,
        period_start=date(2025, 3, 1),
        period_end=date(2025, 3, 31),
        note="Betalingsrun maart 2025",
        credit_note=credit_note,
        billing_reference="F2025-0001" if credit_note else "",
        contract_number="C-2025-007",
    )
    return replace(doc, **changes)


def credited(*lines: UblLine) -> tuple[UblLine, ...]:
    """Lines as a credit note's caller passes them: negative, as the ledger holds them."""
    return tuple(replace(line, amount=-line.amount) for line in lines)


STANDARD = make_doc()
EXEMPT = make_doc(category="E", rate="0")
WITH_CREDIT_LINE = make_doc(lines=(PLACEMENT, START, CLAWBACK))
CREDIT_NOTE = make_doc(lines=credited(PLACEMENT, START), credit_note=True)
DOCUMENTS = {"standard": STANDARD, "exempt": EXEMPT, "credit line": WITH_CREDIT_LINE, "credit note": CREDIT_NOTE}


def parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))


def xp(node: etree._Element, path: str) -> list:
    return node.xpath(path, namespaces=NS)


def text(node: etree._Element, path: str) -> str:
    return node.xpath(f"normalize-space({path})", namespaces=NS)


def amount(node: etree._Element, path: str) -> Decimal:
    return Decimal(text(node, path))


def assert_valid(xml: bytes) -> None:
    ok, errors = validate_xsd(xml)
    assert ok, errors
    fatal = [str(finding) for finding in check_rules(xml) if finding.severity == "fatal"]
    assert fatal == []


def dutch_rule_violations(root: etree._Element) -> list[str]:
    """The Dutch national rules (NL-R-001 … NL-R-009) this document breaks, by rule id.

    Each rule applies when the supplier is in the Netherlands (NL-R-004, -005 and -008 also need the
    customer there), as in the schematron. Where the schematron's context is an element we promise to
    write (NL-R-003, NL-R-005), the element's absence counts as a violation too.
    """
    is_credit_note = etree.QName(root).localname == "CreditNote"
    supplier = "cac:AccountingSupplierParty/cac:Party"
    customer = "cac:AccountingCustomerParty/cac:Party"
    supplier_nl = text(root, f"{supplier}/cac:PostalAddress/cac:Country/cbc:IdentificationCode") == "NL"
    customer_nl = text(root, f"{customer}/cac:PostalAddress/cac:Country/cbc:IdentificationCode") == "NL"

    def address_complete(address: str) -> bool:
        return all(text(root, f"{address}/cbc:{part}") for part in ("StreetName", "CityName", "PostalZone"))

    def legal_id(party: str, scheme: str) -> bool:
        ids = xp(root, f"{party}/cac:PartyLegalEntity/cbc:CompanyID")
        return bool(ids) and all(i.get("schemeID") == scheme and (i.text or "").strip() for i in ids)

    payable = amount(root, "cac:LegalMonetaryTotal/cbc:PayableAmount")
    rules = {
        "NL-R-001": not is_credit_note or bool(text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID")),
        "NL-R-002": address_complete(f"{supplier}/cac:PostalAddress"),
        # The schematron accepts 0106 or 0190; we claim the provider's KvK number and the gemeente's OIN.
        "NL-R-003": legal_id(supplier, "0106"),
        "NL-R-004": not customer_nl or address_complete(f"{customer}/cac:PostalAddress"),
        "NL-R-005": not customer_nl or legal_id(customer, "0190"),
        "NL-R-006": all(address_complete("cac:TaxRepresentativeParty/cac:PostalAddress")
                        for _ in xp(root, "cac:TaxRepresentativeParty")),
        "NL-R-007": (not is_credit_note and payable <= 0) or (is_credit_note and payable >= 0)
                    or bool(xp(root, "cac:PaymentMeans")),
        "NL-R-008": not customer_nl or all(
            code in {"30", "48", "49", "57", "58", "59"}
            for code in (c.strip() for c in xp(root, "cac:PaymentMeans/cbc:PaymentMeansCode/text()"))
        ),
        "NL-R-009": not xp(root, "//cac:OrderLineReference/cbc:LineID")
                    or bool(text(root, "cac:OrderReference/cbc:ID")),
    }
    return [rule for rule, holds in rules.items() if supplier_nl and not holds]


# --- valid documents --------------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_every_kind_of_document_is_schema_valid_without_fatal_findings(doc):
    xml = to_ubl(doc)
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert_valid(xml)


def test_the_standard_invoice_draws_no_finding_at_all():
    assert check_rules(to_ubl(STANDARD)) == []


def test_an_invoice_is_an_invoice_of_type_380_in_the_peppol_profile():
    root = parse(to_ubl(STANDARD))
    assert etree.QName(root).localname == "Invoice"
    assert text(root, "cbc:CustomizationID") == (
        "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0")
    assert text(root, "cbc:ProfileID") == "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
    assert text(root, "cbc:InvoiceTypeCode") == "380"
    assert text(root, "cbc:DocumentCurrencyCode") == "EUR"
    assert text(root, "cbc:ID") == "F2025-0001"
    assert text(root, "cbc:IssueDate") == "2025-03-31"
    assert text(root, "cbc:DueDate") == "2025-04-30"  # BR-CO-25: an amount due needs a due date
    assert text(root, "cbc:BuyerReference") == "C-2025-007"
    assert text(root, "cbc:Note") == "Betalingsrun maart 2025"
    assert text(root, "cac:InvoicePeriod/cbc:StartDate") == "2025-03-01"
    assert text(root, "cac:InvoicePeriod/cbc:EndDate") == "2025-03-31"
    assert text(root, "cac:ContractDocumentReference/cbc:ID") == "C-2025-007"
    assert len(xp(root, "cac:InvoiceLine")) == 2


def test_the_parties_carry_their_peppol_addresses_and_registrations():
    root = parse(to_ubl(STANDARD))
    supplier = xp(root, "cac:AccountingSupplierParty/cac:Party")[0]
    customer = xp(root, "cac:AccountingCustomerParty/cac:Party")[0]
    assert [(e.get("schemeID"), e.text) for e in xp(supplier, "cbc:EndpointID")] == [("0106", "12345678")]
    assert [(e.get("schemeID"), e.text) for e in xp(customer, "cbc:EndpointID")] == [
        ("0190", "00000001001234567000")]
    assert text(supplier, "cac:PartyLegalEntity/cbc:RegistrationName") == "Werkfit Re-integratie B.V."
    assert text(customer, "cac:PartyLegalEntity/cbc:RegistrationName") == "Gemeente Súdwest-Fryslân"
    assert text(supplier, "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID") == "NL123456789B01"
    assert text(customer, "cac:PostalAddress/cbc:PostalZone") == "8601 CR"
    means = xp(root, "cac:PaymentMeans")[0]
    assert text(means, "cbc:PaymentMeansCode") == "58"
    assert text(means, "cbc:PaymentID") == "F2025-0001"
    assert text(means, "cac:PayeeFinancialAccount/cbc:ID") == "NL91ABNA0417164300"


def test_exempt_invoice_states_category_e_at_zero_percent_with_the_reason():
    root = parse(to_ubl(EXEMPT))
    category = xp(root, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory")[0]
    assert text(category, "cbc:ID") == "E"
    assert Decimal(text(category, "cbc:Percent")) == 0
    assert text(category, "cbc:TaxExemptionReason") == "Vrijgesteld van btw, artikel 11 Wet OB"
    assert amount(root, "cac:TaxTotal/cbc:TaxAmount") == 0
    assert {text(c, "cbc:ID") for c in xp(root, "//cac:ClassifiedTaxCategory")} == {"E"}


def test_a_credit_line_on_an_invoice_is_one_unit_less_at_a_positive_price():
    root = parse(to_ubl(WITH_CREDIT_LINE))
    line = xp(root, "cac:InvoiceLine[cbc:ID='3']")[0]
    assert text(line, "cbc:InvoicedQuantity") == "-1"
    assert amount(line, "cac:Price/cbc:PriceAmount") == Decimal("1200.00")  # BR-27: never negative
    assert amount(line, "cbc:LineExtensionAmount") == Decimal("-1200.00")
    assert all(Decimal(p) >= 0 for p in xp(root, "//cac:Price/cbc:PriceAmount/text()"))


def test_a_credit_note_credits_positive_amounts_and_names_the_invoice():
    root = parse(to_ubl(CREDIT_NOTE))
    assert etree.QName(root).localname == "CreditNote"
    assert text(root, "cbc:CreditNoteTypeCode") == "381"
    assert text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == "F2025-0001"
    assert xp(root, "cac:InvoiceLine") == []
    assert [text(line, "cbc:CreditedQuantity") for line in xp(root, "cac:CreditNoteLine")] == ["1", "1"]
    assert amount(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == Decimal("3932.50")
    assert amount(root, "cac:TaxTotal/cbc:TaxAmount") == Decimal("682.50")
    # A UBL 2.1 credit note has no due date, and the payment flows to the gemeente: no payment means.
    assert xp(root, "cbc:DueDate") == []
    assert xp(root, "cac:PaymentMeans") == []


def test_a_credit_note_needs_no_iban():
    no_iban = replace(CREDIT_NOTE, supplier=replace(SUPPLIER, iban=""))
    assert_valid(to_ubl(no_iban))


def test_a_credit_note_that_credits_a_credit_line_writes_it_as_one_unit_less():
    doc = make_doc(lines=credited(PLACEMENT, CLAWBACK), credit_note=True)
    root = parse(to_ubl(doc))
    line = xp(root, "cac:CreditNoteLine[cbc:ID='3']")[0]
    assert text(line, "cbc:CreditedQuantity") == "-1"
    assert amount(line, "cbc:LineExtensionAmount") == Decimal("-1200.00")
    assert amount(line, "cac:Price/cbc:PriceAmount") == Decimal("1200.00")
    assert_valid(to_ubl(doc))


def test_lines_say_what_they_are_for():
    root = parse(to_ubl(STANDARD))
    line = xp(root, "cac:InvoiceLine[cbc:ID='1']")[0]
    assert text(line, "cac:Item/cbc:Name") == "Plaatsing regulier werk"
    assert text(line, "cac:Item/cbc:Description") == "Plaatsing op 3 maart 2025, zes maanden duurzaam"
    assert text(line, "cac:DocumentReference/cbc:ID") == "T000012"
    assert text(line, "cac:DocumentReference/cbc:DocumentTypeCode") == "130"  # PEPPOL-EN16931-R101


def test_optional_parts_are_left_out_rather_than_written_empty():
    doc = make_doc(lines=(replace(PLACEMENT, reference="", description=""),), note="", contract_number="",
                   period_start=None, period_end=None)
    xml = to_ubl(doc)
    root = parse(xml)
    for absent in ("cbc:Note", "cac:InvoicePeriod", "cac:ContractDocumentReference", "cac:BillingReference",
                   "cac:InvoiceLine/cac:DocumentReference", "cac:InvoiceLine/cac:Item/cbc:Description"):
        assert xp(root, absent) == [], absent
    # PEPPOL-EN16931-R008: no element without content.
    assert xp(root, "//*[not(*) and not(normalize-space())]") == []
    assert_valid(xml)


def test_text_is_written_as_given_in_utf8_without_characters_xml_cannot_carry():
    doc = make_doc(note="Zie bijlage\x0b & <overzicht> \u2013 \u20ac")
    xml = to_ubl(doc)
    assert "Súdwest-Fryslân".encode() in xml
    assert text(parse(xml), "cbc:Note") == "Zie bijlage & <overzicht> \u2013 \u20ac"


def test_every_amount_has_two_decimals_and_is_in_euro():
    for doc in DOCUMENTS.values():
        root = parse(to_ubl(doc))
        amounts = xp(root, "//*[@currencyID]")
        assert len(amounts) >= 8
        for element in amounts:
            assert element.get("currencyID") == "EUR"
            assert re.fullmatch(r"-?\d+\.\d{2}", element.text), element.text


# --- the Dutch national rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("doc", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_dutch_national_rules_hold(doc):
    assert dutch_rule_violations(parse(to_ubl(doc))) == []


def test_the_dutch_rule_check_catches_what_it_claims_to():
    """The helper above is only worth something if it fails on a broken document."""
    invoice = parse(to_ubl(STANDARD))
    supplier = xp(invoice, "cac:AccountingSupplierParty/cac:Party")[0]
    customer = xp(invoice, "cac:AccountingCustomerParty/cac:Party")[0]
    for street in xp(supplier, "cac:PostalAddress/cbc:StreetName") + xp(customer, "cac:PostalAddress/cbc:CityName"):
        street.getparent().remove(street)
    xp(supplier, "cac:PartyLegalEntity/cbc:CompanyID")[0].set("schemeID", "0088")
    xp(customer, "cac:PartyLegalEntity/cbc:CompanyID")[0].set("schemeID", "9944")
    xp(invoice, "cac:PaymentMeans/cbc:PaymentMeansCode")[0].text = "31"
    assert dutch_rule_violations(invoice) == ["NL-R-002", "NL-R-003", "NL-R-004", "NL-R-005", "NL-R-008"]

    means = xp(invoice, "cac:PaymentMeans")[0]
    means.getparent().remove(means)
    assert "NL-R-007" in dutch_rule_violations(invoice)

    credit_note = parse(to_ubl(CREDIT_NOTE))
    reference = xp(credit_note, "cac:BillingReference")[0]
    credit_note.remove(reference)
    assert dutch_rule_violations(credit_note) == ["NL-R-001"]


# --- the figures ----------------------------------------------------------------------------------------


def assert_figures(root: etree._Element, doc: UblDocument) -> None:
    """The XML states exactly the input's figures (a credit note states them positive)."""
    sign = -1 if doc.credit_note else 1
    line_tag, quantity_tag = ("CreditNoteLine", "CreditedQuantity") if doc.credit_note else (
        "InvoiceLine", "InvoicedQuantity")
    totals = "cac:LegalMonetaryTotal"
    assert amount(root, f"{totals}/cbc:LineExtensionAmount") == sign * doc.subtotal
    assert amount(root, f"{totals}/cbc:TaxExclusiveAmount") == sign * doc.subtotal
    assert amount(root, f"{totals}/cbc:TaxInclusiveAmount") == sign * doc.total
    assert amount(root, f"{totals}/cbc:PayableAmount") == sign * doc.total
    assert amount(root, "cac:TaxTotal/cbc:TaxAmount") == sign * doc.vat
    assert amount(root, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount") == sign * doc.subtotal
    assert amount(root, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount") == sign * doc.vat
    assert Decimal(text(root, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent")) == doc.vat_rate
    lines = xp(root, f"cac:{line_tag}")
    assert len(lines) == len(doc.lines)
    for element, line in zip(lines, doc.lines, strict=True):
        assert text(element, "cbc:ID") == line.id
        assert amount(element, "cbc:LineExtensionAmount") == sign * line.amount
        quantity = Decimal(text(element, f"cbc:{quantity_tag}"))
        assert quantity * amount(element, "cac:Price/cbc:PriceAmount") == sign * line.amount


@pytest.mark.parametrize("doc", DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_the_figures_in_the_xml_are_the_figures_given(doc):
    assert_figures(parse(to_ubl(doc)), doc)


def test_the_figures_are_the_worked_example():
    """Spelled out once, so that a shared mistake in make_doc and to_ubl cannot hide."""
    root = parse(to_ubl(WITH_CREDIT_LINE))
    assert text(root, "cac:LegalMonetaryTotal/cbc:LineExtensionAmount") == "2050.00"
    assert text(root, "cac:TaxTotal/cbc:TaxAmount") == "430.50"
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "2480.50"
    assert xp(root, "cac:InvoiceLine/cbc:LineExtensionAmount/text()") == ["2500.00", "750.00", "-1200.00"]


# --- refusals -------------------------------------------------------------------------------------------

NO_ADDRESS = Address(street="", postcode="", city="")
REFUSALS = {
    "gemeente address": (replace(STANDARD, customer=replace(GEMEENTE, address=NO_ADDRESS)),
                         "Het adres van de gemeente ontbreekt (straat, postcode, plaats)"),
    "gemeente postcode": (replace(STANDARD, customer=replace(GEMEENTE, address=replace(GEMEENTE.address,
                                                                                        postcode=" "))),
                          "Het adres van de gemeente is onvolledig: postcode ontbreekt"),
    "supplier address": (replace(STANDARD, supplier=replace(SUPPLIER, address=replace(SUPPLIER.address, street="",
                                                                                      city=""))),
                         "Het adres van de aanbieder is onvolledig: straat, plaats ontbreekt"),
    "country": (replace(STANDARD, supplier=replace(SUPPLIER, address=replace(SUPPLIER.address, country="nl"))),
                "Het land van de aanbieder is geen landcode van twee hoofdletters (zoals NL)"),
    "oin": (replace(STANDARD, customer=replace(GEMEENTE, oin="")), "De OIN van de gemeente ontbreekt"),
    "oin format": (replace(STANDARD, customer=replace(GEMEENTE, oin="1234")),
                   "De OIN van de gemeente is geen 20 cijfers"),
    "kvk": (replace(STANDARD, supplier=replace(SUPPLIER, kvk="")), "Het KvK-nummer van de aanbieder ontbreekt"),
    "kvk format": (replace(STANDARD, supplier=replace(SUPPLIER, kvk="1234567X")),
                   "Het KvK-nummer van de aanbieder is geen 8 cijfers"),
    "vat id": (replace(STANDARD, supplier=replace(SUPPLIER, vat_id="")),
               "Het btw-identificatienummer van de aanbieder ontbreekt"),
    "vat id format": (replace(STANDARD, supplier=replace(SUPPLIER, vat_id="NL12345678B01")),
                      "Het btw-identificatienummer van de aanbieder heeft niet de vorm NL123456789B01"),
    "iban": (replace(STANDARD, supplier=replace(SUPPLIER, iban="")), "Het IBAN van de aanbieder ontbreekt"),
    "iban checksum": (replace(STANDARD, supplier=replace(SUPPLIER, iban="NL92ABNA0417164300")),
                      "Het IBAN van de aanbieder is ongeldig"),
    "supplier name": (replace(STANDARD, supplier=replace(SUPPLIER, name="  ")), "De naam van de aanbieder ontbreekt"),
    "gemeente name": (replace(STANDARD, customer=replace(GEMEENTE, name="")), "De naam van de gemeente ontbreekt"),
    "number": (replace(STANDARD, number=""), "Het factuurnummer ontbreekt"),
    "buyer reference": (replace(STANDARD, buyer_reference=""),
                        "De referentie van de gemeente (buyer reference) ontbreekt"),
    "credit note reference": (replace(CREDIT_NOTE, billing_reference=""),
                              "Een creditnota noemt de oorspronkelijke factuur"),
    "credit note sign": (make_doc(credit_note=True),
                         "Een creditnota heeft een negatief totaal (wat gecrediteerd wordt); dit totaal is positief"),
    "lines sum": (replace(STANDARD, subtotal=STANDARD.subtotal + CENT, total=STANDARD.total + CENT),
                  "De regels tellen niet op tot het subtotaal"),
    "total": (replace(STANDARD, total=STANDARD.total - CENT), "Subtotaal plus btw is niet het totaal"),
    "vat": (replace(STANDARD, vat=STANDARD.vat + CENT, total=STANDARD.total + CENT),
            "De btw is niet 21% van het subtotaal, half-up afgerond op centen"),
    "exemption reason": (replace(EXEMPT, exemption_reason=""),
                         "Een vrijgestelde factuur noemt de reden van vrijstelling"),
    "exempt rate": (replace(EXEMPT, vat_rate=Decimal("21")), "Een vrijgestelde factuur heeft btw-tarief 0"),
    "exempt vat": (replace(EXEMPT, vat=Decimal("1.00"), total=EXEMPT.total + 1),
                   "Een vrijgestelde factuur rekent geen btw"),
    "standard rate": (make_doc(rate="0"), "Een btw-tarief ligt tussen 0 en 100 procent"),
    "category": (replace(STANDARD, vat_category="Z"), "Onbekende btw-categorie 'Z': S (btw-tarief) of E (vrijgesteld)"),
    "no lines": (replace(STANDARD, lines=(), subtotal=Decimal("0.00"), vat=Decimal("0.00"), total=Decimal("0.00")),
                 "Een factuur heeft ten minste één regel"),
    "line name": (make_doc(lines=(replace(PLACEMENT, name=""),)), "Regel 1 heeft geen naam"),
    "line id": (make_doc(lines=(replace(PLACEMENT, id=""),)), "Regel 1 heeft geen regelnummer"),
    "duplicate line id": (make_doc(lines=(PLACEMENT, replace(START, id="1"))), "Regelnummer 1 komt meer dan eens voor"),
    "cents": (make_doc(lines=(replace(PLACEMENT, amount=Decimal("2500.005")),)),
              "Het bedrag van regel 1 is niet in hele centen"),
    "float": (replace(STANDARD, vat=682.5), "Het bedrag van de btw is geen Decimal"),
    "period": (replace(STANDARD, period_start=date(2025, 4, 1)), "De factuurperiode eindigt voordat zij begint"),
}


@pytest.mark.parametrize(("doc", "message"), REFUSALS.values(), ids=REFUSALS.keys())
def test_a_document_that_cannot_be_valid_is_refused_with_its_reason(doc, message):
    with pytest.raises(UblError) as refused:
        to_ubl(doc)
    assert message in refused.value.problems
    assert message in str(refused.value)
    assert isinstance(refused.value, ValueError)


def test_every_reason_is_given_at_once():
    doc = replace(CREDIT_NOTE, billing_reference="", customer=replace(GEMEENTE, oin="", address=NO_ADDRESS),
                  supplier=replace(SUPPLIER, kvk=""))
    with pytest.raises(UblError) as refused:
        to_ubl(doc)
    assert refused.value.problems == (
        "Een creditnota noemt de oorspronkelijke factuur",
        "Het KvK-nummer van de aanbieder ontbreekt",
        "Het adres van de gemeente ontbreekt (straat, postcode, plaats)",
        "De OIN van de gemeente ontbreekt",
    )


def test_identifiers_typed_with_spaces_are_written_compact():
    doc = replace(STANDARD, supplier=replace(SUPPLIER, kvk="1234 5678", iban="NL91 ABNA 0417 1643 00",
                                             vat_id="nl 1234.56.789.b01"))
    root = parse(to_ubl(doc))
    assert text(root, "cac:AccountingSupplierParty/cac:Party/cbc:EndpointID") == "12345678"
    assert text(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID") == "NL91ABNA0417164300"
    assert text(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID") == "NL123456789B01"


# --- property -------------------------------------------------------------------------------------------

cents = st.integers(min_value=-250_000, max_value=1_000_000).map(lambda c: Decimal(c).scaleb(-2))
line_amounts = st.lists(cents, min_size=1, max_size=6).filter(lambda amounts: sum(amounts) > 0)


@settings(max_examples=30, deadline=None)
@given(amounts=line_amounts, rate=st.sampled_from(["0", "9", "21"]), credit_note=st.booleans())
def test_any_consistent_document_is_valid_and_states_its_figures(amounts, rate, credit_note):
    lines = tuple(UblLine(str(n), f"Regel {n}", "", a if not credit_note else -a, f"T{n:06d}")
                  for n, a in enumerate(amounts, start=1))
    doc = make_doc(lines=lines, category="E" if rate == "0" else "S", rate=rate, credit_note=credit_note)
    xml = to_ubl(doc)
    assert_valid(xml)
    root = parse(xml)
    assert_figures(root, doc)
    assert dutch_rule_violations(root) == []
