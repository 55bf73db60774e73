"""The indicators' predicates and date arithmetic as SQL, so that figures are aggregates in the database.

:mod:`contracts.indicators` defines each numerator and denominator once, as predicates over a traject's fact
row; this module compiles them to SQL over the ``traject`` table's kept facts. The tests evaluate the same
predicates in Python on the same rows and require equal answers, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, and_, case, extract, literal, not_, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from app.models.trajecten import Traject
from contracts.indicators import All, Has, Indicator, Not, OneOf, Part, Predicate, in_period


def column(field: str) -> ColumnElement:
    """The traject column that holds a fact row's field (``referral_date`` and the indicator facts)."""
    return getattr(Traject, field)


def condition(predicate: Predicate) -> ColumnElement[bool]:
    if isinstance(predicate, Has):
        return column(predicate.field).is_not(None)
    if isinstance(predicate, OneOf):
        return column(predicate.field).in_(sorted(predicate.values))
    if isinstance(predicate, All):
        return and_(true(), *(condition(p) for p in predicate.parts))
    if isinstance(predicate, Not):
        return not_(condition(predicate.part))
    raise TypeError(f"not a predicate: {predicate!r}")


def counted(indicator: Indicator, part: Part, basis: str, period: tuple[date, date]) -> ColumnElement[bool]:
    """The rows in ``part`` of the indicator for the period: its predicate, dated within the period."""
    predicate = indicator.numerator if part == "numerator" else indicator.denominator
    name = in_period(indicator, basis, part)
    # The referral date may lead to ix_traject_cohort (app.reports.services.Query.in_play); the others scan.
    dated = column(name) if name == "referral_date" else scanned(column(name))
    return and_(condition(predicate), dated.between(*period))


def tally(clause: ColumnElement[bool]) -> ColumnElement[int]:
    return case((clause, 1), else_=0)


class days_between(FunctionElement):
    """Whole days from the first date to the second."""

    type = Integer()
    inherit_cache = True


@compiles(days_between)
def _days_between_default(element, compiler, **kw):
    a, b = list(element.clauses)
    return f"({compiler.process(b, **kw)} - {compiler.process(a, **kw)})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    a, b = list(element.clauses)
    return f"CAST(julianday({compiler.process(b, **kw)}) - julianday({compiler.process(a, **kw)}) AS INTEGER)"


class next_day(FunctionElement):
    type = Date()
    inherit_cache = True


@compiles(next_day)
def _next_day_default(element, compiler, **kw):
    return f"({compiler.process(next(iter(element.clauses)), **kw)} + 1)"


@compiles(next_day, "sqlite")
def _next_day_sqlite(element, compiler, **kw):
    return f"date({compiler.process(next(iter(element.clauses)), **kw)}, '+1 day')"


class _DatePart(FunctionElement):
    """``EXTRACT(field FROM date)`` as an integer.

    On SQLite a date is its ISO text (``YYYY-MM-DD``, as SQLAlchemy stores it), so the digits are cut from the
    text. SQLAlchemy's own ``CAST(STRFTIME(...))`` parses the whole date for every row, and the reports' month
    arithmetic did so six times a row: cutting is what makes the histograms of months cheap.
    """

    type = Integer()
    inherit_cache = True
    field = ""
    start, length = 0, 0


class year_of(_DatePart):
    inherit_cache = True
    field, start, length = "year", 1, 4


class month_of(_DatePart):
    inherit_cache = True
    field, start, length = "month", 6, 2


class day_of(_DatePart):
    inherit_cache = True
    field, start, length = "day", 9, 2


@compiles(_DatePart)
def _date_part_default(element, compiler, **kw):
    return compiler.process(extract(element.field, next(iter(element.clauses))), **kw)


@compiles(_DatePart, "sqlite")
def _date_part_sqlite(element, compiler, **kw):
    text = compiler.process(next(iter(element.clauses)), **kw)
    return f"CAST(substr({text}, {element.start}, {element.length}) AS INTEGER)"


def months_between(a: ColumnElement, b: ColumnElement) -> ColumnElement[int]:
    """Whole calendar months from ``a`` to ``b``, as :func:`contracts.indicators.months_between` counts them:
    the month is completed on the same day of the month, or on the last day of a shorter month."""
    short = and_(day_of(b) < day_of(a), day_of(next_day(b)) != 1)
    return (year_of(b) - year_of(a)) * 12 + month_of(b) - month_of(a) - case((short, 1), else_=0)


def earliest(value: ColumnElement, day: date) -> ColumnElement:
    """The earlier of a date column and a day, the day when the column is NULL (a NULL comparison is not true)."""
    return case((value < as_date(day), value), else_=as_date(day))


def as_date(day: date) -> ColumnElement:
    return literal(day, Date())


class scanned(FunctionElement):
    """A column that should not lead the query plan to an index: on SQLite ``+column``, its documented way to
    keep a term from using an index; elsewhere the column itself.

    SQLite keeps no statistics on date ranges here, so for a report over most of the table it walks an index
    on (provider, referral date) and fetches every row by its rowid, several times slower than reading the
    table once; PostgreSQL's planner decides that for itself.
    """

    inherit_cache = True

    def __init__(self, column: ColumnElement):
        super().__init__(column)
        self.type = column.type


@compiles(scanned)
def _scanned_default(element, compiler, **kw):
    return compiler.process(next(iter(element.clauses)), **kw)


@compiles(scanned, "sqlite")
def _scanned_sqlite(element, compiler, **kw):
    return f"+{compiler.process(next(iter(element.clauses)), **kw)}"
