"""No text that a user typed becomes a formula in a CSV or XLSX file the product writes (formula injection).

A provider's own invoice number ``=HYPERLINK(...)``, a provider named ``+cmd``, a contract numbered
``@SUM(1)`` and a funding source ``-2+3`` go through the ledger export (CSV and XLSX), the marap workbook
and the import templates; every file is read back, and no cell may be a formula or start like one.
Amounts stay numbers, a negative one too.

Every sheet goes through the same helpers, which make a file behave as people expect in Excel: dates as date
cells, amounts, counts and shares as numbers in their formats, a bold frozen header, columns fitted to what
they hold; those rules are tested here once, and on each export in its own tests.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from app import clock
from app.models import Budget, Invoice
from app.spreadsheet import (
    COUNT_FORMAT,
    DATE_FORMAT,
    DECIMAL_FORMAT,
    FORMULA_START,
    MAX_WIDTH,
    MIN_WIDTH,
    MONEY_FORMAT,
    PERCENT_FORMAT,
    add_sheet,
    append_row,
    csv_bytes,
    safe_cell,
    workbook,
    workbook_bytes,
    xlsx_cell,
)
from tests.test_invoices import approve_fully

HOSTILE = {"external_number": '=HYPERLINK("http://x","y")', "provider": "+cmd", "contract": "@SUM(1)",
           "funding_source": "-2+3", "target_group": "@SUM(2)", "cbs_code": "\t0363"}


def starts_like_a_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def workbook_cells(data: bytes) -> list:
    book = load_workbook(io.BytesIO(data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_no_formula_in_workbook(data: bytes, expected: set[str]) -> None:
    cells = workbook_cells(data)
    assert [c.coordinate for c in cells if c.data_type == "f" or starts_like_a_formula(c.value)] == []
    found = {c.value for c in cells if c.value in {"'" + v for v in expected}}
    assert found == {"'" + v for v in expected}
    assert {c.data_type for c in cells if c.value in found} == {"s"}


def assert_no_formula_in_csv(data: bytes, expected: set[str]) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    cells = [cell for row in rows for cell in row]
    assert [c for c in cells if starts_like_a_formula(c)] == []
    assert {"'" + v for v in expected} <= set(cells)
    return rows


def test_hostile_texts_reach_every_export_as_text(world, as_role, db):
    provider, contract, invoice = world.providers[0], world.contract, world.invoice
    provider.name = HOSTILE["provider"]
    contract.number = HOSTILE["contract"]
    contract.funding_source = HOSTILE["funding_source"]
    invoice.external_number = HOSTILE["external_number"]
    world.target_groups[0].code = HOSTILE["target_group"]
    first = min(world.gemeenten, key=lambda g: g.name)
    first.cbs_code = HOSTILE["cbs_code"]
    db.add(Budget(gemeente=world.gemeenten[0], year=clock.today().year, funding_source=HOSTILE["funding_source"],
                  amount=Decimal("1000.00")))
    db.commit()

    approve_fully(as_role, invoice)
    finance = as_role("finance")
    assert finance.post("/facturen/export").status_code == 302
    db.expire_all()
    export_id = db.get(Invoice, invoice.id).export_id
    ledger = {"external_number", "provider", "contract", "funding_source"}
    rows = assert_no_formula_in_csv(finance.get(f"/facturen/export/{export_id}.csv").data,
                                    {HOSTILE[k] for k in ledger})
    assert rows[1][-3:] == ["1750,00", "367,50", "2117,50"]  # amounts stay as they are
    assert_no_formula_in_workbook(finance.get(f"/facturen/export/{export_id}.xlsx").data,
                                  {HOSTILE[k] for k in ledger})

    marap = finance.get(f"/rapportages/marap.xlsx?gemeente={world.gemeenten[0].id}")
    assert marap.status_code == 200
    assert_no_formula_in_workbook(marap.data, {HOSTILE["provider"], HOSTILE["funding_source"]})

    km = as_role("klantmanager")
    assert_no_formula_in_csv(km.get("/import/sjabloon/clients.csv").data, {HOSTILE["target_group"]})
    assert_no_formula_in_csv(finance.get("/budgetten/sjabloon.csv").data, {HOSTILE["cbs_code"]})


def test_numbers_stay_numbers_and_a_negative_amount_is_no_text():
    sheet = Workbook().active
    assert xlsx_cell(sheet, Decimal("-12.50")).data_type == "n"
    assert xlsx_cell(sheet, Decimal("-12.50")).value == Decimal("-12.50")
    assert xlsx_cell(sheet, -3).data_type == "n"
    assert xlsx_cell(sheet, date(2026, 1, 2)).is_date
    assert xlsx_cell(sheet, None).value is None
    assert xlsx_cell(sheet, "-12,50").value == "'-12,50"  # typed text that looks like an amount stays text
    body = csv_bytes([["bedrag", "datum", "tekst"], [Decimal("-12.50"), date(2026, 1, 2), "-12,50"]])
    assert body.decode("utf-8-sig").splitlines()[1] == "-12,50;2026-01-02;'-12,50"


def test_a_control_character_does_not_break_the_workbook():
    """openpyxl refuses control characters in a cell; a name carrying one must not make the export fail."""
    cell = xlsx_cell(Workbook().active, "Aanbieder\x0bB.V.")
    assert cell.value == "AanbiederB.V." and cell.data_type == "s"


texts = st.text(max_size=40)


@given(texts)
def test_safe_cell_neutralises_exactly_what_starts_like_a_formula(value):
    safe = safe_cell(value)
    assert not starts_like_a_formula(safe)
    assert safe == ("'" + value if value.startswith(FORMULA_START) else value)


@given(st.one_of(st.decimals(allow_nan=False, allow_infinity=False), st.integers(), st.dates()))
def test_safe_cell_keeps_numbers_and_dates_as_they_are(value):
    assert safe_cell(value) == value


@settings(max_examples=25, deadline=None)
@given(st.lists(texts, min_size=1, max_size=6))
def test_what_is_written_reads_back_as_text_never_as_a_formula(values):
    sheet = Workbook().active
    sheet.append([xlsx_cell(sheet, v) for v in values])
    out = io.BytesIO()
    sheet.parent.save(out)
    cells = workbook_cells(out.getvalue())
    assert all(c.data_type == "s" or c.value is None for c in cells)
    assert not any(starts_like_a_formula(c.value) for c in cells)
    row = next(csv.reader(io.StringIO(csv_bytes([values]).decode("utf-8-sig"), newline=""), delimiter=";"))
    assert row == [safe_cell(v) for v in values]


def test_no_other_module_writes_csv_or_sheet_cells_itself():
    """A new export that wrote its cells past app/spreadsheet.py would bring formula injection back, and one
    that made or saved its own workbook would miss the header, format and width rules."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "app"
    csv_writer = re.compile(r"\bcsv\.(writer|DictWriter)\(")
    cell_writer = re.compile(r"\b(sheet|ws|worksheet)\.(append|cell)\(|\.value\s*=[^=]|\bWorkbook\(|\.save\(|"
                             r"freeze_panes|column_dimensions|\bcell\.number_format\s*=[^=]")
    found = []
    for path in sorted(root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if path.name == "spreadsheet.py":
            continue
        for n, line in enumerate(source.splitlines(), start=1):
            if csv_writer.search(line) or ("openpyxl" in source and cell_writer.search(line)):
                found.append(f"{path.relative_to(root)}:{n}")
    assert found == []


def _sheet_back(build) -> object:
    """The first sheet of the workbook ``build`` fills, as Excel would open it (written and read back)."""
    book = workbook()
    build(book)
    return load_workbook(io.BytesIO(workbook_bytes(book))).worksheets[0]


def test_each_kind_of_value_is_written_as_itself_in_its_format():
    sheet = _sheet_back(lambda book: append_row(
        add_sheet(book, "Blad", ["datum", "bedrag", "aantal", "aandeel", "getal", "tekst"]),
        [date(2026, 1, 2), Decimal("-1234.56"), 1200, Decimal("0.375"), Decimal("1.5"), "=1+1"],
        {1: MONEY_FORMAT, 3: PERCENT_FORMAT}))
    day, amount, count, share, plain, text = sheet[2]
    assert day.is_date and day.value.date() == date(2026, 1, 2) and day.number_format == DATE_FORMAT
    assert isinstance(amount.value, float) and Decimal(str(amount.value)) == Decimal("-1234.56")
    assert amount.number_format == MONEY_FORMAT == '"€" #,##0.00'
    assert count.value == 1200 and count.number_format == COUNT_FORMAT
    assert share.value == 0.375 and share.number_format == PERCENT_FORMAT
    assert plain.number_format == DECIMAL_FORMAT  # a Decimal of unnamed kind: two decimals, no euro sign
    assert text.data_type == "s" and text.value == "'=1+1"


def test_the_header_is_bold_and_frozen_and_the_rows_under_it_are_not_bold():
    sheet = _sheet_back(lambda book: append_row(add_sheet(book, "Blad", ["a", "b"]), ["x", 1]))
    assert sheet.freeze_panes == "A2"
    assert [c.font.bold for c in sheet[1]] == [True, True]
    assert [c.font.bold for c in sheet[2]] == [False, False]


def test_a_sheet_title_excel_refuses_is_made_acceptable():
    sheet = _sheet_back(lambda book: add_sheet(book, "Kosten/besparing [2026]: per aanbieder?*", ["a"]))
    assert sheet.title == "Kosten besparing  2026   per aa" and len(sheet.title) == 31


def test_columns_are_as_wide_as_their_widest_cell_within_bounds():
    def build(book):
        sheet = add_sheet(book, "Blad", ["a", "naam", "bedrag", "toelichting", "datum"])
        append_row(sheet, ["x", "Werk Eerst Re-integratie B.V.", Decimal("1234567.89"), "woord " * 30,
                           date(2026, 12, 31)], {2: MONEY_FORMAT})
        append_row(sheet, [])
        append_row(sheet, ["Een lange zin onder de tabel die over de lege cellen ernaast doorloopt, " * 2])

    sheet = _sheet_back(build)
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDE"}
    assert widths["A"] == MIN_WIDTH  # "x" and "a": the narrowest a column gets, a note below does not widen it
    assert widths["B"] == len("Werk Eerst Re-integratie B.V.") + 2
    assert widths["C"] == len("€ 1,234,567.89") + 2  # as shown in its format, not as the bare number
    assert widths["D"] == MAX_WIDTH
    assert widths["E"] == MIN_WIDTH + 2  # DD-MM-YYYY


def test_a_hostile_text_written_through_the_sheet_helpers_reads_back_as_text():
    book = workbook()
    append_row(add_sheet(book, "Blad", ["naam", "nummer"]), [HOSTILE["external_number"], HOSTILE["cbs_code"]])
    cells = workbook_cells(workbook_bytes(book))
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert [(c.value, c.data_type) for c in cells[2:]] == [("'" + HOSTILE["external_number"], "s"),
                                                          ("'" + HOSTILE["cbs_code"], "s")]
