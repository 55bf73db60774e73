"""Sortable column headers: tables.js turns each header of a ``data-sortable`` table into a ``.sort-button``,
which must look like the header it replaces (not like a solid blue button) and must never be empty."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from tests.test_access import ROUTES, _url
from tests.test_accessibility import PAGES

CSS = Path(__file__).resolve().parent.parent / "app" / "static" / "css" / "app.css"

# --- the cascade for a sort button ----------------------------------------------------------------

# What a sort button is: <th><button type="button" class="sort-button">, inside a table.data-table.
ANCESTORS = re.compile(r"^(th|table|\.data-table|table\.data-table|th\[aria-sort(=\"[a-z]+\")?\])$")


def _rules(css: str) -> list[tuple[int, str, dict[str, str]]]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    found = []
    for order, match in enumerate(re.finditer(r"([^{}]+)\{([^{}]*)\}", css)):
        selectors, body = match.group(1).strip(), match.group(2)
        if selectors.startswith("@"):
            continue
        declarations = {k.strip(): v.strip() for k, _, v in
                            (d.partition(":") for d in body.split(";") if ":" in d)}
        for selector in selectors.split(","):
            found.append((order, selector.strip(), declarations))
    return found


def _matches(compound: str, state: str | None) -> tuple[int, int, int] | None:
    """The specificity of a compound selector when it matches the sort button in ``state``, else None."""
    ids = classes = types = 0
    rest = compound
    tag = re.match(r"^[a-z*]+", rest)
    if tag:
        if tag.group(0) not in ("button", "*"):
            return None
        types += tag.group(0) == "button"
        rest = rest[tag.end():]
    for negated in re.findall(r":not\(([^)]*)\)", rest):
        if negated == ".sort-button":
            return None
        classes += negated.startswith((".", "[", ":"))
        types += not negated.startswith((".", "[", ":"))
    rest = re.sub(r":not\([^)]*\)", "", rest)
    for kind, value in re.findall(r"(\.|::?|\[)([^.:\[\]]+)\]?", rest):
        if kind == ".":
            if value != "sort-button":
                return None
            classes += 1
        elif kind == ":":
            if value != state:
                return None
            classes += 1
        elif kind == "::":
            return None
        elif kind == "[":
            if value != 'type="button"':
                return None
            classes += 1
    return ids, classes, types


def _winner(prop: str, state: str | None) -> str:
    best = None
    for order, selector, declarations in _rules(CSS.read_text(encoding="utf-8")):
        if prop not in declarations:
            continue
        *ancestors, last = selector.split()
        if not all(ANCESTORS.match(a) for a in ancestors if a != ">"):
            continue
        specificity = _matches(last, state)
        if specificity is None:
            continue
        key = (specificity, order)
        if best is None or key > best[0]:
            best = (key, selector)
    assert best is not None, prop
    return best[1]


def test_the_sort_button_style_wins_over_the_generic_button():
    for state in (None, "hover"):
        for prop in ("background", "color", "border", "padding"):
            winner = _winner(prop, state)
            assert "sort-button" in winner, (state, prop, winner)


# --- no empty sort button --------------------------------------------------------------------------


class _Headers(HTMLParser):
    """The header cells of every sortable table, with the text a sighted user sees in each."""

    def __init__(self):
        super().__init__()
        self.headers: list[tuple[dict, str]] = []
        self._stack: list[str] = []
        self._sortable = self._in_thead = False
        self._hidden = 0
        self._cell: tuple[dict, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._sortable = "data-sortable" in a
        elif tag == "thead":
            self._in_thead = True
        elif tag == "th" and self._sortable and self._in_thead:
            self._cell = (a, [])
        if self._cell is not None and tag == "span":
            self._stack.append("hidden" if "visually-hidden" in a.get("class", "") else "span")
            self._hidden += self._stack[-1] == "hidden"

    def handle_endtag(self, tag):
        if tag == "thead":
            self._in_thead = False
        elif tag == "th" and self._cell is not None:
            self.headers.append((self._cell[0], "".join(self._cell[1]).strip()))
            self._cell = None
        elif tag == "span" and self._stack:
            self._hidden -= self._stack.pop() == "hidden"

    def handle_data(self, data):
        if self._cell is not None and not self._hidden:
            self._cell[1].append(data)


def test_no_sortable_header_would_become_an_empty_button(app, world, as_role):
    admin, seen, empty = as_role("admin"), 0, []
    for endpoint in PAGES:
        parser = _Headers()
        parser.feed(admin.get(_url(app, world, endpoint)).get_data(as_text=True))
        seen += len(parser.headers)
        empty += [(endpoint, attrs) for attrs, text in parser.headers if not text and "data-nosort" not in attrs]
    assert seen > 0 and empty == []


def test_the_targets_page_keeps_its_actions_column_out_of_sorting(app, world, as_role):
    parser = _Headers()
    parser.feed(as_role("admin").get(f"/rapportages/doelen?jaar={world.target.year}").get_data(as_text=True))
    assert [text for attrs, text in parser.headers if "data-nosort" in attrs] == [""]
    assert "reports.targets" in ROUTES
