"""The tenders (aanbestedingen) pages: lots, criteria, bids, their evaluation and scoring, and the award.

Routes only: each reads the request, calls a service of :mod:`app.tenders.services` through the unit of
work (:func:`app.uow.attempt`), and renders; the rules are those of :mod:`contracts.procurement`.
"""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app import clock
from app.audit import history_for
from app.auth.permissions import Permission, requires
from app.db import session
from app.formatting import date as format_date
from app.forms import DeleteForm, validate_submission
from app.i18n import translate
from app.listing import paginate
from app.models import AwardCriterion, Bid, Procedure, SelectionCriterion, Tender
from app.procurement.simulation import simulation_page
from app.tenders import services
from app.tenders.exports import release_package
from app.tenders.forms import (
    NUMBER_TAKEN,
    PROCEDURE_LABELS,
    REFERENCE_TAKEN,
    STATUS_LABELS,
    TRANSITION_LABELS,
    AwardCriterionForm,
    AwardForm,
    BidForm,
    DescriptionForm,
    LotForm,
    SelectionCriterionForm,
    TenderForm,
    TransitionForm,
    evaluation_form_class,
)
from app.tenders.services import BIDDING, EVALUATING, criteria_problems, moment
from app.uow import attempt
from contracts.model import ModelError, PaymentModel
from contracts.procurement import TENDER_TRANSITIONS, ProcurementError, ScoredBid, TenderStatus

bp = Blueprint("tenders", __name__, url_prefix="/aanbestedingen")

VIEW = Permission.VIEW_TENDERS
EDIT = Permission.EDIT_TENDERS
BID_TAKEN = _l("Deze aanbieder heeft al ingeschreven op dit perceel.")

# What a completed step tells the user: a sentence per status, since the labels do not all read as an
# adjective ("De aanbesteding is nu gunningsvoornemen bekendgemaakt").
STEP_DONE = {
    TenderStatus.PUBLISHED: _l("De aanbesteding is gepubliceerd."),
    TenderStatus.CLOSED: _l("De aanbesteding is gesloten; de inschrijvingen kunnen worden beoordeeld."),
    TenderStatus.EVALUATED: _l("De beoordeling is afgerond; de percelen kunnen worden gegund."),
    TenderStatus.STANDSTILL: _l("De standstill-termijn is ingegaan."),
    TenderStatus.CONTRACTED: _l("De aanbesteding is nu gecontracteerd."),
    TenderStatus.CANCELLED: _l("De aanbesteding is ingetrokken."),
}


@bp.context_processor
def _helpers():
    return {
        "status_label": lambda s: STATUS_LABELS[TenderStatus(s)],
        "procedure_label": lambda p: PROCEDURE_LABELS[Procedure(p)],
        "transition_label": lambda s: TRANSITION_LABELS[TenderStatus(s)],
        "moment": moment,
        "TenderStatus": TenderStatus,
    }


def _status(form) -> int:
    return 422 if form.errors else 200


def _locked_page(title: str, message: str, back_url: str):
    """A page that says why this can't be changed now (a GET of a form that is closed in this status)."""
    return render_template("tenders/locked.html", title=title, message=message, back_url=back_url)


def _refuse(message: str, back_url: str):
    flash(message, "danger")
    return redirect(back_url)


def _closed(locked: str | None, title: str, back: str):
    """The answer to a form that this status closes: a refusal to a POST, a page that says why to a GET."""
    if not locked:
        return None
    return _refuse(locked, back) if request.method == "POST" else _locked_page(title, locked, back)


# --- tenders --------------------------------------------------------------------------------------


def _status_is(value: str):
    if value not in TenderStatus._value2member_map_:
        return None
    return Tender.status == TenderStatus(value)


def _procedure_is(value: str):
    if value not in Procedure._value2member_map_:
        return None
    return Tender.procedure == Procedure(value)


