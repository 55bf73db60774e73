"""The one money helper: amounts are Decimal euros, rounded to the cent by one named rule.

Rounding rule: ``ROUND_HALF_UP`` to whole cents ("commercial rounding", as Dutch invoices use it),
applied once per entitlement, after the whole computation for that entitlement (percentages and
pro-rata factors are carried at full precision until then).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ROUNDING_RULE = "half_up_per_entitlement"
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def to_cents(amount: Decimal) -> Decimal:
    """Round to whole cents with the project's one rounding rule."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(percent: Decimal, base: Decimal) -> Decimal:
    return base * percent / HUNDRED


def format_eur(amount: Decimal) -> str:
    """Dutch notation: € 2.500,00 and € -100,00; no locale machinery needed in the pure domain."""
    cents = to_cents(amount)
    sign = "-" if cents < 0 else ""
    whole, _, fraction = f"{abs(cents):.2f}".partition(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"€ {sign}{'.'.join(groups)},{fraction}"


def format_percent(percent: Decimal) -> str:
    text = f"{percent.normalize():f}".replace(".", ",")
    return f"{text}%"
