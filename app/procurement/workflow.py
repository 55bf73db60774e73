"""The tender's workflow, between the pages and the pure rules of contracts.procurement: what must be
true before each status step, whether a bid is fully evaluated, and scoring a lot from its stored bids."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from babel.numbers import format_decimal as babel_decimal
from flask_babel import gettext as _

from app import clock
from app.i18n import translate
from app.models import Bid, Lot, Tender
from contracts.procurement import (
    BidInput,
    Criterion,
    ScoredBid,
    TenderStatus,
    Timeline,
    score_lot,
    weights_problem,
)


def moment(value: datetime | None) -> str:
    """A closing or submission moment as entered (local time, stored naive): not converted from UTC."""
    return value.strftime("%d-%m-%Y %H:%M") if value else "—"


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
    if datetime.now() < tender.closing_at:
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
                  end=tender.standstill_end.strftime("%d-%m-%Y"))]
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
