"""The tenders area's services, between the pages and the pure rules of :mod:`contracts.procurement`: loading
a tender or lot, what must be true before each status step, whether a bid is fully evaluated, scoring a lot
from its stored bids, and storing what a form decided. Nothing here commits: the view's unit of work does.

Every step of the scoring is kept (:class:`ScoreRow`) so that the lot page can answer a losing bidder's
question from what it shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from babel.numbers import format_decimal as babel_decimal
from flask import abort
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import clock
from app.db import session, utcnow
from app.formatting import date as format_date
from app.formatting import datetime as format_moment
from app.i18n import translate
from app.models import (
    AwardCriterion,
    Bid,
    BidScore,
    BidSelection,
    Contract,
    Gemeente,
    Lot,
    LotAward,
    Procedure,
    SelectionCriterion,
    Tender,
    User,
)
from contracts.procurement import (
    TENDER_STATUS_LABELS,
    BidInput,
    Criterion,
    ProcurementError,
    ScoredBid,
    TenderStatus,
    Timeline,
    score_lot,
    take_step,
    weights_problem,
)

# Bids may be registered while the tender is open or has just closed (bids that came in on time);
# they are evaluated once it is closed, and may still be corrected until the award is announced.
BIDDING = frozenset({TenderStatus.PUBLISHED, TenderStatus.CLOSED})
EVALUATING = frozenset({TenderStatus.CLOSED, TenderStatus.EVALUATED})


def moment(value: datetime | None) -> str:
    """A closing or submission moment (stored naive UTC) as the clock in Amsterdam shows it."""
    return format_moment(value)


def status_named(status: TenderStatus) -> str:
    """A status inside a sentence: quoted as a name, since labels such as 'gunningsvoornemen bekendgemaakt'
    do not read as an adjective after 'is'."""
    return _("de status is nu ‘%(s)s’", s=_(TENDER_STATUS_LABELS[TenderStatus(status)]))


def points_nl(value: Decimal) -> str:
    """Points in a stored (Dutch) award reason: 87,40."""
    return babel_decimal(value, format="#,##0.00", locale="nl")


def criteria_problems(tender: Tender) -> list[str]:
    """Why the award criteria are not ready: weights not summing to 100, not exactly one price criterion."""
    problems = []
    problem = weights_problem([c.weight for c in tender.award_criteria])
    if problem:
        problems.append(translate(problem))
    prices = sum(1 for c in tender.award_criteria if c.is_price)
    if prices != 1:
        problems.append(_("Er moet precies één prijscriterium zijn; nu zijn het er %(n)s.", n=prices))
    return problems


def evaluation_gaps(tender: Tender, bid: Bid) -> list[str]:
    """What is still missing before ``bid`` is fully evaluated (nothing when it was knocked out)."""
    if bid.knockout_reason.strip():
        return []
    judged = {s.criterion_id for s in bid.selections}
    scored = {s.criterion_id for s in bid.scores}
    gaps = [_("selectie op %(name)s", name=c.name) for c in tender.selection_criteria if c.id not in judged]
    gaps += [_("score voor %(name)s", name=c.name) for c in tender.award_criteria
             if not c.is_price and c.id not in scored]
    return gaps


def _publish_problems(tender: Tender) -> list[str]:
    problems = []
    if not tender.lots:
        problems.append(_("Voeg eerst minstens één perceel toe."))
    if not tender.gemeenten:
        problems.append(_("Kies minstens één gemeente."))
    problems += criteria_problems(tender)
    if tender.closing_at is None:
        problems.append(_("Vul het sluitingsmoment in."))
    timeline = Timeline(tender.publication_date or clock.today(), tender.questions_deadline, tender.closing_at,
                        tender.intended_award_date, tender.standstill_days)
    problems += [translate(message) for _field, message in timeline.problems()]
    return problems


def _close_problems(tender: Tender) -> list[str]:
    if tender.closing_at is None:
        return [_("Vul eerst het sluitingsmoment in.")]
    if utcnow() < tender.closing_at:
        return [_("De aanbesteding kan pas worden gesloten na het sluitingsmoment (%(closing)s).",
                  closing=moment(tender.closing_at))]
    return []


def _evaluated_problems(tender: Tender) -> list[str]:
    problems = criteria_problems(tender)
    for lot in tender.lots:
        for bid in lot.bids:
            gaps = evaluation_gaps(tender, bid)
            if gaps:
                problems.append(_("Perceel %(lot)s, inschrijving van %(bidder)s: nog niet beoordeeld (%(gaps)s).",
                                  lot=lot.number, bidder=bid.provider.name, gaps=", ".join(gaps)))
    return problems


def _announce_problems(tender: Tender) -> list[str]:
    # A lot nobody bid on has nothing to decide; every other lot needs its award decision.
    return [_("Perceel %(lot)s heeft nog geen gunningsbeslissing.", lot=lot.number)
            for lot in tender.lots if lot.bids and not lot.awards]


def _contract_problems(tender: Tender) -> list[str]:
    if tender.standstill_end is None:
        return [_("Er is geen einde van de standstill-termijn bekend; maak eerst het gunningsvoornemen bekend.")]
    if clock.today() < tender.standstill_end:
        return [_("De standstill-termijn loopt tot %(end)s; pas vanaf die dag kan worden gecontracteerd.",
                  end=format_date(tender.standstill_end))]
    return []


PRECONDITIONS = {
    TenderStatus.PUBLISHED: _publish_problems,
    TenderStatus.CLOSED: _close_problems,
    TenderStatus.EVALUATED: _evaluated_problems,
    TenderStatus.AWARD_ANNOUNCED: _announce_problems,
    TenderStatus.CONTRACTED: _contract_problems,
}


# --- scoring --------------------------------------------------------------------------------------


def _criteria(tender: Tender) -> list[Criterion]:
    return [Criterion(c.id, c.name, c.weight, c.is_price) for c in tender.award_criteria]


def _bid_input(bid: Bid) -> BidInput:
    scores: dict[int, list[Decimal]] = {}
    for s in sorted(bid.scores, key=lambda s: s.evaluator):
        scores.setdefault(s.criterion_id, []).append(Decimal(s.score))
    return BidInput(
        id=bid.id,
        bidder=bid.provider.name,
        price=bid.price,
        submitted_at=bid.submitted_at,
        knocked_out=bid.knockout_reason.strip() or None,
        failed_selection=tuple(s.criterion.name for s in bid.selections if not s.passed),
        scores=scores,
    )


def score(lot: Lot) -> list[ScoredBid]:
    """Score and rank the lot's bids with the rules of contracts.procurement (raises ProcurementError)."""
    tender = lot.tender
    return score_lot(_criteria(tender), [_bid_input(b) for b in lot.bids], lot.price_ceiling, tender.closing_at,
                     lot.award_count)


