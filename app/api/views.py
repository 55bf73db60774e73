"""The JSON API. Same permissions as the pages; errors come back as JSON with a machine-readable code."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify
from sqlalchemy import select

from app.auth.permissions import Permission, requires
from app.db import session
from app.models.registers import Gemeente, Provider

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _provider_json(p: Provider) -> dict:
    return {
        "id": p.id,
        "name": p.name,
        "kvk_number": p.kvk_number,
        "vat_number": p.vat_number,
        "iban": p.iban,
        "status": p.status.value,
        "status_reason": p.status_reason,
        "quality_marks": [{"name": m.name, "valid_until": m.valid_until.isoformat()} for m in p.quality_marks],
    }


@bp.route("/gemeenten")
@requires(Permission.VIEW_GEMEENTEN)
def gemeenten():
    rows = session.scalars(select(Gemeente).order_by(Gemeente.name))
    return jsonify(
        [
            {"id": g.id, "name": g.name, "cbs_code": g.cbs_code,
             "executing_body": g.executing_body.name if g.executing_body else None}
            for g in rows
        ]
    )


@bp.route("/providers")
@requires(Permission.VIEW_PROVIDERS)
def providers():
    return jsonify([_provider_json(p) for p in session.scalars(select(Provider).order_by(Provider.name))])


@bp.route("/providers/<int:provider_id>")
@requires(Permission.VIEW_PROVIDERS)
def provider(provider_id: int):
    return jsonify(_provider_json(session.get(Provider, provider_id) or abort(404)))
