"""The hash chain's rule, without a database: any change, removal, insertion or reordering is found."""

from __future__ import annotations

import copy
from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from contracts.audit_chain import CHAINED_FIELDS, CONTENT_CHANGED, GENESIS, LINK_BROKEN, canonical, link, verify


def _entries(count: int) -> list[dict]:
    entries = [{"id": n + 1, "at": datetime(2026, 12, 3, 10, n % 60, 0, 1000 * n), "actor_id": 1,
                "actor_label": "admin", "action": "update", "entity_type": "client", "entity_id": n,
                "parent_type": None, "parent_id": None, "changes": {"phase": {"before": 2, "after": 3}, "é": [n]},
                "remote_addr": "127.0.0.1"} for n in range(count)]
    link(entries, GENESIS)
    return entries


def test_a_linked_trail_verifies_intact_and_ends_at_its_head():
    entries = _entries(5)
    verdict = verify(entries)
    assert verdict.intact and verdict.checked == 5 and verdict.last_id == 5
    assert verdict.last_hash == entries[-1]["entry_hash"]
    assert entries[0]["prev_hash"] == GENESIS and entries[1]["prev_hash"] == entries[0]["entry_hash"]


def test_the_canonical_form_ignores_key_order_and_keeps_microseconds():
    entry = _entries(1)[0]
    shuffled = dict(reversed(list(entry.items())))
    shuffled["changes"] = dict(reversed(list(entry["changes"].items())))
    assert canonical(shuffled) == canonical(entry)
    assert b'"at":"2026-12-03T10:00:00.000000"' in canonical(entry)


@given(st.integers(min_value=0, max_value=5), st.sampled_from(CHAINED_FIELDS))
def test_changing_any_field_of_any_entry_is_found_at_that_entry(position, field):
    entries = _entries(6)
    tampered = copy.deepcopy(entries)
    forged = {"at": "2000-01-01T00:00:00.000000", "id": 1000 + position}.get(field, "forged")
    tampered[position][field] = forged
    verdict = verify(tampered)
    assert not verdict.intact
    assert (verdict.broken_at, verdict.reason) == (tampered[position]["id"], CONTENT_CHANGED)
    assert verdict.checked == position


@given(st.integers(min_value=0, max_value=4))
def test_removing_an_entry_is_found_at_the_next(position):
    entries = _entries(6)
    del entries[position]
    verdict = verify(entries)
    assert (verdict.intact, verdict.broken_at, verdict.reason) == (False, position + 2, LINK_BROKEN)


def test_swapping_two_entries_or_rehashing_one_without_its_successors_is_found():
    entries = _entries(4)
    swapped = [entries[0], entries[2], entries[1], entries[3]]
    assert verify(swapped).broken_at == 3
    rewritten = copy.deepcopy(entries)
    rewritten[1]["actor_label"] = "someone else"
    link(rewritten[1:2], rewritten[0]["entry_hash"])  # a forger recomputes the hash of the entry changed
    assert (verify(rewritten).broken_at, verify(rewritten).reason) == (3, LINK_BROKEN)


def test_a_walk_can_start_from_a_verified_entry_and_stop_after_a_limit():
    entries = _entries(10)
    verdict = verify(entries[4:], entries[3]["entry_hash"], after_id=4, limit=3)
    assert verdict.intact and verdict.checked == 3 and verdict.last_id == 7
    assert verify([], entries[3]["entry_hash"], after_id=4).last_id == 4