def boundary_tie(scored: list[ScoredBid], award_count: int) -> list[ScoredBid]:
    """Valid bids that share a rank across the award boundary: some would win, some not; a person decides."""
    groups: dict[int, list[ScoredBid]] = {}
    for s in scored:
        if s.valid and s.tie and s.rank is not None:
            groups.setdefault(s.rank, []).append(s)
    for rank, members in sorted(groups.items()):
        last_position = rank + len(members) - 1
        if rank <= award_count < last_position:
            return members
    return []


def award_reason(s: ScoredBid, last_awarded: Decimal | None) -> str:
    """The reason given to a bidder, in Dutch: it is part of the stored decision, not of the interface."""
    if not s.valid:
        return "Niet gegund: " + "; ".join(s.invalid_reasons)
    if s.awarded:
        return f"Gegund: rang {s.rank} met {points_nl(s.total)} punten"
    reason = f"Niet gegund: rang {s.rank} met {points_nl(s.total)} punten"
    if last_awarded is not None:
        reason += f"; de laatst gegunde inschrijving had {points_nl(last_awarded)} punten"
    return reason


# --- loading --------------------------------------------------------------------------------------


def tender_or_404(tender_id: int) -> Tender:
    return session.get(Tender, tender_id) or abort(404)


def lot_or_404(lot_id: int, for_scoring: bool = False) -> Lot:
    if not for_scoring:
        return session.get(Lot, lot_id) or abort(404)
    # Scoring reads every bid's provider, selections and scores: load them in a few queries, not per bid.
    bids = selectinload(Lot.bids)
    stmt = select(Lot).where(Lot.id == lot_id).options(
        bids.selectinload(Bid.provider), bids.selectinload(Bid.scores),
        bids.selectinload(Bid.selections).selectinload(BidSelection.criterion), selectinload(Lot.awards),
    )
    return session.scalar(stmt) or abort(404)


