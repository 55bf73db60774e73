"""Totals and VAT of one invoice.

VAT treatment is agreed per contract: standard-rated at a percentage (category S in EN 16931), or
exempt (category E, with the exemption reason that must appear on the invoice). VAT is computed once,
on the subtotal, and rounded half-up to the cent: the invoice-level rounding EN 16931 prescribes, so
the lines always add up to the subtotal and subtotal plus VAT is always the total.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from contracts.money import ZERO, percent_of, to_cents

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


def vat_parts(subtotals: Mapping[str, Decimal], vat: Decimal) -> dict[str, Decimal]:
    """The invoice's VAT spread over parts of its subtotal (each gemeente's share, for the ledger).

    Each part gets its own rounded share; the cents that rounding leaves over go to the largest part,
    so the parts always add up to the invoice's VAT exactly.
    """
    total = sum(subtotals.values(), ZERO)
    if not subtotals:
        return {}
    if total == ZERO:
        shares = dict.fromkeys(subtotals, ZERO)
    else:
        shares = {key: to_cents(vat * amount / total) for key, amount in subtotals.items()}
    largest = max(subtotals, key=lambda key: (abs(subtotals[key]), key))
    shares[largest] += vat - sum(shares.values(), ZERO)
    return shares
