"""One invoice or credit note as a UBL 2.1 e-invoice that a Dutch gemeente can receive.

Why this format. Dutch government bodies must accept electronic invoices that conform to the European
standard EN 16931 (directive 2014/55/EU), and over the Peppol network they receive them as Peppol BIS
Billing 3.0: UBL 2.1 restricted to EN 16931, plus Peppol's own rules and the Dutch national rules
NL-R-001 … NL-R-009 that apply whenever the supplier is in the Netherlands (OpenPeppol,
``peppol-bis-invoice-3``, ``rules/sch/PEPPOL-EN16931-UBL.sch``). A document that breaks one of those
rules is rejected at the gemeente's access point, and a rejected invoice is a payment that does not
happen; so :func:`to_ubl` checks its input first and refuses, with a Dutch message that names what is
missing, anything that could not become a valid document. What the Dutch rules ask of us:

* NL-R-001: a credit note names the invoice it credits (``BillingReference``).
* NL-R-002, NL-R-004: supplier and customer addresses have street, city and postcode.
* NL-R-003, NL-R-005: legal entity identifiers are a KvK number (scheme 0106) or an OIN (scheme 0190);
  the provider is identified by its KvK number, the gemeente by its OIN. The same numbers are the
  Peppol electronic addresses (``EndpointID``, mandatory in Peppol), and Peppol checks their format
  (PEPPOL-COMMON-R054: eight digits, R055: twenty digits).
* NL-R-007, NL-R-008: an invoice carries payment instructions with an allowed code; we write code 58
  (SEPA credit transfer) to the provider's IBAN. A credit note does not: the money flows the other way,
  the rule does not ask for it, and we do not know the gemeente's account.
* NL-R-006 (fiscal representative) and NL-R-009 (order line references) concern elements we never
  write.

Why the signs. EN 16931 forbids a negative item price (BR-27), so a credit line on an invoice (a
clawback) is written as quantity -1 at a positive price. A credit note states what is credited, so its
amounts are written positive although the caller passes them negative, as the ledger holds them.

Why the rounding. EN 16931 computes VAT per VAT category on the sum of the line amounts, not per line;
the project does the same (see :mod:`invoicing.totals`): VAT is the rate applied once to the subtotal and
rounded half-up to the cent. :func:`to_ubl` insists the figures it is given follow that rule, so that
the lines add up to the subtotal and subtotal plus VAT is the total, to the cent, as BR-CO-10, BR-CO-13,
BR-CO-15 and BR-CO-17 check.

A UBL 2.1 credit note has no due date (BT-9 is absent from Peppol's credit note), so ``due_date`` is
written on invoices only. The module is pure: the XML is built with ``xml.etree.ElementTree``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from contracts.messages import DomainError
from contracts.money import CENT, HUNDRED, ZERO, to_cents
from invoicing.totals import EXEMPT, STANDARD

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
CURRENCY = "EUR"
INVOICE_TYPE_CODE = "380"
CREDIT_NOTE_TYPE_CODE = "381"
KVK_SCHEME = "0106"
OIN_SCHEME = "0190"
SEPA_CREDIT_TRANSFER = "58"
INVOICED_OBJECT = "130"  # UNTDID 1001: the line's DocumentReference names the object the line is for (BT-128)
UNIT = "C62"  # "one": each line is one entitlement

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

_KVK = re.compile(r"\d{8}")
_OIN = re.compile(r"\d{20}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_VAT_ID = re.compile(r"[A-Z]{2}[0-9A-Z+*.]{2,12}")
_DUTCH_VAT_ID = re.compile(r"NL\d{9}B\d{2}")
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")
# Characters XML 1.0 cannot carry at all; text pasted from elsewhere sometimes holds them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class UblError(DomainError):
    """The document cannot become a valid e-invoice; ``problems`` lists every reason, in Dutch."""

    code = "invalid_e_invoice"

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems: tuple[str, ...] = (problems,) if isinstance(problems, str) else tuple(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Address:
    street: str  # street and house number, e.g. "Stationsplein 12"
    postcode: str  # "1234 AB"
    city: str
    country: str = "NL"


@dataclass(frozen=True)
class Party:
    name: str
    address: Address
    kvk: str = ""  # 8 digits (supplier)
    oin: str = ""  # 20 digits (customer: a gemeente's organisatie-identificatienummer)
    vat_id: str = ""  # e.g. "NL123456789B01"; supplier's VAT id when it has one
    iban: str = ""  # supplier only


@dataclass(frozen=True)
class UblLine:
    id: str  # line number as text, "1", "2", ...
    name: str  # short item name, e.g. "Plaatsing regulier werk"
    description: str  # the why, e.g. the engine's explanation
    amount: Decimal  # net line amount, may be negative on an invoice (a clawback credit line)
    reference: str = ""  # e.g. traject reference "T000012"


@dataclass(frozen=True)
class UblDocument:
    number: str
    issue_date: date
    due_date: date
    supplier: Party
    customer: Party
    buyer_reference: str  # BT-10, mandatory in Peppol (e.g. the contract number)
    lines: tuple[UblLine, ...]
    vat_category: str  # "S" (standard, with rate) or "E" (exempt)
    vat_rate: Decimal  # percent, e.g. Decimal("21"); Decimal("0") when exempt
    exemption_reason: str  # required when category "E" (BT-120), "" otherwise
    subtotal: Decimal  # sum of line amounts
    vat: Decimal  # VAT amount, computed on the subtotal (invoice-level rounding)
    total: Decimal  # subtotal + vat
    period_start: date | None = None
    period_end: date | None = None
    note: str = ""
    credit_note: bool = False
    billing_reference: str = ""  # the original invoice number, required for a credit note
    contract_number: str = ""  # cac:ContractDocumentReference


def to_ubl(doc: UblDocument) -> bytes:
    """The document as UTF-8 UBL XML with declaration, or :class:`UblError` naming all that is wrong."""
    problems = _problems(doc)
    if problems:
        raise UblError(problems)
    return _build(doc)


# --- checks -------------------------------------------------------------------------------------------


def _text(value: object) -> str:
    """Text as it will be written: XML-impossible characters dropped, surrounding space stripped (an
    element of only whitespace counts as empty, which Peppol forbids: PEPPOL-EN16931-R008)."""
    return _NOT_XML.sub("", value).strip() if isinstance(value, str) else ""


def _compact(value: object) -> str:
    """An identifier without the spaces and dots people type in it, upper case."""
    return re.sub(r"[\s.]", "", _text(value)).upper()


def _iban_ok(iban: str) -> bool:
    if not _IBAN.fullmatch(iban):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def _address_problems(address: object, whose: str) -> list[str]:
    if not isinstance(address, Address):
        return [f"Het adres van {whose} ontbreekt (straat, postcode, plaats)"]
    parts = {"straat": address.street, "postcode": address.postcode, "plaats": address.city}
    missing = [label for label, value in parts.items() if not _text(value)]
    problems = []
    if len(missing) == len(parts):
        problems.append(f"Het adres van {whose} ontbreekt (straat, postcode, plaats)")
    elif missing:
        problems.append(f"Het adres van {whose} is onvolledig: {', '.join(missing)} ontbreekt")
    if not _COUNTRY.fullmatch(_text(address.country)):
        problems.append(f"Het land van {whose} is geen landcode van twee hoofdletters (zoals NL)")
    return problems


def _vat_id_problems(vat_id: str, whose: str) -> list[str]:
    if not _VAT_ID.fullmatch(vat_id):
        return [f"Het btw-identificatienummer van {whose} begint niet met een landcode"]
    if vat_id.startswith("NL") and not _DUTCH_VAT_ID.fullmatch(vat_id):
        return [f"Het btw-identificatienummer van {whose} heeft niet de vorm NL123456789B01"]
    return []


def _supplier_problems(doc: UblDocument) -> list[str]:
    supplier = doc.supplier
    if not isinstance(supplier, Party):
        return ["De aanbieder ontbreekt"]
    whose = "de aanbieder"
    problems = [] if _text(supplier.name) else ["De naam van de aanbieder ontbreekt"]
    problems += _address_problems(supplier.address, whose)
    kvk = _compact(supplier.kvk)
    if not kvk:
        problems.append("Het KvK-nummer van de aanbieder ontbreekt")
    elif not _KVK.fullmatch(kvk):
        problems.append("Het KvK-nummer van de aanbieder is geen 8 cijfers")
    # BR-S-02 / BR-E-02: with VAT category S or E the seller's VAT identifier is mandatory.
    vat_id = _compact(supplier.vat_id)
    if not vat_id:
        problems.append("Het btw-identificatienummer van de aanbieder ontbreekt")
    else:
        problems += _vat_id_problems(vat_id, whose)
    if not doc.credit_note:
        iban = _compact(supplier.iban)
        if not iban:
            problems.append("Het IBAN van de aanbieder ontbreekt")
        elif not _iban_ok(iban):
            problems.append("Het IBAN van de aanbieder is ongeldig")
    return problems


def _customer_problems(doc: UblDocument) -> list[str]:
    customer = doc.customer
    if not isinstance(customer, Party):
        return ["De gemeente ontbreekt"]
    whose = "de gemeente"
    problems = [] if _text(customer.name) else ["De naam van de gemeente ontbreekt"]
    problems += _address_problems(customer.address, whose)
    oin = _compact(customer.oin)
    if not oin:
        problems.append("De OIN van de gemeente ontbreekt")
    elif not _OIN.fullmatch(oin):
        problems.append("De OIN van de gemeente is geen 20 cijfers")
    vat_id = _compact(customer.vat_id)
    if vat_id:
        problems += _vat_id_problems(vat_id, whose)
    return problems


def _lines(doc: UblDocument) -> list[UblLine]:
    lines = doc.lines if isinstance(doc.lines, Sequence) else ()
    return [line for line in lines if isinstance(line, UblLine)]


def _amount_problems(doc: UblDocument) -> list[str]:
    amounts = [("het subtotaal", doc.subtotal), ("de btw", doc.vat), ("het totaal", doc.total)]
    amounts += [(f"regel {_text(line.id) or '?'}", line.amount) for line in _lines(doc)]
    problems = []
    for label, amount in amounts:
        if not isinstance(amount, Decimal) or not amount.is_finite():
            problems.append(f"Het bedrag van {label} is geen Decimal")
        elif amount != amount.quantize(CENT):
            problems.append(f"Het bedrag van {label} is niet in hele centen")
    return problems


def _vat_problems(doc: UblDocument, amounts_ok: bool) -> list[str]:
    category, rate = doc.vat_category, doc.vat_rate
    if category not in (STANDARD, EXEMPT):
        return [f"Onbekende btw-categorie {category!r}: S (btw-tarief) of E (vrijgesteld)"]
    if not isinstance(rate, Decimal) or not rate.is_finite():
        return ["Het btw-tarief is geen Decimal"]
    problems = []
    if category == EXEMPT:
        if rate != ZERO:
            problems.append("Een vrijgestelde factuur heeft btw-tarief 0")
        if not _text(doc.exemption_reason):
            problems.append("Een vrijgestelde factuur noemt de reden van vrijstelling")
        if amounts_ok and doc.vat != ZERO:
            problems.append("Een vrijgestelde factuur rekent geen btw")
    else:
        if not ZERO < rate < HUNDRED:
            problems.append("Een btw-tarief ligt tussen 0 en 100 procent")
        elif amounts_ok and doc.vat != to_cents(doc.subtotal * rate / HUNDRED):
            problems.append(f"De btw is niet {_percent(rate)}% van het subtotaal, half-up afgerond op centen")
    return problems


def _line_problems(doc: UblDocument) -> list[str]:
    if not isinstance(doc.lines, Sequence) or not doc.lines:
        return ["Een factuur heeft ten minste één regel"]
    problems, seen = [], set()
    for position, line in enumerate(doc.lines, start=1):
        if not isinstance(line, UblLine):
            problems.append(f"Regel {position} is geen UblLine")
            continue
        line_id = _text(line.id)
        if not line_id:
            problems.append(f"Regel {position} heeft geen regelnummer")
        elif line_id in seen:
            problems.append(f"Regelnummer {line_id} komt meer dan eens voor")
        seen.add(line_id)
        if not _text(line.name):
            problems.append(f"Regel {line_id or position} heeft geen naam")
    return problems


def _problems(doc: UblDocument) -> list[str]:
    problems = [] if _text(doc.number) else ["Het factuurnummer ontbreekt"]
    if not _text(doc.buyer_reference):
        problems.append("De referentie van de gemeente (buyer reference) ontbreekt")
    if not (isinstance(doc.issue_date, date) and isinstance(doc.due_date, date)):
        problems.append("De factuurdatum of de vervaldatum ontbreekt")
    if doc.period_start and doc.period_end and doc.period_end < doc.period_start:
        problems.append("De factuurperiode eindigt voordat zij begint")  # BR-29
    if doc.credit_note and not _text(doc.billing_reference):
        problems.append("Een creditnota noemt de oorspronkelijke factuur")  # NL-R-001
    problems += _supplier_problems(doc)
    problems += _customer_problems(doc)
    problems += _line_problems(doc)
    amount_problems = _amount_problems(doc)
    problems += amount_problems
    amounts_ok = not amount_problems
    if amounts_ok:
        if sum((line.amount for line in _lines(doc)), ZERO) != doc.subtotal:
            problems.append("De regels tellen niet op tot het subtotaal")
        if doc.subtotal + doc.vat != doc.total:
            problems.append("Subtotaal plus btw is niet het totaal")
        if doc.credit_note and doc.total > ZERO:
            problems.append("Een creditnota heeft een negatief totaal (wat gecrediteerd wordt); dit totaal is positief")
    problems += _vat_problems(doc, amounts_ok)
    return problems


# --- building -----------------------------------------------------------------------------------------


def _percent(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    """A child element. Tags carry their UBL prefix ("cbc:ID"); the root declares the prefixes, which
    keeps the output readable without touching ElementTree's global namespace registry."""
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def _amount(parent: ET.Element, tag: str, amount: Decimal) -> ET.Element:
    return _add(parent, tag, _money(amount), currencyID=CURRENCY)


