"""Who is told of what, and how: the one place that writes notifications.

The services that start someone's work call :func:`notify` in their own transaction (a referral, a provider's
reported outcome, an invoice step, a refused line), so a notification exists exactly when its cause was stored.
Recipients are chosen by the rules that decide what they may see and do: a provider's users for their own
provider's records, the client's klantmanager for a traject of their caseload, and for an invoice step the
finance users whom the four-eyes rule lets take it. Each user chooses per kind whether it appears in their inbox
and whether it is mailed; mail goes out after the commit, through the job worker (:func:`send_pending`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_mail import Mail, Message
from sqlalchemy import func, select, update

from app import jobs
from app.auth.permissions import Permission, role_can
from app.db import session, utcnow
from app.models.clients import Client
from app.models.invoicing import Invoice, InvoiceSource
from app.models.notifications import MailState, Notification, NotificationKind, NotificationSetting
from app.models.trajecten import Traject
from app.models.users import Role, User
from app.scoping import invoice_scope, traject_scope
from contracts.messages import N_
from invoicing.status import Step, may_take

log = logging.getLogger(__name__)

KIND_LABELS = {
    NotificationKind.NEW_REFERRAL: N_("Nieuwe verwijzing"),
    NotificationKind.OUTCOME_TO_CONFIRM: N_("Resultaat te bevestigen"),
    NotificationKind.INVOICE_TO_CHECK: N_("Factuur te controleren"),
    NotificationKind.INVOICE_TO_APPROVE: N_("Factuur goed te keuren"),
    NotificationKind.CLAIM_REFUSED: N_("Factuur of factuurregel afgewezen"),
}
# Which role each kind can reach: who may see the record and has work to do on it.
KIND_ROLES = {
    NotificationKind.NEW_REFERRAL: frozenset({Role.PROVIDER}),
    NotificationKind.OUTCOME_TO_CONFIRM: frozenset({Role.KLANTMANAGER}),
    NotificationKind.INVOICE_TO_CHECK: frozenset({Role.FINANCE}),
    NotificationKind.INVOICE_TO_APPROVE: frozenset({Role.FINANCE}),
    NotificationKind.CLAIM_REFUSED: frozenset({Role.PROVIDER}),
}
TRAJECT_KINDS = frozenset({NotificationKind.NEW_REFERRAL, NotificationKind.OUTCOME_TO_CONFIRM})


def kinds_for(role: Role) -> list[NotificationKind]:
    return [kind for kind in NotificationKind if role in KIND_ROLES[kind]]


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


@dataclass(frozen=True)
class Choice:
    in_app: bool
    by_mail: bool


def choices(user: User) -> dict[NotificationKind, Choice]:
    """The user's choice per kind of their role: in the inbox by default, and by mail when they have an address."""
    kept = {s.kind: s for s in session.scalars(select(NotificationSetting).where(
        NotificationSetting.user_id == user.id))}
    out = {}
    for kind in kinds_for(user.role):
        setting = kept.get(kind)
        out[kind] = (Choice(setting.in_app, setting.by_mail) if setting is not None
                     else Choice(True, bool(user.email)))
    return out


def choose(user: User, wanted: dict[NotificationKind, Choice]) -> None:
    for kind in kinds_for(user.role):
        choice = wanted.get(kind, Choice(False, False))
        setting = session.get(NotificationSetting, (user.id, kind))
        if setting is None:
            setting = NotificationSetting(user_id=user.id, kind=kind)
            session.add(setting)
        setting.in_app, setting.by_mail = choice.in_app, choice.by_mail


def _may_see(user: User, kind: NotificationKind, record_id: int) -> bool:
    """Whether ``user`` may open the record: the same role permission and scope as its page."""
    if user.role not in KIND_ROLES[kind] or not user.active:
        return False
    if kind in TRAJECT_KINDS:
        return role_can(user.role, Permission.VIEW_TRAJECTEN) and session.scalar(
            select(func.count()).select_from(Traject).where(Traject.id == record_id, traject_scope(user))) == 1
    return role_can(user.role, Permission.VIEW_INVOICES) and session.scalar(
        select(func.count()).select_from(Invoice).where(Invoice.id == record_id, invoice_scope(user))) == 1


