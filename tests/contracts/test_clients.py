"""The rules of a client's recorded facts, without a database or Flask."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from contracts.clients import ClientError, check_ladder_rung, check_monthly_benefit, check_past_date, check_phase

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
