"""The core registers of the inkoper: gemeenten, their executing bodies, and providers."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, enum_type
from app.models.audit import Audited
from contracts.contracting import ProviderStatus

EXPIRY_WARNING_DAYS = 90


class ExecutingBody(Audited, Base):
    """A shared executing body (e.g. a gemeenschappelijke regeling running one social service)."""

    __tablename__ = "executing_body"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")

    gemeenten: Mapped[list[Gemeente]] = relationship(back_populates="executing_body", order_by="Gemeente.name")

    def __str__(self) -> str:
        return self.name


class Gemeente(Audited, Base):
    __tablename__ = "gemeente"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    cbs_code: Mapped[str] = mapped_column(String(6), unique=True)
    executing_body_id: Mapped[int | None] = mapped_column(ForeignKey("executing_body.id"), index=True)
    # Invoice addressee details that e-invoices need (organisatie-identificatienummer and postal address).
    oin: Mapped[str] = mapped_column(String(20), default="")
    street: Mapped[str] = mapped_column(String(120), default="")
    postcode: Mapped[str] = mapped_column(String(7), default="")
    city: Mapped[str] = mapped_column(String(80), default="")

    executing_body: Mapped[ExecutingBody | None] = relationship(back_populates="gemeenten")

    def __str__(self) -> str:
        return self.name


class Provider(Audited, Base):
    __tablename__ = "provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    kvk_number: Mapped[str] = mapped_column(String(8), unique=True)
    vat_number: Mapped[str] = mapped_column(String(14))
    iban: Mapped[str] = mapped_column(String(34))
    street: Mapped[str] = mapped_column(String(120), default="")
    house_number: Mapped[str] = mapped_column(String(20), default="")
    postcode: Mapped[str] = mapped_column(String(7), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[ProviderStatus] = mapped_column(enum_type(ProviderStatus), default=ProviderStatus.ACTIVE)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    status_since: Mapped[date | None]

    contacts: Mapped[list[ProviderContact]] = relationship(
        back_populates="provider", cascade="all, delete-orphan", order_by="ProviderContact.name"
    )
    quality_marks: Mapped[list[QualityMark]] = relationship(
        back_populates="provider", cascade="all, delete-orphan", order_by="QualityMark.valid_until"
    )

    def __str__(self) -> str:
        return self.name

    def expired_marks(self, today: date) -> list[QualityMark]:
        return [m for m in self.quality_marks if m.is_expired(today)]


class ProviderContact(Audited, Base):
    __tablename__ = "provider_contact"
    __audit_parent__ = ("provider", "provider_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    function: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")

    provider: Mapped[Provider] = relationship(back_populates="contacts")


class QualityMark(Audited, Base):
    """A quality mark (keurmerk) or certificate; contracts may require one that has not expired."""

    __tablename__ = "quality_mark"
    __audit_parent__ = ("provider", "provider_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    certificate_number: Mapped[str] = mapped_column(String(60), default="")
    valid_until: Mapped[date]

    provider: Mapped[Provider] = relationship(back_populates="quality_marks")

    def is_expired(self, today: date) -> bool:
        return self.valid_until < today

    def expires_soon(self, today: date) -> bool:
        """Still valid, but within the warning period: time to ask the provider for the renewal."""
        return not self.is_expired(today) and self.valid_until <= today + timedelta(days=EXPIRY_WARNING_DAYS)
