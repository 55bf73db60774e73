"""Error pages in the app's own style; under /api/ errors are JSON with a machine-readable code."""

from __future__ import annotations

from contextlib import suppress

from flask import g, jsonify, render_template, request
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.db import session
from app.i18n import translate
from app.uow import api_refusal
from contracts.messages import DomainError


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        if _wants_json():
            return jsonify(error="csrf_failed", message=exc.description), 400
        return render_template("errors/error.html", code=400, csrf=True), 400

    @app.errorhandler(DomainError)
    def _refused(exc: DomainError):
        """A refusal that a view did not run through ``app.uow.attempt``: still a clear 422, never a 500."""
        session.rollback()
        if _wants_json():
            return api_refusal(exc)
        return render_template("errors/error.html", code=422, refusal=translate(exc.message)), 422

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        code = exc.code or 500
        if _wants_json():
            return jsonify(error=exc.name.lower().replace(" ", "_"), message=exc.description), code
        return render_template("errors/error.html", code=code), code

    @app.errorhandler(OperationalError)
    def _database_unavailable(exc: OperationalError):
        """The database did not answer (down, unreachable, or a lock not granted in time): a 503 that says try
        again, not a 500 with a traceback. Only the driver's error class is logged: never the statement or its
        parameters. The page is rendered as for a visitor, since who is logged in is in the database too."""
        with suppress(SQLAlchemyError):  # the connection is gone; the session is closed after the request anyway
            session.rollback()
        app.logger.error("Database unavailable: %s", type(exc.orig).__name__ if exc.orig else type(exc).__name__)
        headers = {"Retry-After": "30"}
        if _wants_json():
            return jsonify(error="database_unavailable", message="The database is unavailable; try again shortly."), \
                503, headers
        g._login_user = AnonymousUserMixin()  # where Flask-Login keeps the request's user: no second lookup
        return render_template("errors/error.html", code=503), 503, headers

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        session.rollback()
        app.logger.exception("Unhandled error", exc_info=exc)
        if app.config.get("TESTING") and app.config.get("PROPAGATE_EXCEPTIONS", True):
            raise exc
        if _wants_json():
            return jsonify(error="internal_error", message=InternalServerError.description), 500
        return render_template("errors/error.html", code=500), 500