def criterion_or_404(model: type, tender_id: int, criterion_id: int):
    criterion = session.get(model, criterion_id)
    if criterion is None or criterion.tender_id != tender_id:
        abort(404)
    return criterion


def contracts_by_bid(lot: Lot) -> dict[int, Contract]:
    """The contracts already made from this lot's bids, so that the award section links to them."""
    ids = [b.id for b in lot.bids]
    return {c.bid_id: c for c in session.scalars(select(Contract).where(Contract.bid_id.in_(ids)))} if ids else {}


# --- what a status allows -------------------------------------------------------------------------


def criteria_locked(tender: Tender) -> str | None:
    if tender.status != TenderStatus.DRAFT:
        return _("De criteria kunnen alleen worden gewijzigd zolang de aanbesteding een concept is; %(s)s.",
                 s=status_named(tender.status))
    return None


def lots_locked(tender: Tender) -> str | None:
    if tender.status != TenderStatus.DRAFT:
        return _("Percelen kunnen alleen worden gewijzigd zolang de aanbesteding een concept is; %(s)s.",
                 s=status_named(tender.status))
    return None


def bidding_locked(tender: Tender) -> str | None:
    if tender.status not in BIDDING:
        return _("Inschrijvingen kunnen alleen worden vastgelegd zolang de aanbesteding gepubliceerd of gesloten "
                 "is; %(s)s.", s=status_named(tender.status))
    return None


def evaluating_locked(tender: Tender) -> str | None:
    if tender.status not in EVALUATING:
        return _("Inschrijvingen worden beoordeeld als de aanbesteding gesloten is (of beoordeeld, om te "
                 "corrigeren); %(s)s.", s=status_named(tender.status))
    return None


def _refuse_if(problem: str | None) -> None:
    if problem:
        raise ProcurementError(problem)


# --- storing --------------------------------------------------------------------------------------


def save_tender(tender: Tender | None, form) -> Tender:
    record = tender or Tender(status=TenderStatus.DRAFT)
    record.reference = form.reference.data
    record.title = form.title.data.strip()
    record.description = (form.description.data or "").strip()
    record.procedure = Procedure(form.procedure.data)
    record.light_regime = bool(form.light_regime.data)
    record.gemeenten = list(session.scalars(select(Gemeente).where(Gemeente.id.in_(form.gemeenten.data))))
    record.publication_date = form.publication_date.data
    record.questions_deadline = form.questions_deadline.data
    record.closing_at = form.closing_at.data
    record.intended_award_date = form.intended_award_date.data
    record.standstill_days = form.standstill_days.data
    session.add(record)
    session.flush()
    return record


def save_description(tender: Tender, description: str, other_fields: set[str]) -> None:
    """After publication the terms are fixed: only the description may still be improved."""
    if other_fields:
        raise ProcurementError(_("Na publicatie kan alleen de omschrijving worden gewijzigd; de andere gegevens "
                                 "van de aanbesteding liggen vast. Er is niets opgeslagen."))
    tender.description = description.strip()


