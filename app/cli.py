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


def register_commands(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(demo_cli)
