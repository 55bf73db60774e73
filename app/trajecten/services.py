"""The klantmanager's and provider's work on trajecten, between the pages and the pure rules.

Each function here is one action: it loads what it needs, asks :mod:`contracts.lifecycle` and
:mod:`contracts.engine` whether and what, and leaves its changes in the session for the caller to commit
as one transaction. Refusals are :class:`TrajectError` with a translatable message and the form field
to show it at.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from app import projections
from app.db import session
from app.models.clients import Client
from app.models.procurement import Contract, ContractStatus
from app.models.registers import ProviderStatus
from app.models.trajecten import EventConfirmation, EvidenceFile, Traject, TrajectEvent
from app.models.users import Role, User
from contracts.engine import Entitlement, evaluate
from contracts.events import Event, EventType, ExitReason, WorkKind
from contracts.events import Traject as EngineTraject
from contracts.lifecycle import (
    NEEDS_CONFIRMATION,
    TrajectStatus,
    check_new,
    may_record,
    replay,
    required_details,
)
from contracts.messages import N_, DomainError, Message
from contracts.model import PaymentModel
from contracts.worklist import Action, Terms, actions

NEW_EVENT_ID = "new"


class TrajectError(DomainError):
    """A referral or event the traject rules refuse."""

    code = "traject_rule"


def _day(d: date) -> str:
    return d.strftime("%d-%m-%Y")


# --- referral -------------------------------------------------------------------------------------


def volume_ceiling(contract: Contract, day: date) -> int | None:
    """The lower of the contract's own ceiling and the payment model's volume limit, if either is set."""
    version = contract.version_on(day)
    model_limit = (version.payment_model.get("contract_limits") or {}).get("volume") if version else None
    limits = [n for n in (contract.volume_ceiling, model_limit) if n]
    return min(limits) if limits else None


def places_taken(contract_id: int) -> int:
    """Trajecten that take a place under the ceiling: every referral except one the provider refused."""
    return session.scalar(select(func.count()).select_from(Traject).where(
        Traject.contract_id == contract_id, Traject.status != TrajectStatus.REFUSED)) or 0


def referral_problems(client: Client, contract: Contract, day: date) -> list[Message]:
    """Every reason ``client`` cannot be referred under ``contract`` on ``day``; empty means it can."""
    problems: list[Message] = []
    if contract.status == ContractStatus.REFERRAL_STOP:
        problems.append(Message(N_("Het contract heeft een verwijzingsstop.")))
    elif contract.status != ContractStatus.ACTIVE:
        problems.append(Message(N_("Het contract is niet actief.")))
    if contract.provider.status == ProviderStatus.REFERRAL_STOP:
        problems.append(Message(N_("De aanbieder heeft een verwijzingsstop.")))
    elif contract.provider.status != ProviderStatus.ACTIVE:
        problems.append(Message(N_("De aanbieder is niet meer actief.")))
    if not contract.start_date <= day <= contract.end_date:
        problems.append(Message(N_("Het contract loopt van %(start)s tot en met %(end)s."),
                                start=_day(contract.start_date), end=_day(contract.end_date)))
    elif contract.version_on(day) is None:
        problems.append(Message(N_("Er zijn op %(date)s geen contractvoorwaarden van kracht."), date=_day(day)))
    if client.gemeente_id not in {g.id for g in contract.gemeenten}:
        problems.append(Message(N_("Het contract geldt niet voor gemeente %(gemeente)s."),
                                gemeente=client.gemeente.name))
    lot_group = contract.lot.target_group if contract.lot is not None else None
    if lot_group is not None and lot_group.id != client.target_group_id:
        problems.append(Message(N_("Het perceel is voor doelgroep %(lot)s; de cliënt hoort bij %(client)s."),
                                lot=lot_group.name, client=client.target_group.name))
    ceiling = volume_ceiling(contract, day)
    if ceiling is not None and places_taken(contract.id) >= ceiling:
        problems.append(Message(N_("Het volumeplafond van %(n)s trajecten is bereikt."), n=ceiling))
    open_one = session.scalar(select(Traject).where(Traject.client_id == client.id,
                                                    Traject.open_lot_key == contract.lot_key))
    if open_one is not None:
        problems.append(Message(N_("De cliënt heeft al een lopend traject in dit perceel (%(ref)s)."),
                                ref=open_one.reference))
    return problems


def candidate_contracts(client: Client, day: date) -> list[tuple[Contract, list[Message]]]:
    """Every contract that could serve the client's gemeente, with why it can't (empty when it can)."""
    contracts = session.scalars(
        select(Contract).where(Contract.status.in_((ContractStatus.ACTIVE, ContractStatus.REFERRAL_STOP)),
                               Contract.gemeenten.any(id=client.gemeente_id)).order_by(Contract.number))
    return [(c, referral_problems(client, c, day)) for c in contracts]


def refer(client: Client, contract_id: int, day: date, user: User, motivation: str = "") -> Traject:
    """Refer ``client`` under the contract, fixing version, client group and price.

    The contract row is locked first (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite lets one writer in
    at a time), so two referrals at the same moment are counted one after the other and can never pass
    the volume ceiling together.
    """
    contract = session.scalar(select(Contract).where(Contract.id == contract_id).with_for_update())
    if contract is None:
        raise TrajectError(Message(N_("Kies een contract uit de lijst.")), "contract_id")
    problems = referral_problems(client, contract, day)
    if problems:
        raise TrajectError(problems[0], "contract_id")
    version = contract.version_on(day)
    model = PaymentModel.from_dict(version.payment_model)
    group = client.target_group.code
    traject = Traject(client=client, contract=contract, contract_version=version, provider_id=contract.provider_id,
                      gemeente_id=client.gemeente_id, client_group=group, price=model.price_for(group, None),
                      referral_date=day, motivation=motivation.strip(), referred_by_id=user.id,
                      phase_at_referral=client.phase)
    session.add(traject)
    projections.keep_events(traject)
    return traject


# --- events ---------------------------------------------------------------------------------------


@dataclass
class EventInput:
    """What a form or an import row says happened."""

    type: EventType
    event_date: date
    note: str = ""
    reason: str = ""
    exit_reason: ExitReason | None = None
    employer: str = ""
    hours_per_week: Decimal | None = None
    work_kind: WorkKind | None = None
    contract_months: int | None = None
    open_ended: bool = False
    wage: Decimal | None = None
    revokes_id: int | None = None


def engine_event(e: TrajectEvent | EventInput, event_id: str) -> Event:
    revokes = e.revokes_id
    return Event(id=event_id, type=e.type, date=e.event_date, kind=e.work_kind, hours_per_week=e.hours_per_week,
                 contract_months=e.contract_months,
                 reason=e.exit_reason.value if e.exit_reason is not None else (e.reason or None),
                 revokes=str(revokes) if revokes is not None else None, open_ended=e.open_ended)


def history(traject: Traject) -> list[Event]:
    return [engine_event(e, str(e.id)) for e in traject.events]


def record_event(traject: Traject, data: EventInput, user: User, today: date,
                 evidence: EvidenceFile | None = None, import_key: str | None = None) -> TrajectEvent:
    # Lock the traject first, so that two events recorded at the same moment are checked one after the
    # other against the history (PostgreSQL; SQLite admits one writer at a time anyway).
    session.execute(select(Traject.id).where(Traject.id == traject.id).with_for_update())
    by_provider = user.role == Role.PROVIDER
    if not may_record(data.type, by_provider):
        raise TrajectError(Message(N_("Dit soort gebeurtenis legt de gemeente vast.")), "type")
    for name in required_details(data.type, data.open_ended):
        if getattr(data, name) in (None, ""):
            raise TrajectError(Message(N_("Vul dit in voor deze gebeurtenis.")), name)
    problem = check_new(traject.referral_date, history(traject), engine_event(data, NEW_EVENT_ID), today)
    if problem is not None:
        raise TrajectError(problem, "revokes_id" if data.type == EventType.CORRECTION else "type")
    event = TrajectEvent(traject=traject, type=data.type, event_date=data.event_date, note=data.note.strip(),
                         reason=data.reason.strip(), exit_reason=data.exit_reason, employer=data.employer.strip(),
                         hours_per_week=data.hours_per_week, work_kind=data.work_kind,
                         contract_months=data.contract_months, open_ended=data.open_ended, wage=data.wage,
                         revokes_id=data.revokes_id, evidence=evidence, by_provider=by_provider,
                         import_key=import_key, recorded_by_id=user.id)
    session.add(event)
    session.flush()
    projections.keep_events(traject)
    return event


def needs_confirmation(event: TrajectEvent) -> bool:
    return event.by_provider and event.type in NEEDS_CONFIRMATION and event.confirmation is None


def confirm(event: TrajectEvent, user: User, evidence: EvidenceFile | None, note: str) -> EventConfirmation:
    """A klantmanager confirms a provider's reported outcome, against the evidence sent with it or new evidence."""
    if not needs_confirmation(event):
        raise TrajectError(Message(N_("Deze gebeurtenis hoeft niet (meer) bevestigd te worden.")), "evidence")
    if event.id in revoked_ids(event.traject):
        raise TrajectError(Message(N_("Deze gebeurtenis is gecorrigeerd.")), "evidence")
    proof = evidence or event.evidence
    if proof is None:
        raise TrajectError(Message(N_("Bevestig een resultaat tegen bewijs: voeg een bestand toe.")), "evidence")
    confirmation = EventConfirmation(event=event, evidence=proof, note=note.strip(), confirmed_by_id=user.id)
    session.add(confirmation)
    projections.keep_facts(event.traject)
    return confirmation


