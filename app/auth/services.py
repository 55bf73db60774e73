"""Checking a log-in and keeping count of failures; no commit (the unit of work commits).

A failed attempt changes data too (the failure count, perhaps a lock-out and its audit entry), so a refused
log-in is not a rolled-back action: :func:`log_in` returns the refusal as its result, and the view commits both.
Unknown usernames take as long as wrong passwords and get the same answer, so the page reveals no accounts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app import audit
from app.auth.passwords import burn_time_for_unknown_user, hash_password, needs_rehash, verify_password
from app.db import reading_first, session, utcnow
from app.models.users import User
from contracts.accounts import after_failed_login, is_locked


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int
    lock_minutes: int

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> LoginPolicy:
        return cls(config["LOGIN_MAX_FAILURES"], config["LOGIN_LOCK_MINUTES"])


@dataclass(frozen=True)
class LoginResult:
    user: User | None = None
    refusal: str | None = None


def _failed(user: User, policy: LoginPolicy) -> None:
    lockout = after_failed_login(user.failed_logins, policy.max_failures, policy.lock_minutes, utcnow())
    user.failed_logins = lockout.failures
    if lockout.locked_until is not None:
        user.locked_until = lockout.locked_until
        audit.record(session, "lockout", "user_account", user.id, {"minutes": policy.lock_minutes})


def log_in(username: str, password: str, policy: LoginPolicy) -> LoginResult:
    with reading_first():  # the password hash is checked without holding the write lock of the failure count
        user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
        if user is not None and is_locked(user.locked_until, utcnow()):
            return LoginResult(refusal=_("Dit account is tijdelijk geblokkeerd na te veel mislukte pogingen. "
                                         "Probeer het later opnieuw."))
        if user is None:
            burn_time_for_unknown_user(password)
            return LoginResult(refusal=_("Gebruikersnaam of wachtwoord klopt niet."))
        verified = verify_password(user.password_hash, password) and user.active
        new_hash = hash_password(password) if verified and needs_rehash(user.password_hash) else None
    if not verified:
        _failed(user, policy)
        return LoginResult(refusal=_("Gebruikersnaam of wachtwoord klopt niet."))
    if new_hash is not None:
        user.password_hash = new_hash
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    return LoginResult(user=user)
