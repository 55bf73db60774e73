"""What a gemeente records about a client, and when those facts are valid: pure, for the form and the import.

A client's distance to work is a phase (1–4) and a rung on the participatieladder (1–6), assessed on a date that
has passed; a benefit is paid per month and is 0,00 when the client has none. The web form and the CSV import of
clients both hold a client to these rules, so they are written once, here.
"""

from __future__ import annotations

import re
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


def mask_bsn(bsn: str) -> str:
    """Show only the last three digits, as municipal systems commonly do."""
    return "******" + bsn[-3:] if bsn else ""


def mask_bsns(text: str) -> str:
    """``text`` with every BSN-shaped number masked as :func:`mask_bsn` masks a BSN."""
    return BSN_SHAPED.sub(lambda match: mask_bsn(re.sub(r"\D", "", match.group())), text)
