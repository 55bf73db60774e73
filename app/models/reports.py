"""Targets for performance indicators, per contract or gemeente and year, with the tolerance agreed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from app.models.audit import Audited

if TYPE_CHECKING:
    from app.models.procurement import Contract
    from app.models.registers import Gemeente


class PerformanceTarget(Audited, Base):
    """A target for one indicator (``contracts.indicators.INDICATORS``): a rate in percent, a count or a median
    in days. It belongs to a contract or to a gemeente (exactly one of the two) and to a year."""

    __tablename__ = "performance_target"
    __table_args__ = (
        UniqueConstraint("indicator", "year", "contract_id", "gemeente_id", name="one_target"),
        CheckConstraint("(contract_id IS NULL) <> (gemeente_id IS NULL)", name="contract_or_gemeente"),
        CheckConstraint("tolerance >= 0", name="tolerance_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator: Mapped[str] = mapped_column(String(40))
    year: Mapped[int]
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"), index=True)
    gemeente_id: Mapped[int | None] = mapped_column(ForeignKey("gemeente.id"), index=True)
    target: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    tolerance: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contract: Mapped[Contract | None] = relationship()
    gemeente: Mapped[Gemeente | None] = relationship()
