"""Contracts (placeholder until the full area lands)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("contracts", __name__, url_prefix="/contracten")


@bp.route("/")
def index():
    return "placeholder"
