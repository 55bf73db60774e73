"""How a typed search meets a stored name: both folded by one rule, so that the database compares plain text.

SQLite's ``lower()`` folds ASCII only and PostgreSQL's ``unaccent`` needs an extension, so neither database can
be asked to ignore case and diacritics the same way. Instead :func:`fold` is applied in Python to both sides: to
the name when it is stored (a kept search column) and to what the user typed. ``Çelik``, ``çelik`` and ``Celik``
then all become ``celik``, and ``Zoë`` and ``zoe`` become ``zoe``, on either database.
"""

from __future__ import annotations

import unicodedata

# Letters that Unicode does not decompose into a base letter and a mark, folded the way a Dutch reader would type
# them on a keyboard without them.
_UNDECOMPOSED = str.maketrans({
    "ø": "o", "ł": "l", "đ": "d", "ð": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th",
    "’": "'", "‘": "'", "ʼ": "'", "`": "'",
})

# A search phrase never holds a newline (whitespace is collapsed), so it cannot match across the two orders.
_ORDERS_SEPARATOR = "\n"


def fold(text: str) -> str:
    """Lower case without diacritics and with single spaces: the one form in which names are compared."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.translate(_UNDECOMPOSED).split())


def name_key(first_name: str | None, last_name: str | None) -> str:
    """What a person's name is searched in: first name and last name in both orders, folded."""
    first, last = fold(first_name or ""), fold(last_name or "")
    return _ORDERS_SEPARATOR.join((f"{first} {last}".strip(), f"{last} {first}".strip()))


def phrase(query: str) -> str:
    """What the user typed, folded; a comma ("Nieuwkomer, Noor") separates last and first name like a space."""
    return fold(query.replace(",", " "))


def like_pattern(text: str) -> str:
    """A LIKE pattern that finds ``text`` anywhere, with ``%`` and ``_`` in it taken literally (escape ``\\``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
