"""Whether a client may be referred under a contract on a day, and every reason why not.

The referral page lists every contract that could serve the client's gemeente with the reasons it cannot
be used, and the referral itself is refused for the first of them; both ask :func:`referral_problems`, so
the list and the refusal cannot disagree. The rule takes plain data (:class:`Offer` for the contract,
:class:`Candidate` for the client), which the app loads; it used to read the payment model's raw JSON in
the app, and now reads the parsed :class:`~contracts.model.PaymentModel`.

Decisions (docs/trajecten.md):

* a contract under a referral stop, or of a provider under one, takes no new referrals; other statuses than
  active (draft, ended) take none either;
* the volume ceiling is the lower of the contract's own and the payment model's; every referral takes a
  place except one the provider refused, as :mod:`contracts.settlement` counts them for payment;
* one open traject per client per lot (or per contract when it has no lot).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from contracts.messages import N_, Message
from contracts.model import PaymentModel

ACTIVE = "active"
REFERRAL_STOP = "referral_stop"


@dataclass(frozen=True)
class Offer:
    """A contract as a referral sees it on one day.

    ``model`` is the payment model of the version in force on that day (None: no terms in force);
    ``places_taken`` the referrals that count under the volume ceiling.
    """

    contract_status: str
    provider_status: str
    start: date
    end: date
    gemeente_ids: frozenset[int]
    model: PaymentModel | None
    volume_ceiling: int | None = None
    places_taken: int = 0
    lot_target_group_id: int | None = None
    lot_target_group: str = ""


@dataclass(frozen=True)
class Candidate:
    """The client to refer: where they live, their target group, and their open traject in this lot, if any."""

    gemeente_id: int
    gemeente: str
    target_group_id: int
    target_group: str
    open_traject: str | None = None


def _day(d: date) -> str:
    return d.strftime("%d-%m-%Y")


def volume_ceiling(contract_ceiling: int | None, model: PaymentModel | None) -> int | None:
    """The lower of the contract's own ceiling and the payment model's volume limit, if either is set."""
    limits = [n for n in (contract_ceiling, model.volume_limit if model is not None else None) if n]
    return min(limits) if limits else None


def referral_problems(client: Candidate, offer: Offer, day: date) -> list[Message]:
    """Every reason ``client`` cannot be referred under ``offer`` on ``day``; empty means it can."""
    problems: list[Message] = []
    if offer.contract_status == REFERRAL_STOP:
        problems.append(Message(N_("Het contract heeft een verwijzingsstop.")))
    elif offer.contract_status != ACTIVE:
        problems.append(Message(N_("Het contract is niet actief.")))
    if offer.provider_status == REFERRAL_STOP:
        problems.append(Message(N_("De aanbieder heeft een verwijzingsstop.")))
    elif offer.provider_status != ACTIVE:
        problems.append(Message(N_("De aanbieder is niet meer actief.")))
    if not offer.start <= day <= offer.end:
        problems.append(Message(N_("Het contract loopt van %(start)s tot en met %(end)s."),
                                start=_day(offer.start), end=_day(offer.end)))
    elif offer.model is None:
        problems.append(Message(N_("Er zijn op %(date)s geen contractvoorwaarden van kracht."), date=_day(day)))
    if client.gemeente_id not in offer.gemeente_ids:
        problems.append(Message(N_("Het contract geldt niet voor gemeente %(gemeente)s."), gemeente=client.gemeente))
    if offer.lot_target_group_id is not None and offer.lot_target_group_id != client.target_group_id:
        problems.append(Message(N_("Het perceel is voor doelgroep %(lot)s; de cliënt hoort bij %(client)s."),
                                lot=offer.lot_target_group, client=client.target_group))
    ceiling = volume_ceiling(offer.volume_ceiling, offer.model)
    if ceiling is not None and offer.places_taken >= ceiling:
        problems.append(Message(N_("Het volumeplafond van %(n)s trajecten is bereikt."), n=ceiling))
    if client.open_traject is not None:
        problems.append(Message(N_("De cliënt heeft al een lopend traject in dit perceel (%(ref)s)."),
                                ref=client.open_traject))
    return problems
