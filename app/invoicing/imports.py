"""Reading a provider's invoice lines from a CSV or XLSX file, every bad row reported, nothing half-read.

The columns are those of the self-billing statement's export, so a provider can send back what it
received: ``traject`` (T000012 or 12), ``regel`` (the payment rule's id), ``bedrag`` and ``omschrijving``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from zipfile import BadZipFile

from flask_babel import gettext as _

from app.trajecten.imports import (
    BAD_AMOUNT,
    REQUIRED,
    TOO_MANY_CELLS,
    TWO_DECIMALS,
    FileError,
    decode,
    parse_number,
    records,
    rows_of,
    traject_number,
)
from invoicing.matching import Claim

CLAIM_COLUMNS = ("traject", "regel", "bedrag", "omschrijving")
TEMPLATE = "traject;regel;bedrag;omschrijving\r\nT000001;plaatsing;2500,00;Plaatsing in regulier werk\r\n"
XLSX_MAGIC = b"PK\x03\x04"


def _xlsx_records(raw: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(raw), read_only=True, data_only=True).worksheets[0]
    except (BadZipFile, KeyError, ValueError, OSError):
        raise FileError(_("Dit is geen leesbaar Excel-bestand (.xlsx).")) from None
    for row in sheet.iter_rows(values_only=True):
        yield ["" if cell is None else str(cell) for cell in row]


def read_claims(raw: bytes) -> tuple[list[Claim], list[dict]]:
    """The claims in a file, and every problem (line, column, message); claims only count without problems."""
    source = _xlsx_records(raw) if raw.startswith(XLSX_MAGIC) else records(decode(raw))
    rows = rows_of(source, CLAIM_COLUMNS)
    claims, problems = [], []
    for row in rows:
        def fail(column: str, message, line: int = row.line) -> None:
            problems.append({"line": line, "column": column, "message": str(message)})

        number = traject_number(row.values["traject"])
        amount = parse_number(row.values["bedrag"])
        rule = row.values["regel"].strip()
        if number is None:
            fail("traject", _("Vul een trajectnummer in, bijvoorbeeld T000012."))
        if not rule:
            fail("regel", REQUIRED)
        if amount is None:
            fail("bedrag", BAD_AMOUNT)
        elif amount.as_tuple().exponent < -2:
            fail("bedrag", TWO_DECIMALS)
        if row.too_many:
            fail("", TOO_MANY_CELLS)
        if number is not None and rule and amount is not None:
            claims.append(Claim(row.line, number, rule, amount.quantize(Decimal("0.01")),
                                row.values["omschrijving"].strip()))
    return claims, problems
