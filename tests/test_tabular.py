"""Reading an uploaded CSV or XLSX file costs at most what the limits allow, whatever the file claims.

The XLSX files here are written by hand, a few hundred bytes each, the way a hostile or broken tool would:
a sheet that declares ``A1:XFD1048576``, a dimension that is wrong or missing, a cell a million rows down,
a part that unpacks to far more than its zip size. The work is measured in cells visited, counted where
openpyxl hands rows to the reader, so a test fails on the count, not on a slow machine.
"""

from __future__ import annotations

import contextlib
import io
import zipfile

import pytest

from app.tabular import LIMITS, FileError, Limits, csv_records, file_records, rows_of

COLUMNS = ("traject", "regel", "bedrag", "omschrijving")
HEADER = [("A", "traject"), ("B", "regel"), ("C", "bedrag"), ("D", "omschrijving")]
ROW = [("A", "T000001"), ("B", "prijs"), ("C", "10"), ("D", "plaatsing")]

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/></Types>'),
    "_rels/.rels": (f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Target="xl/workbook.xml" '
                    f'Type="{_REL}/officeDocument"/></Relationships>'),
    "xl/workbook.xml": (f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
                        '<sheet name="Blad1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
                                   f'Target="worksheets/sheet1.xml" Type="{_REL}/worksheet"/></Relationships>'),
}


def xlsx(rows: dict[int, list[tuple[str, str]]], dimension: str | None = "A1:D2", extra: dict | None = None) -> bytes:
    """A workbook whose one sheet has these rows (row number: [(column letter, text)]) and this dimension."""
    body = "".join(f'<row r="{n}">' + "".join(f'<c r="{col}{n}" t="inlineStr"><is><t>{value}</t></is></c>'
                                             for col, value in cells) + "</row>"
                   for n, cells in sorted(rows.items()))
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = f'<worksheet xmlns="{_MAIN}">{declared}<sheetData>{body}</sheetData></worksheet>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in {**PARTS, "xl/worksheets/sheet1.xml": sheet, **(extra or {})}.items():
            archive.writestr(name, content)
    return out.getvalue()


@pytest.fixture
def ctx(app):
    """Messages are in the language of a request (Dutch here)."""
    with app.test_request_context():
        yield


class TooMuchWork(AssertionError):
    pass


