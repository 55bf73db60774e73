"""Tenders in lots, bids and their evaluation, award decisions, and contracts with versioned terms."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Column, ForeignKey, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, enum_type, utcnow
from app.models.audit import Audited
from contracts.contracting import ContractStatus
from contracts.procurement import TenderStatus
from contracts.worklist import Terms

if TYPE_CHECKING:
    from app.models.clients import TargetGroup
    from app.models.registers import Gemeente, Provider
    from app.models.users import User


TERM_FIELDS = ("acceptance_days", "inactivity_days", "durability_months", "max_duration_months")


class Procedure(enum.StrEnum):
    OPEN = "open"
    RESTRICTED = "niet_openbaar"
    MULTIPLE_PRIVATE = "meervoudig_onderhands"
    SINGLE_PRIVATE = "enkelvoudig_onderhands"


class EvaluationKind(enum.StrEnum):
    INTERIM = "interim"
    FINAL = "final"


class Verdict(enum.StrEnum):
    GOOD = "good"
    SUFFICIENT = "sufficient"
    INSUFFICIENT = "insufficient"


tender_gemeente = Table(
    "tender_gemeente",
    Base.metadata,
    Column("tender_id", ForeignKey("tender.id", ondelete="CASCADE"), primary_key=True),
    Column("gemeente_id", ForeignKey("gemeente.id", ondelete="CASCADE"), primary_key=True),
)

contract_gemeente = Table(
    "contract_gemeente",
    Base.metadata,
    Column("contract_id", ForeignKey("contract.id", ondelete="CASCADE"), primary_key=True),
    Column("gemeente_id", ForeignKey("gemeente.id", ondelete="CASCADE"), primary_key=True),
)


class Tender(Audited, Base):
    __tablename__ = "tender"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    procedure: Mapped[Procedure] = mapped_column(enum_type(Procedure))
    light_regime: Mapped[bool] = mapped_column(default=True)
    status: Mapped[TenderStatus] = mapped_column(enum_type(TenderStatus), default=TenderStatus.DRAFT)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    publication_date: Mapped[date | None]
    questions_deadline: Mapped[date | None]
    closing_at: Mapped[datetime | None]
    intended_award_date: Mapped[date | None]
    standstill_days: Mapped[int] = mapped_column(default=20)
    award_announced_on: Mapped[date | None]
    standstill_end: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    gemeenten: Mapped[list[Gemeente]] = relationship(secondary=tender_gemeente, order_by="Gemeente.name")
    lots: Mapped[list[Lot]] = relationship(back_populates="tender", order_by="Lot.number", cascade="all, delete-orphan")
    selection_criteria: Mapped[list[SelectionCriterion]] = relationship(
        back_populates="tender", order_by="SelectionCriterion.id", cascade="all, delete-orphan"
    )
    award_criteria: Mapped[list[AwardCriterion]] = relationship(
        back_populates="tender", order_by="AwardCriterion.id", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class Lot(Audited, Base):
    """A perceel: one target group or product, with its volume, price ceiling and payment model."""

    __tablename__ = "lot"
    __audit_parent__ = ("tender", "tender_id")
    __table_args__ = (UniqueConstraint("tender_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    target_group_id: Mapped[int | None] = mapped_column(ForeignKey("target_group.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    expected_volume: Mapped[int] = mapped_column(default=0)
    price_ceiling: Mapped[Decimal | None]
    award_count: Mapped[int] = mapped_column(default=1)
    payment_model: Mapped[dict[str, Any]] = mapped_column(JSON)
    outcome_definitions: Mapped[str] = mapped_column(Text, default="")

    tender: Mapped[Tender] = relationship(back_populates="lots")
    target_group: Mapped[TargetGroup | None] = relationship()
    bids: Mapped[list[Bid]] = relationship(back_populates="lot", order_by="Bid.submitted_at",
                                           cascade="all, delete-orphan")
    awards: Mapped[list[LotAward]] = relationship(back_populates="lot", order_by="LotAward.rank",
                                                  cascade="all, delete-orphan")

    def __str__(self) -> str:
        return f"Perceel {self.number}: {self.title}"


class SelectionCriterion(Audited, Base):
    """A pass/fail criterion (e.g. solvency, a quality mark): a bidder who fails it is out."""

    __tablename__ = "selection_criterion"
    __audit_parent__ = ("tender", "tender_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")

    tender: Mapped[Tender] = relationship(back_populates="selection_criteria")


class AwardCriterion(Audited, Base):
    """A weighted award criterion; the weights of a tender sum to 100, one of them may be price."""

    __tablename__ = "award_criterion"
    __audit_parent__ = ("tender", "tender_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    weight: Mapped[int]
    is_price: Mapped[bool] = mapped_column(default=False)

    tender: Mapped[Tender] = relationship(back_populates="award_criteria")


class Bid(Audited, Base):
    """An inschrijving of one provider on one lot."""

    __tablename__ = "bid"
    __audit_parent__ = ("lot", "lot_id")
    __table_args__ = (UniqueConstraint("lot_id", "provider_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    price: Mapped[Decimal]
    submitted_at: Mapped[datetime]
    knockout_reason: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")

    lot: Mapped[Lot] = relationship(back_populates="bids")
    provider: Mapped[Provider] = relationship()
    selections: Mapped[list[BidSelection]] = relationship(back_populates="bid", cascade="all, delete-orphan")
    scores: Mapped[list[BidScore]] = relationship(back_populates="bid", cascade="all, delete-orphan")


class BidSelection(Audited, Base):
    __tablename__ = "bid_selection"
    __audit_parent__ = ("bid", "bid_id")
    __table_args__ = (UniqueConstraint("bid_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("selection_criterion.id", ondelete="CASCADE"), index=True)
    passed: Mapped[bool]
    note: Mapped[str] = mapped_column(Text, default="")

    bid: Mapped[Bid] = relationship(back_populates="selections")
    criterion: Mapped[SelectionCriterion] = relationship()


class BidScore(Audited, Base):
    """One evaluator's score (0–10) of one bid on one award criterion."""

    __tablename__ = "bid_score"
    __audit_parent__ = ("bid", "bid_id")
    __table_args__ = (UniqueConstraint("bid_id", "criterion_id", "evaluator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("award_criterion.id", ondelete="CASCADE"), index=True)
    evaluator: Mapped[str] = mapped_column(String(120))
    score: Mapped[Decimal] = mapped_column(Numeric(4, 2))

    bid: Mapped[Bid] = relationship(back_populates="scores")
    criterion: Mapped[AwardCriterion] = relationship()


class LotAward(Audited, Base):
    """The award decision for one bidder on one lot: rank, points and the reasons given."""

    __tablename__ = "lot_award"
    __audit_parent__ = ("lot", "lot_id")
    __table_args__ = (UniqueConstraint("lot_id", "bid_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int | None]
    total_points: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    awarded: Mapped[bool]
    reason: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    lot: Mapped[Lot] = relationship(back_populates="awards")
    bid: Mapped[Bid] = relationship()


class Contract(Audited, Base):
    __tablename__ = "contract"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"), index=True)
    bid_id: Mapped[int | None] = mapped_column(ForeignKey("bid.id"))
    status: Mapped[ContractStatus] = mapped_column(enum_type(ContractStatus), default=ContractStatus.DRAFT)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date]
    end_date: Mapped[date]
    extension_options: Mapped[str] = mapped_column(Text, default="")
    volume_ceiling: Mapped[int | None]
    budget_ceiling: Mapped[Decimal | None]
    # Service terms for the work list; None means the default of contracts.worklist.Terms.
    acceptance_days: Mapped[int | None]
    inactivity_days: Mapped[int | None]
    durability_months: Mapped[int | None]
    max_duration_months: Mapped[int | None]
    # Invoicing terms: VAT treatment (category S with a rate, or E with the exemption reason that must be
    # on every invoice), the payment term and the budget the costs are charged to.
    vat_category: Mapped[str] = mapped_column(String(1), default="S")
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("21.00"))
    vat_exemption_reason: Mapped[str] = mapped_column(Text, default="")
    payment_term_days: Mapped[int] = mapped_column(default=30)
    funding_source: Mapped[str] = mapped_column(String(80), default="Participatiebudget")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    provider: Mapped[Provider] = relationship()
    lot: Mapped[Lot | None] = relationship()
    gemeenten: Mapped[list[Gemeente]] = relationship(secondary=contract_gemeente, order_by="Gemeente.name")
    versions: Mapped[list[ContractVersion]] = relationship(
        back_populates="contract", order_by="ContractVersion.number", cascade="all, delete-orphan"
    )
    evaluations: Mapped[list[ContractEvaluation]] = relationship(
        back_populates="contract", order_by="ContractEvaluation.evaluated_on", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def terms(self) -> Terms:
        given = {name: getattr(self, name) for name in TERM_FIELDS if getattr(self, name) is not None}
        return Terms(**given)

    @property
    def lot_key(self) -> str:
        """What "the same lot" means for one open traject per client: the lot, or this contract if it has none."""
        return f"lot:{self.lot_id}" if self.lot_id is not None else f"contract:{self.id}"

    def version_on(self, day: date) -> ContractVersion | None:
        """The terms in force on ``day``: the latest version whose effective date has come."""
        current = [v for v in self.versions if v.effective_from <= day]
        return max(current, key=lambda v: (v.effective_from, v.number)) if current else None


class ContractVersion(Audited, Base):
    """The terms of a contract from a date on; an amendment adds a version, none is ever changed."""

    __tablename__ = "contract_version"
    __audit_parent__ = ("contract", "contract_id")
    __table_args__ = (UniqueConstraint("contract_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    effective_from: Mapped[date]
    reason: Mapped[str] = mapped_column(Text)
    payment_model: Mapped[dict[str, Any]] = mapped_column(JSON)
    outcome_definitions: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    contract: Mapped[Contract] = relationship(back_populates="versions")
    created_by: Mapped[User | None] = relationship()


class ContractEvaluation(Audited, Base):
    __tablename__ = "contract_evaluation"
    __audit_parent__ = ("contract", "contract_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EvaluationKind] = mapped_column(enum_type(EvaluationKind))
    evaluated_on: Mapped[date]
    verdict: Mapped[Verdict] = mapped_column(enum_type(Verdict))
    notes: Mapped[str] = mapped_column(Text, default="")
    evaluated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    contract: Mapped[Contract] = relationship(back_populates="evaluations")
    evaluated_by: Mapped[User | None] = relationship()
