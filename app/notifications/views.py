"""The user's notifications: the inbox, opening one (which marks it read), and the choice of what to receive."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import BooleanField

from app.auth.permissions import authenticated
from app.db import session
from app.forms import AppForm, DeleteForm
from app.listing import paginate
from app.models.notifications import Notification
from app.notifications import services
from app.uow import attempt

bp = Blueprint("notifications", __name__, url_prefix="/meldingen")


@bp.app_context_processor
def _unread() -> dict:
    """The count in the header: one indexed count per page, for a logged-in user only."""
    def unread() -> int:
        return services.unread_count(current_user) if current_user.is_authenticated else 0
    return {"unread_notifications": unread, "notification_label": lambda k: _(services.KIND_LABELS[k])}


@bp.route("/")
@authenticated
def index():
    page = paginate(session, services.inbox(current_user), sortable={"created_at": Notification.created_at},
                    default_sort="created_at", default_direction="desc")
    return render_template("notifications/index.html", page=page, form=DeleteForm(), target=services.target)


@bp.route("/<int:notification_id>/openen", methods=["POST"])
@authenticated
def open_one(notification_id: int):
    note = session.get(Notification, notification_id)
    if note is None or note.user_id != current_user.id or not DeleteForm().validate_on_submit():
        abort(404)
    where = services.target(note)
    attempt(lambda: services.mark_read(current_user, notification_id))
    return redirect(where)


@bp.route("/alles-gelezen", methods=["POST"])
@authenticated
def read_all():
    if not DeleteForm().validate_on_submit():
        abort(400)
    done = attempt(lambda: services.mark_read(current_user))
    if done.ok:
        flash(_("Alle meldingen zijn gelezen."), "success")
    return redirect(url_for("notifications.index"))


def _settings_form(choices: dict) -> AppForm:
    class SettingsForm(AppForm):
        pass

    for kind in choices:
        setattr(SettingsForm, f"{kind.value}__in_app", BooleanField(_("In het overzicht")))
        setattr(SettingsForm, f"{kind.value}__by_mail", BooleanField(_("Per e-mail")))
    form = SettingsForm()
    if request.method == "GET":
        for kind, choice in choices.items():
            form[f"{kind.value}__in_app"].data = choice.in_app
            form[f"{kind.value}__by_mail"].data = choice.by_mail
    return form


@bp.route("/instellingen", methods=["GET", "POST"])
@authenticated
def settings():
    choices = services.choices(current_user)
    form = _settings_form(choices)
    if form.validate_on_submit():
        wanted = {kind: services.Choice(bool(form[f"{kind.value}__in_app"].data),
                                        bool(form[f"{kind.value}__by_mail"].data)) for kind in choices}
        if attempt(lambda: services.choose(current_user, wanted), form=form).ok:
            flash(_("Je keuze voor meldingen is bewaard."), "success")
            return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", form=form, kinds=list(choices),
                           mail=services.mail_configured(), email=current_user.email)
