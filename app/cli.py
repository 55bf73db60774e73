"""Command-line tools: `flask db ...` for the schema, `flask demo load` for demo data, `flask users ...`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from app import migrate
from app.db import session
from app.uow import committed

db_cli = AppGroup("db", help="Database schema (Alembic).")
demo_cli = AppGroup("demo", help="Demo data.")
payments_cli = AppGroup("payments", help="Payment models: validate and simulate.")
audit_cli = AppGroup("audit", help="The audit trail's hash chain.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the schema to REVISION (default: head)."""
    from sqlalchemy import make_url
    from sqlalchemy.exc import OperationalError

    url = current_app.config["DATABASE_URL"]
    try:
        migrate.upgrade(url, revision)
    except OperationalError as exc:  # a clear line for the operator (make run, make serve), not a traceback
        where = make_url(url).render_as_string(hide_password=True)
        raise click.ClickException(f"the database {where} cannot be reached: {exc.orig}") from None


@db_cli.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION (default: one step back)."""
    migrate.downgrade(current_app.config["DATABASE_URL"], revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Write a new revision by comparing the models with the database (autogenerate)."""
    from alembic import command

    command.revision(migrate.alembic_config(current_app.config["DATABASE_URL"]), message=message, autogenerate=True)


@db_cli.command("grant")
@click.argument("role")
def db_grant(role: str) -> None:
    """Give the app's PostgreSQL login ROLE what it needs, and on the audit trail only SELECT and INSERT."""
    from app.db import make_engine

    engine = make_engine(current_app.config["DATABASE_URL"])
    with engine.begin() as connection:
        migrate.grant_app_role(connection, role)
    engine.dispose()
    click.echo(f"Granted {role} the app's privileges; audit_entry: SELECT, INSERT only.")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Walk the whole hash chain; the result is written to the trail (and shown on the audit page)."""
    from app import audit
    from contracts.audit_chain import LINK_BROKEN

    verdict = audit.verify_chain(session)
    with committed():
        audit.record_verification(session, verdict)
    if verdict.intact:
        click.echo(f"intact ({verdict.checked} entries)")
        return
    why = ("it does not follow the entry before it (an entry was removed, inserted or moved)"
           if verdict.reason == LINK_BROKEN else "its content does not match its hash (it was changed)")
    click.echo(f"broken at entry {verdict.broken_at}: {why}; {verdict.checked} entries before it are intact",
               err=True)
    raise SystemExit(1)


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@click.option("--seed", default=2026, show_default=True, help="Random seed, so that the demo is the same every time.")
def demo_load(if_empty: bool, seed: int) -> None:
    """Load demo gemeenten, providers, users for every role and about 300 clients."""
    from app.demo import load_demo
    from app.models.users import User

    if if_empty and session.scalar(select(func.count()).select_from(User)):
        click.echo("Database already has data; demo not loaded.")
        return
    with committed():
        summary = load_demo(session, seed=seed)
    click.echo("Demo loaded: " + ", ".join(f"{n} {what}" for what, n in summary.items()))


@demo_cli.command("generate")
@click.option("--trajecten", "count", type=click.IntRange(min=1), required=True,
              help="How many trajecten to add (each with a new client, events and invoice lines).")
@click.option("--seed", default=2026, show_default=True, help="Random seed, so that the same data comes out.")
@click.option("--batch", default=20_000, show_default=True, type=click.IntRange(min=1),
              help="Trajecten per transaction.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes that make the rows while this one writes (default: the cores, at most 4).")
def demo_generate(count: int, seed: int, batch: int, workers: int | None) -> None:
    """Add COUNT realistic trajecten over the demo's contracts, for measuring reports at scale (app/generate.py)."""
    from decimal import Decimal

    from app.generate import GenerateError, default_workers, generate

    def progress(done: int, total: int, seconds: float) -> None:
        click.echo(f"{done:>12,} / {total:,} trajecten  {seconds:7.1f} s  {done / seconds:>9,.0f} trajecten/s")

    session.close()  # the generator writes on a connection of its own
    try:
        summary = generate(current_app.extensions["db_bind"], count, seed=seed, batch=batch, progress=progress,
                           workers=workers or default_workers(),
                           second_approver_above=Decimal(current_app.config["INVOICE_SECOND_APPROVER_ABOVE"]))
    except GenerateError as exc:
        click.echo(f"Niets gegenereerd: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(f"Generated {summary.trajecten:,} trajecten, {summary.clients:,} clients, {summary.events:,} events, "
               f"{summary.invoices:,} invoices with {summary.invoice_lines:,} lines in {summary.seconds:.1f} s.")


def _load_model(path: str):
    from contracts.model import ModelError, PaymentModel

    try:
        return PaymentModel.from_file(path)
    except ModelError as exc:
        for field, message in exc.problems:
            click.echo(f"{path}: {field}: {message}", err=True)
        raise SystemExit(2) from None
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"{path}: {exc}") from None


@payments_cli.command("validate")
@click.argument("model_file", type=click.Path(exists=True, dir_okay=False))
def payments_validate(model_file: str) -> None:
    """Check MODEL_FILE against the schema and the model rules; every problem names its field."""
    model = _load_model(model_file)
    click.echo(f"{model_file}: geldig ({model.name}, {len(model.rules)} regels)")


@payments_cli.command("simulate")
@click.argument("model_file", type=click.Path(exists=True, dir_okay=False))
@click.argument("trajecten_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--as-of", "as_of", default=None, help="Peildatum JJJJ-MM-DD (default: as_of in the file, else today).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "both"]), default="both", show_default=True)
def payments_simulate(model_file: str, trajecten_file: str, as_of: str | None, fmt: str) -> None:
    """Print every traject's entitlements and the totals under MODEL_FILE (see docs/payment-models.md)."""
    import json
    from datetime import date

    from contracts.events import EventError
    from contracts.simulate import render_json, render_table, run

    model = _load_model(model_file)
    try:
        with open(trajecten_file, encoding="utf-8") as fh:
            data = json.load(fh)
        simulation = run(model, data, date.fromisoformat(as_of) if as_of else None)
    except (EventError, ValueError) as exc:
        raise click.ClickException(f"{trajecten_file}: {exc}") from None
    if fmt in ("table", "both"):
        click.echo(render_table(simulation))
    if fmt in ("json", "both"):
        click.echo(render_json(simulation))


def register_commands(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(payments_cli)
    app.cli.add_command(audit_cli)
