"""Trajecten: a client's referral to a provider under a contract, and the append-only events after it.

A traject fixes at referral what it will be paid under (the contract version, the client group for
differential prices and the price), so that a later amendment never changes what a running traject
earns. Its status is a kept copy of the replayed events (:mod:`contracts.lifecycle`), written by the one
service that adds events, so that lists can filter on it without replaying every traject.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, enum_type, utcnow
from app.models.audit import Audited
from contracts.events import EventType, ExitReason, WorkKind
from contracts.lifecycle import TrajectStatus

if TYPE_CHECKING:
    from app.models.clients import Client
    from app.models.procurement import Contract, ContractVersion
    from app.models.registers import Gemeente, Provider
    from app.models.users import User

# What the reports by referral cohort read of a traject, led by the referral date: the columns of the index
# ix_traject_cohort. A report that reads a column not listed here still works, but walks the table again.
COHORT_COLUMNS = ("referral_date", "gemeente_id", "provider_id", "contract_id", "client_group", "phase_at_referral",
                  "status", "accepted_on", "refused_on", "started_on", "placed_on", "placement_kind", "durable_on",
                  "exited_on", "exit_reason", "dropped_out_on", "returned_on", "ended_on", "fell_back_on",
                  "last_event_on", "approved_cost", "client_id")


class Traject(Audited, Base):
    __tablename__ = "traject"
    # One open traject per client and lot: ``open_lot_key`` is the lot (or, for a contract entered without
    # a tender, the contract) while the traject is open and NULL once it is closed; NULLs never collide.
    __table_args__ = (UniqueConstraint("client_id", "open_lot_key", name="one_open_per_lot"),
                      CheckConstraint("price >= 0", name="price_not_negative"),
                      Index("ix_traject_provider_referral", "provider_id", "referral_date"),
                      Index("ix_traject_gemeente_referral", "gemeente_id", "referral_date"),
                      Index("ix_traject_cost_owed_until", "cost_owed_until"),
                      # The marap's status counts of one gemeente, read in order from this index alone.
                      Index("ix_traject_gemeente_status", "gemeente_id", "status", "referral_date"),
                      # The reports by referral cohort read a period's trajecten as a range of this index, which
                      # holds every column they count (a copy of the facts in referral-date order): a fifth of a
                      # year's trajecten instead of a scan of the table (app.reports.services.Query.in_play).
                      Index("ix_traject_cohort", *COHORT_COLUMNS),
                      # The traject list's sorts within any scope, page ids read in order from the index alone
                      # (the id in the key: ties come in id order, so the database need not sort them).
                      Index("ix_traject_referral", "referral_date", "id", "gemeente_id", "provider_id"),
                      Index("ix_traject_last_event", "last_event_on", "id", "gemeente_id", "provider_id"),
                      # The contracts' observed averages of finished trajecten (app.budgets.services.observed),
                      # read from this index alone: 108–196 ms instead of 1.1–1.9 s at 1,000,000 on SQLite.
                      Index("ix_traject_observed", "contract_id", "status", "cost_owed_cents"),
                      # The budget page's sum over the open trajecten, read from this index alone (a fifth of the
                      # rows, in the order it groups by): 22 ms instead of 70 at 100,000 trajecten on SQLite.
                      Index("ix_traject_outlook", "gemeente_id", "contract_id", "cost_max_cents", "cost_owed_cents",
                            "approved_cost", "cost_due_year",
                            sqlite_where=text("open_lot_key IS NOT NULL"),
                            postgresql_where=text("open_lot_key IS NOT NULL")))
    # The budget's kept cost changes with the calendar as much as with the trajecten; its refresh is no one's
    # business action and would drown the audit trail (what it is computed from is audited).
    __audit_ignored__ = frozenset({"cost_max_cents", "cost_owed_cents", "cost_owed_until", "cost_due_year"})

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"))  # indexed by ix_traject_observed
    contract_version_id: Mapped[int] = mapped_column(ForeignKey("contract_version.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    gemeente_id: Mapped[int] = mapped_column(ForeignKey("gemeente.id"))  # indexed with the referral date, status
    client_group: Mapped[str | None] = mapped_column(String(40))
    price: Mapped[Decimal | None]
    referral_date: Mapped[date]
    motivation: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[TrajectStatus] = mapped_column(enum_type(TrajectStatus), default=TrajectStatus.REFERRED,
                                                  index=True)
    open_lot_key: Mapped[str | None] = mapped_column(String(40))
    last_event_on: Mapped[date | None]
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The client's phase when referred: performance is compared per client group and phase at referral.
    phase_at_referral: Mapped[int | None]
    # Facts for the performance indicators (contracts.indicators.Facts), a kept copy of the confirmed events
    # written with the status by the one service that adds events, so that reports are plain aggregates.
    accepted_on: Mapped[date | None]
    refused_on: Mapped[date | None]
    started_on: Mapped[date | None]
    placed_on: Mapped[date | None]
    placement_kind: Mapped[str | None] = mapped_column(String(20))
    durable_on: Mapped[date | None]
    exited_on: Mapped[date | None]
    exit_reason: Mapped[str | None] = mapped_column(String(20))
    dropped_out_on: Mapped[date | None]
    returned_on: Mapped[date | None]
    ended_on: Mapped[date | None]
    fell_back_on: Mapped[date | None]
    # What approved invoices paid for this traject (excl. VAT), kept by app.projections at every invoice step that
    # approves an invoice, so that cost per placement is an aggregate over the trajecten alone.
    approved_cost: Mapped[Decimal] = mapped_column(default=Decimal("0.00"), server_default="0")
    # What the budget needs of the payment engine (invoicing.budget.TrajectCost), kept by app.projections in whole
    # cents so that the budget page sums them exactly in SQL: the maximum cost (NULL when it cannot be known),
    # what is owed as of the day it was kept, the day that figure may next change with no new event (NULL:
    # never), and the year in which the rest likely falls due.
    cost_max_cents: Mapped[int | None] = mapped_column(BigInteger)
    cost_owed_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    cost_owed_until: Mapped[date | None]
    cost_due_year: Mapped[int | None]

    client: Mapped[Client] = relationship()
    kept_actions: Mapped[list[TrajectAction]] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    contract: Mapped[Contract] = relationship()
    contract_version: Mapped[ContractVersion] = relationship()
    provider: Mapped[Provider] = relationship()
    gemeente: Mapped[Gemeente] = relationship()
    referred_by: Mapped[User | None] = relationship()
    events: Mapped[list[TrajectEvent]] = relationship(
        back_populates="traject", order_by="(TrajectEvent.event_date, TrajectEvent.id)", cascade="all"
    )

    @property
    def reference(self) -> str:
        return f"T{self.id:06d}"

    def __str__(self) -> str:
        return self.reference


class TrajectAction(Base):
    """What a traject still needs and from when (contracts.worklist.actions), kept by app.projections so that
    the work list asks the database which actions are due. Derived state: not audited, rebuilt by ``flask
    projections rebuild``; an action's due date depends on the traject alone, never on today."""

    __tablename__ = "traject_action"
    __table_args__ = (Index("ix_traject_action_due", "due", "kind"),)

    traject_id: Mapped[int] = mapped_column(ForeignKey("traject.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    due: Mapped[date]


class TrajectEvent(Audited, Base):
    """One thing that happened in a traject. Never changed or deleted: a correction event revokes it."""

    __tablename__ = "traject_event"
    __audit_parent__ = ("traject", "traject_id")
    __table_args__ = (
        UniqueConstraint("traject_id", "import_key", name="import_once"),
        CheckConstraint("hours_per_week >= 0 AND hours_per_week <= 80", name="hours_range"),
        CheckConstraint("contract_months >= 0", name="contract_months_not_negative"),
        CheckConstraint("wage >= 0", name="wage_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    traject_id: Mapped[int] = mapped_column(ForeignKey("traject.id"), index=True)
    type: Mapped[EventType] = mapped_column(enum_type(EventType))
    event_date: Mapped[date]
    note: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    exit_reason: Mapped[ExitReason | None] = mapped_column(enum_type(ExitReason))
    employer: Mapped[str] = mapped_column(String(200), default="")
    hours_per_week: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    work_kind: Mapped[WorkKind | None] = mapped_column(enum_type(WorkKind))
    contract_months: Mapped[int | None]
    open_ended: Mapped[bool] = mapped_column(default=False)
    wage: Mapped[Decimal | None]
    revokes_id: Mapped[int | None] = mapped_column(ForeignKey("traject_event.id"))
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_file.id"))
    by_provider: Mapped[bool] = mapped_column(default=False)
    import_key: Mapped[str | None] = mapped_column(String(64))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    traject: Mapped[Traject] = relationship(back_populates="events")
    revokes: Mapped[TrajectEvent | None] = relationship(remote_side=[id])
    evidence: Mapped[EvidenceFile | None] = relationship()
    recorded_by: Mapped[User | None] = relationship()
    confirmation: Mapped[EventConfirmation | None] = relationship(back_populates="event", uselist=False)


class EventConfirmation(Audited, Base):
    """A klantmanager's confirmation, against evidence, of an outcome a provider reported."""

    __tablename__ = "event_confirmation"
    __audit_parent__ = ("traject_event", "event_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("traject_event.id"), unique=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_file.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    confirmed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[TrajectEvent] = relationship(back_populates="confirmation")
    evidence: Mapped[EvidenceFile] = relationship()
    confirmed_by: Mapped[User] = relationship()


class EvidenceFile(Audited, Base):
    """An uploaded document (a contract of employment, a payslip, a letter). The bytes live outside the
    web root, under ``EVIDENCE_DIR``, named by their SHA-256 so a file can never be overwritten."""

    __tablename__ = "evidence_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    traject_id: Mapped[int] = mapped_column(ForeignKey("traject.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the retention run removed the bytes after the retention period; the row stays, as the events
    # and confirmations that cite it do.
    purged_at: Mapped[datetime | None]

    uploaded_by: Mapped[User | None] = relationship()


class ImportKind(enum.StrEnum):
    CLIENTS = "clients"
    EVENTS = "events"


class ImportStatus(enum.StrEnum):
    CHECKING = "checking"
    CHECKED = "checked"
    IMPORTED = "imported"
    DISCARDED = "discarded"


class ImportBatch(Base):
    """An uploaded CSV file on its way in: checked in steps (so a page can show progress), then imported
    in one transaction. Kept afterwards as the record of what came in, from whom, and what was refused."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ImportKind] = mapped_column(enum_type(ImportKind))
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[ImportStatus] = mapped_column(enum_type(ImportStatus), default=ImportStatus.CHECKING)
    total_rows: Mapped[int] = mapped_column(default=0)
    checked_rows: Mapped[int] = mapped_column(default=0)
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_count: Mapped[int] = mapped_column(default=0)
    unchanged_count: Mapped[int] = mapped_column(default=0)
    skipped_count: Mapped[int] = mapped_column(default=0)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_at: Mapped[datetime | None]
    purged_at: Mapped[datetime | None]  # when the file's rows were removed (app.trajecten.services.purge_import_file)

    uploaded_by: Mapped[User] = relationship()
