"""Reading a spreadsheet that a user uploads, CSV or XLSX: the one reader every area's imports are built on.

A file is taken in whole or not at all: whatever makes it unreadable (not UTF-8, not CSV, not an Excel
workbook, an empty sheet, a header that is not the documented one, too many rows) raises :class:`FileError`
with a message for the file field, before any row is looked at. What comes out is a list of :class:`Row`,
each with the line number Excel shows, so that the area's own checks can name a problem by line and column.

Dutch Excel writes CSV with ``;`` and, when told to, UTF-8 with a byte order mark; most other tools write
``,``. Both are read, and the delimiter is taken from the header line. Column names are compared in lower
case with spaces and dashes read as ``_``, so ``Gemeente CBS`` is ``gemeente_cbs``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from zipfile import BadZipFile

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from contracts.messages import DomainError

MAX_ROWS = 10_000
XLSX_MAGIC = b"PK\x03\x04"  # an .xlsx file is a zip archive

REQUIRED = _l("Dit veld is verplicht.")
TOO_MANY_CELLS = _l("Deze regel heeft meer kolommen dan de kopregel.")


class FileError(DomainError):
    """A file that cannot be taken in at all; shown at the file field, nothing is stored."""

    code = "unreadable_file"


@dataclass
class Row:
    """One data row: ``line`` counts records as Excel numbers rows (1 is the header)."""

    line: int
    values: dict[str, str]
    too_many: bool = False


def decode(raw: bytes) -> str:
    """UTF-8 with or without the byte order mark Excel writes."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileError(_("Het bestand is geen UTF-8-tekst. Sla het in Excel op als "
                          "‘CSV UTF-8 (door komma's gescheiden)’.")) from None
    if "\x00" in text:
        raise FileError(_("Dit is geen leesbaar CSV-bestand."))
    return text


def _delimiter(text: str) -> str:
    """Dutch Excel writes ``;``, most other tools ``,``: whichever the header line uses more."""
    header = text.lstrip("\r\n").split("\n", 1)[0]
    return "," if header.count(",") > header.count(";") else ";"


def _column_name(cell: str) -> str:
    return re.sub(r"[\s\-]+", "_", cell.strip().lower())


def csv_records(text: str) -> Iterator[list[str]]:
    """The records of a CSV text, in the delimiter its header line uses."""
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    except csv.Error:
        raise FileError(_("Dit is geen leesbaar CSV-bestand.")) from None


def xlsx_records(raw: bytes) -> Iterator[list[str]]:
    """The rows of a workbook's first sheet, every cell as text (an empty cell as "")."""
    from openpyxl import load_workbook  # only a spreadsheet upload pays for loading openpyxl

    try:
        sheet = load_workbook(io.BytesIO(raw), read_only=True, data_only=True).worksheets[0]
    except (BadZipFile, KeyError, ValueError, OSError, IndexError):
        raise FileError(_("Dit is geen leesbaar Excel-bestand (.xlsx).")) from None
    for row in sheet.iter_rows(values_only=True):
        yield ["" if cell is None else str(cell) for cell in row]


def file_records(raw: bytes) -> Iterator[list[str]]:
    """The records of an uploaded file, CSV or XLSX, told apart by the file's first bytes, not its name."""
    return xlsx_records(raw) if raw.startswith(XLSX_MAGIC) else csv_records(decode(raw))


def rows_of(records: Iterator[list[str]], expected: tuple[str, ...], max_rows: int = MAX_ROWS) -> list[Row]:
    """The data rows of a sheet's records (CSV or spreadsheet), after checking the header against ``expected``."""
    header = [_column_name(c) for c in next(records, [])]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise FileError(_("Het bestand is leeg."))
    problems = []
    unknown = [name or "(leeg)" for name in header if name not in expected]
    if unknown:
        problems.append(_("Onbekende kolom: %(names)s. Gebruik de kolomnamen van het sjabloon.",
                          names=", ".join(unknown)))
    doubled = sorted({name for name in header if name and header.count(name) > 1})
    if doubled:
        problems.append(_("Deze kolommen staan meer dan één keer in de kopregel: %(names)s.",
                          names=", ".join(doubled)))
    missing = [name for name in expected if name not in header]
    if missing:
        problems.append(_("Deze kolommen ontbreken: %(names)s.", names=", ".join(missing)))
    if problems:
        raise FileError(" ".join(problems))
    rows = []
    for line, cells in enumerate(records, start=2):
        if not any(c.strip() for c in cells):
            continue  # Excel leaves empty rows (";;;;") at the end of a sheet
        values = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
        rows.append(Row(line, values, too_many=any(c.strip() for c in cells[len(header):])))
        if len(rows) > max_rows:
            raise FileError(_("Het bestand heeft meer dan %(max)s regels; verdeel het over meer bestanden.",
                              max=max_rows))
    if not rows:
        raise FileError(_("Het bestand heeft geen regels onder de kopregel."))
    return rows
