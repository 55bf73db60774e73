"""What leaves the application for the municipal financial system: ledger rows (CSV, XLSX) and UBL documents.

Ledger rows are one per invoice and gemeente, because each gemeente pays its own share of a joint
contract from its own budget; the VAT is spread over those rows so that they add up to the invoice.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal

from app.invoicing.services import rule_labels_of
from app.models.invoicing import Invoice
from invoicing.totals import vat_parts
from invoicing.ubl import Address, Party, UblDocument, UblLine, to_ubl

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "dd-mm-yyyy"
LEDGER_COLUMNS = ("factuurnummer", "factuurnummer_aanbieder", "soort", "aanbieder", "kvk", "iban", "contract",
                  "financieringsbron", "gemeente", "cbs_code", "periode_van", "periode_tot", "factuurdatum",
                  "vervaldatum", "bedrag_excl_btw", "btw", "bedrag_incl_btw")


def ledger_rows(invoices: list[Invoice]) -> list[tuple]:
    rows = []
    for invoice in invoices:
        by_gemeente: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
        names: dict[str, tuple[str, str]] = {}
        for line in invoice.lines:
            key = str(line.gemeente_id or "")
            by_gemeente[key] += line.amount
            names[key] = (line.gemeente.name, line.gemeente.cbs_code) if line.gemeente else ("", "")
        vat = vat_parts(dict(by_gemeente), invoice.vat)
        for key in sorted(by_gemeente, key=lambda k: names[k]):
            subtotal = by_gemeente[key]
            rows.append((
                invoice.number, invoice.external_number, "creditnota" if invoice.credit_note else "factuur",
                invoice.provider.name, invoice.provider.kvk_number, invoice.provider.iban, invoice.contract.number,
                invoice.contract.funding_source, *names[key], invoice.period_start, invoice.period_end,
                invoice.issue_date, invoice.due_date,
                subtotal, vat[key], subtotal + vat[key],
            ))
    return rows


def ledger_csv(invoices: list[Invoice]) -> bytes:
    """Semicolon-separated with decimal commas and a byte order mark: what Dutch Excel and ledgers read."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(LEDGER_COLUMNS)
    for row in ledger_rows(invoices):
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# A cell that starts with one of these is read as a formula by spreadsheet programs (CSV injection): a
# provider's name such as ``=HYPERLINK(...)`` would run in the financial department's Excel.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def _csv_cell(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value).replace(".", ",")
    if isinstance(value, date):
        return value.isoformat()
    return _safe_text("" if value is None else str(value))


def _xlsx_cell(sheet, value: object):
    """A cell holding the value as what it is: a date as a date, an amount as a number, text never as a formula."""
    from openpyxl.cell.cell import Cell

    if isinstance(value, Decimal):
        cell = Cell(sheet, value=value)
        cell.number_format = MONEY_FORMAT
    elif isinstance(value, date):
        cell = Cell(sheet, value=value)
        cell.number_format = DATE_FORMAT
    else:
        cell = Cell(sheet, value=_safe_text("" if value is None else str(value)))
        cell.data_type = "s"
    return cell


def ledger_xlsx(invoices: list[Invoice]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Facturen"
    sheet.append(LEDGER_COLUMNS)
    for row in ledger_rows(invoices):
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ubl_document(invoice: Invoice) -> UblDocument:
    provider, gemeente_of = invoice.provider, invoice.contract.gemeenten
    buyer = gemeente_of[0] if len(gemeente_of) == 1 else _paying(invoice)
    street = f"{provider.street} {provider.house_number}".strip()
    labels = rule_labels_of(invoice)
    lines = tuple(
        UblLine(id=str(line.position), name=labels.get(line.rule, line.rule) or "regel",
                description=line.description or line.rule, amount=line.amount,
                reference=line.traject.reference if line.traject else "")
        for line in invoice.lines if line.amount
    )
    return UblDocument(
        number=invoice.number, issue_date=invoice.issue_date, due_date=invoice.due_date,
        supplier=Party(name=provider.name, address=Address(street, provider.postcode, provider.city),
                       kvk=provider.kvk_number, vat_id=provider.vat_number, iban=provider.iban),
        customer=Party(name=f"Gemeente {buyer.name}", address=Address(buyer.street, buyer.postcode, buyer.city),
                       oin=buyer.oin),
        buyer_reference=invoice.contract.number, lines=lines, vat_category=invoice.vat_category,
        vat_rate=invoice.vat_rate if invoice.vat_category != "E" else Decimal("0"),
        exemption_reason=invoice.vat_exemption_reason, subtotal=invoice.subtotal, vat=invoice.vat,
        total=invoice.total, period_start=invoice.period_start, period_end=invoice.period_end,
        note=f"Factuurnummer aanbieder: {invoice.external_number}" if invoice.external_number else "",
        credit_note=invoice.credit_note,
        billing_reference=invoice.credits_invoice.number if invoice.credits_invoice else "",
        contract_number=invoice.contract.number,
    )


def _paying(invoice: Invoice):
    """The addressee of a joint contract's invoice: the gemeente that pays the largest share."""
    shares: dict = defaultdict(Decimal)
    for line in invoice.lines:
        if line.gemeente is not None:
            shares[line.gemeente] += line.amount
    return max(shares, key=lambda g: (shares[g], -g.id)) if shares else invoice.contract.gemeenten[0]


def ubl_xml(invoice: Invoice) -> bytes:
    return to_ubl(ubl_document(invoice))
