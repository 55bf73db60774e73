"""Procurement rules, pure: the tender's status machine, its timeline, and scoring bids in a lot.

Scoring (documented in docs/procurement.md):

* a bid is *valid* when it passed every selection criterion, was not knocked out, came in before the
  closing moment and is not above the lot's price ceiling;
* price points = price weight × (lowest valid price ÷ this bid's price), so the cheapest valid bid gets
  the full weight and a bid twice as expensive half of it;
* quality points per award criterion = weight × (average of the evaluators' scores ÷ maximum score);
* total = price points + quality points, on a scale of 0 to 100 (the weights sum to 100);
* ranking: highest total first; on an equal total, more quality points first, then the lower price,
  then the earlier submission; bids still equal after that share a rank and are flagged as a tie that
  needs a documented decision (e.g. drawing lots) before the award.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from contracts.messages import N_, DomainError, Message
from contracts.money import format_eur

POINTS = Decimal("0.01")
MAX_SCORE = Decimal(10)
STANDSTILL_DAYS = 20


class ProcurementError(DomainError):
    """A procurement rule was broken; ``field`` says where, when one field is to blame."""

    code = "procurement_rule"


class TenderStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"
    EVALUATED = "evaluated"
    AWARD_ANNOUNCED = "award_announced"
    STANDSTILL = "standstill"
    CONTRACTED = "contracted"
    CANCELLED = "cancelled"


TENDER_TRANSITIONS: dict[TenderStatus, frozenset[TenderStatus]] = {
    TenderStatus.DRAFT: frozenset({TenderStatus.PUBLISHED, TenderStatus.CANCELLED}),
    TenderStatus.PUBLISHED: frozenset({TenderStatus.CLOSED, TenderStatus.CANCELLED}),
    TenderStatus.CLOSED: frozenset({TenderStatus.EVALUATED, TenderStatus.CANCELLED}),
    TenderStatus.EVALUATED: frozenset({TenderStatus.AWARD_ANNOUNCED, TenderStatus.CANCELLED}),
    TenderStatus.AWARD_ANNOUNCED: frozenset({TenderStatus.STANDSTILL, TenderStatus.CANCELLED}),
    TenderStatus.STANDSTILL: frozenset({TenderStatus.CONTRACTED, TenderStatus.CANCELLED}),
    TenderStatus.CONTRACTED: frozenset(),
    TenderStatus.CANCELLED: frozenset(),
}

TENDER_STATUS_LABELS = {
    TenderStatus.DRAFT: N_("concept"),
    TenderStatus.PUBLISHED: N_("gepubliceerd"),
    TenderStatus.CLOSED: N_("gesloten"),
    TenderStatus.EVALUATED: N_("beoordeeld"),
    TenderStatus.AWARD_ANNOUNCED: N_("gunningsvoornemen bekendgemaakt"),
    TenderStatus.STANDSTILL: N_("in de standstill-termijn"),
    TenderStatus.CONTRACTED: N_("gecontracteerd"),
    TenderStatus.CANCELLED: N_("ingetrokken"),
}


def check_transition(current: TenderStatus, target: TenderStatus, reason: str = "") -> None:
    if target not in TENDER_TRANSITIONS[current]:
        allowed = [TENDER_STATUS_LABELS[s] for s in sorted(TENDER_TRANSITIONS[current])] or [N_("geen")]
        raise ProcurementError(
            Message(
                N_("Een aanbesteding met status '%(current)s' kan niet naar '%(target)s'. Mogelijk: %(allowed)s."),
                current=TENDER_STATUS_LABELS[current], target=TENDER_STATUS_LABELS[target], allowed=allowed,
            ),
            "status",
        )
    if target == TenderStatus.CANCELLED and not reason.strip():
        raise ProcurementError(Message(N_("Geef de reden op waarom de aanbesteding wordt ingetrokken.")), "reason")


@dataclass(frozen=True)
class Timeline:
    publication: date | None
    questions_deadline: date | None
    closing: datetime | None
    intended_award: date | None
    standstill_days: int = STANDSTILL_DAYS

    def problems(self) -> list[tuple[str, Message]]:
        """Dates that contradict each other, each with the field to fix."""
        out = []
        closing_day = self.closing.date() if self.closing else None
        if self.publication and self.questions_deadline and self.questions_deadline < self.publication:
            early = N_("De termijn voor vragen kan niet vóór de publicatie liggen.")
            out.append(("questions_deadline", Message(early)))
        if self.questions_deadline and closing_day and self.questions_deadline > closing_day:
            out.append(("questions_deadline", Message(N_("De termijn voor vragen moet vóór de sluiting liggen."))))
        if self.publication and closing_day and closing_day <= self.publication:
            out.append(("closing", Message(N_("De sluiting moet na de publicatie liggen."))))
        if closing_day and self.intended_award and self.intended_award < closing_day:
            out.append(("intended_award", Message(N_("De beoogde gunning kan niet vóór de sluiting liggen."))))
        if self.standstill_days < 0:
            out.append(("standstill_days", Message(N_("De standstill-termijn kan niet negatief zijn."))))
        return out


def standstill_end(announced_on: date, days: int = STANDSTILL_DAYS) -> date:
    """The standstill period runs ``days`` calendar days from the day after the award announcement."""
    return announced_on + timedelta(days=days)


def weights_problem(weights: list[int]) -> Message | None:
    total = sum(weights)
    if total != 100:
        template = N_("De wegingen van de gunningscriteria tellen op tot %(total)s; dat moet 100 zijn.")
        return Message(template, total=total)
    return None


@dataclass(frozen=True)
class Criterion:
    id: int
    name: str
    weight: int
    is_price: bool = False


@dataclass(frozen=True)
class BidInput:
    id: int
    bidder: str
    price: Decimal
    submitted_at: datetime
    knocked_out: str | None = None
    failed_selection: tuple[str, ...] = ()
    scores: dict[int, list[Decimal]] = field(default_factory=dict)


@dataclass
class ScoredBid:
    bid: BidInput
    valid: bool
    invalid_reasons: list[Message]
    price_points: Decimal = Decimal(0)
    quality_points: dict[int, Decimal] = field(default_factory=dict)
    rank: int | None = None
    tie: bool = False
    awarded: bool = False

    @property
    def quality_total(self) -> Decimal:
        return sum(self.quality_points.values(), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.price_points + self.quality_total


def _points(value: Decimal) -> Decimal:
    return value.quantize(POINTS, rounding=ROUND_HALF_UP)


def score_lot(
    criteria: list[Criterion], bids: list[BidInput], price_ceiling: Decimal | None, closing: datetime | None,
    award_count: int,
) -> list[ScoredBid]:
    """Score and rank every bid of a lot; the top ``award_count`` valid bids are awarded."""
    problem = weights_problem([c.weight for c in criteria])
    if problem:
        raise ProcurementError(problem, "weights")
    scored = []
    for bid in bids:
        reasons = []
        if bid.knocked_out:
            reasons.append(Message(N_("uitgesloten: %(reason)s"), reason=bid.knocked_out))
        failed = N_("voldoet niet aan selectiecriterium %(name)s")
        reasons += [Message(failed, name=name) for name in bid.failed_selection]
        if closing is not None and bid.submitted_at > closing:
            reasons.append(Message(N_("ingediend na de sluiting")))
        if price_ceiling is not None and bid.price > price_ceiling:
            reasons.append(Message(N_("prijs boven het plafond van %(ceiling)s"), ceiling=format_eur(price_ceiling)))
        if bid.price <= 0:
            reasons.append(Message(N_("prijs ontbreekt of is nul")))
        scored.append(ScoredBid(bid, not reasons, reasons))
    valid = [s for s in scored if s.valid]
    lowest = min((s.bid.price for s in valid), default=Decimal(0))  # read only when a bid is valid
    for s in valid:
        for c in criteria:
            if c.is_price:
                s.price_points = _points(Decimal(c.weight) * lowest / s.bid.price)
            else:
                marks = s.bid.scores.get(c.id, [])
                average = sum(marks, Decimal(0)) / len(marks) if marks else Decimal(0)
                s.quality_points[c.id] = _points(Decimal(c.weight) * average / MAX_SCORE)
    order = sorted(valid, key=lambda s: (-s.total, -s.quality_total, s.bid.price, s.bid.submitted_at))
    rank = 0
    previous = None
    for position, s in enumerate(order, start=1):
        key = (s.total, s.quality_total, s.bid.price, s.bid.submitted_at)
        if key != previous:
            rank = position
        else:
            s.tie = True
            next(o for o in order if o.rank == rank).tie = True
        s.rank = rank
        previous = key
    for s in order:
        s.awarded = s.rank is not None and s.rank <= award_count
    return order + [s for s in scored if not s.valid]
