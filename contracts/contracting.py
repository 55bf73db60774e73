"""Contracting rules, pure: the status machines of a contract and of a provider, and what a contract made
from an award must carry.

Written once here, so that the edit form, the API and the demo cannot each decide differently whether an
ended contract may become active again (it may not: the contract ran out or was terminated, and new work
needs a new contract, which keeps the history of the old one honest). A provider may be admitted again after
it ended (the KvK number is unique in the register, so a returning provider is the same record), but only
as active: a referral stop is set on a provider that works under contract, not on one that has left.

A contract from an award (documented in docs/procurement.md):

* carries the awarded bid's price as its payment model's base price (the price per traject that the model's
  percentages are taken of); a model of fixed amounts only gets the base price recorded too, which changes
  no payment but keeps the agreed price on the contract;
* may not be active before the tender's standstill period has ended: the Aanbestedingswet gives losing
  bidders that period to object, and a contract that already runs would make the objection pointless.
"""

from __future__ import annotations

import copy
import enum
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from contracts.messages import N_, DomainError, Message
from contracts.money import format_eur

CENTS = Decimal("0.01")


class StatusError(DomainError):
    """A status change that the contract's or provider's status machine does not allow."""

    code = "status_transition"


class AwardTermsError(DomainError):
    """A contract from an award that does not carry the awarded bid's terms."""

    code = "award_terms"


class ContractStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    REFERRAL_STOP = "referral_stop"
    ENDED = "ended"


class ProviderStatus(enum.StrEnum):
    ACTIVE = "active"
    REFERRAL_STOP = "referral_stop"
    ENDED = "ended"


CONTRACT_STATUS_LABELS = {
    ContractStatus.DRAFT: N_("concept"),
    ContractStatus.ACTIVE: N_("actief"),
    ContractStatus.REFERRAL_STOP: N_("verwijsstop"),
    ContractStatus.ENDED: N_("beëindigd"),
}
PROVIDER_STATUS_LABELS = {
    ProviderStatus.ACTIVE: N_("actief"),
    ProviderStatus.REFERRAL_STOP: N_("verwijsstop"),
    ProviderStatus.ENDED: N_("beëindigd"),
}

# The statuses a new record may start in, and where each status may go next (staying is always allowed).
CONTRACT_INITIAL = (ContractStatus.DRAFT, ContractStatus.ACTIVE)
CONTRACT_TRANSITIONS: dict[ContractStatus, frozenset[ContractStatus]] = {
    ContractStatus.DRAFT: frozenset({ContractStatus.ACTIVE, ContractStatus.ENDED}),
    ContractStatus.ACTIVE: frozenset({ContractStatus.REFERRAL_STOP, ContractStatus.ENDED}),
    ContractStatus.REFERRAL_STOP: frozenset({ContractStatus.ACTIVE, ContractStatus.ENDED}),
    ContractStatus.ENDED: frozenset(),
}
PROVIDER_INITIAL = (ProviderStatus.ACTIVE, ProviderStatus.REFERRAL_STOP)
PROVIDER_TRANSITIONS: dict[ProviderStatus, frozenset[ProviderStatus]] = {
    ProviderStatus.ACTIVE: frozenset({ProviderStatus.REFERRAL_STOP, ProviderStatus.ENDED}),
    ProviderStatus.REFERRAL_STOP: frozenset({ProviderStatus.ACTIVE, ProviderStatus.ENDED}),
    ProviderStatus.ENDED: frozenset({ProviderStatus.ACTIVE}),
}
# A referral stop or an end is a decision someone must be able to explain later.
CONTRACT_NEEDS_REASON = frozenset({ContractStatus.REFERRAL_STOP, ContractStatus.ENDED})
PROVIDER_NEEDS_REASON = frozenset({ProviderStatus.REFERRAL_STOP, ProviderStatus.ENDED})


def contract_next_statuses(current: ContractStatus | None) -> tuple[ContractStatus, ...]:
    """The statuses a form offers: the current one and where it may go (a new contract: where it may start)."""
    if current is None:
        return CONTRACT_INITIAL
    return tuple(s for s in ContractStatus if s == current or s in CONTRACT_TRANSITIONS[current])


def provider_next_statuses(current: ProviderStatus | None) -> tuple[ProviderStatus, ...]:
    if current is None:
        return PROVIDER_INITIAL
    return tuple(s for s in ProviderStatus if s == current or s in PROVIDER_TRANSITIONS[current])


