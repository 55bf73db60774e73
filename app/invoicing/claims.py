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

from app.trajecten.imports import FileError, decode, parse_number, records, rows_of, traject_number
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


def read_claims(raw: bytes) -> tuple[list[Claim], list[tuple[int, str, str]]]:
    """The claims in a file, and every problem as (line, column, reason); claims only count without problems."""
    source = _xlsx_records(raw) if raw.startswith(XLSX_MAGIC) else records(decode(raw))
    rows = rows_of(source, CLAIM_COLUMNS)
    claims, problems = [], []
    for row in rows:
        number = traject_number(row.values["traject"])
        amount = parse_number(row.values["bedrag"])
        rule = row.values["regel"].strip()
        if number is None:
            problems.append((row.line, "traject", _("Vul een trajectnummer in, bijvoorbeeld T000012.")))
        if not rule:
            problems.append((row.line, "regel", _("Dit veld is verplicht.")))
        if amount is None:
            problems.append((row.line, "bedrag", _("Vul een bedrag in euro's in, bijvoorbeeld 1.234,56.")))
        elif amount.as_tuple().exponent < -2:
            problems.append((row.line, "bedrag", _("Hoogstens twee cijfers achter de komma.")))
        if row.too_many:
            problems.append((row.line, "", _("Deze regel heeft meer kolommen dan de kopregel.")))
        if number is not None and rule and amount is not None:
            claims.append(Claim(row.line, number, rule, amount.quantize(Decimal("0.01")),
                                row.values["omschrijving"].strip()))
    return claims, problems
