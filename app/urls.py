"""Helpers for URLs that come from the browser."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from werkzeug.routing import IntegerConverter

from app.scoping import MAX_ID

# A header cannot carry a line break (Werkzeug refuses it with a server error), and browsers drop tabs and line
# breaks from a URL, so that "/\t/evil.example" would be followed as "//evil.example", another site.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_next_url(target: str | None) -> str | None:
    """Accept only a local path, so that ``?next=`` cannot send a user to another site."""
    if not target or _CONTROL.search(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: a number beyond an integer column matches no route (404), so that no view
    queries with an id the driver cannot bind (a 500 on PostgreSQL) and none has to check for it itself."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)