def revoked_ids(traject: Traject) -> set[int]:
    return {e.revokes_id for e in traject.events if e.type == EventType.CORRECTION}


# --- money ----------------------------------------------------------------------------------------


def payment_model(traject: Traject) -> PaymentModel:
    return PaymentModel.from_dict(traject.contract_version.payment_model)


class PaymentModels:
    """Payment models by contract version, parsed once however many trajecten share a version."""

    def __init__(self):
        self._by_version: dict[int, PaymentModel] = {}

    def of(self, traject: Traject) -> PaymentModel:
        found = self._by_version.get(traject.contract_version_id)
        if found is None:
            found = self._by_version[traject.contract_version_id] = payment_model(traject)
        return found


def engine_ready(stmt: Select) -> Select:
    """Load with the trajecten what the engine reads of each (its events and their confirmations, its contract
    and version): a few queries for any number of trajecten instead of some per traject."""
    return stmt.options(selectinload(Traject.events).selectinload(TrajectEvent.confirmation),
                        selectinload(Traject.contract_version), selectinload(Traject.contract))


def awaiting_confirmation(traject: Traject) -> list[TrajectEvent]:
    """Outcomes a provider reported that a klantmanager has yet to confirm (a corrected one waits for nothing)."""
    revoked = revoked_ids(traject)
    return [e for e in traject.events if needs_confirmation(e) and e.id not in revoked]


