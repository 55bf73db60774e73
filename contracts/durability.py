"""Durability (duurzaam), defined once: when a placement has lasted, for what the engine pays and the report counts.

The brief's example of a contract's definition is "six consecutive months of regular work with no benefit
needed". What shows that a placement lasted is a klantmanager's confirmation that the client still works there
(STILL_EMPLOYED), dated on or after the placement date plus the term in calendar months. That confirmation must
be of *the same, unbroken* placement: nothing that ends it (:data:`PLACEMENT_BREAKS`: its end, a fall-back onto
benefit, a drop-out) may come between the placement and the confirmation in the canonical order of events
(:attr:`contracts.events.Event.sort_key`), so an end on the day of the confirmation, which sorts before it, breaks
it, and a drop-out that day, which sorts after it, does not.

Why this reading, and not the one the engine used to have (breaks looked for only inside the window, then any
confirmation on or after the window's end): with a placement of 1 February that ended on 1 September, a new
placement on 15 September and a confirmation on 1 October, the old reading paid the first placement's durable
tranche on the strength of the 1 October confirmation. That confirmation is the second job's: the lifecycle
(:mod:`contracts.lifecycle`) accepts a confirmation only while a placement runs, so after an end it always
confirms the next one, and the work since 1 February was not consecutive. Nobody confirmed that the first job
still ran after 1 August, and "outflow credited without evidence" is the audit finding this code exists to
prevent. The reports already read it this way; now the engine reads it here too, so cost per durable placement
divides money paid for one definition by a count of the same one.

The term itself (how many months) is the contract's: the engine takes it from the payment model's milestone,
the reports from :func:`term_months` (the contract's own durability term, else the payment model's shortest
lasting window); both then ask this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from contracts.dates import add_period
from contracts.events import Event, EventType

E = EventType

# What ends a placement's claim to have lasted, when it comes between the placement and a confirmation.
PLACEMENT_BREAKS = frozenset({E.PLACEMENT_ENDED, E.FALL_BACK, E.DROPOUT})


def confirmed_on_or_after(ordered: Sequence[Event], placement: Event, day: date) -> Event | None:
    """The first confirmation that ``placement`` still runs, dated on or after ``day``; None when a break of
    the placement comes first. ``ordered`` are the effective events in canonical order, ``placement`` among them.
    """
    for later in ordered[ordered.index(placement) + 1:]:
        if later.type in PLACEMENT_BREAKS:
            return None
        if later.type == E.STILL_EMPLOYED and later.date >= day:
            return later
    return None


def lasted(ordered: Sequence[Event], placement: Event, months: int) -> Event | None:
    """The confirmation that shows ``placement`` lasted ``months`` calendar months, or None."""
    return confirmed_on_or_after(ordered, placement, add_period(placement.date, months=months))


def durable_on(ordered: Sequence[Event], months: int) -> date | None:
    """The first day any placement of the history proved durable (the date of its confirmation), or None."""
    found = [c.date for p in ordered if p.type == E.PLACEMENT and (c := lasted(ordered, p, months)) is not None]
    return min(found, default=None)


def term_months(contract_term: int | None, payment_model: Mapping[str, Any], default: int) -> int:
    """How many months a placement must last to count as durable in the reports and the work list.

    The contract's own term wins when it sets one; otherwise the shortest lasting window the contract's payment
    model pays on (so a contract that pays a six-month tranche counts durability at six months); otherwise the
    default of the contract's terms.
    """
    if contract_term is not None:
        return contract_term
    milestones = payment_model.get("milestones", {})
    lasting = [m["lasting_months"] for m in milestones.values() if isinstance(m, Mapping) and m.get("lasting_months")]
    return min(lasting) if lasting else default
