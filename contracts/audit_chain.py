"""The audit trail's hash chain: what an entry's hash covers, and how a walk over the trail finds a break.

Triggers refuse UPDATE, DELETE, REPLACE and TRUNCATE, but whoever owns the table (or the SQLite file) can
switch them off. The chain makes such a rewrite visible afterwards: each entry's ``entry_hash`` is SHA-256
over a canonical form of its content together with the previous entry's hash (``prev_hash``, kept on the
entry so that a break can say *why*). Changing an entry breaks its own hash; removing, inserting or
reordering entries breaks the link of the entry after it. Pure: the app's writer and its verifier both
come here, and the rule is tested without a database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# The hash "before" the first entry.
GENESIS = "0" * 64

# What an entry's hash covers: every column but the two hashes.
CHAINED_FIELDS = ("id", "at", "actor_id", "actor_label", "action", "entity_type", "entity_id", "parent_type",
                  "parent_id", "changes", "remote_addr")

# Why a walk stopped (``Verdict.reason``).
CONTENT_CHANGED = "content_changed"
LINK_BROKEN = "link_broken"


def _moment(value: datetime | str | None) -> str | None:
    """Microseconds always written, so that the same moment is the same text however it was read back."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if isinstance(value, datetime) else value


def canonical(entry: Mapping[str, Any]) -> bytes:
    """One byte string per entry content: sorted keys, no spaces, UTF-8, moments with microseconds."""
    content = {name: entry.get(name) for name in CHAINED_FIELDS}
    content["at"] = _moment(content["at"])
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: Mapping[str, Any], previous_hash: str) -> str:
    return hashlib.sha256(previous_hash.encode() + b"\n" + canonical(entry)).hexdigest()


def link(entries: Iterable[dict[str, Any]], previous_hash: str) -> str:
    """Give new entries, in the order they are appended, their ``prev_hash`` and ``entry_hash``; returns the
    new head's hash."""
    for entry in entries:
        entry["prev_hash"] = previous_hash
        entry["entry_hash"] = previous_hash = entry_hash(entry, previous_hash)
    return previous_hash


@dataclass(frozen=True)
class Verdict:
    """The outcome of a walk: how many entries were checked and the last good one, or the first bad one."""

    intact: bool
    checked: int
    last_id: int | None
    last_hash: str
    broken_at: int | None = None
    reason: str | None = None


def verify(entries: Iterable[Mapping[str, Any]], previous_hash: str = GENESIS, after_id: int | None = None,
           limit: int | None = None) -> Verdict:
    """Walk entries in id order from a known-good point (the start, or an entry verified before).

    Stops at the first entry whose link or content does not match, or after ``limit`` entries, so that a
    caller can bound its cost.
    """
    checked, last_id, last_hash = 0, after_id, previous_hash
    for entry in entries:
        if limit is not None and checked >= limit:
            break
        if entry["prev_hash"] != last_hash:
            return Verdict(False, checked, last_id, last_hash, entry["id"], LINK_BROKEN)
        if entry_hash(entry, last_hash) != entry["entry_hash"]:
            return Verdict(False, checked, last_id, last_hash, entry["id"], CONTENT_CHANGED)
        checked, last_id, last_hash = checked + 1, entry["id"], entry["entry_hash"]
    return Verdict(True, checked, last_id, last_hash)
