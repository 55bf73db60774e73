"""Files the trajecten area writes: the import templates, a header row and one example row each.

Written by :func:`app.spreadsheet.csv_bytes`: ``;``-separated and UTF-8 with a byte order mark, so that Dutch
Excel opens them as they are and saves them back in a form :mod:`app.tabular` reads.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.db import session
from app.models.clients import TargetGroup
from app.models.registers import Gemeente
from app.models.trajecten import ImportKind
from app.models.users import User
from app.scoping import gemeente_ids_for
from app.spreadsheet import csv_bytes
from app.trajecten.imports import COLUMNS

TEMPLATE_NAMES = {ImportKind.CLIENTS: "sjabloon-clienten.csv", ImportKind.EVENTS: "sjabloon-gebeurtenissen.csv"}


def _example(kind: ImportKind, user: User, today: date) -> list[str]:
    """An example row the user could import as it is: a gemeente they work for, a target group that exists."""
    if kind == ImportKind.CLIENTS:
        ids = gemeente_ids_for(user)
        stmt = select(Gemeente.cbs_code).order_by(Gemeente.name).limit(1)
        if ids is not None:
            stmt = stmt.where(Gemeente.id.in_(ids))
        cbs = session.scalar(stmt) or "GM0363"
        group = session.scalar(select(TargetGroup.code).order_by(TargetGroup.code).limit(1)) or "algemeen"
        return ["999999990", "Fenna", "de Vries", "17-05-1990", cbs, "participatiewet", "1.234,56", group, "2", "3"]
    return ["T000012", "placement", today.strftime("%d-%m-%Y"), "", "Bakkerij De Korenschoof", "32", "regular", "12",
            "nee", "2.150,00", "Plaatsing na werkervaringsplek"]


def import_template(kind: ImportKind, user: User, today: date) -> bytes:
    return csv_bytes([COLUMNS[kind], _example(kind, user, today)])