def engine_traject(traject: Traject, include_unconfirmed: bool = False) -> EngineTraject:
    """The traject as the engine reads it: outcomes a provider reported count once confirmed.

    ``include_unconfirmed`` adds the reports awaiting confirmation, to show what confirming them would add."""
    waiting = {e.id for e in awaiting_confirmation(traject)} if include_unconfirmed else set()
    events = [engine_event(e, str(e.id)) for e in traject.events if not needs_confirmation(e) or e.id in waiting]
    return EngineTraject(id=str(traject.id), referral_date=traject.referral_date, events=tuple(events),
                         client_group=traject.client_group, price=traject.price)


@dataclass
class Money:
    """What each event made owed, as known today, and what confirming the open reports would add."""

    by_event: dict[str, list[Entitlement]] = field(default_factory=dict)
    pending_by_event: dict[str, list[Entitlement]] = field(default_factory=dict)
    total: Decimal = Decimal("0.00")

    def owed_for(self, event: TrajectEvent) -> list[Entitlement]:
        return self.by_event.get(str(event.id), [])

    def pending_for(self, event: TrajectEvent) -> list[Entitlement]:
        return self.pending_by_event.get(str(event.id), [])


def _by_trigger(entitlements: list[Entitlement], dates: dict[str, date]) -> dict[str, list[Entitlement]]:
    """File each entitlement under the latest event it rests on: the one that made it owed."""
    found: dict[str, list[Entitlement]] = {}
    for e in entitlements:
        basis = [b for b in e.basis if b in dates]
        if basis:
            found.setdefault(max(basis, key=lambda b: (dates[b], int(b))), []).append(e)
    return found


def money(traject: Traject, as_of: date) -> Money:
    model = payment_model(traject)
    dates = {str(e.id): e.event_date for e in traject.events}
    counted = evaluate(model, engine_traject(traject), as_of)
    if awaiting_confirmation(traject):
        everything = evaluate(model, engine_traject(traject, include_unconfirmed=True), as_of)
        known = {e.key for e in counted.entitlements}
        pending = _by_trigger([e for e in everything.entitlements if e.key not in known], dates)
    else:
        pending = {}
    return Money(_by_trigger(counted.entitlements, dates), pending, counted.total)


# --- work list ------------------------------------------------------------------------------------


def open_actions(traject: Traject, today: date) -> list[Action]:
    state = replay(traject.referral_date, history(traject))
    return actions(state, terms_for(traject), today, len(awaiting_confirmation(traject)))


def terms_for(traject: Traject) -> Terms:
    """The contract's terms; durability follows the payment model's own definition when it has one."""
    terms = traject.contract.terms
    if traject.contract.durability_months is None:
        milestones = traject.contract_version.payment_model.get("milestones", {}).values()
        lasting = [m["lasting_months"] for m in milestones if m.get("lasting_months")]
        if lasting:
            terms = replace(terms, durability_months=min(lasting))
    return terms
