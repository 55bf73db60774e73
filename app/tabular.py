"""Reading a spreadsheet that a user uploads, CSV or XLSX: the one reader every area's imports are built on.

A file is taken in whole or not at all: whatever makes it unreadable (not UTF-8, not CSV, not an Excel
workbook, an empty sheet, a header that is not the documented one, a file beyond the :class:`Limits`)
raises :class:`FileError` with a message for the file field, before any row is looked at. What comes out
is a list of :class:`Row`, each with the line number Excel shows, so that the area's own checks can name a
problem by line and column.

Reading is a function of the file's bytes and the limits alone (no request, no database), so that it can
run inside a background job as well as in a request.

The work is bounded by the limits, not by what a file says of itself. An XLSX sheet declares its size
(``<dimension ref="A1:XFD1048576"/>``), and openpyxl's read-only mode hands over every empty row and cell
up to it: a 1.6 KB file could keep a server busy for minutes. So a declared size beyond the limits is
refused before a cell is read; rows are read only up to the row limit and cells only up to the column
limit, whatever the declared size (which may be missing or wrong), and empty lines count toward the row
limit; the parts of the zip archive together may unpack to at most ``unpacked_bytes``, checked on the
archive's own directory before anything is unpacked (Python's zipfile never unpacks more than a part's
stated size). A CSV line and a cell have a length limit, so that a single line cannot hold a million
fields.

Dutch Excel writes CSV with ``;`` and, when told to, UTF-8 with a byte order mark; most other tools write
``,``. Both are read, and the delimiter is taken from the header line. Column names are compared in lower
case with spaces and dashes read as ``_``, so ``Gemeente CBS`` is ``gemeente_cbs``.
"""

from __future__ import annotations

import csv
import io
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, time
from zipfile import BadZipFile, ZipFile

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.formatting import number
from contracts.messages import DomainError

XLSX_MAGIC = b"PK\x03\x04"  # an .xlsx file is a zip archive

REQUIRED = _l("Dit veld is verplicht.")
TOO_MANY_CELLS = _l("Deze regel heeft meer kolommen dan de kopregel.")


@dataclass(frozen=True)
class Limits:
    """The most of a file that is read; a file beyond any of them is refused as a whole."""

    rows: int = 10_000  # lines under the header, empty lines included
    columns: int = 50  # columns that may hold something
    cell_chars: int = 10_000  # characters in one cell
    line_chars: int = 100_000  # characters in one line of a CSV file (a quoted cell may span lines)
    unpacked_bytes: int = 20 * 1024 * 1024  # the parts of an XLSX file together, unpacked


LIMITS = Limits()


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


def _cell_too_long(limits: Limits, line: int | None = None) -> FileError:
    if line is None:
        return FileError(_("Een cel heeft meer dan %(max)s tekens.", max=number(limits.cell_chars)))
    return FileError(_("Regel %(line)s heeft een cel met meer dan %(max)s tekens.", line=line,
                       max=number(limits.cell_chars)))


def _bounded(records: Iterable[list[str]], limits: Limits) -> Iterator[list[str]]:
    """The records (the header first) while they keep within the limits; the first one beyond refuses the file.

    Every line counts, an empty one too: what bounds the work is the number of lines looked at, and a
    sheet can hand over any number of empty ones.
    """
    for line, cells in enumerate(records, start=1):
        if line > limits.rows + 1:
            raise FileError(_("Het bestand heeft meer dan %(max)s regels onder de kopregel (lege regels tellen "
                              "mee); verdeel het over meer bestanden.", max=number(limits.rows)))
        if any(cell.strip() for cell in cells[limits.columns:]):
            raise FileError(_("Op regel %(line)s staat iets voorbij kolom %(max)s; een bestand heeft hoogstens "
                              "%(max)s kolommen.", line=line, max=limits.columns))
        if any(len(cell) > limits.cell_chars for cell in cells):
            raise _cell_too_long(limits, line)
        yield cells


