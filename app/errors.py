"""Error pages in the app's own style; under /api/ errors are JSON with a machine-readable code."""

from __future__ import annotations

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
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

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        session.rollback()
        app.logger.exception("Unhandled error", exc_info=exc)
        if app.config.get("TESTING") and app.config.get("PROPAGATE_EXCEPTIONS", True):
            raise exc
        if _wants_json():
            return jsonify(error="internal_error", message=InternalServerError.description), 500
        return render_template("errors/error.html", code=500), 500
