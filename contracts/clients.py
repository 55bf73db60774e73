"""What a gemeente records about a client, and when those facts are valid: pure, for the form and the import.

A client's distance to work is a phase (1–4) and a rung on the participatieladder (1–6), assessed on a date that
has passed; a benefit is paid per month and is 0,00 when the client has none. The web form and the CSV import of
clients both hold a client to these rules, so they are written once, here.

A person is a client of the gemeente they live in (the Participatiewet's woonplaatsbeginsel), so one person has
one record per gemeente at most, and when they move the old gemeente hands its record over to the new one
(an overdracht). Registering a BSN that another gemeente holds must not tell the registering user so: that
would answer "is this person a client over there?" to someone who may not know. The rules below therefore
refuse a BSN only where the user can already see the record, and turn every record they cannot see into a
transfer request to its gemeente, so that the answer to the user is the same whether the person is known
elsewhere or not (docs/clients.md).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from contracts.messages import N_, DomainError, Message

PHASES = range(1, 5)
LADDER_RUNGS = range(1, 7)
MAX_MONTHLY_BENEFIT = Decimal("100000.00")
EARLIEST_DATE = date(1900, 1, 1)

# Nine digits, as a BSN is written: run together or with a space, dot or hyphen between digits, and not part of
# a longer number. Any such number is masked in text that leaves the app's control (the server log): the
# 11-test is not asked, because a number that fails it may still be a mistyped BSN.
BSN_SHAPED = re.compile(r"(?<!\d)\d(?:[ .\-]?\d){8}(?!\d)")
# In an import's report a number of eight or nine digits standing alone may be a BSN: a spreadsheet drops the
# leading zero of a BSN kept as a number.
BSN_IN_REPORT = re.compile(r"(?<!\d)\d{8,9}(?!\d)")
# In what is kept for good (the audit trail), only nine digits standing alone, not inside an amount, an IBAN or a
# VAT number; the caller masks only those that pass the 11-test, so that no other figure is mangled.
BSN_STANDING_ALONE = re.compile(r"(?<!\w)(?<!\d[.,])\d{9}(?!\w|[.,]\d)")


class ClientError(DomainError):
    """A fact about a client that cannot be true."""

    code = "client_invalid"


def check_past_date(value: date, today: date, field: str, *, birth: bool = False) -> None:
    """A birth date or an assessment lies between 1900 and today."""
    if value > today:
        text = N_("Een geboortedatum kan niet in de toekomst liggen.") if birth else \
            N_("Deze datum kan niet in de toekomst liggen.")
        raise ClientError(Message(text), field)
    if value < EARLIEST_DATE:
        raise ClientError(Message(N_("Deze datum ligt te ver in het verleden.")), field)


def check_monthly_benefit(amount: Decimal, has_benefit: bool, field: str = "monthly_benefit") -> None:
    if amount < 0:
        raise ClientError(Message(N_("Een bedrag kan niet negatief zijn.")), field)
    if amount > MAX_MONTHLY_BENEFIT:
        raise ClientError(Message(N_("Dit bedrag is te hoog voor een uitkering per maand.")), field)
    if not has_benefit and amount != 0:
        raise ClientError(Message(N_("Zonder uitkering is het bedrag per maand 0,00.")), field)


def check_phase(phase: int | None, field: str = "phase") -> None:
    if phase not in PHASES:
        raise ClientError(Message(N_("Kies een fase van 1 tot en met 4.")), field)


def check_ladder_rung(rung: int | None, field: str = "ladder_rung") -> None:
    if rung not in LADDER_RUNGS:
        raise ClientError(Message(N_("Kies een trede van 1 tot en met 6.")), field)


# --- one record per gemeente, and handing it over ------------------------------------------------------------

BSN_TAKEN = N_("Er is al een cliënt met dit BSN.")


@dataclass(frozen=True)
class Registration:
    """A record that already holds the BSN being registered: its gemeente, and whether the user may see it."""

    record_id: int
    gemeente_id: int
    visible: bool


def plan_registration(gemeente_id: int, existing: Iterable[Registration]) -> tuple[Registration, ...]:
    """Whether a new record for this BSN may be made in ``gemeente_id``; the records to ask a transfer of.

    A record the user can see refuses the BSN (it is in their own caseload, so saying so reveals nothing; in
    the same gemeente it would be a second record, in another of theirs they move it with *Bewerken*). A
    record they cannot see is never mentioned: the new record is made, and that gemeente is asked to hand
    its record over.
    """
    existing = tuple(existing)
    if any(r.visible or r.gemeente_id == gemeente_id for r in existing):
        raise ClientError(Message(BSN_TAKEN), "bsn")
    return tuple(r for r in existing if not r.visible)


class TransferStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"


TRANSFER_STATUS_LABELS = {
    TransferStatus.PENDING: N_("open"),
    TransferStatus.ACCEPTED: N_("overgedragen"),
    TransferStatus.REFUSED: N_("geweigerd"),
}


class TransferError(DomainError):
    """A transfer request that cannot be decided this way."""

    code = "transfer_refused"


def check_decision(status: TransferStatus) -> None:
    """A request is decided once: accepted or refused, never both, never again."""
    if status != TransferStatus.PENDING:
        raise TransferError(Message(N_("Over dit overdrachtsverzoek is al beslist.")))


def check_handover(open_trajecten: int, held: bool = True) -> None:
    """A record is handed over only by the gemeente that holds it, and only when none of its trajecten runs.

    A traject is paid by the gemeente that referred it, under that gemeente's contract; while one runs, the
    person is still that gemeente's work. Handing the record over then would let two gemeenten refer (and pay
    for) the same person at once. The handing-over gemeente ends the traject first, or refuses.
    """
    if not held:
        raise TransferError(Message(N_("De cliënt staat niet meer in de gemeente die om overdracht is gevraagd.")))
    if open_trajecten:
        raise TransferError(Message(N_(
            "De cliënt heeft nog een lopend traject. Beëindig dat eerst, of weiger het verzoek.")))


def mask_bsn(bsn: str) -> str:
    """Show only the last three digits, as municipal systems commonly do."""
    return "******" + bsn[-3:] if bsn else ""


def mask_bsns(text: str, shape: re.Pattern[str] = BSN_SHAPED,
              is_bsn: Callable[[str], bool] = lambda _digits: True) -> str:
    """``text`` with every ``shape``-shaped number that ``is_bsn`` masked as :func:`mask_bsn` masks a BSN."""
    def masked(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group())
        return mask_bsn(digits) if is_bsn(digits) else match.group()

    return shape.sub(masked, text)
