"""Notifications: a line in a user's inbox (and an e-mail, where the user wants one and a server is set up) for the
events that start someone's work. Written only by :mod:`app.notifications.services`."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, enum_type, utcnow


class NotificationKind(enum.StrEnum):
    NEW_REFERRAL = "new_referral"  # to the provider's users: answer it
    OUTCOME_TO_CONFIRM = "outcome_to_confirm"  # to the client's klantmanager: confirm it against evidence
    INVOICE_TO_CHECK = "invoice_to_check"  # to finance, those the four-eyes rule lets check it
    INVOICE_TO_APPROVE = "invoice_to_approve"  # to finance, those the four-eyes rule lets approve it
    CLAIM_REFUSED = "claim_refused"  # to the provider's users: their invoice, or a line of it, was refused


class MailState(enum.StrEnum):
    NONE = "none"  # not to be mailed
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_inbox", "user_id", "read_at", "created_at"),
                      Index("ix_notification_mail", "mail_state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(enum_type(NotificationKind))
    # The traject or invoice it is about, and its reference as people know it (T000123, an invoice number):
    # never a client's name or BSN, which an inbox line or an e-mail must not carry.
    record_id: Mapped[int]
    reference: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    mail_state: Mapped[MailState] = mapped_column(enum_type(MailState), default=MailState.NONE)


class NotificationSetting(Base):
    """A user's choice for one kind; without a row the defaults of app.notifications.services apply."""

    __tablename__ = "notification_setting"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[NotificationKind] = mapped_column(enum_type(NotificationKind), primary_key=True)
    in_app: Mapped[bool] = mapped_column(default=True)
    by_mail: Mapped[bool] = mapped_column(default=True)