@bp.route("/")
@requires(VIEW)
def index():
    page = paginate(
        session,
        select(Tender),
        sortable={"reference": Tender.reference, "title": Tender.title, "status": Tender.status,
                  "closing_at": Tender.closing_at},
        default_sort="reference",
        searchable=[Tender.reference, Tender.title],
        filters={"status": _status_is, "procedure": _procedure_is},
    )
    return render_template(
        "tenders/index.html",
        page=page,
        status_options=[(s.value, str(STATUS_LABELS[s])) for s in TenderStatus],
        procedure_options=[(p.value, str(PROCEDURE_LABELS[p])) for p in Procedure],
    )


@bp.route("/<int:tender_id>")
@requires(VIEW)
def detail(tender_id: int):
    tender = services.tender_or_404(tender_id)
    allowed = TENDER_TRANSITIONS[tender.status]
    return render_template(
        "tenders/detail.html",
        tender=tender,
        next_steps=[s for s in TenderStatus if s in allowed and s != TenderStatus.CANCELLED],
        can_cancel=TenderStatus.CANCELLED in allowed,
        weight_total=sum(c.weight for c in tender.award_criteria),
        criteria_problems=criteria_problems(tender),
        history=history_for(session, "tender", tender.id),
        form=TransitionForm(),
    )


def _save_tender(form: TenderForm, tender: Tender | None):
    if validate_submission(form, tender.id if tender else None, {"reference": (Tender.reference, REFERENCE_TAKEN)}):
        done = attempt(lambda: services.save_tender(tender, form), form=form, field="reference",
                       conflict=str(REFERENCE_TAKEN))
        if done.ok:
            flash(_("Aanbesteding %(ref)s is opgeslagen.", ref=done.value.reference), "success")
            return redirect(url_for("tenders.detail", tender_id=done.value.id))
    return render_template("tenders/form.html", form=form, tender=tender), _status(form)


@bp.route("/nieuw", methods=["GET", "POST"])
@requires(EDIT)
def create():
    return _save_tender(TenderForm(), None)


@bp.route("/<int:tender_id>/bewerken", methods=["GET", "POST"])
@requires(EDIT)
def edit(tender_id: int):
    tender = services.tender_or_404(tender_id)
    if tender.status != TenderStatus.DRAFT:
        return _edit_description(tender)
    form = TenderForm(obj=tender)
    if not form.is_submitted():
        form.procedure.data = tender.procedure.value
        form.gemeenten.data = [g.id for g in tender.gemeenten]
    return _save_tender(form, tender)


def _edit_description(tender: Tender):
    form = DescriptionForm(obj=tender)
    if form.validate_on_submit():
        others = set(request.form) - {"description", "csrf_token"}
        if attempt(lambda: services.save_description(tender, form.description.data or "", others), form=form).ok:
            flash(_("De omschrijving van %(ref)s is opgeslagen.", ref=tender.reference), "success")
            return redirect(url_for("tenders.detail", tender_id=tender.id))
    return render_template("tenders/description_form.html", form=form, tender=tender), _status(form)


@bp.route("/<int:tender_id>/status", methods=["POST"])
@requires(EDIT)
def transition(tender_id: int):
    tender = services.tender_or_404(tender_id)
    back = url_for("tenders.detail", tender_id=tender.id)
    form = TransitionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        target = TenderStatus(form.target.data or "")
    except ValueError:
        return _refuse(_("Kies de nieuwe status van de aanbesteding."), back)
    if attempt(lambda: services.step(tender, target, form.reason.data or "")).ok:
        if target == TenderStatus.AWARD_ANNOUNCED:
            flash(_("Het gunningsvoornemen is bekendgemaakt; de standstill-termijn loopt tot en met %(end)s.",
                    end=format_date(tender.standstill_end)), "success")
        else:
            flash(str(STEP_DONE[target]), "success")
    return redirect(back)


# --- criteria -------------------------------------------------------------------------------------