def notify(kind: NotificationKind, record_id: int, reference: str, users: list[User]) -> list[Notification]:
    """Tell ``users`` (those of them who may see the record and want it) of ``kind`` about the record. One
    unread line per user, kind and record: a second cause before it is read adds nothing."""
    made = []
    for user in users:
        if not _may_see(user, kind, record_id):
            continue
        choice = choices(user).get(kind, Choice(False, False))
        mail = choice.by_mail and bool(user.email) and mail_configured()
        if not (choice.in_app or mail):
            continue
        unread = session.scalar(select(Notification.id).where(
            Notification.user_id == user.id, Notification.kind == kind, Notification.record_id == record_id,
            Notification.read_at.is_(None)))
        if unread is not None:
            continue
        note = Notification(user_id=user.id, kind=kind, record_id=record_id, reference=reference,
                            mail_state=MailState.PENDING if mail else MailState.NONE,
                            read_at=None if choice.in_app else utcnow())
        session.add(note)
        made.append(note)
    if any(n.mail_state == MailState.PENDING for n in made):
        jobs.after_commit(jobs.SEND_NOTIFICATIONS)
    return made


# --- the causes -----------------------------------------------------------------------------------


def _users(*conditions) -> list[User]:
    return list(session.scalars(select(User).where(User.active.is_(True), *conditions).order_by(User.id)))


def referred(traject: Traject) -> None:
    session.flush()
    notify(NotificationKind.NEW_REFERRAL, traject.id, traject.reference,
           _users(User.role == Role.PROVIDER, User.provider_id == traject.provider_id))


def outcome_reported(traject: Traject) -> None:
    manager_id = session.scalar(select(Client.klantmanager_id).where(Client.id == traject.client_id))
    if manager_id is not None:
        notify(NotificationKind.OUTCOME_TO_CONFIRM, traject.id, traject.reference,
               _users(User.id == manager_id))


def invoice_moved(invoice: Invoice) -> None:
    """After a step: tell the finance users whom the four-eyes rule lets take the next one."""
    from app.invoicing.services import actor, hands  # the invoicing services call this module

    session.flush()
    for kind, step in ((NotificationKind.INVOICE_TO_CHECK, Step.CHECK),
                       (NotificationKind.INVOICE_TO_APPROVE, Step.APPROVE)):
        takers = [u for u in _users(User.role == Role.FINANCE)
                  if may_take(step, invoice.status, hands(invoice), actor(u), provider_id=invoice.provider_id)
                  is None]
        if takers:
            notify(kind, invoice.id, invoice.number, takers)


def claim_refused(invoice: Invoice) -> None:
    if invoice.source == InvoiceSource.PROVIDER:
        notify(NotificationKind.CLAIM_REFUSED, invoice.id, invoice.number,
               _users(User.role == Role.PROVIDER, User.provider_id == invoice.provider_id))


# --- reading --------------------------------------------------------------------------------------


def unread_count(user: User) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def inbox(user: User):
    return select(Notification).where(Notification.user_id == user.id)


def _endpoint(note: Notification) -> tuple[str, dict]:
    if note.kind in TRAJECT_KINDS:
        return "trajecten.detail", {"traject_id": note.record_id}
    return "invoices.detail", {"invoice_id": note.record_id}


def target(note: Notification) -> str:
    """Where the notification leads: the traject's or the invoice's page."""
    endpoint, args = _endpoint(note)
    return url_for(endpoint, **args)


def mark_read(user: User, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications read (or all of them); how many changed."""
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    return session.execute(stmt.values(read_at=utcnow())).rowcount or 0


# --- mail -----------------------------------------------------------------------------------------


def _message(note: Notification, user: User) -> Message:
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        endpoint, args = _endpoint(note)
        link = url_for(endpoint, **args, _external=True)
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = f"{_(KIND_LABELS[note.kind])}: {note.reference}"
        body = _("%(label)s: %(reference)s.\n\nOpen: %(link)s\n\nJe krijgt dit bericht omdat je het hebt "
                 "gekozen bij je meldingen; je kunt dat daar wijzigen.", label=_(KIND_LABELS[note.kind]),
                 reference=note.reference, link=link)
    return Message(subject=subject, recipients=[user.email], body=body,
                   sender=current_app.config["MAIL_DEFAULT_SENDER"])


def send_pending() -> int:
    """Mail every notification still waiting for it; each is marked sent or failed in its own commit, so that
    a server that refuses one does not hold back the rest and nothing is mailed twice."""
    # Made from the configuration as it is now (Flask-Mail keeps a copy of the settings it was made with).
    mail = Mail().init_app(current_app)
    sent = 0
    pending = session.scalars(select(Notification.id).where(Notification.mail_state == MailState.PENDING)
                              .order_by(Notification.id)).all()
    for note_id in pending:
        note = session.get(Notification, note_id)
        user = session.get(User, note.user_id) if note is not None else None
        if note is None or user is None or note.mail_state != MailState.PENDING:
            continue
        try:
            mail.send(_message(note, user))
            note.mail_state = MailState.SENT
            sent += 1
        except (OSError, ValueError) as error:  # smtplib's errors are OSErrors
            log.warning("notification %s not mailed: %s", note.id, type(error).__name__)
            note.mail_state = MailState.FAILED
        session.commit()
    return sent
