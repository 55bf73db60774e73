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
    # The two-factor secret and the session generation are credentials: never in the trail (its own entries
    # say when two-factor was set up or reset, and the password entries when sessions were ended).
    __audit_ignored__ = frozenset({"password_hash", "failed_logins", "locked_until", "last_login_at",
                                   "session_generation", "totp_secret", "totp_last_step"})

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
    # Part of every session's identity (see get_id): raising it ends every session and remember-me cookie.
    session_generation: Mapped[int] = mapped_column(default=0)
    # Set when an administrator chose the password: the user picks their own before doing anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # Base32 TOTP secret (RFC 6238) once two-factor is set up; the time step of the last code used, so that a
    # code is accepted once.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None]

    provider: Mapped[Provider | None] = relationship()
    gemeenten: Mapped[list[Gemeente]] = relationship(secondary=user_gemeente, order_by="Gemeente.name")
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(cascade="all, delete-orphan",
                                                              back_populates="user")

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
        """The id and the session generation: a session (or remember-me cookie) of an older generation no longer
        loads its user (``app.auth.login.load_user``)."""
        return f"{self.id}:{self.session_generation}"

    @property
    def totp_enrolled(self) -> bool:
        return self.totp_secret is not None

    def __str__(self) -> str:
        return self.full_name


class RecoveryCode(Base):
    """A single-use code that stands in for a two-factor code when the phone is lost; only its SHA-256 is kept
    (the codes are long random strings, so a fast hash is enough)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="recovery_codes")
