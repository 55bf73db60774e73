"""Totals and VAT of one invoice.

VAT treatment is agreed per contract: standard-rated at a percentage (category S in EN 16931), or
exempt (category E, with the exemption reason that must appear on the invoice). VAT is computed once,
on the subtotal, and rounded half-up to the cent: the invoice-level rounding EN 16931 prescribes, so
the lines always add up to the subtotal and subtotal plus VAT is always the total. An invoice paid by
several gemeenten is, for VAT, one invoice per gemeente (:func:`totals_per_part`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from contracts.money import ZERO, percent_of, to_cents

K = TypeVar("K")

STANDARD = "S"
EXEMPT = "E"
VAT_CATEGORIES = (STANDARD, EXEMPT)


@dataclass(frozen=True, slots=True)
class VatTreatment:
    category: str
    rate: Decimal = ZERO
    exemption_reason: str = ""

    def __post_init__(self) -> None:
        if self.category not in VAT_CATEGORIES:
            raise ValueError(f"unknown VAT category {self.category!r}")
        if self.category == EXEMPT and self.rate != ZERO:
            raise ValueError("an exempt invoice has a VAT rate of 0")
        if self.category == STANDARD and not ZERO < self.rate < Decimal(100):
            raise ValueError("a standard VAT rate lies between 0 and 100 percent")


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal: Decimal
    vat: Decimal
    total: Decimal


def totals(amounts: Iterable[Decimal], vat: VatTreatment) -> Totals:
    subtotal = sum(amounts, ZERO)
    tax = to_cents(percent_of(vat.rate, subtotal)) if vat.category == STANDARD else ZERO
    return Totals(subtotal, tax, subtotal + tax)


def totals_per_part(lines: Iterable[tuple[K, Decimal]], vat: VatTreatment) -> dict[K, Totals]:
    """The totals of each part of an invoice (each paying gemeente's share of a joint contract's invoice).

    An e-invoice has one buyer, so a joint contract's invoice reaches each gemeente as an invoice of its own,
    and each of those computes its VAT on its own subtotal (EN 16931's rounding, see the module docstring).
    The invoice's own totals are then the sum of its parts (:func:`combined`), which may differ by a cent
    per part from VAT taken once on the whole; that is what makes the e-invoices, the ledger rows and the
    invoice agree to the cent.
    """
    amounts: dict[K, list[Decimal]] = {}
    for part, amount in lines:
        amounts.setdefault(part, []).append(amount)
    return {part: totals(part_amounts, vat) for part, part_amounts in amounts.items()}


def combined(parts: Iterable[Totals]) -> Totals:
    """One invoice's totals as the sum of its parts' totals."""
    subtotal, tax = ZERO, ZERO
    for part in parts:
        subtotal, tax = subtotal + part.subtotal, tax + part.vat
    return Totals(subtotal, tax, subtotal + tax)
