"""Checking a log-in (password, then a two-factor code) and keeping count of failures; no commit.

A log-in is two transactions, both committed by the view. First an attempt *claims its turn*: one UPDATE counts
it as a failure up front (and locks the account if it reaches the limit), following
:func:`contracts.accounts.claim_attempt`; a locked account is refused before its password is looked at. That
claim is committed before the slow password check, so a burst of parallel guesses sees each other's counts and no
more than ``max_failures`` passwords are ever checked per lock. Then the check settles the attempt: a success takes
the count and the lock away, a failure leaves them, and the failure that locked the account writes the one audit
entry of that lock-out. An attempt that finds the account locked waits a few seconds for the attempts in flight
to settle before it is refused (:func:`claim_password_turn`), so that parallel log-ins with the right password
all get in. Two-factor codes go through the same turn, so failed codes count toward the lock-out.

Unknown usernames take as long as wrong passwords and get the same answer, so the page reveals no accounts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from time import monotonic, sleep
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, case, func, or_, select, update

from app import audit
from app.auth import totp
from app.auth.passwords import burn_time_for_unknown_user, hash_password, needs_rehash, verify_password
from app.db import reading_first, session, utcnow
from app.models.users import RecoveryCode, User
from contracts.messages import N_, DomainError, Message

WRONG_CREDENTIALS = N_("Gebruikersnaam of wachtwoord klopt niet.")
LOCKED = N_("Dit account is tijdelijk geblokkeerd na te veel mislukte pogingen. Probeer het later opnieuw.")


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int
    lock_minutes: int
    # How long an attempt that finds its account locked waits for the attempts in flight to settle (see
    # :func:`claim_password_turn`).
    settle_seconds: float = 0.0

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> LoginPolicy:
        return cls(config["LOGIN_MAX_FAILURES"], config["LOGIN_LOCK_MINUTES"], config["LOGIN_SETTLE_SECONDS"])


@dataclass(frozen=True)
class Turn:
    """An attempt that may be checked: whose, and whether it is the one that locked the account."""

    user_id: int
    locking: bool
    password_hash: str
    active: bool


@dataclass(frozen=True)
class LoginResult:
    user: User | None = None
    refusal: str | None = None
    needs_code: bool = False


def claim_turn(where: ColumnElement[bool], policy: LoginPolicy) -> Turn | None:
    """Count an attempt on the account ``where`` selects, in one statement (the rule of
    :func:`contracts.accounts.claim_attempt` in SQL); None when there is no such account or it is locked."""
    now = utcnow()
    counted = case((User.locked_until.is_(None), User.failed_logins + 1), else_=1)
    lock_until = now + timedelta(minutes=policy.lock_minutes)
    statement = (
        update(User)
        .where(where, or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_logins=counted, locked_until=case((counted >= policy.max_failures, lock_until), else_=None))
        .returning(User.id, User.locked_until, User.password_hash, User.active)
        .execution_options(synchronize_session=False)
    )
    row = session.execute(statement).first()
    if row is None:
        return None
    return Turn(row.id, row.locked_until is not None, row.password_hash, row.active)


def _by_username(username: str) -> ColumnElement[bool]:
    return func.lower(User.username) == username.strip().lower()


def claim_password_turn(username: str, policy: LoginPolicy) -> Turn | None:
    """Claim a turn for a password; an existing account found locked is asked again for a few seconds.

    A lock taken by counting up front may be one that attempts still in flight undo: six people (or one script)
    logging in to one account at once with the right password reach the limit before the first check settles,
    and a success takes the lock away. Waiting briefly lets such a burst all get in, while a lock that failed
    checks made stays and is answered after the wait. Unknown usernames are not waited for (they are never
    locked), so the wait reveals no more than the lock-out message does.
    """
    deadline = monotonic() + policy.settle_seconds
    while True:
        turn = claim_turn(_by_username(username), policy)
        if turn is not None or monotonic() >= deadline:
            return turn
        if session.scalar(select(User.id).where(_by_username(username))) is None:
            return None
        session.rollback()  # holds no lock while waiting; the next claim reads what settled meanwhile
        sleep(0.05)


def _failed(turn: Turn, policy: LoginPolicy) -> None:
    if turn.locking:
        audit.record(session, "lockout", "user_account", turn.user_id, {"minutes": policy.lock_minutes})


def _succeeded(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()


def check_password(username: str, turn: Turn | None, password: str, policy: LoginPolicy) -> LoginResult:
    """Settle a password attempt; a user with two-factor still owes a code (:func:`check_code`), and until then
    this attempt's count is taken back but the earlier failures stay, so that guessing codes runs into the lock."""
    if turn is None:
        with reading_first():  # an unknown user's slow dummy check holds no write lock
            known = session.scalar(select(User.id).where(_by_username(username))) is not None
        if known:
            return LoginResult(refusal=_(LOCKED))
        burn_time_for_unknown_user(password)
        return LoginResult(refusal=_(WRONG_CREDENTIALS))
    # The hash came back with the claimed turn, so it is checked before this transaction touches the database:
    # no write lock is held during the slow part.
    if not verify_password(turn.password_hash, password) or not turn.active:
        _failed(turn, policy)
        return LoginResult(refusal=_(WRONG_CREDENTIALS))
    user = session.get(User, turn.user_id)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if user.totp_enrolled:
        values: dict[str, Any] = {"failed_logins": case((User.failed_logins > 0, User.failed_logins - 1), else_=0)}
        if turn.locking:
            values["locked_until"] = None
        session.execute(update(User).where(User.id == user.id).values(**values)
                        .execution_options(synchronize_session=False))
        return LoginResult(user=user, needs_code=True)
    _succeeded(user)
    return LoginResult(user=user)


