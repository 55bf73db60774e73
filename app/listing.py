"""One way to list records: search, filter, sort and paginate a SELECT from the query string.

Views describe which columns may be sorted and searched; this module turns ``?q=&sort=&dir=&page=``
into SQL, so that every register table behaves the same and no column outside the whitelist can be
sorted on.

Why the page is found as ids first: at 100,000 rows, a join a row is most of what a list costs. Counting
the trajecten of a provider through their client and provider takes 200 ms on SQLite, counting them in
the traject table's own index 2 ms, and an ``OFFSET`` to the last page walks every row before it, joins
and all. So the listed statement names no joins; a sort on a related table's column says which join it
needs (:class:`Joined`), the count and the page's ids are read with only that join, and the page's rows
(with the loads the page asks for) are read by id afterwards. The tie-breaker on ``id`` runs in the
sort's direction, so that an index on (scope, sort column) serves both directions (SQLite and PostgreSQL
walk an index backwards, not half backwards).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from math import ceil
from typing import Any

from flask import current_app, request
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Joined:
    """A sortable column of a related table, and the relationship to join to sort on it."""

    column: Any
    via: Any  # a relationship attribute of the listed class, e.g. ``Traject.client``
    outer: bool = False  # a left join: the relationship may be empty (a client without a klantmanager)


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int
    sort: str
    direction: str
    q: str
    filters: dict[str, str] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def args(self, **overrides: Any) -> dict[str, Any]:
        """Query-string arguments for a link that keeps the current search, filters and sort."""
        current = {"q": self.q, "sort": self.sort, "dir": self.direction, "page": self.page, **self.filters}
        current.update(overrides)
        return {k: v for k, v in current.items() if v not in (None, "")}

    def sort_args(self, column: str) -> dict[str, Any]:
        direction = "desc" if self.sort == column and self.direction == "asc" else "asc"
        return self.args(sort=column, dir=direction, page=1)

    def aria_sort(self, column: str) -> str:
        if self.sort != column:
            return "none"
        return "ascending" if self.direction == "asc" else "descending"


def requested_page(total: int, per_page: int) -> int:
    """The page the query string asks for, within 1 and the last page: an odd or too large number shows the
    nearest page rather than an error."""
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    return min(page, max(1, ceil(total / per_page)))


def filtered(stmt: Select, *, searchable: Sequence[Any] = (), filters: Mapping[str, Any] | None = None,
             search: Callable[[str], Any] | None = None) -> tuple[Select, str, dict[str, str]]:
    """``stmt`` narrowed by the request's search and filters, with the search and the filters that applied.

    A list page and its export call this one function, so that the file holds what the page lists."""
    q = request.args.get("q", "").strip()
    if q and search is not None:
        stmt = stmt.where(search(q))
    elif q and searchable:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(*(func.lower(col).like(like) for col in searchable)))
    applied: dict[str, str] = {}
    for name, make_condition in (filters or {}).items():
        value = request.args.get(name, "").strip()
        if value:
            condition = make_condition(value)
            if condition is not None:
                stmt = stmt.where(condition)
                applied[name] = value
    return stmt, q, applied


def paginate(
    db: Session,
    stmt: Select,
    *,
    sortable: Mapping[str, Any],
    default_sort: str,
    searchable: Sequence[Any] = (),
    filters: Mapping[str, Any] | None = None,
    default_direction: str = "asc",
    search: Callable[[str], Any] | None = None,
) -> Page:
    """Apply the request's search, filters, sort and page to ``stmt`` and run it.

    ``filters`` maps a query-string name to a function ``value -> SQL condition`` (or None to ignore);
    ``search``, when given, turns the typed search into the condition instead of ``searchable``.
    """
    stmt, q, applied = filtered(stmt, searchable=searchable, filters=filters, search=search)
    sort = request.args.get("sort", default_sort)
    if sort not in sortable:
        sort = default_sort
    direction = "desc" if request.args.get("dir", default_direction) == "desc" else "asc"
    entity = stmt.column_descriptions[0]["entity"]
    per_page = current_app.config["PAGE_SIZE"]
    total = db.scalar(select(func.count()).select_from(stmt.with_only_columns(entity.id).order_by(None)
                                                       .subquery())) or 0
    page = requested_page(total, per_page)
    column, ids = sortable[sort], stmt.with_only_columns(entity.id)
    if isinstance(column, Joined):
        ids = ids.outerjoin(column.via) if column.outer else ids.join(column.via)
        column = column.column
    order = (column.desc(), entity.id.desc()) if direction == "desc" else (column.asc(), entity.id.asc())
    wanted = list(db.scalars(ids.order_by(*order).limit(per_page).offset((page - 1) * per_page)))
    found = {row.id: row for row in db.scalars(stmt.where(entity.id.in_(wanted))).unique()} if wanted else {}
    return Page([found[i] for i in wanted if i in found], total, page, per_page, sort, direction, q, applied)
