"""How long personal data is kept, per kind, and when a record's time is up. Pure; ``flask retention run``
applies it (``app.retention``) and ``docs/security.md`` ("Retention") gives the periods and their sources.

Retention here means: what identifies a person goes, what the figures need stays. A client whose trajecten
have all ended keeps the trajecten, events, outcomes and invoices, linked to a client without BSN, name or
birth date; an evidence file loses its bytes, its row stays because events and confirmations cite it; a stored
import file loses its content, its record of who imported what and with which result stays.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from contracts.dates import add_period


class RetentionKind(enum.StrEnum):
    CLIENT = "client"
    EVIDENCE = "evidence"
    IMPORT_FILE = "import_file"


@dataclass(frozen=True)
class RetentionRule:
    kind: RetentionKind
    months: int
    # From which day the period runs, in words for the documentation and the run's report.
    runs_from: str
    days: int = 0  # for periods shorter than a month


RULES: dict[RetentionKind, RetentionRule] = {
    rule.kind: rule for rule in (
        # Re-integration dossiers: five years after the support ended (selectielijst gemeenten).
        RetentionRule(RetentionKind.CLIENT, 60, "the day the client's last traject ended"),
        # Evidence supports a payment: the fiscal seven years (AWR art. 52) from the upload.
        RetentionRule(RetentionKind.EVIDENCE, 84, "the day the file was uploaded"),
        # The imported rows live on as clients and events, and the report (counts, problems by line) stays; the
        # file itself, every row with its BSN, is only needed while it is checked and imported.
        RetentionRule(RetentionKind.IMPORT_FILE, 0, "the day the file was uploaded", days=7),
    )
}


def due_on(kind: RetentionKind, runs_from: date) -> date:
    rule = RULES[kind]
    return add_period(runs_from, months=rule.months) + timedelta(days=rule.days)


def is_due(kind: RetentionKind, runs_from: date | None, today: date) -> bool:
    """``runs_from`` None means the period has not started (a traject still open): never due."""
    return runs_from is not None and today >= due_on(kind, runs_from)


def client_period_start(traject_ends: Iterable[date | None], registered_on: date) -> date | None:
    """When a client's period starts: the day the last of their trajecten ended; None while one is still open
    (``None`` in ``traject_ends``); the registration day for a client who was never referred."""
    ends = list(traject_ends)
    closed = [end for end in ends if end is not None]
    if len(closed) < len(ends):
        return None
    return max(closed, default=registered_on)


def traject_end(closed: bool, *moments: date | None) -> date | None:
    """The last day a traject was touched, once it is closed (its closing date, or a later fall-back)."""
    if not closed:
        return None
    dated = [moment for moment in moments if moment is not None]
    return max(dated) if dated else None