def step(tender: Tender, target: TenderStatus, reason: str) -> TenderStatus:
    """Move the tender to ``target``: the status machine and the dates it sets are the domain's
    (:func:`contracts.procurement.take_step`); what must be true of the stored tender is checked here."""
    result = take_step(tender.status, target, clock.today(), reason=reason,
                       publication_date=tender.publication_date, award_announced_on=tender.award_announced_on,
                       standstill_end_on=tender.standstill_end, standstill_days=tender.standstill_days)
    problems = PRECONDITIONS.get(target, lambda _t: [])(tender)
    if problems:
        heading = _("De aanbesteding kan niet naar '%(s)s':", s=_(TENDER_STATUS_LABELS[target]))
        raise ProcurementError(" ".join([heading, *problems]))
    tender.status = result.status
    tender.status_reason = result.reason
    tender.publication_date = result.publication_date
    tender.award_announced_on = result.award_announced_on
    tender.standstill_end = result.standstill_end
    return target


def add_selection_criterion(tender: Tender, name: str, description: str) -> SelectionCriterion:
    _refuse_if(criteria_locked(tender))
    criterion = SelectionCriterion(name=name.strip(), description=description.strip())
    tender.selection_criteria.append(criterion)
    return criterion


def save_award_criterion(tender: Tender, criterion: AwardCriterion | None, form) -> AwardCriterion:
    _refuse_if(criteria_locked(tender))
    record = criterion or AwardCriterion()
    record.name = form.name.data.strip()
    record.weight = form.weight.data
    record.is_price = bool(form.is_price.data)
    if criterion is None:
        tender.award_criteria.append(record)
    return record


def delete_criterion(criterion) -> None:
    _refuse_if(criteria_locked(criterion.tender))
    session.delete(criterion)


def number_taken(tender: Tender, number: int | None, lot: Lot | None) -> bool:
    return any(other.number == number and other is not lot for other in tender.lots)


def save_lot(tender: Tender, lot: Lot | None, form) -> Lot:
    _refuse_if(lots_locked(tender))
    record = lot or Lot()
    record.number = form.number.data
    record.title = form.title.data.strip()
    record.target_group_id = form.target_group_id.data or None
    record.description = (form.description.data or "").strip()
    record.expected_volume = form.expected_volume.data
    record.price_ceiling = form.price_ceiling.data
    record.award_count = form.award_count.data
    record.outcome_definitions = (form.outcome_definitions.data or "").strip()
    record.payment_model = form.parsed_model
    if lot is None:
        tender.lots.append(record)
    session.flush()
    return record


def add_bid(lot: Lot, provider_id: int, price: Decimal, submitted_at: datetime, notes: str) -> Bid:
    _refuse_if(bidding_locked(lot.tender))
    bid = Bid(provider_id=provider_id, price=price, submitted_at=submitted_at, notes=notes.strip())
    lot.bids.append(bid)
    session.flush()
    return bid


def evaluation_initial(bid: Bid, evaluator: str) -> dict[str, object]:
    """What the evaluation form shows: the selection results, the knock-out and this evaluator's scores."""
    selections = {s.criterion_id: s for s in bid.selections}
    initial: dict[str, object] = {"evaluator": evaluator, "knockout_reason": bid.knockout_reason}
    for c in bid.lot.tender.selection_criteria:
        if c.id in selections:
            initial[f"selection_{c.id}"] = "pass" if selections[c.id].passed else "fail"
            initial[f"selection_{c.id}_note"] = selections[c.id].note
    for s in bid.scores:
        if s.evaluator == evaluator:
            initial[f"score_{s.criterion_id}"] = Decimal(s.score)
    return initial


