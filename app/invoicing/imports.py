"""Reading a provider's invoice lines from a CSV or XLSX file, every bad row reported, nothing half-read.

The columns are those of the self-billing statement's export, so a provider can send back what it
received: ``traject`` (T000012 or 12), ``regel`` (the payment rule's id), ``bedrag`` and ``omschrijving``.
"""

from __future__ import annotations

from flask_babel import gettext as _

from app.i18n import translate
from app.parsing import ParseError, parse_amount, traject_number
from app.spreadsheet import csv_bytes
from app.tabular import REQUIRED, TOO_MANY_CELLS, file_records, rows_of
from invoicing.matching import Claim

CLAIM_COLUMNS = ("traject", "regel", "bedrag", "omschrijving")
EXAMPLE = ("T000001", "plaatsing", "2500,00", "Plaatsing in regulier werk")


def template_csv() -> bytes:
    """The header and an example row, written as every CSV the product writes."""
    return csv_bytes([CLAIM_COLUMNS, EXAMPLE])


def read_claims(raw: bytes) -> tuple[list[Claim], list[dict]]:
    """The claims in a file, and every problem (line, column, message); claims only count without problems."""
    rows = rows_of(file_records(raw), CLAIM_COLUMNS)
    claims, problems = [], []
    for row in rows:
        def fail(column: str, message, line: int = row.line) -> None:
            problems.append({"line": line, "column": column, "message": str(message)})

        number = traject_number(row.values["traject"])
        rule = row.values["regel"].strip()
        if number is None:
            fail("traject", _("Vul een trajectnummer in, bijvoorbeeld T000012."))
        if not rule:
            fail("regel", REQUIRED)
        try:
            amount = parse_amount(row.values["bedrag"], negative=True)
        except ParseError as error:
            amount = None
            fail("bedrag", translate(error.message))
        if row.too_many:
            fail("", TOO_MANY_CELLS)
        if number is not None and rule and amount is not None:
            claims.append(Claim(row.line, number, rule, amount, row.values["omschrijving"].strip()))
    return claims, problems
