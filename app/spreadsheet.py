"""Writing the CSV and XLSX files the product hands out: the one place every cell goes through.

Any text in them may come from a user (a provider's name, its own invoice number, a contract number, a
funding source), and a spreadsheet program reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a
tab or a carriage return) as a formula: ``=HYPERLINK(...)`` in a provider's invoice number would run in the
finance department's Excel (formula or CSV injection). So every text that starts like that gets a leading
``'``, as OWASP advises, in CSV and in XLSX alike, and an XLSX text cell is always written as a string,
never as a formula. Amounts, counts and dates are not text: they are written as the numbers and dates
they are, a negative amount too.

CSV is ``;``-separated with decimal commas, CRLF line ends and a byte order mark: what Dutch Excel opens as
it is, and what :mod:`app.tabular` reads back.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """The value as a spreadsheet cell may hold it: a text that would start a formula gets a leading quote;
    a number or a date stays what it is."""
    if value is None:
        return ""
    if isinstance(value, int | Decimal | float | date):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_text(value: object) -> str:
    value = safe_cell(value)
    if isinstance(value, Decimal):
        return str(value).replace(".", ",")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_bytes(rows: Iterable[Sequence[object]]) -> bytes:
    """The rows as a CSV file, every cell through :func:`safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_cell(sheet, value: object, number_format: str | None = None):
    """A cell holding the value as what it is: a date as a date, an amount as a number, a text as a string,
    never as a formula. Control characters, which openpyxl refuses in a cell, are left out."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

    if value is None:
        cell = Cell(sheet)
    elif isinstance(value, int | Decimal | float | date):
        cell = Cell(sheet, value=value)
    else:
        cell = Cell(sheet)
        cell.value = safe_cell(ILLEGAL_CHARACTERS_RE.sub("", str(value)))
        cell.data_type = "s"
    if number_format:
        cell.number_format = number_format
    return cell


def append_row(sheet, values: Sequence[object], formats: Mapping[int, str] | None = None) -> list:
    """Add a row of :func:`xlsx_cell` cells, the number format of position ``i`` from ``formats``."""
    cells = [xlsx_cell(sheet, value, (formats or {}).get(i)) for i, value in enumerate(values)]
    sheet.append(cells)
    return cells