@pytest.fixture
def visited(monkeypatch):
    """The cells openpyxl hands to the reader, counted; far beyond any limit the count stops the test."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    count = {"cells": 0}
    original = ReadOnlyWorksheet._cells_by_row

    def counting(self, *args, **kwargs):
        for row in original(self, *args, **kwargs):
            count["cells"] += len(row)
            if count["cells"] > 10 * (LIMITS.rows + 2) * (LIMITS.columns + 1):
                raise TooMuchWork(f"{count['cells']} cells visited")
            yield row

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", counting)
    return count


def read(raw: bytes, limits: Limits = LIMITS):
    return rows_of(file_records(raw, limits), COLUMNS)


# The most the reader may look at: the header, the rows the limit allows and one more (to know there are
# more), each as wide as the column limit plus one (to know something is beyond it).
BOUND = (LIMITS.rows + 2) * (LIMITS.columns + 1)


# --- XLSX ---------------------------------------------------------------------------------------------


def test_a_plain_workbook_is_read(ctx, visited):
    rows = read(xlsx({1: HEADER, 2: ROW}))
    assert [(r.line, r.values["traject"], r.values["bedrag"]) for r in rows] == [(2, "T000001", "10")]
    assert visited["cells"] <= 2 * (LIMITS.columns + 1)


def test_a_date_excel_made_of_a_typed_date_is_read_as_that_date(ctx):
    """Excel turns a typed 31-12-2026 into a date cell (openpyxl: midnight of that day); it must not be refused
    for the time nobody typed. A time of day, which someone did type, is kept."""
    from datetime import date, datetime

    from openpyxl import Workbook

    from app.parsing import parse_date

    book = Workbook()
    book.active.append([name for _col, name in HEADER])
    book.active.append(["T000001", datetime(2026, 12, 31, 9, 30), date(2026, 12, 31), "plaatsing"])
    out = io.BytesIO()
    book.save(out)
    (row,) = read(out.getvalue())
    assert row.values["bedrag"] == "2026-12-31" and parse_date(row.values["bedrag"]) == date(2026, 12, 31)
    assert row.values["regel"] == "2026-12-31 09:30:00"


@pytest.mark.parametrize(("dimension", "shown"), [("A1:XFD1048576", "A1:XFD1048576"), ("A1:XFD20000", "A1:XFD20000"),
                                                  ("A1:D1048576", "A1:D1048576"), ("A1:BZ3", "A1:BZ3"),
                                                  ("A:XFD", "A1:XFD")])
def test_a_sheet_that_declares_an_absurd_size_is_refused_before_a_cell_is_read(ctx, visited, dimension, shown):
    raw = xlsx({1: HEADER, 2: ROW, 20000: [("A", "x")]}, dimension)
    assert len(raw) < 2000
    with pytest.raises(FileError) as refused:
        read(raw)
    message = str(refused.value.message)
    assert shown in message
    assert "10.000 regels" in message and f"{LIMITS.columns} kolommen" in message
    assert visited["cells"] == 0


@pytest.mark.parametrize("dimension", [None, "A1:D2", "A1"])
def test_a_missing_or_wrong_dimension_does_not_let_empty_rows_through_unbounded(ctx, visited, dimension):
    """The stall: a cell a million rows down makes openpyxl hand over every empty row before it."""
    raw = xlsx({1: HEADER, 2: ROW, 1_048_576: [("XFD", "x")]}, dimension)
    with pytest.raises(FileError) as refused:
        read(raw)
    assert "meer dan 10.000 regels" in str(refused.value.message)
    assert "lege regels tellen mee" in str(refused.value.message)
    assert visited["cells"] <= BOUND


def test_empty_rows_count_toward_the_row_limit(ctx, visited):
    limits = Limits(rows=5)
    assert len(read(xlsx({1: HEADER, 6: ROW}, None), limits)) == 1
    with pytest.raises(FileError, match="meer dan 5 regels"):
        read(xlsx({1: HEADER, 7: ROW}, None), limits)


def test_a_cell_beyond_the_column_limit_is_refused_and_the_row_is_not_read_to_its_end(ctx, visited):
    far = [(col, "x") for col in ("AX", "AY", "XFD")]  # AX is column 50, AY 51
    assert len(read(xlsx({1: HEADER, 2: ROW + far[:1]}, None))) == 1
    visited["cells"] = 0
    with pytest.raises(FileError) as refused:
        read(xlsx({1: HEADER, 2: ROW + far[1:]}, None))
    assert "regel 2" in str(refused.value.message) and f"{LIMITS.columns} kolommen" in str(refused.value.message)
    assert visited["cells"] <= 3 * (LIMITS.columns + 1)


def test_a_too_long_cell_is_refused(ctx):
    with pytest.raises(FileError, match="meer dan 10 tekens"):
        read(xlsx({1: HEADER, 2: [("A", "T1"), ("D", "x" * 11)]}), Limits(cell_chars=10))


def test_a_zip_bomb_is_refused_before_it_is_unpacked(ctx, visited):
    """Two megabytes of spaces pack into a few kilobytes; the parts' unpacked sizes are added up first."""
    bomb = xlsx({1: HEADER, 2: ROW}, extra={"xl/media/padding.xml": " " * 2_000_000})
    assert len(bomb) < 10_000
    with pytest.raises(FileError, match="uitgepakt groter dan 1 MB"):
        read(bomb, Limits(unpacked_bytes=1024 * 1024))
    assert visited["cells"] == 0
    assert len(read(bomb, Limits(unpacked_bytes=3 * 1024 * 1024))) == 1


