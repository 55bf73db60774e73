"""Rules the invoice pages show, written once in :mod:`invoicing`: which steps a user may take, when an invoice
is overdue, which entitlements were left uninvoiced for too long, and how a joint contract's invoice is split.

Worked examples are computed by hand; no database, no app.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from invoicing.status import (
    BUTTON_STEPS,
    Actor,
    Hands,
    InvoiceStatus,
    Step,
    days_overdue,
    is_overdue,
    may_take,
    open_steps,
)

S = InvoiceStatus
E = Decimal

# --- overdue --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "days"), [
    (S.DRAFT, 0), (S.SUBMITTED, 12), (S.CHECKED, 12), (S.APPROVED, 12), (S.EXPORTED, 12), (S.PAID, 0),
    (S.REJECTED, 0)])
def test_an_invoice_waiting_for_money_past_its_due_date_is_overdue_by_the_days_since(status, days):
    # due 1 November, today 13 November: 13 - 1 = 12 days late, unless nobody owes anything yet (draft)
    # or any longer (paid, rejected).
    assert days_overdue(status, date(2026, 11, 1), date(2026, 11, 13)) == days
    assert is_overdue(status, date(2026, 11, 1), date(2026, 11, 13)) is (days > 0)


def test_on_its_due_date_an_invoice_is_not_late_yet():
    assert days_overdue(S.SUBMITTED, date(2026, 11, 1), date(2026, 11, 1)) == 0
    assert days_overdue(S.SUBMITTED, date(2026, 11, 1), date(2026, 11, 2)) == 1


# --- who may take which step ----------------------------------------------------------------------

MAKER, SUBMITTER, CHECKER, APPROVER, OTHER = 1, 2, 3, 4, 5
FINANCE = {uid: Actor(uid, submits=True, processes=True) for uid in (MAKER, SUBMITTER, CHECKER, APPROVER, OTHER)}
PROVIDER_USER = Actor(9, submits=True, processes=False, provider_id=70)
VIEWER = Actor(8, submits=False, processes=False)


def test_the_maker_and_the_checker_are_offered_no_approval_but_someone_else_is():
    hands = Hands(created_by=MAKER, submitted_by=SUBMITTER, checked_by=CHECKER)
    offered = {uid: open_steps(BUTTON_STEPS, S.CHECKED, hands, actor, provider_id=70)
               for uid, actor in FINANCE.items()}
    assert offered == {MAKER: [Step.REJECT], SUBMITTER: [Step.REJECT], CHECKER: [Step.REJECT],
                       APPROVER: [Step.APPROVE, Step.REJECT], OTHER: [Step.APPROVE, Step.REJECT]}


def test_a_provider_user_only_submits_its_own_invoice_and_a_viewer_takes_no_step():
    hands = Hands(created_by=MAKER)
    assert open_steps(BUTTON_STEPS, S.DRAFT, hands, PROVIDER_USER, provider_id=70) == [Step.SUBMIT]
    assert open_steps(BUTTON_STEPS, S.DRAFT, hands, PROVIDER_USER, provider_id=71) == []
    assert open_steps(BUTTON_STEPS, S.SUBMITTED, hands, PROVIDER_USER, provider_id=70) == []
    assert open_steps(BUTTON_STEPS, S.DRAFT, hands, VIEWER, provider_id=70) == []


def test_checking_waits_for_a_decision_on_every_differing_line():
    hands = Hands(created_by=MAKER, submitted_by=SUBMITTER)
    assert may_take(Step.CHECK, S.SUBMITTED, hands, FINANCE[CHECKER], provider_id=70, undecided=2) is not None
    assert may_take(Step.CHECK, S.SUBMITTED, hands, FINANCE[CHECKER], provider_id=70) is None
    assert Step.CHECK not in open_steps(BUTTON_STEPS, S.SUBMITTED, hands, FINANCE[CHECKER], provider_id=70,
                                        undecided=1)


# --- rule labels ----------------------------------------------------------------------------------


def _model(label: str | None):
    from contracts.model import PaymentModel

    rule = {"id": "placement_fee", "type": "fee", "milestone": "work", "amount": {"amount": "1000.00"}}
    if label is not None:
        rule["label"] = label
    return PaymentModel.from_dict({"schema_version": 1, "name": "Vast", "milestones": {
        "work": {"event": "placement", "kinds": ["regular"]}}, "rules": [rule]})


def test_a_rule_is_named_by_its_label_and_the_newest_version_names_it():
    from invoicing.lines import rule_labels

    assert rule_labels([_model("Plaatsingsfee")]) == {"placement_fee": "Plaatsingsfee"}
    assert rule_labels([_model(None)]) == {"placement_fee": "placement fee"}  # the id, readable
    assert rule_labels([_model("Oud"), _model("Nieuw")]) == {"placement_fee": "Nieuw"}


# --- the period a run's invoice covers, and what was left uninvoiced ------------------------------


def _owed(key: str, due: date, amount: str = "100.00"):
    from invoicing.lines import Owed

    return Owed(key=key, traject_id=1, rule="fee", due_on=due, amount=E(amount), explanation="")


def test_an_invoice_of_a_run_reaches_back_to_its_earliest_line():
    from invoicing.lines import invoice_period

    december = (date(2026, 12, 1), date(2026, 12, 3))
    # Lines due 15 January and 2 December: the invoice covers 15 January up to 3 December.
    assert invoice_period(december, [_owed("a", date(2026, 1, 15)), _owed("b", date(2026, 12, 2))]) == (
        date(2026, 1, 15), date(2026, 12, 3))
    # Nothing older than the run: the run's own period.
    assert invoice_period(december, [_owed("b", date(2026, 12, 2))]) == december
    assert invoice_period(december, []) == december


def test_an_entitlement_more_than_two_months_old_on_no_invoice_is_long_uninvoiced():
    from invoicing.lines import long_uninvoiced

    today = date(2026, 12, 3)  # two months back is 3 October; older than that is long uninvoiced
    owed = [_owed("jan", date(2026, 1, 31)), _owed("oct2", date(2026, 10, 2)), _owed("oct3", date(2026, 10, 3)),
            _owed("nov", date(2026, 11, 20)), _owed("feb", date(2026, 2, 1)), _owed("zero", date(2026, 1, 1), "0.00")]
    found = long_uninvoiced(owed, {"feb": E("100.00")}, today)
    assert [o.key for o in found] == ["jan", "oct2"]  # feb is invoiced, zero owes nothing, oct3 is two months
