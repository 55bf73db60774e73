"""The contract's and the provider's status machines, and the terms a contract from an award carries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from contracts.contracting import (
    CONTRACT_TRANSITIONS,
    PROVIDER_TRANSITIONS,
    AwardTermsError,
    ContractStatus,
    ProviderStatus,
    StatusError,
    check_bid_price,
    check_contract_status,
    check_provider_status,
    contract_next_statuses,
    priced_at_bid,
    provider_next_statuses,
)
from contracts.messages import DomainError

C = ContractStatus
P = ProviderStatus
DAY = date(2026, 6, 10)


def test_every_status_has_its_transitions_written_down():
    assert set(CONTRACT_TRANSITIONS) == set(ContractStatus)
    assert set(PROVIDER_TRANSITIONS) == set(ProviderStatus)


@pytest.mark.parametrize(("current", "target"), [
    (C.DRAFT, C.ACTIVE), (C.DRAFT, C.ENDED), (C.ACTIVE, C.REFERRAL_STOP), (C.ACTIVE, C.ENDED),
    (C.REFERRAL_STOP, C.ACTIVE), (C.REFERRAL_STOP, C.ENDED), (C.ACTIVE, C.ACTIVE), (C.ENDED, C.ENDED),
])
def test_allowed_contract_steps(current, target):
    check_contract_status(current, target, "reden")


@pytest.mark.parametrize(("current", "target"), [
    (C.ENDED, C.ACTIVE), (C.ENDED, C.DRAFT), (C.ENDED, C.REFERRAL_STOP), (C.ACTIVE, C.DRAFT),
    (C.REFERRAL_STOP, C.DRAFT), (C.DRAFT, C.REFERRAL_STOP),
])
def test_illegal_contract_steps_are_refused_at_the_status(current, target):
    with pytest.raises(StatusError) as refused:
        check_contract_status(current, target, "reden")
    assert isinstance(refused.value, DomainError)
    assert refused.value.field == "status" and refused.value.code == "status_transition"


def test_an_ended_contract_says_that_nothing_is_possible():
    with pytest.raises(StatusError) as refused:
        check_contract_status(C.ENDED, C.ACTIVE)
    assert refused.value.message == "Een contract met status 'beëindigd' kan niet naar 'actief'. Mogelijk: geen."


def test_a_new_contract_starts_as_draft_or_active():
    assert contract_next_statuses(None) == (C.DRAFT, C.ACTIVE)
    check_contract_status(None, C.DRAFT)
    with pytest.raises(StatusError, match="Een nieuw contract kan niet beginnen met de status 'beëindigd'"):
        check_contract_status(None, C.ENDED, "reden")


def test_the_form_offers_the_current_status_and_the_next_ones():
    assert contract_next_statuses(C.ACTIVE) == (C.ACTIVE, C.REFERRAL_STOP, C.ENDED)
    assert contract_next_statuses(C.ENDED) == (C.ENDED,)
    assert provider_next_statuses(P.ENDED) == (P.ACTIVE, P.ENDED)


@pytest.mark.parametrize("target", [C.REFERRAL_STOP, C.ENDED])
def test_a_stop_or_an_end_needs_a_reason(target):
    with pytest.raises(StatusError) as refused:
        check_contract_status(C.ACTIVE, target, "  ")
    assert refused.value.field == "status_reason"


@pytest.mark.parametrize(("current", "target", "allowed"), [
    (P.ACTIVE, P.REFERRAL_STOP, True), (P.ACTIVE, P.ENDED, True), (P.REFERRAL_STOP, P.ACTIVE, True),
    (P.REFERRAL_STOP, P.ENDED, True), (P.ENDED, P.ACTIVE, True), (P.ENDED, P.REFERRAL_STOP, False),
    (None, P.ACTIVE, True), (None, P.REFERRAL_STOP, True), (None, P.ENDED, False),
])
def test_provider_steps(current, target, allowed):
    if allowed:
        check_provider_status(current, target, "reden")
    else:
        with pytest.raises(StatusError) as refused:
            check_provider_status(current, target, "reden")
        assert refused.value.field == "status"


# --- a contract from an award ---------------------------------------------------------------------


def test_a_contract_from_an_award_is_not_active_before_the_standstill_ends():
    end = date(2026, 6, 30)
    with pytest.raises(StatusError) as refused:
        check_contract_status(None, C.ACTIVE, from_award=True, standstill_end=end, today=date(2026, 6, 29))
    assert refused.value.field == "status" and "loopt tot 30-06-2026" in refused.value.message
    check_contract_status(None, C.ACTIVE, from_award=True, standstill_end=end, today=end)
    check_contract_status(None, C.DRAFT, from_award=True, standstill_end=end, today=date(2026, 6, 1))
    # A draft from the award becomes active through the same rule.
    with pytest.raises(StatusError):
        check_contract_status(C.DRAFT, C.ACTIVE, from_award=True, standstill_end=end, today=date(2026, 6, 29))


def test_no_announced_award_means_no_active_contract_from_it():
    with pytest.raises(StatusError, match="nog niet bekendgemaakt"):
        check_contract_status(None, C.ACTIVE, from_award=True, standstill_end=None, today=DAY)


def test_a_contract_entered_directly_knows_no_standstill():
    check_contract_status(None, C.ACTIVE, today=DAY)


def test_the_bid_price_becomes_the_base_price():
    model = {"name": "Treden", "base_price": {"default": "3000.00"}, "rules": []}
    priced = priced_at_bid(model, Decimal("3100"))
    assert priced["base_price"] == {"default": "3100.00"}
    assert model["base_price"] == {"default": "3000.00"}  # the lot's model is left as it was
    check_bid_price(priced, Decimal("3100.00"))


def test_group_prices_move_in_proportion():
    # 2400 / 2500 = 0.96: 2500.00 → 2400.00, 3000.00 → 2880.00, 3333.33 → 3199.9968 → 3200.00
    model = {"base_price": {"default": "2500.00", "by_client_group": {"a": "3000.00", "b": "3333.33"}}}
    assert priced_at_bid(model, Decimal("2400.00"))["base_price"] == {
        "default": "2400.00", "by_client_group": {"a": "2880.00", "b": "3200.00"}}


def test_a_model_of_fixed_amounts_gets_the_price_recorded():
    assert priced_at_bid({"rules": []}, Decimal("1999.5"))["base_price"] == {"default": "1999.50"}


@pytest.mark.parametrize("model", [{"base_price": {"default": "3000.00"}}, {"rules": []}])
def test_a_contract_from_an_award_must_carry_the_bid_price(model):
    with pytest.raises(AwardTermsError) as refused:
        check_bid_price(model, Decimal("3100.00"))
    assert refused.value.field == "payment_model" and "€ 3.100,00" in refused.value.message
