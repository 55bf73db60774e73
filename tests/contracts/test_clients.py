"""The rules of a client's recorded facts, without a database or Flask."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.clients import (
    ClientError,
    Registration,
    TransferError,
    TransferStatus,
    check_decision,
    check_handover,
    check_ladder_rung,
    check_monthly_benefit,
    check_past_date,
    check_phase,
    plan_registration,
)

TODAY = date(2026, 12, 3)


def test_a_date_lies_between_1900_and_today():
    check_past_date(TODAY, TODAY, "assessed_on")
    check_past_date(date(1900, 1, 1), TODAY, "birth_date", birth=True)
    with pytest.raises(ClientError, match="geboortedatum kan niet in de toekomst") as refused:
        check_past_date(date(2026, 12, 4), TODAY, "birth_date", birth=True)
    assert refused.value.field == "birth_date"
    with pytest.raises(ClientError, match="kan niet in de toekomst"):
        check_past_date(date(2026, 12, 4), TODAY, "assessed_on")
    with pytest.raises(ClientError, match="te ver in het verleden"):
        check_past_date(date(1899, 12, 31), TODAY, "birth_date", birth=True)


@pytest.mark.parametrize(("amount", "has_benefit", "refused"), [
    ("0.00", False, None), ("0.00", True, None), ("1250.00", True, None), ("100000.00", True, None),
    ("100000.01", True, "te hoog"), ("-0.01", True, "negatief"), ("0.01", False, "Zonder uitkering"),
])
def test_a_monthly_benefit_is_not_negative_not_absurd_and_zero_without_a_benefit(amount, has_benefit, refused):
    if refused is None:
        check_monthly_benefit(Decimal(amount), has_benefit)
    else:
        with pytest.raises(ClientError, match=refused) as error:
            check_monthly_benefit(Decimal(amount), has_benefit)
        assert error.value.field == "monthly_benefit"


def test_phase_runs_from_1_to_4_and_rung_from_1_to_6():
    for phase in (1, 4):
        check_phase(phase)
    for rung in (1, 6):
        check_ladder_rung(rung)
    for phase in (0, 5, None):
        with pytest.raises(ClientError, match="fase van 1 tot en met 4"):
            check_phase(phase)
    for rung in (0, 7, None):
        with pytest.raises(ClientError, match="trede van 1 tot en met 6"):
            check_ladder_rung(rung)


# --- one record per gemeente; transfers -----------------------------------------------------------------------

registrations = st.lists(st.builds(Registration, st.integers(1, 10_000), st.integers(1, 6), st.booleans()),
                         max_size=5)


def _outcome(gemeente_id, existing):
    try:
        return ("asks", plan_registration(gemeente_id, existing))
    except ClientError as refusal:
        return ("refused", refusal.field)


def test_a_bsn_nowhere_is_registered_with_no_request():
    assert plan_registration(1, []) == ()


def test_a_record_the_user_cannot_see_becomes_a_request_and_one_they_can_see_refuses():
    hidden = Registration(7, 3, visible=False)
    assert plan_registration(1, [hidden]) == (hidden,)
    assert _outcome(1, [hidden, Registration(8, 2, visible=True)]) == ("refused", "bsn")
    assert _outcome(1, [Registration(9, 1, visible=True)]) == ("refused", "bsn")


@given(gemeente=st.integers(1, 6), seen=registrations, hidden=registrations)
def test_records_the_user_cannot_see_never_change_whether_the_bsn_is_refused(gemeente, seen, hidden):
    """The oracle the rule closes: refusal depends only on what the user can see."""
    visible = [r for r in seen if r.visible]
    others = [Registration(r.record_id, r.gemeente_id if r.gemeente_id != gemeente else gemeente + 1, False)
              for r in hidden]
    assert _outcome(gemeente, visible)[0] == _outcome(gemeente, [*visible, *others])[0]
    if not visible:
        assert plan_registration(gemeente, others) == tuple(others)


def test_a_request_is_decided_once():
    check_decision(TransferStatus.PENDING)
    for status in (TransferStatus.ACCEPTED, TransferStatus.REFUSED):
        with pytest.raises(TransferError, match="al beslist"):
            check_decision(status)


def test_a_record_with_a_running_traject_or_no_longer_held_is_not_handed_over():
    check_handover(0)
    with pytest.raises(TransferError, match="lopend traject"):
        check_handover(1)
    with pytest.raises(TransferError, match="niet meer in de gemeente"):
        check_handover(0, held=False)
