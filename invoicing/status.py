"""An invoice's life and the four-eyes rules: which step may follow which, and who may take it.

draft → submitted → checked → approved → exported → paid, or rejected (from submitted or checked) with
a reason, after which a corrected invoice can be submitted in its place. Nobody approves an invoice
they created, submitted or checked; nobody checks an invoice they created or submitted; above the
approval threshold two different approvers are needed, and the invoice is approved with the second.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from contracts.messages import N_, Message


class InvoiceStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHECKED = "checked"
    APPROVED = "approved"
    EXPORTED = "exported"
    PAID = "paid"
    REJECTED = "rejected"


class Step(enum.StrEnum):
    SUBMIT = "submit"
    CHECK = "check"
    APPROVE = "approve"
    REJECT = "reject"
    EXPORT = "export"
    PAY = "pay"


S = InvoiceStatus

STATUS_LABELS = {
    S.DRAFT: N_("concept"), S.SUBMITTED: N_("ingediend"), S.CHECKED: N_("gecontroleerd"),
    S.APPROVED: N_("goedgekeurd"), S.EXPORTED: N_("geëxporteerd"), S.PAID: N_("betaald"),
    S.REJECTED: N_("afgekeurd"),
}
STEP_LABELS = {
    Step.SUBMIT: N_("indienen"), Step.CHECK: N_("controleren"), Step.APPROVE: N_("goedkeuren"),
    Step.REJECT: N_("afkeuren"), Step.EXPORT: N_("exporteren"), Step.PAY: N_("betaald melden"),
}

# Where each step may be taken from, and where it leads (approval may need a second approver first).
FROM = {
    Step.SUBMIT: frozenset({S.DRAFT}),
    Step.CHECK: frozenset({S.SUBMITTED}),
    Step.APPROVE: frozenset({S.CHECKED}),
    Step.REJECT: frozenset({S.SUBMITTED, S.CHECKED}),
    Step.EXPORT: frozenset({S.APPROVED}),
    Step.PAY: frozenset({S.EXPORTED}),
}
# Steps taken with a plain button on the invoice page; export is taken for a batch on its own page.
BUTTON_STEPS = (Step.SUBMIT, Step.CHECK, Step.APPROVE, Step.REJECT, Step.PAY)
TO = {Step.SUBMIT: S.SUBMITTED, Step.CHECK: S.CHECKED, Step.APPROVE: S.APPROVED, Step.REJECT: S.REJECTED,
      Step.EXPORT: S.EXPORTED, Step.PAY: S.PAID}

# An invoice on which these statuses stand has been accepted for payment: its money is realised.
APPROVED_STATUSES = frozenset({S.APPROVED, S.EXPORTED, S.PAID})
# An invoice with one of these statuses holds its entitlements; a rejected one lets them go.
LIVE_STATUSES = frozenset(InvoiceStatus) - {S.REJECTED}
# An invoice with one of these statuses waits for the gemeente's money; a draft is not sent yet.
AWAITING_PAYMENT = frozenset({S.SUBMITTED, S.CHECKED, S.APPROVED, S.EXPORTED})


def days_overdue(status: InvoiceStatus, due_date: date, today: date) -> int:
    """How many days the gemeente is late paying, 0 when it is not (yet) late.

    The payment term runs from the invoice date whatever the invoice waits for: an invoice still to be
    checked or approved is just as late, because the provider is waiting for its money either way.
    """
    return max((today - due_date).days, 0) if status in AWAITING_PAYMENT else 0


def is_overdue(status: InvoiceStatus, due_date: date, today: date) -> bool:
    return days_overdue(status, due_date, today) > 0


@dataclass(frozen=True)
class Actor:
    """Who asks to take a step, and what their role lets them do at all (the four-eyes rule comes on top)."""

    user_id: int
    submits: bool  # may submit an invoice (finance, and a provider's user for its own)
    processes: bool  # may check, approve, reject, export and record payment
    provider_id: int | None = None  # a provider's user acts only on its own provider's invoices


@dataclass(frozen=True)
class Hands:
    """Who has had the invoice in hand so far (user ids)."""

    created_by: int | None
    submitted_by: int | None = None
    checked_by: int | None = None
    approved_by: tuple[int, ...] = ()


def approvals_needed(total: Decimal, threshold: Decimal) -> int:
    """One approver, or two when the total exceeds the threshold (a credit counts by its size)."""
    return 2 if abs(total) > threshold else 1


def refusal(step: Step, status: InvoiceStatus, hands: Hands, user_id: int) -> Message | None:
    """Why ``user_id`` may not take ``step`` now, or None when they may."""
    if status not in FROM[step]:
        return Message(N_("Bij een factuur met status %(status)s kan de stap ‘%(step)s’ niet."),
                       status=STATUS_LABELS[status], step=STEP_LABELS[step])
    if step == Step.CHECK and user_id in {hands.created_by, hands.submitted_by}:
        return Message(N_("Vier ogen: wie een factuur maakte of indiende, controleert haar niet."))
    if step == Step.APPROVE:
        if user_id in {hands.created_by, hands.submitted_by, hands.checked_by}:
            return Message(N_("Vier ogen: wie een factuur maakte, indiende of controleerde, keurt haar niet goed."))
        if user_id in hands.approved_by:
            return Message(N_("U heeft deze factuur al goedgekeurd; een tweede goedkeurder is nodig."))
    return None


def may_take(step: Step, status: InvoiceStatus, hands: Hands, actor: Actor, *, provider_id: int,
             undecided: int = 0) -> Message | None:
    """Why ``actor`` may not take ``step`` on an invoice of ``provider_id`` now, or None when they may.

    The invoice page offers exactly the steps for which this answers None, and the service refuses a step
    with this same answer, so that no button is shown that the POST behind it would refuse. ``undecided``
    counts a provider's invoice lines that differ from what is owed and still wait for finance's decision.
    """
    if actor.provider_id is not None and (step != Step.SUBMIT or provider_id != actor.provider_id):
        return Message(N_("Een aanbieder kan alleen een eigen factuur indienen."))
    if not (actor.submits if step == Step.SUBMIT else actor.processes):
        return Message(N_("Uw rol kan de stap ‘%(step)s’ niet zetten."), step=STEP_LABELS[step])
    problem = refusal(step, status, hands, actor.user_id)
    if problem is None and step == Step.CHECK and undecided:
        problem = Message(N_("Beslis eerst over elke regel die afwijkt (%(n)s open)."), n=undecided)
    return problem


def open_steps(steps: tuple[Step, ...], status: InvoiceStatus, hands: Hands, actor: Actor, *, provider_id: int,
               undecided: int = 0) -> list[Step]:
    """The steps of ``steps`` that ``actor`` may take now: the buttons the invoice page shows them."""
    return [step for step in steps
            if may_take(step, status, hands, actor, provider_id=provider_id, undecided=undecided) is None]


def after(step: Step, hands: Hands, total: Decimal, threshold: Decimal) -> InvoiceStatus:
    """The status after ``step`` is taken (``hands`` as it was before the step)."""
    if step == Step.APPROVE and len(hands.approved_by) + 1 < approvals_needed(total, threshold):
        return S.CHECKED
    return TO[step]
