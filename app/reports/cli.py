"""`flask reports refresh`: recompute every traject's kept status, performance facts and approved cost.

Needed once after upgrading a database that has trajecten from before the facts existed, and safe at any
time: the facts are a pure function of the events and the cost of the approved invoice lines, so
recomputing gives the same answer.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.db import session
from app.invoicing.costs import recompute
from app.models.trajecten import Traject
from app.trajecten.services import engine_ready, history, keep_state
from contracts.lifecycle import replay

reports_cli = AppGroup("reports", help="Performance reports.")
BATCH = 1000


@reports_cli.command("refresh")
def refresh() -> None:
    """Recompute status and performance facts of every traject, a thousand at a time, then their costs."""
    total = session.scalar(select(func.count()).select_from(Traject)) or 0
    done, last_id = 0, 0
    session.info["actor"] = (None, "reports refresh")
    while True:
        batch = session.scalars(engine_ready(select(Traject).where(Traject.id > last_id).order_by(Traject.id)
                                             .limit(BATCH))).all()
        if not batch:
            break
        for traject in batch:
            keep_state(traject, replay(traject.referral_date, history(traject)))
        session.commit()
        done += len(batch)
        last_id = batch[-1].id
        click.echo(f"{done} / {total} trajecten")
    recompute(session.connection())
    session.commit()
    click.echo("Klaar.")
