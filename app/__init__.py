"""The Flask application factory."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask

from app.config import PROJECT_ROOT, ConfigurationError, load_config


def create_app(env: str | None = None, overrides: dict[str, Any] | None = None, bind: Any = None) -> Flask:
    """Build the app for ``env``; ``bind`` (a Connection) lets tests wrap each test in one transaction."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder="static",
    )
    from app.requests import AppRequest
    from app.urls import IdConverter

    app.request_class = AppRequest
    app.url_map.converters["int"] = IdConverter
    app.config.update(load_config(env))
    if overrides:
        app.config.update(overrides)
    _refuse_development_server(app)

    from app import audit, db, errors, faults, history, i18n, jobs, logs, navigation, security
    from app.auth import login as login_setup
    from app.auth import sso

    logs.install()
    db.init_app(app, bind=bind)
    faults.install(app)
    jobs.init_app(app)
    audit.install()
    security.init_app(app)
    i18n.init_app(app)
    login_setup.init_app(app)
    sso.init_app(app)
    errors.init_app(app)
    navigation.init_app(app)

    from app.admin.views import bp as admin_bp
    from app.api.views import bp as api_bp
    from app.auth.views import bp as auth_bp
    from app.budgets.views import bp as budgets_bp
    from app.clients.views import bp as clients_bp
    from app.contracting.views import bp as contracts_bp
    from app.gemeenten.views import bp as gemeenten_bp
    from app.health import bp as health_bp
    from app.home.views import bp as home_bp
    from app.invoicing.views import bp as invoices_bp
    from app.jobs.views import bp as jobs_bp
    from app.notifications.views import bp as notifications_bp
    from app.providers.views import bp as providers_bp
    from app.reports.views import bp as reports_bp
    from app.tenders.views import bp as tenders_bp
    from app.trajecten.views import bp as trajecten_bp
    from app.trajecten.views import imports_bp

    blueprints = (auth_bp, home_bp, admin_bp, gemeenten_bp, providers_bp, clients_bp, tenders_bp, contracts_bp,
                  trajecten_bp, imports_bp, invoices_bp, budgets_bp, reports_bp, jobs_bp, notifications_bp, api_bp,
                  health_bp)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    history.init_app(app)
    login_setup.throttle_logins(app)

    from app.cli import register_commands

    register_commands(app)
    from app.projections import projections_cli

    app.cli.add_command(projections_cli)
    from app.retention import retention_cli

    app.cli.add_command(retention_cli)
    return app


def _refuse_development_server(app: Flask) -> None:
    """``flask run`` is Flask's development server (one process, a debugger a setting away): never production's.

    Production is served by gunicorn (``make serve``); ``make run`` stays the one-command development default.
    """
    command = click.get_current_context(silent=True)
    if app.config["APP_ENV"] == "production" and command is not None and command.info_name == "run":
        raise ConfigurationError("APP_ENV=production is served by gunicorn (make serve, see README.md), "
                                 "not by the development server of flask run.")
