"""Notifications: the events that start someone's work reach those who may see the record and do that work, in
their inbox and, by their choice, by mail through a real SMTP conversation with a local server."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app import clock
from app.models import MailState, Notification, NotificationKind, Traject
from tests.test_invoices import step
from tests.test_trajecten import PLACEMENT, post_event, refer, text


class Inbox:
    """An SMTP handler that keeps what it was sent."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, PUBLIC_URL="https://inkoop.example.nl")
    yield inbox
    controller.stop()


def notes(db, user, kind=None) -> list[Notification]:
    db.expire_all()
    stmt = select(Notification).where(Notification.user_id == user.id)
    if kind is not None:
        stmt = stmt.where(Notification.kind == kind)
    return list(db.scalars(stmt.order_by(Notification.id)))


def new_traject(as_role, db, world) -> Traject:
    day = clock.today() - timedelta(days=10)
    assert refer(as_role("klantmanager"), world.clients[1], world.contract, day).status_code == 302
    db.expire_all()
    return db.scalars(select(Traject).where(Traject.client_id == world.clients[1].id)).one()


def test_a_referral_reaches_the_providers_users_and_opens_the_traject(as_role, db, world):
    traject = new_traject(as_role, db, world)
    provider = world.users["provider"]
    [note] = notes(db, provider, NotificationKind.NEW_REFERRAL)
    assert note.record_id == traject.id and note.reference == traject.reference and note.read_at is None
    # No one else was told: not the klantmanager who referred, not finance.
    assert not notes(db, world.users["klantmanager"]) and not notes(db, world.users["finance"])
    c = as_role("provider")
    home = text(c.get("/"))
    assert "Meldingen" in home and "1<span class=\"visually-hidden\"> ongelezen" in home
    inbox = text(c.get("/meldingen/"))
    assert traject.reference in inbox and "Nieuwe verwijzing" in inbox and world.clients[1].bsn not in inbox
    r = c.post(f"/meldingen/{note.id}/openen")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/trajecten/{traject.id}")
    assert notes(db, provider)[0].read_at is not None
    # Someone else's notification is not found, whoever asks.
    assert as_role("klantmanager").post(f"/meldingen/{note.id}/openen").status_code == 404


def test_a_reported_outcome_reaches_the_clients_klantmanager_only(as_role, db, world):
    traject = new_traject(as_role, db, world)
    p = as_role("provider")
    today = clock.today()
    assert post_event(p, traject, "accepted", today - timedelta(days=3)).status_code == 302
    assert post_event(p, traject, "started", today - timedelta(days=2)).status_code == 302
    assert not notes(db, world.users["klantmanager"], NotificationKind.OUTCOME_TO_CONFIRM)
    assert post_event(p, traject, "placement", today, **PLACEMENT).status_code == 302
    [note] = notes(db, world.users["klantmanager"], NotificationKind.OUTCOME_TO_CONFIRM)
    assert note.record_id == traject.id
    assert not notes(db, world.users["klantmanager_c"])  # another gemeente's klantmanager


def test_invoice_steps_reach_those_the_four_eyes_rule_lets_take_the_next(as_role, db, world):
    invoice = world.invoice  # drafted by finance
    finance, finance2, finance3 = (world.users[n] for n in ("finance", "finance2", "finance3"))
    assert step(as_role("provider"), invoice, "submit").status_code == 302
    to_check = {n.user_id for u in (finance, finance2, finance3)
                for n in notes(db, u, NotificationKind.INVOICE_TO_CHECK)}
    assert to_check == {finance2.id, finance3.id}  # not the one who made it
    assert step(as_role("finance2"), invoice, "check").status_code == 302
    to_approve = {n.user_id for u in (finance, finance2, finance3)
                  for n in notes(db, u, NotificationKind.INVOICE_TO_APPROVE)}
    assert to_approve == {finance3.id}  # not its maker, not its checker
    assert not notes(db, world.users["management"]) and not notes(db, world.users["provider"])


def test_a_refused_claim_reaches_the_provider_of_a_providers_own_invoice(as_role, db, world):
    from app.models import Invoice, InvoiceSource

    invoice = world.invoice
    db.get(Invoice, invoice.id).source = InvoiceSource.PROVIDER
    db.commit()
    assert step(as_role("provider"), invoice, "submit").status_code == 302
    assert step(as_role("finance2"), invoice, "reject", note="niet onderbouwd").status_code == 302
    [note] = notes(db, world.users["provider"], NotificationKind.CLAIM_REFUSED)
    assert note.reference == invoice.number


def test_the_mail_goes_through_smtp_and_names_no_client(as_role, db, world, smtp):
    traject = new_traject(as_role, db, world)
    [note] = notes(db, world.users["provider"])
    assert note.mail_state == MailState.SENT
    [(recipients, mail)] = smtp.messages
    assert recipients == ["p@x.nl"]
    body = mail.get_payload(decode=True).decode()
    assert traject.reference in mail["Subject"] and f"https://inkoop.example.nl/trajecten/{traject.id}" in body
    client = world.clients[1]
    for secret in (client.bsn, client.first_name, client.last_name):
        assert secret not in body and secret not in mail["Subject"]


def test_a_server_that_refuses_loses_no_notification_and_no_referral(as_role, db, world, app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())  # nothing listens there
    traject = new_traject(as_role, db, world)
    [note] = notes(db, world.users["provider"])
    assert note.mail_state == MailState.FAILED and note.record_id == traject.id


def test_each_user_chooses_what_reaches_them(as_role, db, world, smtp):
    c = as_role("provider")
    page = text(c.get("/meldingen/instellingen"))
    assert "Nieuwe verwijzing" in page and "Factuur te controleren" not in page  # only its role's kinds
    # Mail only for new referrals; nothing at all for refused claims.
    r = c.post("/meldingen/instellingen", data={"new_referral__by_mail": "y"})
    assert r.status_code == 302
    new_traject(as_role, db, world)
    [note] = notes(db, world.users["provider"])
    assert note.read_at is not None and note.mail_state == MailState.SENT  # mailed, not waiting in the inbox
    assert len(smtp.messages) == 1
    assert "checked" not in text(c.get("/meldingen/instellingen")).split('id="new_referral__in_app"')[1][:40]


def test_no_one_is_told_of_what_they_may_not_see(as_role, db, world):
    from app.models import User

    provider = world.users["provider"]
    db.get(User, provider.id).active = False
    db.commit()
    new_traject(as_role, db, world)
    assert not notes(db, provider)
