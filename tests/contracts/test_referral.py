"""Referral eligibility: every reason a client cannot be referred under a contract, on plain data."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from contracts.model import PaymentModel
from contracts.referral import Candidate, Offer, referral_problems, volume_ceiling

D = date.fromisoformat
DAY = D("2026-06-15")


def model(**extra) -> PaymentModel:
    data = {"schema_version": 1, "name": "Treden", "base_price": {"default": "2500.00"},
            "milestones": {"effort": {"event": "started"}, "work": {"event": "placement", "kinds": ["regular"]}},
            "rules": [{"id": "price", "type": "tiers",
                       "tiers": [{"milestone": "effort", "amount": {"percent": "70"}},
                                 {"milestone": "work", "amount": {"percent": "100"}}]}]}
    data.update(extra)
    return PaymentModel.from_dict(data)


OFFER = Offer(contract_status="active", provider_status="active", start=D("2026-01-01"), end=D("2026-12-31"),
              gemeente_ids=frozenset({1, 2}), model=model(), volume_ceiling=None, places_taken=0,
              lot_target_group_id=None)
CLIENT = Candidate(gemeente_id=1, gemeente="Aastad", target_group_id=7, target_group="Algemeen")


def reasons(client: Candidate = CLIENT, offer: Offer = OFFER, day: date = DAY) -> list[str]:
    return [str(m) for m in referral_problems(client, offer, day)]


def test_a_fitting_client_can_be_referred():
    assert reasons() == []


@pytest.mark.parametrize(("status", "reason"), [
    ("referral_stop", "Het contract heeft een verwijzingsstop."),
    ("draft", "Het contract is niet actief."),
    ("ended", "Het contract is niet actief."),
])
def test_the_contract_must_be_active(status, reason):
    assert reasons(offer=replace(OFFER, contract_status=status)) == [reason]


@pytest.mark.parametrize(("status", "reason"), [
    ("referral_stop", "De aanbieder heeft een verwijzingsstop."),
    ("ended", "De aanbieder is niet meer actief."),
])
def test_the_provider_must_be_active(status, reason):
    assert reasons(offer=replace(OFFER, provider_status=status)) == [reason]


@pytest.mark.parametrize("day", [D("2025-12-31"), D("2027-01-01")])
def test_the_day_must_fall_in_the_contract_period(day):
    assert reasons(day=day) == ["Het contract loopt van 01-01-2026 tot en met 31-12-2026."]


def test_the_first_and_last_day_of_the_period_count():
    assert reasons(day=D("2026-01-01")) == [] and reasons(day=D("2026-12-31")) == []


def test_terms_must_be_in_force_on_the_day():
    assert reasons(offer=replace(OFFER, model=None)) == ["Er zijn op 15-06-2026 geen contractvoorwaarden van kracht."]


def test_the_contract_must_serve_the_clients_gemeente():
    assert reasons(client=replace(CLIENT, gemeente_id=3, gemeente="Ceeveen")) == [
        "Het contract geldt niet voor gemeente Ceeveen."]


def test_a_lot_is_for_its_own_target_group():
    offer = replace(OFFER, lot_target_group_id=8, lot_target_group="Jongeren")
    assert reasons(offer=offer) == ["Het perceel is voor doelgroep Jongeren; de cliënt hoort bij Algemeen."]
    assert reasons(offer=replace(offer, lot_target_group_id=7)) == []


@pytest.mark.parametrize(("own", "limit", "ceiling"), [(None, None, None), (5, None, 5), (None, 4, 4), (5, 4, 4),
                                                       (3, 4, 3)])
def test_the_volume_ceiling_is_the_lower_of_the_contracts_and_the_models(own, limit, ceiling):
    limited = model(contract_limits={"volume": limit}) if limit else model()
    assert volume_ceiling(own, limited) == ceiling


def test_a_full_volume_ceiling_refuses_the_next_referral():
    offer = replace(OFFER, volume_ceiling=3, places_taken=2)
    assert reasons(offer=offer) == []
    assert reasons(offer=replace(offer, places_taken=3)) == ["Het volumeplafond van 3 trajecten is bereikt."]
    limited = replace(OFFER, model=model(contract_limits={"volume": 2}), places_taken=2)
    assert reasons(offer=limited) == ["Het volumeplafond van 2 trajecten is bereikt."]


def test_one_open_traject_per_client_per_lot():
    assert reasons(client=replace(CLIENT, open_traject="T000012")) == [
        "De cliënt heeft al een lopend traject in dit perceel (T000012)."]


def test_every_reason_is_given_not_only_the_first():
    offer = replace(OFFER, contract_status="referral_stop", provider_status="referral_stop", volume_ceiling=1,
                    places_taken=1)
    client = replace(CLIENT, gemeente_id=9, gemeente="Elders", open_traject="T000001")
    assert reasons(client, offer, D("2027-02-01")) == [
        "Het contract heeft een verwijzingsstop.", "De aanbieder heeft een verwijzingsstop.",
        "Het contract loopt van 01-01-2026 tot en met 31-12-2026.", "Het contract geldt niet voor gemeente Elders.",
        "Het volumeplafond van 1 trajecten is bereikt.", "De cliënt heeft al een lopend traject in dit perceel "
        "(T000001)."]


def test_reasons_carry_their_template_for_translation():
    message = referral_problems(replace(CLIENT, gemeente_id=3, gemeente="Ceeveen"), OFFER, DAY)[0]
    assert message.template == "Het contract geldt niet voor gemeente %(gemeente)s."
    assert message.params == {"gemeente": "Ceeveen"}
