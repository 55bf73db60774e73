"""Who a user account may be: the rules that tie a role to gemeenten or to a provider, that keep an
administrator from locking everyone out, and when repeated failed log-ins lock an account. Pure; the admin
form, its service, the log-in and the user pages all ask here.

Role names are the values of ``app.models.users.Role`` (a test holds them equal).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.messages import N_, DomainError, Message

ADMIN = "admin"
KLANTMANAGER = "klantmanager"
PROVIDER = "provider"

# Who the audit trail names for what the system does itself (CLI commands, retention, imports in the
# background); no account may carry the name, or its actions would pass for the system's.
SYSTEM_ACTOR = "systeem"


class AccountError(DomainError):
    code = "account_invalid"


def check_gemeenten(role: str, gemeenten: int) -> None:
    """A klantmanager works for at least one gemeente (that is what scopes the clients they see)."""
    if role == KLANTMANAGER and gemeenten == 0:
        raise AccountError(Message(N_("Een klantmanager werkt voor minstens één gemeente.")), "gemeenten")


def check_provider(role: str, has_provider: bool) -> None:
    """A provider's user belongs to exactly one provider; no other user belongs to one."""
    if role == PROVIDER and not has_provider:
        raise AccountError(Message(N_("Een gebruiker van een aanbieder hoort bij precies één aanbieder.")),
                           "provider_id")
    if role != PROVIDER and has_provider:
        raise AccountError(Message(N_("Alleen gebruikers met de rol aanbieder horen bij een aanbieder.")),
                           "provider_id")


def check_username(username: str) -> None:
    """Refuse the system's name in any spelling: case, spaces anywhere, or look-alike (full-width) letters."""
    folded = "".join(unicodedata.normalize("NFKC", username).casefold().split())
    if folded == SYSTEM_ACTOR:
        raise AccountError(Message(N_("De naam %(name)s is gereserveerd voor acties van het systeem zelf."),
                                   name=SYSTEM_ACTOR), "username")


def check_own_account(role: str, active: bool) -> None:
    """An administrator editing their own account keeps the role and stays active, so someone can still manage."""
    if role != ADMIN or not active:
        raise AccountError(Message(N_("Je kunt je eigen beheerdersrol niet intrekken of jezelf blokkeren.")), "role")


@dataclass(frozen=True)
class Lockout:
    """What a failed log-in leaves on the account: the failures counted so far, and a lock if they reached the
    limit (the count then starts again, so that the next lock needs as many failures)."""

    failures: int
    locked_until: datetime | None


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and locked_until > now


def after_failed_login(failures: int, max_failures: int, lock_minutes: int, now: datetime) -> Lockout:
    counted = failures + 1
    if counted >= max_failures:
        return Lockout(0, now + timedelta(minutes=lock_minutes))
    return Lockout(counted, None)