def csv_records(text: str, limits: Limits = LIMITS) -> Iterator[list[str]]:
    """The records of a CSV text, in the delimiter its header line uses."""
    def lines() -> Iterator[str]:
        for line, content in enumerate(io.StringIO(text, newline=""), start=1):
            if len(content) > limits.line_chars:
                raise FileError(_("Regel %(line)s is langer dan %(max)s tekens.", line=line,
                                  max=number(limits.line_chars)))
            yield content

    try:
        yield from _bounded(csv.reader(lines(), delimiter=_delimiter(text)), limits)
    except csv.Error as error:
        if "field limit" in str(error):  # Python's own limit on a cell, beyond ours: a quoted cell over many lines
            raise _cell_too_long(limits) from None
        raise FileError(_("Dit is geen leesbaar CSV-bestand.")) from None


# What a damaged or hostile workbook makes zipfile, zlib, the XML parsers (SyntaxError) and openpyxl raise:
# an unsupported compression or encryption (NotImplementedError, RuntimeError), a cut-off or corrupt stream.
BROKEN_XLSX = (BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, SyntaxError,
               KeyError, IndexError, TypeError, ValueError)


def _unreadable_xlsx() -> FileError:
    return FileError(_("Dit is geen leesbaar Excel-bestand (.xlsx)."))


def _check_unpacked(raw: bytes, limits: Limits) -> None:
    """Refuse an archive whose parts would unpack to more than the limit (a zip bomb), before unpacking any."""
    try:
        with ZipFile(io.BytesIO(raw)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except BROKEN_XLSX:
        raise _unreadable_xlsx() from None
    if unpacked > limits.unpacked_bytes:
        raise FileError(_("Het Excel-bestand is uitgepakt groter dan %(size)s MB. Sla alleen het werkblad met "
                          "de regels op, zonder afbeeldingen.", size=number(limits.unpacked_bytes // (1024 * 1024))))


def _check_declared_size(sheet, limits: Limits) -> None:
    """Refuse a sheet that says it is larger than the limits, before a cell is read (a missing size is no size)."""
    from openpyxl.utils import get_column_letter

    rows, columns = sheet.max_row or 0, sheet.max_column or 0
    if rows > limits.rows + 1 or columns > limits.columns:
        # as the sheet states it; a whole-column range (A:XFD) states no rows
        size = (f"{get_column_letter(sheet.min_column or 1)}{sheet.min_row or 1}:"
                f"{get_column_letter(columns) if columns else ''}{rows or ''}")
        raise FileError(_("Het werkblad zegt zelf dat het %(size)s groot is; een bestand heeft hoogstens "
                          "%(rows)s regels onder de kopregel en %(columns)s kolommen. Kopieer de gebruikte cellen "
                          "naar een nieuw werkblad en sla dat op.", size=size, rows=number(limits.rows),
                          columns=limits.columns))


def _xlsx_text(value: object) -> str:
    """A cell as the text a column is read from. Excel makes a date cell of a typed ``31-12-2026``, which
    openpyxl hands over as midnight of that day: it is read as the date it is, not refused for its time."""
    if value is None:
        return ""
    if isinstance(value, datetime) and value.time() == time():
        return value.date().isoformat()
    return str(value)


def xlsx_records(raw: bytes, limits: Limits = LIMITS) -> Iterator[list[str]]:
    """The rows of a workbook's first sheet, every cell as text (an empty cell as "")."""
    from openpyxl import load_workbook  # only a spreadsheet upload pays for loading openpyxl

    _check_unpacked(raw, limits)
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        sheet = book.worksheets[0]
    except BROKEN_XLSX:
        raise _unreadable_xlsx() from None
    try:
        _check_declared_size(sheet, limits)
        # one row and one column beyond the limits, so that _bounded sees what lies beyond them
        rows = sheet.iter_rows(max_row=limits.rows + 2, max_col=limits.columns + 1, values_only=True)
        yield from _bounded(([_xlsx_text(cell) for cell in row] for row in rows), limits)
    except FileError:
        raise
    except BROKEN_XLSX:
        raise _unreadable_xlsx() from None
    finally:
        book.close()


def file_records(raw: bytes, limits: Limits = LIMITS) -> Iterator[list[str]]:
    """The records of an uploaded file, CSV or XLSX, told apart by the file's first bytes, not its name."""
    return xlsx_records(raw, limits) if raw.startswith(XLSX_MAGIC) else csv_records(decode(raw), limits)


def rows_of(records: Iterator[list[str]], expected: tuple[str, ...]) -> list[Row]:
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
    if not rows:
        raise FileError(_("Het bestand heeft geen regels onder de kopregel."))
    return rows
