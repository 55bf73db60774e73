"""Tenders (placeholder until the full area lands)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("tenders", __name__, url_prefix="/aanbestedingen")


@bp.route("/")
def index():
    return "placeholder"
