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
    dated = scanned(column(in_period(indicator, basis, part)))
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


def months_between(a: ColumnElement, b: ColumnElement) -> ColumnElement[int]:
    """Whole calendar months from ``a`` to ``b``, as :func:`contracts.indicators.months_between` counts them:
    the month is completed on the same day of the month, or on the last day of a shorter month."""
    short = and_(extract("day", b) < extract("day", a), extract("day", next_day(b)) != 1)
    return ((extract("year", b) - extract("year", a)) * 12 + extract("month", b) - extract("month", a)
            - case((short, 1), else_=0))


def earliest(*values: ColumnElement) -> ColumnElement:
    """The earliest of some dates, ignoring NULLs (portable: no LEAST, whose NULL handling differs)."""
    result = values[0]
    for value in values[1:]:
        result = case((value.is_(None), result), (result.is_(None), value), (value < result, value), else_=result)
    return result


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
