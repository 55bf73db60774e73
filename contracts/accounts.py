"""Who a user account may be: the rules that tie a role to gemeenten or to a provider, that keep an
administrator from locking everyone out, when repeated failed log-ins lock an account and when a session
ends. Pure; the admin form, its service, the log-in and the user pages all ask here.

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
    """The account's failure count and lock while an attempt is being checked."""

    failures: int
    locked_until: datetime | None


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and locked_until > now


def claim_attempt(failures: int, locked_until: datetime | None, now: datetime, max_failures: int,
                  lock_minutes: int) -> Lockout | None:
    """What an account looks like once a log-in attempt has claimed its turn, before the password is checked;
    None when it is locked and the attempt is refused unchecked.

    Every attempt counts as a failure up front and the attempt that reaches the limit locks the account at once,
    so that a burst of parallel guesses gets no more than ``max_failures`` passwords checked: a success undoes
    the count and the lock. After a lock has run out, counting starts again.
    """
    if is_locked(locked_until, now):
        return None
    counted = failures + 1 if locked_until is None else 1
    if counted >= max_failures:
        return Lockout(counted, now + timedelta(minutes=lock_minutes))
    return Lockout(counted, None)


def session_expired(logged_in_at: float, last_seen_at: float, now: float, idle_seconds: int,
                    absolute_seconds: int) -> bool:
    """A session ends after ``idle_seconds`` without a request, and ``absolute_seconds`` after the log-in
    whatever happens in between (moments in seconds since the epoch)."""
    return now - last_seen_at > idle_seconds or now - logged_in_at > absolute_seconds