def test_the_default_unpacked_limit_holds_a_full_sheet(ctx):
    """The largest sheet the limits allow, as openpyxl writes it (inline strings), unpacks well within the limit."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(list(COLUMNS))
    for n in range(LIMITS.rows):
        sheet.append([f"T{n:06d}", "plaatsing_regulier", 2500.5, "Plaatsing in regulier werk " + "x" * 60])
    out = io.BytesIO()
    book.save(out)
    unpacked = sum(info.file_size for info in zipfile.ZipFile(out).infolist())
    assert unpacked * 3 < LIMITS.unpacked_bytes


@pytest.mark.parametrize("sheet", [
    f'<worksheet xmlns="{_MAIN}"><sheetData><row r="1"><c r="A1" t="n"><v>abc</v></c></row></sheetData></worksheet>',
    f'<worksheet xmlns="{_MAIN}"><sheetData><row r="1"><c r="A1"',
])
def test_a_broken_sheet_is_unreadable_not_an_error(ctx, sheet):
    with pytest.raises(FileError, match="geen leesbaar Excel-bestand"):
        read(xlsx({}, extra={"xl/worksheets/sheet1.xml": sheet}))


def test_a_broken_workbook_is_unreadable_not_an_error(ctx):
    with pytest.raises(FileError, match="geen leesbaar Excel-bestand"):
        read(xlsx({1: HEADER}, extra={"xl/workbook.xml": "<workbook"}))


def test_a_damaged_workbook_is_unreadable_or_read_never_an_error(ctx):
    """Every eleventh byte of a small workbook overwritten in turn: corrupt deflate streams, unknown compression,
    encryption flags, cut-off parts. Each is a file that reads or one refused at the field, never a 500."""
    raw = xlsx({1: HEADER, 2: ROW})
    for position in range(0, len(raw), 11):
        damaged = raw[:position] + b"\xff" + raw[position + 1:]
        with contextlib.suppress(FileError):
            read(damaged)


LAUGHS = ('<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
          + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
          + f']><worksheet xmlns="{_MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&i;</t></is></c>'
          '</row></sheetData></worksheet>')


def test_entity_expansion_in_a_sheet_is_refused(ctx, visited):
    """A billion laughs: nine entities of ten each would expand to a gigabyte; the XML parser refuses it."""
    with pytest.raises(FileError):
        read(xlsx({}, extra={"xl/worksheets/sheet1.xml": LAUGHS}))
    assert visited["cells"] == 0


# --- CSV ----------------------------------------------------------------------------------------------


def csv_rows(text: str, limits: Limits = LIMITS):
    return rows_of(csv_records(text, limits), COLUMNS)


def test_a_csv_file_of_exactly_the_row_limit_is_read(ctx):
    lines = [";".join(COLUMNS)] + [f"T{n:06d};plaatsing;2500,00;Plaatsing" for n in range(LIMITS.rows)]
    assert len(csv_rows("\r\n".join(lines) + "\r\n")) == LIMITS.rows
    with pytest.raises(FileError, match=r"meer dan 10\.000 regels"):
        csv_rows("\r\n".join([*lines, "T1;a;1;b"]))


def test_csv_lines_count_toward_the_limit_empty_ones_too(ctx):
    header = ";".join(COLUMNS) + "\r\n"
    limits = Limits(rows=3)
    assert len(csv_rows(header + "\r\n;;;\r\nT1;a;1;b\r\n", limits)) == 1
    with pytest.raises(FileError, match="meer dan 3 regels"):
        csv_rows(header + "\r\n;;;\r\n\r\nT1;a;1;b\r\n", limits)


def test_csv_with_too_many_fields_on_a_line_is_refused(ctx):
    header = ";".join(COLUMNS) + "\r\n"
    assert csv_rows(header + "T1;a;1;b" + ";" * (LIMITS.columns - 4) + "x\r\n")[0].too_many
    with pytest.raises(FileError) as refused:
        csv_rows(header + "T1;a;1;b" + ";" * (LIMITS.columns - 3) + "x\r\n")
    assert "regel 2" in str(refused.value.message) and f"{LIMITS.columns} kolommen" in str(refused.value.message)


def test_csv_fields_and_lines_have_a_length_limit(ctx):
    header = ";".join(COLUMNS) + "\r\n"
    with pytest.raises(FileError, match="meer dan 10 tekens"):
        csv_rows(header + "T1;a;1;" + "x" * 11 + "\r\n", Limits(cell_chars=10))
    with pytest.raises(FileError, match="langer dan 100 tekens"):
        csv_rows(header + "T1;a;1;" + ";" * 100 + "\r\n", Limits(line_chars=100))


def test_a_quoted_field_over_many_lines_is_held_to_the_cell_limit(ctx):
    """Short lines, one endless quoted field: past Python's own field limit it is still a clear refusal."""
    header = ";".join(COLUMNS) + "\r\n"
    with pytest.raises(FileError, match=r"meer dan 10\.000 tekens"):
        csv_rows(header + 'T1;a;1;"' + "xxxxxxxxx\n" * 20_000 + '"\r\n')
    with pytest.raises(FileError, match=r"meer dan 10\.000 tekens"):
        csv_rows(header + 'T1;a;1;"' + "xxxxxxxxx\n" * 2_000 + '"\r\n')
