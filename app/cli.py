"""Command-line tools: `flask db ...` for the schema, `flask demo load` for demo data, `flask users ...`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from app import migrate
from app.db import session

db_cli = AppGroup("db", help="Database schema (Alembic).")
demo_cli = AppGroup("demo", help="Demo data.")
payments_cli = AppGroup("payments", help="Payment models: validate and simulate.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the schema to REVISION (default: head)."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)


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
    summary = load_demo(session, seed=seed)
    click.echo("Demo loaded: " + ", ".join(f"{n} {what}" for what, n in summary.items()))


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
