"""Reading a file of budget lines (CSV): every row checked, every problem reported at its line and column.

Nothing is stored here: :func:`check_rows` gives the rows and the problems, and only a file without problems
reaches :func:`app.budgets.services.store`. The file's columns are :data:`COLUMNS`; :func:`template_csv` is
the template the page offers, with one example row that adds up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app import clock
from app.budgets.forms import (
    BAD_YEAR,
    DEFAULT_SOURCE,
    FIRST_YEAR,
    LAST_YEAR,
    REQUIRED,
)
from app.budgets.services import canonical_source
from app.db import session
from app.i18n import translate
from app.models.registers import Gemeente
from app.parsing import ParseError, parse_amount
from app.spreadsheet import csv_bytes
from app.tabular import TOO_MANY_CELLS, Row, csv_records, decode, rows_of
from app.validators import normalise_cbs
from contracts.money import ZERO, to_cents
from invoicing.budget import BudgetFigures, reconcile

COLUMNS = ("gemeente_cbs", "jaar", "bron", "budget", "overgeheveld", "besteed", "resterend", "toelichting")
TEMPLATE_NAME = "sjabloon-budgetten.csv"


def read_rows(raw: bytes, known: list[str]) -> tuple[list[ImportRow], list[dict]]:
    """The rows of an uploaded file and every problem in it (:class:`~app.tabular.FileError` when
    the file as a whole cannot be read)."""
    return check_rows(rows_of(csv_records(decode(raw)), COLUMNS), known)


@dataclass
class ImportRow:
    line: int
    gemeente: Gemeente | None = None
    year: int | None = None
    source: str = ""
    amount: Decimal | None = None
    carried_over: Decimal = ZERO
    spent: Decimal | None = None
    remaining: Decimal | None = None
    note: str = ""
    outcome: str = ""  # "new", "updated" or "unchanged", once stored

    @property
    def key(self) -> tuple[int, int, str] | None:
        if self.gemeente is None or self.year is None or not self.source:
            return None
        return self.gemeente.id, self.year, self.source.lower()

    @property
    def difference(self) -> Decimal | None:
        if self.spent is None or self.remaining is None or self.amount is None:
            return None
        return reconcile(BudgetFigures(self.amount, self.carried_over, self.spent, self.remaining))


class _Cells:
    """The cells of one row, each problem noted at its column."""

    def __init__(self, row: Row, problems: list[dict]):
        self.row = row
        self.problems = problems

    def fail(self, column: str, message: Any) -> None:
        self.problems.append({"line": self.row.line, "column": column, "message": str(message)})

    def raw(self, column: str) -> str:
        return self.row.values.get(column, "")

    def text(self, column: str, max_length: int, required: bool = False) -> str:
        value = re.sub(r"\s+", " ", self.raw(column)).strip()
        if required and not value:
            self.fail(column, REQUIRED)
        elif len(value) > max_length:
            self.fail(column, _("Dit is te lang: hoogstens %(max)s tekens.", max=max_length))
        return value

    def amount(self, column: str, required: bool = False, negative: bool = False) -> Decimal | None:
        value = self.raw(column)
        if not value:
            if required:
                self.fail(column, REQUIRED)
            return None
        try:
            number = parse_amount(value, negative=negative)
        except ParseError as error:
            self.fail(column, translate(error.message))
            return None
        return to_cents(number)


def check_rows(rows: list[Row], known: list[str]) -> tuple[list[ImportRow], list[dict]]:
    """Read every row, noting every problem with its line and column; the rows are only good when none is."""
    by_cbs = {g.cbs_code: g for g in session.scalars(select(Gemeente))}
    problems: list[dict] = []
    checked: list[ImportRow] = []
    first_line: dict[tuple[int, int, str], int] = {}
    for row in rows:
        cells = _Cells(row, problems)
        item = ImportRow(row.line)
        if row.too_many:
            cells.fail("", TOO_MANY_CELLS)
        cbs = cells.raw("gemeente_cbs")
        if not cbs:
            cells.fail("gemeente_cbs", REQUIRED)
        else:
            code = normalise_cbs(cbs)
            if not re.fullmatch(r"GM\d{4}", code):
                cells.fail("gemeente_cbs", _("Een CBS-gemeentecode heeft de vorm GM0000 (GM en 4 cijfers)."))
            elif code not in by_cbs:
                cells.fail("gemeente_cbs", _("Er is geen gemeente met CBS-code %(code)s.", code=code))
            else:
                item.gemeente = by_cbs[code]
        year = cells.raw("jaar")
        if not year:
            cells.fail("jaar", REQUIRED)
        elif not year.isdigit() or not FIRST_YEAR <= int(year) <= LAST_YEAR:
            cells.fail("jaar", BAD_YEAR)
        else:
            item.year = int(year)
        item.source = canonical_source(cells.text("bron", 80, required=True), known)
        item.amount = cells.amount("budget", required=True)
        item.carried_over = cells.amount("overgeheveld", negative=True) or ZERO
        item.spent = cells.amount("besteed")
        item.remaining = cells.amount("resterend", negative=True)
        item.note = cells.text("toelichting", 2000)
        key = item.key
        if key is not None:
            if key in first_line:
                cells.fail("bron", _("Deze gemeente, dit jaar en deze bron staan ook op regel %(line)s.",
                                     line=first_line[key]))
            else:
                first_line[key] = row.line
        checked.append(item)
    order = {name: i for i, name in enumerate(COLUMNS)}
    problems.sort(key=lambda p: (p["line"], order.get(p["column"], -1)))
    return checked, problems


def _example() -> list[str]:
    cbs = session.scalar(select(Gemeente.cbs_code).order_by(Gemeente.name).limit(1)) or "GM0363"
    return [cbs, str(clock.today().year), DEFAULT_SOURCE, "250.000,00", "12.500,00", "180.000,00", "82.500,00",
            "Begroting na de voorjaarsnota"]


def template_csv() -> bytes:
    """The header and one example row that adds up, ``;``-separated, UTF-8 with BOM so that Excel opens it."""
    return csv_bytes([COLUMNS, _example()])
