"""Invoices, their lines and steps, the register of invoiced entitlements, exports and budgets.

``InvoicedEntitlement`` is the guard behind "each entitlement is invoiced at most once, ever": one row
per entitlement key under a unique constraint, held while its invoice is live and released when the
invoice is rejected, so that a corrected invoice can carry it again. A unique constraint holds under
concurrent payment runs where a check-then-insert would not.

An invoice's steps (submitted, checked, approved, rejected, ...) are rows of their own, one per step
and person, so that the four-eyes rules read who did what from data, and one person can never hold
two approvals of the same invoice (unique constraint).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, enum_type, utcnow
from app.models.audit import Audited
from invoicing.matching import Verdict
from invoicing.status import InvoiceStatus, Step

if TYPE_CHECKING:
    from app.models.procurement import Contract
    from app.models.registers import Gemeente, Provider
    from app.models.trajecten import Traject
    from app.models.users import User


class InvoiceSource(enum.StrEnum):
    SELF_BILLING = "self_billing"  # drawn up by the gemeente from what is owed (a payment run)
    PROVIDER = "provider"  # the provider's own invoice, matched line by line


class LineDecision(enum.StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"


class InvoiceExport(Audited, Base):
    """A batch of approved invoices handed to the municipal financial system."""

    __tablename__ = "invoice_export"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    created_by: Mapped[User | None] = relationship()
    invoices: Mapped[list[Invoice]] = relationship(back_populates="export", order_by="Invoice.id")


class Invoice(Audited, Base):
    __tablename__ = "invoice"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    external_number: Mapped[str] = mapped_column(String(60), default="")
    source: Mapped[InvoiceSource] = mapped_column(enum_type(InvoiceSource))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    issue_date: Mapped[date]
    due_date: Mapped[date]
    status: Mapped[InvoiceStatus] = mapped_column(enum_type(InvoiceStatus), default=InvoiceStatus.DRAFT, index=True)
    credit_note: Mapped[bool] = mapped_column(default=False)
    credits_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    vat_category: Mapped[str] = mapped_column(String(1))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    vat_exemption_reason: Mapped[str] = mapped_column(Text, default="")
    subtotal: Mapped[Decimal]
    vat: Mapped[Decimal]
    total: Mapped[Decimal]
    claimed_total: Mapped[Decimal | None]
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    paid_on: Mapped[date | None]
    export_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_export.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Optimistic lock: an UPDATE that finds another version changed the invoice in between is refused.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    provider: Mapped[Provider] = relationship()
    contract: Mapped[Contract] = relationship()
    created_by: Mapped[User | None] = relationship()
    export: Mapped[InvoiceExport | None] = relationship(back_populates="invoices")
    credits_invoice: Mapped[Invoice | None] = relationship(foreign_keys=[credits_invoice_id], remote_side=[id])
    replaces: Mapped[Invoice | None] = relationship(foreign_keys=[replaces_id], remote_side=[id])
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", cascade="all, delete-orphan"
    )
    steps: Mapped[list[InvoiceStep]] = relationship(
        back_populates="invoice", order_by="InvoiceStep.id", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return self.number


class InvoiceLine(Audited, Base):
    """One line: an entitlement (or, on a provider's invoice, a claimed line and its verdict).

    ``amount`` is what the gemeente owes for the line; ``claimed_amount`` is what the provider asked.
    A contract-level bonus or malus of a joint contract is split over the gemeenten, one line each,
    so that every line carries the gemeente whose budget pays it.
    """

    __tablename__ = "invoice_line"
    __audit_parent__ = ("invoice", "invoice_id")
    # Realised money per gemeente and year (budgets, the marap) is read from this index alone.
    __table_args__ = (Index("ix_invoice_line_realised", "due_on", "gemeente_id", "invoice_id", "amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    traject_id: Mapped[int | None] = mapped_column(ForeignKey("traject.id"), index=True)
    gemeente_id: Mapped[int | None] = mapped_column(ForeignKey("gemeente.id"), index=True)
    entitlement_key: Mapped[str | None] = mapped_column(String(240))
    rule: Mapped[str] = mapped_column(String(80), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date | None]
    amount: Mapped[Decimal]
    claimed_amount: Mapped[Decimal | None]
    verdict: Mapped[Verdict | None] = mapped_column(enum_type(Verdict))
    decision: Mapped[LineDecision | None] = mapped_column(enum_type(LineDecision))
    decision_note: Mapped[str] = mapped_column(Text, default="")

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
    traject: Mapped[Traject | None] = relationship()
    gemeente: Mapped[Gemeente | None] = relationship()


class InvoicedEntitlement(Base):
    __tablename__ = "invoiced_entitlement"

    key: Mapped[str] = mapped_column(String(240), primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal]


class ContractBacklog(Base):
    """Kept: a contract's entitlements long due and on no invoice, the warning on the payment run page.

    Finding them settles the whole contract through the payment engine (minutes at 100,000 trajecten), so
    :func:`app.invoicing.services.keep_backlog` writes this row, and nothing else does: nightly, after every
    payment run and whenever an invoice takes or releases entitlements. ``as_of`` is the day it was worked
    out for; ``None`` says a change is being taken into account.
    """

    __tablename__ = "contract_backlog"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), primary_key=True)
    entitlements: Mapped[int] = mapped_column(default=0)
    amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    oldest: Mapped[date | None]
    as_of: Mapped[date | None]

    contract: Mapped[Contract] = relationship()


class InvoiceStep(Audited, Base):
    __tablename__ = "invoice_step"
    __audit_parent__ = ("invoice", "invoice_id")
    __table_args__ = (UniqueConstraint("invoice_id", "step", "user_id", name="one_step_per_person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"), index=True)
    step: Mapped[Step] = mapped_column(enum_type(Step))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    invoice: Mapped[Invoice] = relationship(back_populates="steps")
    user: Mapped[User] = relationship()


class Budget(Audited, Base):
    """A gemeente's budget for one year and funding source, as entered or imported.

    ``spent_reported`` and ``remaining_reported`` are what the source said; they are kept to be
    reconciled against the budget (and against the invoices), never used as if they were true.
    """

    __tablename__ = "budget"
    __table_args__ = (UniqueConstraint("gemeente_id", "year", "funding_source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gemeente_id: Mapped[int] = mapped_column(ForeignKey("gemeente.id"), index=True)
    year: Mapped[int]
    funding_source: Mapped[str] = mapped_column(String(80))
    amount: Mapped[Decimal]
    carried_over: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    spent_reported: Mapped[Decimal | None]
    remaining_reported: Mapped[Decimal | None]
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    gemeente: Mapped[Gemeente] = relationship()
