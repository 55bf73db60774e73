"""A start page per role with the counts that matter to that role."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from app import clock
from app.auth.permissions import authenticated
from app.home import queues, services
from app.models.registers import EXPIRY_WARNING_DAYS
from app.models.users import Role

bp = Blueprint("home", __name__)


@bp.route("/")
@authenticated
def index():
    today = clock.today()
    provider = current_user.provider if current_user.role == Role.PROVIDER else None
    return render_template("home/index.html", figures=services.start_figures(current_user, today),
                           queue=queues.queue(current_user, today),
                           provider=provider, today=today, warning_days=EXPIRY_WARNING_DAYS)