REFUSALS = {
    "contract": (N_("Een nieuw contract kan niet beginnen met de status '%(target)s'. Mogelijk: %(allowed)s."),
                 N_("Een contract met status '%(current)s' kan niet naar '%(target)s'. Mogelijk: %(allowed)s.")),
    "provider": (N_("Een nieuwe aanbieder kan niet beginnen met de status '%(target)s'. Mogelijk: %(allowed)s."),
                 N_("Een aanbieder met status '%(current)s' kan niet naar '%(target)s'. Mogelijk: %(allowed)s.")),
}


def _refusal(kind: str, current: str | None, target: str, allowed: list[str]) -> StatusError:
    new, existing = REFUSALS[kind]
    if current is None:
        return StatusError(Message(new, target=target, allowed=allowed), "status")
    return StatusError(Message(existing, current=current, target=target, allowed=allowed or [N_("geen")]), "status")


def check_contract_status(current: ContractStatus | None, target: ContractStatus, reason: str = "", *,
                          from_award: bool = False, standstill_end: date | None = None,
                          today: date | None = None) -> None:
    """Refuse a contract status the machine does not allow; ``current`` None is a new contract.

    A contract from an award (``from_award``) becomes active only from the last day of the tender's
    standstill period on, as the tender itself moves to 'contracted' only then."""
    if current != target:
        possible = contract_next_statuses(current)
        if target not in possible:
            others = [CONTRACT_STATUS_LABELS[s] for s in possible if s != current]
            shown = CONTRACT_STATUS_LABELS[current] if current is not None else None
            raise _refusal("contract", shown, CONTRACT_STATUS_LABELS[target], others)
        if target == ContractStatus.ACTIVE and from_award:
            check_standstill(standstill_end, today)
    if target in CONTRACT_NEEDS_REASON and not reason.strip():
        raise StatusError(Message(N_("Geef de reden op van de verwijsstop of de beëindiging.")), "status_reason")


def check_standstill(standstill_end: date | None, today: date | None) -> None:
    """A contract from an award may not run before the standstill period has ended."""
    if standstill_end is None:
        raise StatusError(Message(N_("Een contract uit een gunning kan pas actief worden na de standstill-termijn; "
                                     "het gunningsvoornemen is nog niet bekendgemaakt. Sla het op als concept.")),
                          "status")
    if today is None or today < standstill_end:
        raise StatusError(Message(N_("De standstill-termijn loopt tot %(end)s; pas vanaf die dag kan een contract "
                                     "uit deze gunning actief worden. Sla het op als concept."),
                                  end=standstill_end), "status")


def check_provider_status(current: ProviderStatus | None, target: ProviderStatus, reason: str = "") -> None:
    """Refuse a provider status the machine does not allow; ``current`` None is a new provider."""
    if current != target:
        possible = provider_next_statuses(current)
        if target not in possible:
            others = [PROVIDER_STATUS_LABELS[s] for s in possible if s != current]
            shown = PROVIDER_STATUS_LABELS[current] if current is not None else None
            raise _refusal("provider", shown, PROVIDER_STATUS_LABELS[target], others)
    if target in PROVIDER_NEEDS_REASON and not reason.strip():
        raise StatusError(Message(N_("Geef de reden op van de verwijsstop of de beëindiging.")), "status_reason")


# --- a contract from an award ---------------------------------------------------------------------


def priced_at_bid(model: dict[str, Any], price: Decimal) -> dict[str, Any]:
    """The lot's payment model with the bid's price as its base price.

    Prices per client group move with the default in proportion (a bid 4% below the lot's default price is
    4% below it for every group), rounded to cents half up; a group price without a default stays as it is,
    since there is nothing to take the proportion of."""
    priced = copy.deepcopy(model)
    base = dict(priced.get("base_price") or {})
    old = Decimal(base["default"]) if "default" in base else None
    if old and base.get("by_client_group"):
        base["by_client_group"] = {
            group: str((Decimal(value) * price / old).quantize(CENTS, rounding=ROUND_HALF_UP))
            for group, value in base["by_client_group"].items()
        }
    base["default"] = str(price.quantize(CENTS, rounding=ROUND_HALF_UP))
    priced["base_price"] = base
    return priced


def check_bid_price(model: dict[str, Any], price: Decimal) -> None:
    """A contract from an award pays the price that was awarded, not the lot's template price."""
    default = (model.get("base_price") or {}).get("default")
    if default is None or Decimal(str(default)) != price:
        shown = format_eur(Decimal(str(default))) if default is not None else N_("geen")
        raise AwardTermsError(Message(
            N_("De basisprijs van het betalingsmodel (%(model)s) moet de gegunde prijs van de inschrijving zijn "
               "(%(bid)s)."), model=shown, bid=format_eur(price)), "payment_model")