def store_evaluation(form, bid: Bid) -> None:
    """Upsert the selection results and this evaluator's scores, and the knock-out."""
    tender = bid.lot.tender
    _refuse_if(evaluating_locked(tender))
    selections = {s.criterion_id: s for s in bid.selections}
    for c in tender.selection_criteria:
        value = form[f"selection_{c.id}"].data
        row = selections.get(c.id)
        if not value:
            if row is not None:
                bid.selections.remove(row)
            continue
        if row is None:
            row = BidSelection(criterion=c, passed=False)
            bid.selections.append(row)
        row.passed = value == "pass"
        row.note = (form[f"selection_{c.id}_note"].data or "").strip()
    evaluator = form.evaluator.data.strip()
    mine = {s.criterion_id: s for s in bid.scores if s.evaluator == evaluator}
    for c in tender.award_criteria:
        if c.is_price:
            continue
        value = form[f"score_{c.id}"].data
        row = mine.get(c.id)
        if value is None:
            if row is not None:
                bid.scores.remove(row)
            continue
        if row is None:
            row = BidScore(criterion=c, evaluator=evaluator, score=value)
            bid.scores.append(row)
        row.score = value
    bid.knockout_reason = (form.knockout_reason.data or "").strip()


def award_lot(lot: Lot, motivation: str, user: User) -> int:
    """Record the award decision of a lot from its scoring; the number of bids awarded."""
    tender = lot.tender
    if tender.status != TenderStatus.EVALUATED:
        raise ProcurementError(_("Een perceel wordt gegund als de aanbesteding beoordeeld is; %(s)s.",
                                 s=status_named(tender.status)))
    scored = score(lot)
    tie = boundary_tie(scored, lot.award_count)
    if tie:
        names = ", ".join(s.bid.bidder for s in tie)
        raise ProcurementError(_(
            "De inschrijvingen van %(names)s staan gelijk op rang %(rank)s, op de grens van de gunning "
            "(%(n)s te gunnen). Beslis eerst hoe de gelijke stand wordt doorbroken (bijvoorbeeld door "
            "loting), leg die beslissing vast en pas de beoordeling of het aantal te gunnen "
            "inschrijvingen aan.", names=names, rank=tie[0].rank, n=lot.award_count))
    awarded_totals = [s.total for s in scored if s.awarded]
    last_awarded = min(awarded_totals) if awarded_totals else None
    motivation = motivation.strip()
    lot.awards.clear()
    session.flush()  # the old decision goes before the new one comes in: (lot, bid) is unique
    decided_at = utcnow()
    for s in scored:
        reason = award_reason(s, last_awarded)
        if motivation:
            reason += f". Toelichting: {motivation}"
        lot.awards.append(LotAward(bid_id=s.bid.id, rank=s.rank, total_points=s.total if s.valid else None,
                                   awarded=s.awarded, reason=reason, decided_at=decided_at,
                                   decided_by_id=user.id))
    return sum(1 for s in scored if s.awarded)


# --- the scoring as the lot page shows it ---------------------------------------------------------


@dataclass
class QualityLine:
    criterion: AwardCriterion
    marks: list[Decimal]
    average: Decimal | None
    points: Decimal | None


@dataclass
class ScoreRow:
    """One bid's line of the scoring, with the numbers behind its points."""

    bid: Bid
    scored: ScoredBid
    quality: list[QualityLine]


def score_rows(lot: Lot, scored: list[ScoredBid]) -> list[ScoreRow]:
    bids = {b.id: b for b in lot.bids}
    rows = []
    for s in scored:
        lines = []
        for c in lot.tender.award_criteria:
            if c.is_price:
                continue
            marks = s.bid.scores.get(c.id, [])
            average = sum(marks, Decimal(0)) / len(marks) if marks else None
            lines.append(QualityLine(c, marks, average, s.quality_points.get(c.id) if s.valid else None))
        rows.append(ScoreRow(bids[s.bid.id], s, lines))
    return rows
