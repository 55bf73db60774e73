"""The clients (cliënten) register's routes; loading and storing in ``services``, the rules in the domain."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from app import bulk
from app.audit import history_for
from app.auth.permissions import Permission, can, requires
from app.clients import services
from app.clients.forms import (
    BSN_TAKEN,
    LADDER_LABELS,
    REVEAL_REASONS,
    AssignForm,
    BsnSearchForm,
    ClientForm,
    PhaseForm,
    RevealForm,
    TransferDecisionForm,
    phase_choices,
)
from app.db import session
from app.forms import submit
from app.models.clients import BenefitType, Client
from app.models.users import Role, User
from app.scoping import client_scope
from app.uow import attempt
from contracts.clients import TRANSFER_STATUS_LABELS, TransferStatus

bp = Blueprint("clients", __name__, url_prefix="/clienten")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "ladder_label": lambda rung: LADDER_LABELS.get(rung, rung),
        "reveal_reason_label": lambda code: REVEAL_REASONS.get(code, code),
        "transfer_status_label": lambda status: _(TRANSFER_STATUS_LABELS[TransferStatus(status)]),
    }


def _render_index(bsn_form: BsnSearchForm, status: int = 200):
    return render_template(
        "clients/index.html",
        page=services.client_page(current_user),
        bsn_form=bsn_form,
        pending_transfers=services.pending_transfer_count(current_user),
        gemeente_options=[(g.id, g.name) for g in services.allowed_gemeenten(current_user)],
        benefit_types=[b.value for b in BenefitType],
        target_group_options=[(t.id, t.name) for t in services.target_groups()],
        phase_options=phase_choices(),
        assign_form=AssignForm(formdata=None, user=current_user) if can(Permission.EDIT_CLIENTS) else None,
    ), status


@bp.route("/klantmanager", methods=["POST"])
@requires(Permission.EDIT_CLIENTS)
def assign_many():
    """Hand the ticked clients, and so their trajecten, to another klantmanager of their gemeente."""
    form = AssignForm(user=current_user)
    back = redirect(url_for("clients.index", **{k: v for k, v in request.args.items() if k in LIST_ARGS}))
    ids = bulk.ticked("client")
    chosen = list(session.scalars(select(Client).where(Client.id.in_(ids), client_scope(current_user))
                                  .order_by(Client.last_name, Client.id))) if ids else []
    if not form.validate_on_submit() or not chosen:
        flash(_("Kies een klantmanager en ten minste één cliënt."), "error")
        return back
    manager = session.get(User, form.klantmanager_id.data)
    bulk.run(chosen, lambda c: f"{c.last_name}, {c.first_name}", lambda c: services.assign(c, manager),
             bool(form.only_valid.data),
             lambda n: ngettext("%(num)s cliënt heeft nu %(name)s als klantmanager.",
                                "%(num)s cliënten hebben nu %(name)s als klantmanager.", n,
                                name=manager.full_name if manager else ""),
             lambda name, why: _("%(client)s: %(why)s", client=name, why=why))
    return back


LIST_ARGS = ("q", "gemeente", "benefit_type", "target_group", "phase", "mine", "sort", "dir", "page")


@bp.route("/")
@requires(Permission.VIEW_CLIENTS)
def index():
    return _render_index(BsnSearchForm(formdata=None))


@bp.route("/zoek-bsn", methods=["POST"])
@requires(Permission.VIEW_CLIENTS)
def find_by_bsn():
    form = BsnSearchForm()
    if not form.validate_on_submit():
        return _render_index(form, 422)
    client = services.find_by_bsn(current_user, form.bsn.data)
    if client is None:
        form.bsn.errors = [str(_l("Geen cliënt met dit BSN in je gemeenten."))]
        return _render_index(form, 404)
    return redirect(url_for("clients.detail", client_id=client.id))


def _render_detail(client: Client, reveal_form: RevealForm | None = None, revealed: bool = False, status: int = 200):
    return render_template(
        "clients/detail.html",
        client=client,
        revealed=revealed,
        reveal_form=reveal_form or RevealForm(formdata=None),
        history=history_for(session, "client", client.id),
    ), status


@bp.route("/<int:client_id>")
@requires(Permission.VIEW_CLIENTS)
def detail(client_id: int):
    return _render_detail(services.scoped_client(current_user, client_id))


@bp.route("/<int:client_id>/bsn", methods=["POST"])
@requires(Permission.REVEAL_BSN)
def reveal_bsn(client_id: int):
    client = services.scoped_client(current_user, client_id)
    form = RevealForm()
    if not form.validate_on_submit() or not attempt(lambda: services.reveal_bsn(client, form.reason.data)).ok:
        return _render_detail(client, form, status=422)
    return _render_detail(client, RevealForm(formdata=None), revealed=True)


def _render_form(form: ClientForm, client: Client | None):
    return render_template("clients/form.html", form=form, client=client), 200 if not form.errors else 422


def _saved(client: Client):
    flash(_("Cliënt %(name)s is opgeslagen.", name=client.display_name), "success")
    return redirect(url_for("clients.detail", client_id=client.id))


@bp.route("/nieuw", methods=["GET", "POST"])
@requires(Permission.EDIT_CLIENTS)
def create():
    form = ClientForm(user=current_user, creating=True)
    if not form.is_submitted():
        if len(form.allowed_gemeenten) == 1:
            form.gemeente_id.data = form.allowed_gemeenten[0].id
        if current_user.role == Role.KLANTMANAGER:
            form.klantmanager_id.data = current_user.id
    # A BSN held in a gemeente the user does not work for is saved as any other (with a transfer request that
    # only that gemeente sees), so that this page answers the same whether the person is known there or not.
    if form.validate_on_submit():
        outcome = submit(form, lambda: services.create_client(
            form.bsn.data, form.data_for_service(), form.phase.data, form.ladder_rung.data, form.assessed_on.data,
            current_user), {"bsn": BSN_TAKEN})
        if outcome.ok:
            return _saved(outcome.value)
    return _render_form(form, None)


@bp.route("/<int:client_id>/bewerken", methods=["GET", "POST"])
@requires(Permission.EDIT_CLIENTS)
def edit(client_id: int):
    client = services.scoped_client(current_user, client_id)
    form = ClientForm(obj=client, user=current_user)
    if not form.is_submitted():
        form.benefit_type.data = client.benefit_type.value
    if form.validate_on_submit() and submit(form, lambda: services.update_client(client, form.data_for_service())).ok:
        return _saved(client)
    return _render_form(form, client)


@bp.route("/<int:client_id>/fase/nieuw", methods=["GET", "POST"])
@requires(Permission.EDIT_CLIENTS)
def phase_create(client_id: int):
    client = services.scoped_client(current_user, client_id)
    form = PhaseForm()
    if form.validate_on_submit():
        outcome = submit(form, lambda: services.assess(client, form.phase.data, form.ladder_rung.data,
                                                       form.valid_from.data, current_user))
        if outcome.ok:
            if outcome.value:
                flash(_("De nieuwe fase is vastgelegd."), "success")
            else:
                flash(_("De fase is vastgelegd in de historie. Er is een recentere vaststelling, "
                        "dus de huidige fase is niet gewijzigd."), "info")
            return redirect(url_for("clients.detail", client_id=client.id))
    status = 200 if not form.errors else 422
    return render_template("clients/phase_form.html", form=form, client=client), status


# --- transfer requests ------------------------------------------------------------------------------------


@bp.route("/overdrachten")
@requires(Permission.EDIT_CLIENTS)
def transfers():
    """The requests of other gemeenten for records the user's gemeenten hold."""
    return render_template("clients/transfers.html", transfers=services.transfers(current_user))


def _decide(transfer_id: int, decide, done: str):
    transfer = services.scoped_transfer(current_user, transfer_id)
    if TransferDecisionForm().validate_on_submit() and attempt(lambda: decide(transfer, current_user)).ok:
        flash(done, "success")
    return redirect(url_for("clients.transfers"))


@bp.route("/overdrachten/<int:transfer_id>/overdragen", methods=["POST"])
@requires(Permission.EDIT_CLIENTS)
def transfer_accept(transfer_id: int):
    return _decide(transfer_id, services.accept_transfer, _("De cliënt is overgedragen."))


@bp.route("/overdrachten/<int:transfer_id>/weigeren", methods=["POST"])
@requires(Permission.EDIT_CLIENTS)
def transfer_refuse(transfer_id: int):
    return _decide(transfer_id, services.refuse_transfer, _("Het overdrachtsverzoek is geweigerd."))
