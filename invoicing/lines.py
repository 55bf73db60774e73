"""From entitlements to invoice lines: what is due in a period and not invoiced before.

An entitlement's key is stable (see :class:`contracts.engine.Entitlement`), so "invoiced before" is a
set of keys. The app prefixes a traject's keys with the traject id, which makes them unique across
all contracts; the app also stores every invoiced key under a unique constraint, so that the same
entitlement cannot reach two live invoices even when two payment runs race.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from contracts.dates import add_period
from contracts.engine import Entitlement
from contracts.model import PaymentModel
from contracts.money import ZERO


@dataclass(frozen=True, slots=True)
class Owed:
    """An entitlement as invoicing sees it: a globally unique key and the traject it belongs to."""

    key: str
    traject_id: int | None
    rule: str
    due_on: date
    amount: Decimal
    explanation: str
    voids: str | None = None

    @property
    def is_credit(self) -> bool:
        return self.amount < ZERO


def owed_from(entitlements: Iterable[Entitlement], traject_id: int | None, prefix: str) -> list[Owed]:
    """Give a traject's (or a contract's) entitlements keys that are unique across the whole database."""
    return [
        Owed(key=f"{prefix}:{e.key}", traject_id=traject_id, rule=e.rule, due_on=e.due_on, amount=e.amount,
             explanation=e.explanation, voids=f"{prefix}:{e.voids}" if e.voids else None)
        for e in entitlements
    ]


@dataclass(frozen=True)
class Collected:
    """A payment run's harvest for one contract: the lines to invoice, and keys whose amount changed
    after they were invoiced (finance has to look at those; they are never silently re-invoiced)."""

    lines: list[Owed]
    changed: list[tuple[Owed, Decimal]]

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


def collect(owed: Iterable[Owed], invoiced: dict[str, Decimal], period_end: date) -> Collected:
    """The entitlements due on or before ``period_end`` that are not on a live invoice yet.

    An amount of zero (an entitlement capped away, or a clawback of nothing) is not invoiced: it owes
    nothing and would only clutter the statement. A clawback becomes a credit line on the next invoice,
    whether or not its original was invoiced in the same run, so that the two always net out.
    """
    lines, changed = [], []
    for item in sorted(owed, key=lambda o: (o.due_on, o.key)):
        if item.due_on > period_end:
            continue
        if item.key in invoiced:
            if invoiced[item.key] != item.amount:
                changed.append((item, invoiced[item.key]))
            continue
        if item.amount == ZERO:
            continue
        lines.append(item)
    return Collected(lines, changed)


def invoice_period(run: tuple[date, date], lines: Iterable[Owed]) -> tuple[date, date]:
    """The period an invoice made by a run covers: the run's period, reaching back to its earliest line.

    A run invoices everything due up to its end that no invoice holds yet, however old; labelled with the
    run's period alone, a run for 1-3 December made an invoice "for 1-3 December" holding lines due in
    January. The period is data that leaves the application (the e-invoice's InvoicePeriod, the ledger's
    columns), where a note beside it would not travel, so the period itself is made true: it covers the
    due date of every line.
    """
    earliest = min((line.due_on for line in lines), default=run[0])
    return min(run[0], earliest), run[1]


# Payment runs are monthly. An entitlement due more than this long ago that is on no invoice was missed by
# at least two runs (a contract left out of them, a run never made): it is not waiting for the next run.
LONG_UNINVOICED_MONTHS = 2


def long_uninvoiced(owed: Iterable[Owed], invoiced: Mapping[str, Decimal], today: date) -> list[Owed]:
    """The entitlements that fell due more than :data:`LONG_UNINVOICED_MONTHS` ago and no invoice holds."""
    return collect(owed, dict(invoiced), add_period(today, months=-LONG_UNINVOICED_MONTHS) - timedelta(days=1)).lines


def rule_labels(models: Iterable[PaymentModel]) -> dict[str, str]:
    """What each rule is called in the contract: an invoice line names the rule by its label, never its id.

    A line stores the rule's id, which is stable across contract versions; the label is the contract's own
    wording (``placement_fee`` is "Plaatsingsfee"). Where two versions label a rule differently, the model
    given last (the newest) names it.
    """
    labels: dict[str, str] = {}
    for model in models:
        labels.update({rule.id: rule.label for rule in model.rules})
        labels.update({rule.id: rule.label for rule in model.contract_rules})
    return labels