def claim_code_turn(user_id: int, policy: LoginPolicy) -> Turn | None:
    return claim_turn(User.id == user_id, policy)


def check_code(turn: Turn | None, code: str, policy: LoginPolicy) -> LoginResult:
    """Settle a two-factor attempt: a current TOTP code not used before, or an unused recovery code."""
    if turn is None:
        return LoginResult(refusal=_(LOCKED))
    user = session.get(User, turn.user_id)
    if user is None or not user.active or not user.totp_enrolled or not _code_accepted(user, code):
        _failed(turn, policy)
        return LoginResult(refusal=_("Deze code klopt niet of is al gebruikt."))
    _succeeded(user)
    return LoginResult(user=user)


def _code_accepted(user: User, code: str) -> bool:
    """Mark the code used in the same statement that checks it was not, so that two requests carrying one
    code cannot both get in."""
    step = totp.matching_step(user.totp_secret, code, user.totp_last_step)
    if step is not None:
        used = session.execute(
            update(User)
            .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        )
        return used.rowcount == 1
    used = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == totp.recovery_hash(code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if used.rowcount == 1:
        audit.record(session, "recovery_code_used", "user_account", user.id, {})
        return True
    return False


def end_sessions(user: User) -> None:
    """Every session and remember-me cookie of ``user`` stops loading (see ``User.get_id``)."""
    user.session_generation = (user.session_generation or 0) + 1


class PasswordChangeError(DomainError):
    code = "password_change_refused"


def change_own_password(user: User, current: str, new: str) -> User:
    """A user's own new password: the current one must be right, and every other session ends."""
    if not verify_password(user.password_hash, current):
        raise PasswordChangeError(Message(N_("Je huidige wachtwoord klopt niet.")), "current")
    if verify_password(user.password_hash, new):
        raise PasswordChangeError(Message(N_("Kies een ander wachtwoord dan je huidige.")), "new")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    end_sessions(user)
    audit.record(session, "password_changed", "user_account", user.id, {})
    return user


def enrol_totp(user: User, secret: str, code: str) -> list[str] | None:
    """Two-factor set up with ``secret`` once the user proves their app shows its codes; returns the recovery
    codes to show once (only their hashes are kept), or None when the code is wrong."""
    step = totp.matching_step(secret, code, None)
    if step is None:
        return None
    codes = totp.new_recovery_codes()
    user.totp_secret = secret
    user.totp_last_step = step
    user.recovery_codes = [RecoveryCode(code_hash=totp.recovery_hash(c)) for c in codes]
    audit.record(session, "totp_enrolled", "user_account", user.id, {})
    return codes


def reset_totp(user: User) -> User:
    """An administrator's reset for a lost phone: the user sets two-factor up again at the next log-in."""
    user.totp_secret = None
    user.totp_last_step = None
    user.recovery_codes = []
    end_sessions(user)
    audit.record(session, "totp_reset", "user_account", user.id, {})
    return user


def unused_recovery_codes(user: User) -> int:
    return sum(1 for c in user.recovery_codes if c.used_at is None)
