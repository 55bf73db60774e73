"""The request every view reads: a query string screened as the forms screen what is posted (app.forms).

Search boxes, filters, sort orders and page numbers come from the query string, which a view reads with
``request.args`` rather than through a form. Screening them here, once, keeps a NUL byte out of every search
query (PostgreSQL refuses it in text) and an id beyond an integer column out of every filter.
"""

from __future__ import annotations

from typing import Any

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.utils import cached_property

from app.forms import CONTROL_CHARACTERS, beyond_an_integer_column


class ScreenedArgs(ImmutableMultiDict):
    """Query-string values: ``get(name, type=int)`` reads an integer beyond an integer column as absent."""

    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:  # type: ignore[override]
        value = super().get(key, default, type)
        return default if beyond_an_integer_column(value) else value


class AppRequest(Request):
    """A request whose query-string values hold no control characters (a search for "a\\x00b" is one for "ab")."""

    @cached_property
    def args(self) -> ScreenedArgs:  # type: ignore[override]
        raw = super().args
        return ScreenedArgs((name, CONTROL_CHARACTERS.sub("", value)) for name, value in raw.items(multi=True))
