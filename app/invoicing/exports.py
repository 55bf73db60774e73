"""What leaves the application for the municipal financial system: ledger rows (CSV, XLSX) and UBL documents.

Ledger rows are one per invoice and gemeente, because each gemeente pays its own share of a joint
contract from its own budget. Each of those shares is also an e-invoice of its own (:func:`buyers`), with
the VAT on that share; the row names that e-invoice's number, so accounts payable can match the two.
"""

from __future__ import annotations

from decimal import Decimal

from app.invoicing.services import invoice_vat, parts, rule_labels_of
from app.models.invoicing import Invoice, InvoiceLine
from app.models.registers import Gemeente
from app.spreadsheet import MONEY_FORMAT, add_sheet, append_row, csv_bytes, workbook, workbook_bytes
from invoicing.totals import Totals, combined, totals
from invoicing.ubl import Address, Party, UblDocument, UblError, UblLine, to_ubl

LEDGER_COLUMNS = ("factuurnummer", "efactuurnummer", "factuurnummer_aanbieder", "soort", "aanbieder", "kvk",
                  "iban", "contract", "financieringsbron", "gemeente", "cbs_code", "periode_van", "periode_tot",
                  "factuurdatum", "vervaldatum", "bedrag_excl_btw", "btw", "bedrag_incl_btw")
LEDGER_FORMATS = {LEDGER_COLUMNS.index(name): MONEY_FORMAT for name in ("bedrag_excl_btw", "btw", "bedrag_incl_btw")}


def ledger_rows(invoices: list[Invoice]) -> list[tuple]:
    rows = []
    for invoice in invoices:
        names = {line.gemeente_id: (line.gemeente.name, line.gemeente.cbs_code) if line.gemeente else ("", "")
                 for line in invoice.lines}
        several = len(buyers(invoice)) > 1
        for gemeente_id, part in sorted(parts(invoice).items(), key=lambda item: names[item[0]]):
            gemeente = next((line.gemeente for line in invoice.lines if line.gemeente_id == gemeente_id), None)
            rows.append((
                invoice.number, document_number(invoice, gemeente, several), invoice.external_number,
                "creditnota" if invoice.credit_note else "factuur", invoice.provider.name,
                invoice.provider.kvk_number, invoice.provider.iban, invoice.contract.number,
                invoice.contract.funding_source, *names[gemeente_id], invoice.period_start, invoice.period_end,
                invoice.issue_date, invoice.due_date, part.subtotal, part.vat, part.total,
            ))
    return rows


def ledger_csv(invoices: list[Invoice]) -> bytes:
    """Semicolon-separated with decimal commas and a byte order mark: what Dutch Excel and ledgers read."""
    return csv_bytes([LEDGER_COLUMNS, *ledger_rows(invoices)])


def ledger_xlsx(invoices: list[Invoice]) -> bytes:
    """One sheet of the same rows, the dates as dates and the amounts as euro amounts a ledger can add up."""
    book = workbook()
    sheet = add_sheet(book, "Facturen", LEDGER_COLUMNS)
    for row in ledger_rows(invoices):
        append_row(sheet, row, LEDGER_FORMATS)
    return workbook_bytes(book)


def buyers(invoice: Invoice) -> dict[Gemeente, list[InvoiceLine]]:
    """The gemeenten that pay this invoice, each with its lines: every one of them gets its own e-invoice.

    An e-invoice has one buyer, and a gemeente's accounts payable books and pays what its document says. One
    document addressed to one gemeente for the whole of a joint contract's invoice would have that gemeente
    pay the others' share, or refuse the document; so each paying gemeente receives its own part, with the
    VAT on that part, exactly as its row in the ledger export says.
    """
    sole = invoice.contract.gemeenten[0] if len(invoice.contract.gemeenten) == 1 else None
    found: dict[Gemeente, list[InvoiceLine]] = {}
    for line in invoice.lines:
        gemeente = line.gemeente or sole
        if line.amount and gemeente is not None:
            found.setdefault(gemeente, []).append(line)
    return dict(sorted(found.items(), key=lambda item: (item[0].name, item[0].id)))


def document_number(invoice: Invoice, gemeente: Gemeente | None, several: bool) -> str:
    """The e-invoice's own number: the invoice's, followed by the gemeente's CBS code when it has parts."""
    return f"{invoice.number}-{gemeente.cbs_code}" if several and gemeente is not None else invoice.number


def ubl_documents(invoice: Invoice) -> dict[Gemeente, UblDocument]:
    """One e-invoice (or credit note) per paying gemeente; their totals add up to the invoice's."""
    paying = buyers(invoice)
    if not paying:
        raise UblError("Een factuur heeft ten minste één regel met een bedrag")
    vat = invoice_vat(invoice)
    documents = {gemeente: _document(invoice, gemeente, lines, totals((line.amount for line in lines), vat),
                                     len(paying) > 1)
                 for gemeente, lines in paying.items()}
    together = combined(Totals(d.subtotal, d.vat, d.total) for d in documents.values())
    if together != Totals(invoice.subtotal, invoice.vat, invoice.total):
        raise UblError("De delen per gemeente tellen niet op tot het totaal van de factuur")
    return documents


def _document(invoice: Invoice, buyer: Gemeente, invoice_lines: list[InvoiceLine], figures: Totals,
              several: bool) -> UblDocument:
    provider = invoice.provider
    street = f"{provider.street} {provider.house_number}".strip()
    labels = rule_labels_of(invoice)
    lines = tuple(
        UblLine(id=str(line.position), name=labels.get(line.rule, line.rule) or "regel",
                description=line.description or line.rule, amount=line.amount,
                reference=line.traject.reference if line.traject else "")
        for line in invoice_lines
    )
    credited = invoice.credits_invoice
    note = f"Factuurnummer aanbieder: {invoice.external_number}" if invoice.external_number else ""
    if several:
        note = " ".join(filter(None, [note, f"Deel van gemeente {buyer.name} van verzamelfactuur {invoice.number}."]))
    return UblDocument(
        number=document_number(invoice, buyer, several), issue_date=invoice.issue_date, due_date=invoice.due_date,
        supplier=Party(name=provider.name, address=Address(street, provider.postcode, provider.city),
                       kvk=provider.kvk_number, vat_id=provider.vat_number, iban=provider.iban),
        customer=Party(name=f"Gemeente {buyer.name}", address=Address(buyer.street, buyer.postcode, buyer.city),
                       oin=buyer.oin),
        buyer_reference=invoice.contract.number, lines=lines, vat_category=invoice.vat_category,
        vat_rate=invoice.vat_rate if invoice.vat_category != "E" else Decimal("0"),
        exemption_reason=invoice.vat_exemption_reason, subtotal=figures.subtotal, vat=figures.vat,
        total=figures.total, period_start=invoice.period_start, period_end=invoice.period_end, note=note,
        credit_note=figures.total < 0,
        billing_reference=document_number(credited, buyer, len(buyers(credited)) > 1) if credited else "",
        contract_number=invoice.contract.number,
    )


def ubl_xml(invoice: Invoice, gemeente_id: int | None = None) -> tuple[str, bytes]:
    """The number and the XML of one paying gemeente's e-invoice (of the only one when there is one)."""
    documents = ubl_documents(invoice)
    if gemeente_id is None and len(documents) == 1:
        chosen: UblDocument | None = next(iter(documents.values()))
    else:
        chosen = next((d for g, d in documents.items() if g.id == gemeente_id), None)
    if chosen is None:
        raise UblError("Kies de gemeente waarvan u het deel van deze factuur wilt")
    return chosen.number, to_ubl(chosen)