@bp.route("/<int:tender_id>/selectiecriteria/nieuw", methods=["GET", "POST"])
@requires(EDIT)
def selection_create(tender_id: int):
    tender = services.tender_or_404(tender_id)
    back = url_for("tenders.detail", tender_id=tender.id, _anchor="selectiecriteria")
    closed = _closed(services.criteria_locked(tender), _("Selectiecriterium toevoegen"), back)
    if closed:
        return closed
    form = SelectionCriterionForm()
    if form.validate_on_submit():
        done = attempt(lambda: services.add_selection_criterion(tender, form.name.data, form.description.data or ""),
                       form=form)
        if done.ok:
            flash(_("Selectiecriterium %(name)s is toegevoegd.", name=done.value.name), "success")
            return redirect(back)
    return render_template("tenders/criterion_form.html", form=form, tender=tender, kind="selection",
                           criterion=None), _status(form)


@bp.route("/<int:tender_id>/selectiecriteria/<int:criterion_id>/verwijderen", methods=["POST"])
@requires(EDIT)
def selection_delete(tender_id: int, criterion_id: int):
    criterion = services.criterion_or_404(SelectionCriterion, tender_id, criterion_id)
    return _delete_criterion(criterion, "selectiecriteria", _l("Selectiecriterium %(name)s is verwijderd."))


def _delete_criterion(criterion, anchor: str, done):
    back = url_for("tenders.detail", tender_id=criterion.tender_id, _anchor=anchor)
    if not DeleteForm().validate_on_submit():
        abort(400)
    name = criterion.name
    if attempt(lambda: services.delete_criterion(criterion)).ok:
        flash(str(done) % {"name": name}, "success")
    return redirect(back)


def _save_award_criterion(tender: Tender, criterion: AwardCriterion | None):
    back = url_for("tenders.detail", tender_id=tender.id, _anchor="gunningscriteria")
    title = _("Gunningscriterium bewerken") if criterion else _("Gunningscriterium toevoegen")
    closed = _closed(services.criteria_locked(tender), title, back)
    if closed:
        return closed
    form = AwardCriterionForm(obj=criterion, tender=tender, criterion=criterion)
    if form.validate_on_submit():
        done = attempt(lambda: services.save_award_criterion(tender, criterion, form), form=form)
        if done.ok:
            flash(_("Gunningscriterium %(name)s is opgeslagen.", name=done.value.name), "success")
            problems = criteria_problems(tender)
            if problems:
                flash(" ".join(problems), "warning")
            return redirect(back)
    return render_template("tenders/criterion_form.html", form=form, tender=tender, kind="award",
                           criterion=criterion), _status(form)


@bp.route("/<int:tender_id>/gunningscriteria/nieuw", methods=["GET", "POST"])
@requires(EDIT)
def award_criterion_create(tender_id: int):
    return _save_award_criterion(services.tender_or_404(tender_id), None)


@bp.route("/<int:tender_id>/gunningscriteria/<int:criterion_id>/bewerken", methods=["GET", "POST"])
@requires(EDIT)
def award_criterion_edit(tender_id: int, criterion_id: int):
    criterion = services.criterion_or_404(AwardCriterion, tender_id, criterion_id)
    return _save_award_criterion(criterion.tender, criterion)


@bp.route("/<int:tender_id>/gunningscriteria/<int:criterion_id>/verwijderen", methods=["POST"])
@requires(EDIT)
def award_criterion_delete(tender_id: int, criterion_id: int):
    criterion = services.criterion_or_404(AwardCriterion, tender_id, criterion_id)
    return _delete_criterion(criterion, "gunningscriteria", _l("Gunningscriterium %(name)s is verwijderd."))


# --- lots -----------------------------------------------------------------------------------------


