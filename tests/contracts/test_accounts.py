"""Who an account may be, without a database or Flask."""

from __future__ import annotations

import pytest

from contracts.accounts import (
    ADMIN,
    KLANTMANAGER,
    PROVIDER,
    AccountError,
    check_gemeenten,
    check_own_account,
    check_provider,
    check_username,
)


def test_a_klantmanager_works_for_at_least_one_gemeente():
    check_gemeenten(KLANTMANAGER, 1)
    check_gemeenten("inkoper", 0)
    with pytest.raises(AccountError, match="minstens één gemeente") as refused:
        check_gemeenten(KLANTMANAGER, 0)
    assert refused.value.field == "gemeenten"


def test_only_and_every_provider_user_belongs_to_a_provider():
    check_provider(PROVIDER, True)
    check_provider(ADMIN, False)
    with pytest.raises(AccountError, match="precies één aanbieder"):
        check_provider(PROVIDER, False)
    with pytest.raises(AccountError, match="Alleen gebruikers met de rol aanbieder"):
        check_provider(KLANTMANAGER, True)


def test_an_administrator_keeps_their_own_role_and_stays_active():
    check_own_account(ADMIN, True)
    for role, active in ((ADMIN, False), (KLANTMANAGER, True)):
        with pytest.raises(AccountError, match="eigen beheerdersrol") as refused:
            check_own_account(role, active)
        assert refused.value.field == "role"


def test_the_attempt_that_reaches_the_limit_locks_before_its_password_is_checked():
    from datetime import datetime, timedelta

    from contracts.accounts import claim_attempt, is_locked

    now = datetime(2026, 12, 3, 14, 0)
    assert claim_attempt(0, None, now, 5, 15).failures == 1
    assert claim_attempt(3, None, now, 5, 15).locked_until is None
    fifth = claim_attempt(4, None, now, 5, 15)
    assert (fifth.failures, fifth.locked_until) == (5, datetime(2026, 12, 3, 14, 15))
    assert claim_attempt(5, fifth.locked_until, now + timedelta(minutes=14, seconds=59), 5, 15) is None
    assert is_locked(fifth.locked_until, now + timedelta(minutes=14, seconds=59))
    assert not is_locked(fifth.locked_until, now + timedelta(minutes=15))
    assert not is_locked(None, now)
    after = claim_attempt(5, fifth.locked_until, now + timedelta(minutes=15), 5, 15)
    assert (after.failures, after.locked_until) == (1, None), "after the lock the count starts again"


def test_a_session_ends_when_idle_too_long_or_too_old():
    from contracts.accounts import session_expired

    assert not session_expired(0, 0, 1800, 1800, 8 * 3600)
    assert session_expired(0, 0, 1801, 1800, 8 * 3600)
    assert not session_expired(0, 8 * 3600 - 60, 8 * 3600, 1800, 8 * 3600)
    assert session_expired(0, 8 * 3600, 8 * 3600 + 1, 1800, 8 * 3600)


@pytest.mark.parametrize("name", ["systeem", "Systeem", " SYSTEEM ", "sys teem", "ｓｙｓｔｅｅｍ", "SYSTEEM\t"])
def test_the_systems_name_is_reserved_in_any_spelling(name):
    with pytest.raises(AccountError) as refused:
        check_username(name)
    assert refused.value.field == "username"


@pytest.mark.parametrize("name", ["systeembeheer", "admin", "systemen"])
def test_names_that_only_resemble_it_are_free(name):
    check_username(name)
