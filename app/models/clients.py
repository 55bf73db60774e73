"""Clients (the people a gemeente refers) and the history of their distance to work."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.db import Base, enum_type, utcnow
from app.models.audit import Audited
from app.search import name_key
from contracts.clients import TransferStatus, mask_bsn

if TYPE_CHECKING:
    from app.models.registers import Gemeente
    from app.models.users import User


class BenefitType(enum.StrEnum):
    PARTICIPATIEWET = "participatiewet"
    IOAW = "ioaw"
    IOAZ = "ioaz"
    NONE = "none"


class TargetGroup(Audited, Base):
    """A target group (doelgroep); lots in tenders are bought per target group, so it is data."""

    __tablename__ = "target_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))

    def __str__(self) -> str:
        return self.name


class Client(Audited, Base):
    """A person in one gemeente's caseload. One record per BSN per gemeente (not across gemeenten): a BSN
    another gemeente holds must not be refused to a user who may not know that (see ``contracts.clients``)."""

    __tablename__ = "client"
    __audit_masked__ = frozenset({"bsn"})
    __audit_ignored__ = frozenset({"search_name"})
    __table_args__ = (
        UniqueConstraint("bsn", "gemeente_id", name="one_record_per_gemeente"),
        CheckConstraint("phase BETWEEN 1 AND 4", name="phase_range"),
        CheckConstraint("ladder_rung BETWEEN 1 AND 6", name="ladder_rung_range"),
        CheckConstraint("monthly_benefit >= 0", name="monthly_benefit_not_negative"),
        # The client list by name within the user's gemeenten, and the traject list by client name.
        Index("ix_client_last_name", "last_name", "id", "gemeente_id", "klantmanager_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bsn: Mapped[str] = mapped_column(String(9))
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(120))
    birth_date: Mapped[date | None]
    gemeente_id: Mapped[int] = mapped_column(ForeignKey("gemeente.id"), index=True)
    benefit_type: Mapped[BenefitType] = mapped_column(enum_type(BenefitType))
    monthly_benefit: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    target_group_id: Mapped[int] = mapped_column(ForeignKey("target_group.id"), index=True)
    phase: Mapped[int]
    ladder_rung: Mapped[int]
    klantmanager_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When ``flask retention run`` replaced the personal data (contracts.retention); the figures stay.
    anonymised_at: Mapped[datetime | None]
    # The name as the client search compares it (see app.search): kept, because neither database can fold
    # diacritics by itself; written only by :meth:`_keep_search_name`, whoever sets a name.
    search_name: Mapped[str] = mapped_column(Text, default="", server_default="")

    gemeente: Mapped[Gemeente] = relationship()
    target_group: Mapped[TargetGroup] = relationship()
    klantmanager: Mapped[User | None] = relationship()
    phase_history: Mapped[list[ClientPhaseRecord]] = relationship(
        back_populates="client",
        order_by="(ClientPhaseRecord.valid_from.desc(), ClientPhaseRecord.id.desc())",
        cascade="all, delete-orphan",
    )

    @validates("first_name", "last_name")
    def _keep_search_name(self, key: str, value: str) -> str:
        """Every way a name is set (the form, an import, the demo) passes here, so the search never goes stale."""
        names = {"first_name": self.first_name, "last_name": self.last_name, key: value}
        self.search_name = name_key(names["first_name"], names["last_name"])
        return value

    def assess(self, phase: int, ladder_rung: int, valid_from: date, recorded_by_id: int | None = None) -> bool:
        """Record an assessment; it becomes the current phase and rung unless a later one exists.

        The current values on the client are kept for lists and filters; this is the one place that
        writes them, so they always equal the latest assessment. Returns whether they changed.
        """
        latest = max((r.valid_from for r in self.phase_history), default=None)
        self.phase_history.append(ClientPhaseRecord(phase=phase, ladder_rung=ladder_rung, valid_from=valid_from,
                                                    recorded_by_id=recorded_by_id))
        if latest is not None and valid_from < latest:
            return False
        self.phase, self.ladder_rung = phase, ladder_rung
        return True

    def take_assessments(self, other: Client) -> None:
        """Adopt another record's assessments (a transfer folds two records of one person into one); the
        current phase and rung become those of the latest assessment of the two."""
        own = self.phase_history  # loaded before anything moves, so no flush sees a record without its client
        for record in list(other.phase_history):
            record.client = self  # moves it between the two collections; it is never an orphan
        latest = max(own, key=lambda r: (r.valid_from, r.recorded_at, r.id or 0), default=None)
        if latest is not None:
            self.phase, self.ladder_rung = latest.phase, latest.ladder_rung

    @property
    def masked_bsn(self) -> str:
        return mask_bsn(self.bsn)

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class ClientPhaseRecord(Audited, Base):
    """One assessment of a client's phase (1–4) and participatieladder rung (1–6) from a date on."""

    __tablename__ = "client_phase_record"
    __audit_parent__ = ("client", "client_id")
    __table_args__ = (
        CheckConstraint("phase BETWEEN 1 AND 4", name="phase_range"),
        CheckConstraint("ladder_rung BETWEEN 1 AND 6", name="ladder_rung_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    phase: Mapped[int]
    ladder_rung: Mapped[int]
    valid_from: Mapped[date]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    client: Mapped[Client] = relationship(back_populates="phase_history")
    recorded_by: Mapped[User | None] = relationship()


class ClientTransfer(Audited, Base):
    """A request to hand a client's record over to the gemeente that registered the same person (overdracht).

    Made when a klantmanager registers a BSN that a gemeente they do not work for already holds; only that
    gemeente's klantmanagers see it. The requesting side is never told that it exists, nor how it was decided,
    until the record arrives. It is no part of either record's history page for the same reason; its own audit
    entries say who asked, who decided and when.
    """

    __tablename__ = "client_transfer"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)  # the record asked for
    from_gemeente_id: Mapped[int] = mapped_column(ForeignKey("gemeente.id"), index=True)
    to_gemeente_id: Mapped[int] = mapped_column(ForeignKey("gemeente.id"))
    status: Mapped[TransferStatus] = mapped_column(enum_type(TransferStatus), default=TransferStatus.PENDING,
                                                   index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]

    client: Mapped[Client] = relationship()
    from_gemeente: Mapped[Gemeente] = relationship(foreign_keys=[from_gemeente_id])
    to_gemeente: Mapped[Gemeente] = relationship(foreign_keys=[to_gemeente_id])
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