def _save_lot(form: LotForm, tender: Tender, lot):
    if form.is_submitted() and "load_template" in request.form and "template" in form:
        # Fill the textarea from the chosen template and show the form again; nothing is saved.
        template = form.chosen_template()
        if template is None:
            form.template.errors = [str(_l("Kies eerst een sjabloon."))]
        else:
            form.payment_model.raw_data = None
            form.payment_model.data = json.dumps(template, indent=2, ensure_ascii=False)
        return render_template("tenders/lot_form.html", form=form, tender=tender, lot=lot), _status(form)
    if form.is_submitted():
        ok = form.validate()
        if form.number.data is not None and services.number_taken(tender, form.number.data, lot):
            form.number.errors = [*form.number.errors, str(NUMBER_TAKEN)]
            ok = False
        if ok:
            done = attempt(lambda: services.save_lot(tender, lot, form), form=form, field="number",
                           conflict=str(NUMBER_TAKEN))
            if done.ok:
                flash(_("%(lot)s is opgeslagen.", lot=str(done.value)), "success")
                return redirect(url_for("tenders.lot_detail", lot_id=done.value.id))
    return render_template("tenders/lot_form.html", form=form, tender=tender, lot=lot), _status(form)


@bp.route("/<int:tender_id>/percelen/nieuw", methods=["GET", "POST"])
@requires(EDIT)
def lot_create(tender_id: int):
    tender = services.tender_or_404(tender_id)
    back = url_for("tenders.detail", tender_id=tender.id, _anchor="percelen")
    closed = _closed(services.lots_locked(tender), _("Perceel toevoegen"), back)
    if closed:
        return closed
    form = LotForm(creating=True)
    if not form.is_submitted():
        form.number.data = max((lot.number for lot in tender.lots), default=0) + 1
        form.template.data = request.args.get("template", "")
        template = form.chosen_template()
        if template is not None:
            form.payment_model.data = json.dumps(template, indent=2, ensure_ascii=False)
    return _save_lot(form, tender, None)


@bp.route("/percelen/<int:lot_id>/bewerken", methods=["GET", "POST"])
@requires(EDIT)
def lot_edit(lot_id: int):
    lot = services.lot_or_404(lot_id)
    back = url_for("tenders.lot_detail", lot_id=lot.id)
    closed = _closed(services.lots_locked(lot.tender), _("%(lot)s bewerken", lot=str(lot)), back)
    if closed:
        return closed
    form = LotForm(obj=lot, creating=False)
    if not form.is_submitted():
        form.target_group_id.data = lot.target_group_id or 0
        form.payment_model.data = json.dumps(lot.payment_model, indent=2, ensure_ascii=False)
    return _save_lot(form, lot.tender, lot)


@bp.route("/percelen/<int:lot_id>")
@requires(VIEW)
def lot_detail(lot_id: int):
    lot = services.lot_or_404(lot_id, for_scoring=True)
    tender = lot.tender
    try:
        model = PaymentModel.from_dict(lot.payment_model)
    except ModelError:
        model = None
    scoring_problem = None
    rows: list[services.ScoreRow] = []
    tie: list[ScoredBid] = []
    try:
        scored = services.score(lot)
        rows = services.score_rows(lot, scored)
        tie = services.boundary_tie(scored, lot.award_count)
    except ProcurementError as exc:
        scoring_problem = translate(exc.message)
    return render_template(
        "tenders/lot_detail.html",
        lot=lot,
        tender=tender,
        model=model,
        model_json=json.dumps(lot.payment_model, indent=2, ensure_ascii=False),
        rows=rows,
        tie=tie,
        scoring_problem=scoring_problem,
        price_criteria=[c for c in tender.award_criteria if c.is_price],
        quality_criteria=[c for c in tender.award_criteria if not c.is_price],
        gaps={bid.id: services.evaluation_gaps(tender, bid) for bid in lot.bids},
        can_bid=tender.status in BIDDING,
        can_evaluate=tender.status in EVALUATING,
        can_award=tender.status == TenderStatus.EVALUATED,
        award_form=AwardForm(),
        awards=sorted(lot.awards, key=lambda a: (a.rank is None, a.rank or 0)),
        contracts_by_bid=services.contracts_by_bid(lot),
        lowest=min((r.bid.price for r in rows if r.scored.valid), default=None),
        history=history_for(session, "lot", lot.id),
    )


