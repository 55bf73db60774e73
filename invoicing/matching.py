"""Matching a provider's own invoice, line by line, against what the contract says is owed.

A provider names each line by traject and milestone (the payment rule's id, as on the statement).
Each line gets one verdict; finance sees the differences and decides per line.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from contracts.messages import N_
from invoicing.lines import Owed


class Verdict(enum.StrEnum):
    MATCHED = "matched"
    AMOUNT_DIFFERS = "amount_differs"
    ALREADY_INVOICED = "already_invoiced"
    NOT_YET_DUE = "not_yet_due"
    UNKNOWN = "unknown"
    DUPLICATE = "duplicate"


VERDICT_LABELS = {
    Verdict.MATCHED: N_("klopt"),
    Verdict.AMOUNT_DIFFERS: N_("bedrag wijkt af"),
    Verdict.ALREADY_INVOICED: N_("al gefactureerd"),
    Verdict.NOT_YET_DUE: N_("nog niet verschuldigd"),
    Verdict.UNKNOWN: N_("onbekend"),
    Verdict.DUPLICATE: N_("dubbel op deze factuur"),
}


@dataclass(frozen=True, slots=True)
class Claim:
    line: int
    traject_id: int
    rule: str
    amount: Decimal
    description: str = ""


@dataclass(frozen=True, slots=True)
class Match:
    claim: Claim
    verdict: Verdict
    owed: Owed | None = None

    @property
    def difference(self) -> Decimal | None:
        return self.claim.amount - self.owed.amount if self.owed is not None else None


def match(claims: Iterable[Claim], due: Iterable[Owed], invoiced: Iterable[Owed],
          pending: Iterable[Owed]) -> list[Match]:
    """Judge each claim.

    ``due``: owed now and not on a live invoice; ``invoiced``: already on a live invoice; ``pending``:
    known but not owed yet (due after the invoice period, or waiting for a klantmanager's confirmation).
    Exact matches (same traject, rule and amount) are settled first, whatever the order of the lines. A
    line left over is "already invoiced" or "not yet due" when an entitlement of that amount is, else
    takes an unused entitlement of its rule as "amount differs", else is a duplicate of a line above.
    """
    def index(items: Iterable[Owed]) -> dict[tuple[int | None, str], list[Owed]]:
        found: dict[tuple[int | None, str], list[Owed]] = {}
        for o in sorted(items, key=lambda o: (o.amount < 0, o.due_on, o.key)):
            found.setdefault((o.traject_id, o.rule), []).append(o)
        return found

    open_, done, later = index(due), index(invoiced), index(pending)
    used: set[str] = set()
    found: dict[int, Match] = {}
    claims = list(claims)
    # Exact matches first, whatever the order of the lines, so that a line repeating an invoiced amount
    # cannot take the entitlement another line claims exactly.
    for n, claim in enumerate(claims):
        owed = next((o for o in open_.get((claim.traject_id, claim.rule), ())
                     if o.key not in used and o.amount == claim.amount), None)
        if owed is not None:
            used.add(owed.key)
            found[n] = Match(claim, Verdict.MATCHED, owed)
    for n, claim in enumerate(claims):
        if n in found:
            continue
        key = (claim.traject_id, claim.rule)
        # Say why no exact match was left, preferring the explanation with the same amount.
        same = [(Verdict.ALREADY_INVOICED, o) for o in done.get(key, ()) if o.amount == claim.amount]
        same += [(Verdict.NOT_YET_DUE, o) for o in later.get(key, ()) if o.amount == claim.amount]
        differs = [(Verdict.AMOUNT_DIFFERS, o) for o in open_.get(key, ()) if o.key not in used]
        fallback = ([(Verdict.DUPLICATE, o) for o in open_.get(key, ())]
                    + [(Verdict.ALREADY_INVOICED, o) for o in done.get(key, ())]
                    + [(Verdict.NOT_YET_DUE, o) for o in later.get(key, ())])
        candidates = same or differs or fallback
        verdict, owed = candidates[0] if candidates else (Verdict.UNKNOWN, None)
        if verdict == Verdict.AMOUNT_DIFFERS and owed is not None:
            used.add(owed.key)
        found[n] = Match(claim, verdict, owed)
    out = [found[n] for n in range(len(claims))]
    return out
