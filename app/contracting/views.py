"""The contracts pages: the list, a contract made directly or from an awarded bid, its versions, evaluations
and simulation. Routes only: each calls a service of :mod:`app.contracting.services` through the unit of work.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import clock
from app.audit import history_for
from app.auth.permissions import Permission, requires
from app.contracting import model_editor, services
from app.contracting.forms import (
    CONTRACT_STATUS_LABELS,
    EVALUATION_KIND_LABELS,
    NUMBER_TAKEN,
    RULE_TYPE_LABELS,
    VERDICT_LABELS,
    AmendmentForm,
    ContractCreateForm,
    ContractEditForm,
    EvaluationForm,
    pretty_json,
)
from app.db import session
from app.formatting import date as format_date
from app.forms import validate_submission
from app.listing import paginate
from app.models.procurement import Bid, Contract, ContractStatus, EvaluationKind, Verdict
from app.models.registers import Gemeente, Provider
from app.procurement.simulation import simulation_page
from app.scoping import id_in
from app.trajecten.services import places_taken, volume_ceiling
from app.uow import attempt
from contracts.model import ModelError, PaymentModel

bp = Blueprint("contracts", __name__, url_prefix="/contracten")


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "contract_status_label": lambda s: CONTRACT_STATUS_LABELS[ContractStatus(s)],
        "evaluation_kind_label": lambda k: EVALUATION_KIND_LABELS[EvaluationKind(k)],
        "verdict_label": lambda v: VERDICT_LABELS[Verdict(v)],
        "rule_type_label": lambda t: RULE_TYPE_LABELS.get(t, t),
    }


def _status_code(form) -> int:
    return 422 if form.errors else 200


# --- list -----------------------------------------------------------------------------------------


def _status_is(value: str):
    return Contract.status == ContractStatus(value) if value in ContractStatus._value2member_map_ else None


def _provider_is(value: str):
    return Contract.provider_id == id_in(value) if id_in(value) else None


def _gemeente_is(value: str):
    return Contract.gemeenten.any(Gemeente.id == id_in(value)) if id_in(value) else None


@bp.route("/")
@requires(Permission.VIEW_CONTRACTS)
def index():
    page = paginate(
        session,
        select(Contract).join(Contract.provider).options(selectinload(Contract.provider),
                                                        selectinload(Contract.gemeenten)),
        sortable={
            "number": Contract.number,
            "title": Contract.title,
            "provider": Provider.name,
            "status": Contract.status,
            "end_date": Contract.end_date,
        },
        default_sort="number",
        searchable=[Contract.number, Contract.title, Provider.name],
        filters={"status": _status_is, "provider": _provider_is, "gemeente": _gemeente_is},
    )
    providers = [(str(p.id), p.name) for p in session.scalars(select(Provider).order_by(Provider.name))]
    gemeenten = [(str(g.id), g.name) for g in session.scalars(select(Gemeente).order_by(Gemeente.name))]
    return render_template(
        "contracts/index.html",
        page=page,
        statuses=[(s.value, str(CONTRACT_STATUS_LABELS[s])) for s in ContractStatus],
        providers=providers,
        gemeenten=gemeenten,
        today=clock.today(),
        referral_stop=services.referral_stop,
        ends_soon=services.ends_soon,
    )


# --- create ---------------------------------------------------------------------------------------


def _awarded_bid(bid_id: str) -> tuple[Bid | None, Any]:
    """The bid to make a contract from, or a response that refuses it."""
    number = id_in(bid_id) or abort(404)
    bid = session.get(Bid, number) or abort(404)
    if not services.is_awarded(bid):
        flash(_("De inschrijving van %(p)s op %(lot)s is niet gegund: een contract kan alleen uit een gegunde "
                "inschrijving worden gemaakt.", p=bid.provider.name, lot=str(bid.lot)), "danger")
        return None, redirect(url_for("contracts.create"))
    existing = services.contract_of_bid(bid)
    if existing is not None:
        flash(_("Voor deze inschrijving is al een contract vastgelegd: %(c)s.", c=str(existing)), "warning")
        return None, redirect(url_for("contracts.detail", contract_id=existing.id))
    return bid, None


@bp.route("/nieuw", methods=["GET", "POST"])
@requires(Permission.EDIT_CONTRACTS)
def create():
    bid = None
    if request.args.get("bid"):
        bid, refusal = _awarded_bid(request.args["bid"])
        if refusal is not None:
            return refusal
    form = ContractCreateForm(bid=bid)
    if not form.is_submitted() and bid is not None:
        proposed = services.proposed_from_bid(bid)
        for name, value in proposed.items():
            form[name].data = pretty_json(value) if name == "payment_model" else value
    if form.is_submitted() and request.form.get("action") == "load_template":
        form.apply_template(overwrite=True)
        return render_template("contracts/create.html", form=form, bid=bid), _status_code(form)
    if form.is_submitted():
        form.apply_template(overwrite=False)
    if validate_submission(form, None, {"number": (Contract.number, NUMBER_TAKEN)}):
        done = attempt(lambda: services.create(form, bid, current_user), form=form, field="number",
                       conflict=str(NUMBER_TAKEN))
        if done.ok:
            flash(_("Contract %(c)s is opgeslagen.", c=str(done.value)), "success")
            return redirect(url_for("contracts.detail", contract_id=done.value.id))
    return render_template("contracts/create.html", form=form, bid=bid), _status_code(form)


# --- detail ---------------------------------------------------------------------------------------


@bp.route("/<int:contract_id>")
@requires(Permission.VIEW_CONTRACTS)
def detail(contract_id: int):
    contract = services.contract_or_404(contract_id)
    today = clock.today()
    return render_template(
        "contracts/detail.html",
        contract=contract,
        today=today,
        in_force=contract.version_on(today),
        referral_stop=services.referral_stop(contract),
        ends_soon=services.ends_soon(contract, today),
        lot_url=url_for("tenders.lot_detail", lot_id=contract.lot_id) if contract.lot_id else None,
        bid=services.bid_of(contract),
        ceiling=volume_ceiling(contract, today),
        places_taken=places_taken(contract.id),
        terms=contract.terms,
        history=history_for(session, "contract", contract.id),
    )


# --- edit -----------------------------------------------------------------------------------------


@bp.route("/<int:contract_id>/bewerken", methods=["GET", "POST"])
@requires(Permission.EDIT_CONTRACTS)
def edit(contract_id: int):
    contract = services.contract_or_404(contract_id)
    form = ContractEditForm(obj=contract, contract=contract)
    if not form.is_submitted():
        form.status.data = contract.status.value
        form.gemeenten.data = [g.id for g in contract.gemeenten]
    if form.validate_on_submit() and attempt(lambda: services.edit(contract, form), form=form).ok:
        flash(_("Contract %(c)s is opgeslagen.", c=str(contract)), "success")
        return redirect(url_for("contracts.detail", contract_id=contract.id))
    return render_template("contracts/edit.html", form=form, contract=contract), _status_code(form)


# --- versions -------------------------------------------------------------------------------------


@bp.route("/<int:contract_id>/wijziging", methods=["GET", "POST"])
@requires(Permission.EDIT_CONTRACTS)
def amend(contract_id: int):
    contract = services.contract_or_404(contract_id)
    form = AmendmentForm(contract=contract)
    current = services.current_version(contract)
    if not form.is_submitted():
        if current is not None:
            form.payment_model.data = pretty_json(current.payment_model)
            form.outcome_definitions.data = current.outcome_definitions
        today = clock.today()
        if contract.start_date <= today <= contract.end_date:
            form.effective_from.data = today
    editor = model_editor.handle(form, contract, current, request.form.get("action"))
    if editor.save and form.validate_on_submit() and not editor.field_errors:
        done = attempt(lambda: services.amend(contract, form, current_user), form=form)
        if done.ok:
            version = done.value
            flash(_("Versie %(n)s van contract %(c)s is vastgelegd, van kracht vanaf %(d)s.", n=version.number,
                    c=contract.number, d=format_date(version.effective_from)), "success")
            return redirect(url_for("contracts.version_detail", contract_id=contract.id, number=version.number))
    editor = model_editor.settle(form, editor)
    status = 422 if form.errors or editor.field_errors else 200
    return render_template("contracts/amend.html", form=form, contract=contract, current=current,
                           editor=editor), status


@bp.route("/<int:contract_id>/versies/<int:number>")
@requires(Permission.VIEW_CONTRACTS)
def version_detail(contract_id: int, number: int):
    contract = services.contract_or_404(contract_id)
    version = next((v for v in contract.versions if v.number == number), None) or abort(404)
    try:
        model, problems = PaymentModel.from_dict(version.payment_model), []
    except ModelError as exc:  # stored before a stricter schema: still readable as JSON
        model, problems = None, [f"{path}: {message}" for path, message in exc.problems]
    today = clock.today()
    in_force = contract.version_on(today)
    return render_template(
        "contracts/version.html",
        contract=contract,
        version=version,
        model=model,
        problems=problems,
        model_json=pretty_json(version.payment_model),
        in_force=in_force,
        today=today,
        base=model.base_price if model else None,
    )


# --- evaluations ----------------------------------------------------------------------------------


@bp.route("/<int:contract_id>/evaluaties/nieuw", methods=["GET", "POST"])
@requires(Permission.EDIT_CONTRACTS)
def evaluation_create(contract_id: int):
    contract = services.contract_or_404(contract_id)
    form = EvaluationForm(contract=contract)
    if form.validate_on_submit() and attempt(lambda: services.add_evaluation(contract, form, current_user),
                                             form=form).ok:
        flash(_("De evaluatie van contract %(c)s is vastgelegd.", c=contract.number), "success")
        return redirect(url_for("contracts.detail", contract_id=contract.id, _anchor="evaluaties"))
    return render_template("contracts/evaluation_form.html", form=form, contract=contract), _status_code(form)


# --- simulation -----------------------------------------------------------------------------------


@bp.route("/<int:contract_id>/simuleren", methods=["GET", "POST"])
@requires(Permission.VIEW_CONTRACTS)
def simulate(contract_id: int):
    contract = services.contract_or_404(contract_id)
    version = services.current_version(contract) or abort(404)
    return simulation_page(version.payment_model, str(contract), url_for("contracts.detail", contract_id=contract.id),
                           contract=contract)