@bp.route("/percelen/<int:lot_id>/simuleren", methods=["GET", "POST"])
@requires(VIEW)
def lot_simulate(lot_id: int):
    lot = services.lot_or_404(lot_id)
    return simulation_page(lot.payment_model, str(lot), url_for("tenders.lot_detail", lot_id=lot.id))


# --- bids and their evaluation --------------------------------------------------------------------


@bp.route("/percelen/<int:lot_id>/inschrijvingen/nieuw", methods=["GET", "POST"])
@requires(EDIT)
def bid_create(lot_id: int):
    lot = services.lot_or_404(lot_id)
    back = url_for("tenders.lot_detail", lot_id=lot.id, _anchor="inschrijvingen")
    closed = _closed(services.bidding_locked(lot.tender), _("Inschrijving vastleggen"), back)
    if closed:
        return closed
    form = BidForm(lot=lot)
    if not form.is_submitted():
        form.submitted_at.data = clock.to_utc(clock.now_local())
    if form.validate_on_submit():
        done = attempt(lambda: services.add_bid(lot, form.provider_id.data, form.price.data, form.submitted_at.data,
                                                form.notes.data or ""),
                       form=form, field="provider_id", conflict=str(BID_TAKEN))
        if done.ok:
            flash(_("De inschrijving van %(name)s is vastgelegd.", name=done.value.provider.name), "success")
            return redirect(back)
    return render_template("tenders/bid_form.html", form=form, lot=lot, tender=lot.tender), _status(form)


@bp.route("/inschrijvingen/<int:bid_id>/beoordelen", methods=["GET", "POST"])
@requires(EDIT)
def bid_evaluate(bid_id: int):
    bid = session.get(Bid, bid_id) or abort(404)
    lot = bid.lot
    tender = lot.tender
    back = url_for("tenders.lot_detail", lot_id=lot.id, _anchor="inschrijvingen")
    closed = _closed(services.evaluating_locked(tender), _("Inschrijving beoordelen"), back)
    if closed:
        return closed
    evaluator = (request.args.get("beoordelaar") or current_user.full_name).strip()
    form = evaluation_form_class(tender)(data=services.evaluation_initial(bid, evaluator))
    if form.validate_on_submit() and attempt(lambda: services.store_evaluation(form, bid), form=form).ok:
        flash(_("De beoordeling van de inschrijving van %(name)s is opgeslagen.", name=bid.provider.name), "success")
        return redirect(back)
    quality = [c for c in tender.award_criteria if not c.is_price]
    return render_template("tenders/evaluate.html", form=form, bid=bid, lot=lot, tender=tender, quality=quality,
                           evaluators=sorted({s.evaluator for s in bid.scores})), _status(form)


# --- award ----------------------------------------------------------------------------------------


@bp.route("/percelen/<int:lot_id>/gunning", methods=["POST"])
@requires(EDIT)
def lot_award(lot_id: int):
    lot = services.lot_or_404(lot_id, for_scoring=True)
    back = url_for("tenders.lot_detail", lot_id=lot.id, _anchor="gunning")
    form = AwardForm()
    if not form.validate_on_submit():
        return _refuse(" ".join(str(e) for errors in form.errors.values() for e in errors), back)
    done = attempt(lambda: services.award_lot(lot, form.motivation.data or "", current_user))
    if done.ok:
        flash(_("De gunningsbeslissing voor %(lot)s is vastgelegd: %(n)s gegund.", lot=str(lot), n=done.value),
              "success")
    return redirect(back)


# --- export ---------------------------------------------------------------------------------------


@bp.route("/<int:tender_id>/ocds.json")
@requires(VIEW)
def ocds(tender_id: int):
    tender = services.tender_or_404(tender_id)
    response = jsonify(release_package(tender))
    response.headers["Content-Disposition"] = f"attachment; filename={tender.reference}-ocds.json"
    return response
