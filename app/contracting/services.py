"""The contracts area's services: loading a contract, making one (directly or from an awarded bid), editing it,
adding a version or an evaluation. The rules are those of :mod:`contracts.contracting`; nothing here commits.

A contract's payment model and outcome definitions live in its versions. An amendment adds a version with its
own effective date; no version is ever changed, so a traject can be paid under the version it was referred under.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort
from sqlalchemy import func, select

from app import clock, projections
from app.db import session
from app.forms import optional_select_value
from app.models.procurement import Bid, Contract, ContractEvaluation, ContractVersion, EvaluationKind, LotAward, Verdict
from app.models.registers import Gemeente, ProviderStatus
from app.models.users import User
from contracts.contracting import ContractStatus, check_bid_price, check_contract_status, priced_at_bid

ENDING_SOON_DAYS = 90


def _strip(value: str | None) -> str:
    return (value or "").strip()


def contract_or_404(contract_id: int) -> Contract:
    return session.get(Contract, contract_id) or abort(404)


def referral_stop(contract: Contract) -> bool:
    """New referrals are blocked when the contract or its provider is under a referral stop."""
    return contract.status == ContractStatus.REFERRAL_STOP or contract.provider.status == ProviderStatus.REFERRAL_STOP


def ends_soon(contract: Contract, today: date) -> bool:
    return contract.status != ContractStatus.ENDED and today <= contract.end_date <= today + timedelta(
        days=ENDING_SOON_DAYS
    )


def is_awarded(bid: Bid) -> bool:
    return bool(session.scalar(
        select(func.count()).select_from(LotAward).where(LotAward.bid_id == bid.id, LotAward.awarded.is_(True))
    ))


def contract_of_bid(bid: Bid) -> Contract | None:
    return session.scalar(select(Contract).where(Contract.bid_id == bid.id))


def bid_of(contract: Contract) -> Bid | None:
    return session.get(Bid, contract.bid_id) if contract.bid_id is not None else None


def proposed_from_bid(bid: Bid) -> dict:
    """What a contract from this bid starts with: the lot's terms at the bid's price."""
    lot = bid.lot
    tender = lot.tender
    return {"provider_id": bid.provider_id, "lot_id": lot.id, "gemeenten": [g.id for g in tender.gemeenten],
            "title": f"{tender.title}, {lot}"[:200], "payment_model": priced_at_bid(lot.payment_model, bid.price),
            "outcome_definitions": lot.outcome_definitions}


def _status_rule(contract: Contract | None, target: ContractStatus, reason: str, bid: Bid | None) -> None:
    check_contract_status(contract.status if contract else None, target, reason, from_award=bid is not None,
                          standstill_end=bid.lot.tender.standstill_end if bid else None, today=clock.today())


def create(form, bid: Bid | None, user: User) -> Contract:
    """A new contract with its first version; from an award it carries the bid's price and waits for the
    standstill period before it may be active."""
    status = ContractStatus(form.status.data)
    _status_rule(None, status, "", bid)
    if bid is not None:
        check_bid_price(form.parsed_model, bid.price)
    contract = Contract(
        number=form.number.data,
        title=form.title.data.strip(),
        provider_id=form.provider_id.data,
        lot_id=optional_select_value(form.lot_id.data),
        bid_id=bid.id if bid else None,
        status=status,
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        extension_options=_strip(form.extension_options.data),
        volume_ceiling=form.volume_ceiling.data,
        budget_ceiling=form.budget_ceiling.data,
        **form.terms_data(),
        **form.invoicing_data(),
        gemeenten=list(session.scalars(select(Gemeente).where(Gemeente.id.in_(form.gemeenten.data)))),
    )
    # Stored in Dutch whatever the interface language: it is part of the contract's record.
    reason = (f"Gunning {bid.lot.tender.reference} perceel {bid.lot.number}" if bid else "Eerste versie")
    contract.versions.append(ContractVersion(
        number=1,
        effective_from=contract.start_date,
        reason=reason,
        payment_model=form.parsed_model,
        outcome_definitions=_strip(form.outcome_definitions.data),
        created_by_id=user.id,
    ))
    session.add(contract)
    session.flush()
    return contract


def edit(contract: Contract, form) -> Contract:
    """The one path by which a contract's own fields change: status through the status machine, then the
    terms. Whatever must follow a change of terms in the same transaction belongs at the end of this function."""
    target = ContractStatus(form.status.data)
    reason = _strip(form.status_reason.data)
    _status_rule(contract, target, reason, bid_of(contract))
    chosen = set(form.gemeenten.data)
    gemeenten = None  # loaded before any change, so that the edit is one flush and one audit entry
    if chosen != {g.id for g in contract.gemeenten}:
        gemeenten = list(session.scalars(select(Gemeente).where(Gemeente.id.in_(chosen))))
    contract.title = form.title.data.strip()
    contract.status = target
    contract.status_reason = reason
    contract.end_date = form.end_date.data
    contract.extension_options = _strip(form.extension_options.data)
    contract.volume_ceiling = form.volume_ceiling.data
    contract.budget_ceiling = form.budget_ceiling.data
    terms_were = projections.contract_terms(contract)
    for name, value in {**form.terms_data(), **form.invoicing_data()}.items():
        setattr(contract, name, value)
    if gemeenten is not None:
        contract.gemeenten = gemeenten
    projections.keep_contract_facts(contract, terms_were)
    session.flush()
    return contract


def amend(contract: Contract, form, user: User) -> ContractVersion:
    number = (session.scalar(select(func.max(ContractVersion.number))
                             .where(ContractVersion.contract_id == contract.id)) or 0) + 1
    version = ContractVersion(
        contract=contract,
        number=number,
        effective_from=form.effective_from.data,
        reason=form.reason.data.strip(),
        payment_model=form.parsed_model,
        outcome_definitions=_strip(form.outcome_definitions.data),
        created_by_id=user.id,
    )
    session.add(version)
    session.flush()
    return version


def add_evaluation(contract: Contract, form, user: User) -> ContractEvaluation:
    evaluation = ContractEvaluation(
        contract=contract,
        kind=EvaluationKind(form.kind.data),
        evaluated_on=form.evaluated_on.data,
        verdict=Verdict(form.verdict.data),
        notes=_strip(form.notes.data),
        evaluated_by_id=user.id,
    )
    session.add(evaluation)
    return evaluation


def current_version(contract: Contract) -> ContractVersion | None:
    return contract.version_on(clock.today()) or (contract.versions[-1] if contract.versions else None)
