"""Accounts. A user has exactly one role; klantmanagers are tied to gemeenten, provider users to a provider."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.db import Base, enum_type, utcnow
from app.models.audit import Audited
from contracts.accounts import check_username

if TYPE_CHECKING:
    from app.models.registers import Gemeente, Provider


class Role(enum.StrEnum):
    ADMIN = "admin"
    INKOPER = "inkoper"
    KLANTMANAGER = "klantmanager"
    FINANCE = "finance"
    MANAGEMENT = "management"
    PROVIDER = "provider"


user_gemeente = Table(
    "user_gemeente",
    Base.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("gemeente_id", ForeignKey("gemeente.id", ondelete="CASCADE"), primary_key=True),
)


class User(Audited, Base):
    __tablename__ = "user_account"
    __audit_ignored__ = frozenset({"password_hash", "failed_logins", "locked_until", "last_login_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(enum_type(Role))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"), index=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    provider: Mapped[Provider | None] = relationship()
    gemeenten: Mapped[list[Gemeente]] = relationship(secondary=user_gemeente, order_by="Gemeente.name")

    @validates("username")
    def _not_the_system(self, _key: str, value: str) -> str:
        """Every way an account is named (the admin form, a CLI, single sign-on) passes here."""
        check_username(value)
        return value

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def __str__(self) -> str:
        return self.full_name