def _party(parent: ET.Element, tag: str, party: Party, scheme: str, identifier: str) -> None:
    """Supplier or customer: the same identifier is the Peppol address and the legal registration."""
    name = _text(party.name)
    element = _add(_add(parent, tag), "cac:Party")
    _add(element, "cbc:EndpointID", identifier, schemeID=scheme)
    _add(_add(element, "cac:PartyName"), "cbc:Name", name)
    address = _add(element, "cac:PostalAddress")
    _add(address, "cbc:StreetName", _text(party.address.street))
    _add(address, "cbc:CityName", _text(party.address.city))
    _add(address, "cbc:PostalZone", _text(party.address.postcode))
    _add(_add(address, "cac:Country"), "cbc:IdentificationCode", _text(party.address.country))
    vat_id = _compact(party.vat_id)
    if vat_id:
        tax_scheme = _add(element, "cac:PartyTaxScheme")
        _add(tax_scheme, "cbc:CompanyID", vat_id)
        _add(_add(tax_scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    legal = _add(element, "cac:PartyLegalEntity")
    _add(legal, "cbc:RegistrationName", name)
    _add(legal, "cbc:CompanyID", identifier, schemeID=scheme)


def _tax_category(parent: ET.Element, tag: str, doc: UblDocument, with_reason: bool) -> None:
    category = _add(parent, tag)
    _add(category, "cbc:ID", doc.vat_category)
    _add(category, "cbc:Percent", _percent(doc.vat_rate))
    if with_reason and doc.vat_category == EXEMPT:
        _add(category, "cbc:TaxExemptionReason", _text(doc.exemption_reason))
    _add(_add(category, "cac:TaxScheme"), "cbc:ID", "VAT")


def _line(parent: ET.Element, doc: UblDocument, line: UblLine, sign: int) -> None:
    amount = sign * line.amount
    tag, quantity_tag = ("cac:CreditNoteLine", "cbc:CreditedQuantity") if doc.credit_note else (
        "cac:InvoiceLine", "cbc:InvoicedQuantity")
    element = _add(parent, tag)
    _add(element, "cbc:ID", _text(line.id))
    # BR-27: an item price is never negative, so a credit line is one unit less at a positive price.
    _add(element, quantity_tag, "-1" if amount < ZERO else "1", unitCode=UNIT)
    _amount(element, "cbc:LineExtensionAmount", amount)
    reference = _text(line.reference)
    if reference:
        document = _add(element, "cac:DocumentReference")
        _add(document, "cbc:ID", reference)
        _add(document, "cbc:DocumentTypeCode", INVOICED_OBJECT)
    item = _add(element, "cac:Item")
    description = _text(line.description)
    if description:
        _add(item, "cbc:Description", description)
    _add(item, "cbc:Name", _text(line.name))
    _tax_category(item, "cac:ClassifiedTaxCategory", doc, with_reason=False)
    _amount(_add(element, "cac:Price"), "cbc:PriceAmount", abs(amount))


def _build(doc: UblDocument) -> bytes:
    sign = -1 if doc.credit_note else 1
    root_tag, namespace = ("CreditNote", CREDIT_NOTE_NS) if doc.credit_note else ("Invoice", INVOICE_NS)
    root = ET.Element(root_tag, {"xmlns": namespace, "xmlns:cac": CAC_NS, "xmlns:cbc": CBC_NS})
    _add(root, "cbc:CustomizationID", CUSTOMIZATION_ID)
    _add(root, "cbc:ProfileID", PROFILE_ID)
    _add(root, "cbc:ID", _text(doc.number))
    _add(root, "cbc:IssueDate", doc.issue_date.isoformat())
    if doc.credit_note:
        _add(root, "cbc:CreditNoteTypeCode", CREDIT_NOTE_TYPE_CODE)
    else:
        _add(root, "cbc:DueDate", doc.due_date.isoformat())
        _add(root, "cbc:InvoiceTypeCode", INVOICE_TYPE_CODE)
    note = _text(doc.note)
    if note:
        _add(root, "cbc:Note", note)
    _add(root, "cbc:DocumentCurrencyCode", CURRENCY)
    _add(root, "cbc:BuyerReference", _text(doc.buyer_reference))
    if doc.period_start or doc.period_end:
        period = _add(root, "cac:InvoicePeriod")
        if doc.period_start:
            _add(period, "cbc:StartDate", doc.period_start.isoformat())
        if doc.period_end:
            _add(period, "cbc:EndDate", doc.period_end.isoformat())
    billing_reference = _text(doc.billing_reference)
    if billing_reference:
        _add(_add(_add(root, "cac:BillingReference"), "cac:InvoiceDocumentReference"), "cbc:ID", billing_reference)
    contract_number = _text(doc.contract_number)
    if contract_number:
        _add(_add(root, "cac:ContractDocumentReference"), "cbc:ID", contract_number)
    _party(root, "cac:AccountingSupplierParty", doc.supplier, KVK_SCHEME, _compact(doc.supplier.kvk))
    _party(root, "cac:AccountingCustomerParty", doc.customer, OIN_SCHEME, _compact(doc.customer.oin))
    if not doc.credit_note:
        means = _add(root, "cac:PaymentMeans")
        _add(means, "cbc:PaymentMeansCode", SEPA_CREDIT_TRANSFER)
        _add(means, "cbc:PaymentID", _text(doc.number))
        _add(_add(means, "cac:PayeeFinancialAccount"), "cbc:ID", _compact(doc.supplier.iban))
    tax_total = _add(root, "cac:TaxTotal")
    _amount(tax_total, "cbc:TaxAmount", sign * doc.vat)
    subtotal = _add(tax_total, "cac:TaxSubtotal")
    _amount(subtotal, "cbc:TaxableAmount", sign * doc.subtotal)
    _amount(subtotal, "cbc:TaxAmount", sign * doc.vat)
    _tax_category(subtotal, "cac:TaxCategory", doc, with_reason=True)
    totals = _add(root, "cac:LegalMonetaryTotal")
    _amount(totals, "cbc:LineExtensionAmount", sign * doc.subtotal)
    _amount(totals, "cbc:TaxExclusiveAmount", sign * doc.subtotal)
    _amount(totals, "cbc:TaxInclusiveAmount", sign * doc.total)
    _amount(totals, "cbc:PayableAmount", sign * doc.total)
    for line in doc.lines:
        _line(root, doc, line, sign)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode("utf-8")
