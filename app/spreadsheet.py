"""Writing the CSV and XLSX files the product hands out: the one place every cell goes through.

Any text in them may come from a user (a provider's name, its own invoice number, a contract number, a
funding source), and a spreadsheet program reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a
tab or a carriage return) as a formula: ``=HYPERLINK(...)`` in a provider's invoice number would run in the
finance department's Excel (formula or CSV injection). So every text that starts like that gets a leading
``'``, as OWASP advises, in CSV and in XLSX alike, and an XLSX text cell is always written as a string,
never as a formula. Amounts, counts and dates are not text: they are written as the numbers and dates
they are, a negative amount too.

Every XLSX sheet is written by the same few functions, so that each file behaves as people expect in Excel:
a date is a date cell shown as ``DD-MM-YYYY`` (sortable and filterable as a date), an amount a number shown
in euros with two decimals, a share a number shown as a percentage, a count a whole number; the header row is
bold and stays in view while scrolling; and the columns are as wide as what they hold (within bounds), so
that no amount shows as ``####`` and no name is cut off.

CSV is ``;``-separated with decimal commas, CRLF line ends and a byte order mark: what Dutch Excel opens as
it is, and what :mod:`app.tabular` reads back.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
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
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
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


# --- XLSX ----------------------------------------------------------------------------------------------

DATE_FORMAT = "DD-MM-YYYY"
DATETIME_FORMAT = "DD-MM-YYYY HH:MM:SS"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONTH_FORMAT = "MMM YYYY"  # Excel writes the month's name in the reader's own language
MONEY_FORMAT = '"€" #,##0.00'
PERCENT_FORMAT = "0.0%"
COUNT_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.00"
MIN_WIDTH, MAX_WIDTH = 10, 60  # characters; a longer text wraps or runs on, a narrower column hides "####"


def _default_format(value: object) -> str | None:
    """A date or a count is always shown as one; a Decimal may be money, a share or a ratio, so its writer
    names the format, and one it does not name shows two decimals."""
    if isinstance(value, datetime):
        return DATETIME_FORMAT
    if isinstance(value, date):
        return DATE_FORMAT
    if isinstance(value, int):
        return COUNT_FORMAT
    return DECIMAL_FORMAT if isinstance(value, Decimal | float) else None


def workbook():
    """A workbook without openpyxl's default sheet: every sheet comes from :func:`add_sheet`."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    return book


def sheet_title(text: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of ``[]:*?/\\``."""
    for bad in "[]:*?/\\":
        text = text.replace(bad, " ")
    return text[:31]


def add_sheet(book, title: str, header: Sequence[object]):
    """A sheet whose first row is the header, bold and frozen, so that it stays in view while scrolling."""
    sheet = book.create_sheet(sheet_title(title))
    append_row(sheet, header, bold=True)
    sheet.freeze_panes = "A2"
    return sheet


def xlsx_cell(sheet, value: object, number_format: str | None = None):
    """A cell holding the value as what it is: a date as a date, an amount as a number, a text as a string,
    never as a formula. A number or date without a ``number_format`` gets the one of its kind. Control
    characters, which openpyxl refuses in a cell, are left out."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

    if value is None:
        cell = Cell(sheet)
    elif isinstance(value, int | Decimal | float | date):
        cell = Cell(sheet, value=value)
        number_format = number_format or _default_format(value)
    else:
        cell = Cell(sheet)
        cell.value = safe_cell(ILLEGAL_CHARACTERS_RE.sub("", str(value)))
        cell.data_type = "s"
    if number_format:
        cell.number_format = number_format
    return cell


def append_row(sheet, values: Sequence[object], formats: Mapping[int, str] | None = None, *,
               bold: bool = False) -> list:
    """Add a row of :func:`xlsx_cell` cells, the number format of position ``i`` from ``formats``."""
    from openpyxl.styles import Font

    cells = [xlsx_cell(sheet, value, (formats or {}).get(i)) for i, value in enumerate(values)]
    if bold:
        for cell in cells:
            cell.font = Font(bold=True)
    sheet.append(cells)
    return cells


def _shown_length(cell) -> int:
    """About as many characters as Excel shows of the cell in its number format."""
    value, fmt = cell.value, cell.number_format
    if value is None:
        return 0
    if isinstance(value, date):
        return len(fmt)  # DD-MM-YYYY shows ten characters, MMM YYYY eight
    if isinstance(value, int | Decimal | float):
        decimals = fmt.split(".", 1)[1].count("0") if "." in fmt else 0
        shown = f"{Decimal(value) * (100 if '%' in fmt else 1):{',' if ',' in fmt else ''}.{decimals}f}"
        return len(shown) + ("%" in fmt) + 2 * ("€" in fmt)
    return max(len(line) for line in str(value).splitlines() or [""])


def fit_columns(sheet) -> None:
    """Every used column as wide as its widest cell, within :data:`MIN_WIDTH` and :data:`MAX_WIDTH`.

    A row with one cell only (a note under a table, a blank line) does not count: its text runs on over the
    empty cells beside it, and one sentence should not widen the whole column.
    """
    from openpyxl.utils import get_column_letter

    widest: dict[int, int] = {}
    for row in sheet.iter_rows():
        filled = [cell for cell in row if cell.value is not None and cell.value != ""]
        if len(filled) < 2:
            continue
        for cell in filled:
            widest[cell.column] = max(widest.get(cell.column, 0), _shown_length(cell))
    for column in range(1, sheet.max_column + 1):
        width = min(MAX_WIDTH, max(MIN_WIDTH, widest.get(column, 0) + 2))
        sheet.column_dimensions[get_column_letter(column)].width = width


def workbook_bytes(book) -> bytes:
    """The workbook as a file, its columns fitted to what was written last."""
    for sheet in book.worksheets:
        fit_columns(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rows_xlsx(title: str, rows: Iterable[Sequence[object]]) -> bytes:
    """One sheet named ``title``: the first row the header, the others as :func:`xlsx_cell` makes them."""
    book = workbook()
    rows = iter(rows)
    sheet = add_sheet(book, title, next(rows, []))
    for row in rows:
        append_row(sheet, row)
    return workbook_bytes(book)
