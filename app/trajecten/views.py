"""Pages for the klantmanager's and provider's work: caseload, work list, referral, traject timeline."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import audit, clock
from app.auth.permissions import Permission, requires
from app.db import session
from app.i18n import translate
from app.listing import paginate
from app.models.clients import Client
from app.models.registers import Provider
from app.models.trajecten import EvidenceFile, Traject
from app.models.users import Role
from app.scoping import MAX_ID, client_scope, get_scoped_or_404, traject_scope
from app.trajecten import evidence as evidence_store
from app.trajecten.forms import (
    EVENT_LABELS,
    EXIT_REASON_LABELS,
    WORK_KIND_LABELS,
    ConfirmForm,
    CorrectionForm,
    EventForm,
    ReferralForm,
    action_label,
    status_label,
)
from app.trajecten.services import (
    EventInput,
    TrajectError,
    candidate_contracts,
    confirm,
    engine_ready,
    history,
    money,
    needs_confirmation,
    open_actions,
    record_event,
    refer,
    revoked_ids,
)
from contracts.events import EventType
from contracts.lifecycle import CLOSED_STATUSES, TrajectStatus, effective
from contracts.worklist import ActionKind

bp = Blueprint("trajecten", __name__)



@bp.app_context_processor
def _labels():
    return {
        "event_label": lambda t: EVENT_LABELS[EventType(t)],
        "exit_reason_label": lambda r: EXIT_REASON_LABELS.get(r, r),
        "work_kind_label": lambda k: WORK_KIND_LABELS.get(k, k),
        "traject_status_label": status_label,
        "action_label": action_label,
    }


def _traject(traject_id: int) -> Traject:
    return get_scoped_or_404(Traject, traject_id, traject_scope(current_user))


# --- caseload -------------------------------------------------------------------------------------


def _enum_filter(column, enum_cls):
    def make(value: str):
        return column == enum_cls(value) if value in {m.value for m in enum_cls} else None
    return make


def _int_filter(column):
    def make(value: str):
        return column == int(value) if value.isdigit() and int(value) <= MAX_ID else None
    return make


def _open_filter(value: str):
    if value == "open":
        return Traject.status.not_in(CLOSED_STATUSES)
    if value == "closed":
        return Traject.status.in_(CLOSED_STATUSES)
    return None


@bp.route("/trajecten/")
@requires(Permission.VIEW_TRAJECTEN)
def index():
    stmt = engine_ready(select(Traject).join(Traject.client).join(Traject.provider)
                        .where(traject_scope(current_user)))
    page = paginate(
        session, stmt,
        sortable={"client": Client.last_name, "provider": Provider.name, "status": Traject.status,
                  "referral_date": Traject.referral_date, "last_event": Traject.last_event_on},
        default_sort="referral_date", default_direction="desc",
        searchable=[Client.last_name, Client.first_name],
        filters={
            "status": _enum_filter(Traject.status, TrajectStatus),
            "state": _open_filter,
            "provider": _int_filter(Traject.provider_id),
            "mine": lambda v: Client.klantmanager_id == current_user.id if v == "1" else None,
        },
    )
    today = clock.today()
    next_action = {t.id: next(iter(open_actions(t, today)), None) for t in page.items}
    providers = session.scalars(select(Provider).where(
        Provider.id.in_(select(Traject.provider_id).where(traject_scope(current_user)))).order_by(Provider.name))
    return render_template("trajecten/index.html", page=page, next_action=next_action, today=today,
                           statuses=[s.value for s in TrajectStatus],
                           provider_options=[(p.id, p.name) for p in providers])


@bp.route("/werklijst")
@requires(Permission.VIEW_TRAJECTEN)
def worklist():
    """Every overdue action of the open trajecten in view, most overdue first."""
    mine = request.args.get("mine", "1" if current_user.role == Role.KLANTMANAGER else "")
    kind = request.args.get("kind", "")
    # Closed trajecten stay in: a placement's durability is checked months after the traject ended.
    stmt = engine_ready(select(Traject).join(Traject.client).where(traject_scope(current_user))
                        .options(selectinload(Traject.client), selectinload(Traject.provider)))
    if mine == "1":
        stmt = stmt.where(Client.klantmanager_id == current_user.id)
    today = clock.today()
    rows = [(t, a) for t in session.scalars(stmt) for a in open_actions(t, today) if a.due <= today]
    counts = dict.fromkeys(ActionKind, 0)
    for _t, a in rows:
        counts[a.kind] += 1
    if kind in {k.value for k in ActionKind}:
        rows = [(t, a) for t, a in rows if a.kind == kind]
    rows.sort(key=lambda row: (row[1].due, row[0].id))
    return render_template("trajecten/worklist.html", rows=rows, today=today, mine=mine, kind=kind, counts=counts)


# --- referral -------------------------------------------------------------------------------------


@bp.route("/clienten/<int:client_id>/verwijzen", methods=["GET", "POST"])
@requires(Permission.REFER_CLIENTS)
def refer_client(client_id: int):
    client = get_scoped_or_404(Client, client_id, client_scope(current_user))
    form = ReferralForm()
    day = form.referral_date.data if form.is_submitted() and form.referral_date.data else clock.today()
    candidates = candidate_contracts(client, day)
    form.contract_id.choices = [(c.id, str(c)) for c, problems in candidates if not problems]
    valid = form.validate_on_submit()
    refused = next((problems for c, problems in candidates if c.id == form.contract_id.data and problems), None)
    if form.is_submitted() and refused:  # say why this contract is not on offer, not just "choose another"
        form.contract_id.errors = [translate(refused[0])]
    if valid:
        try:
            traject = refer(client, form.contract_id.data, form.referral_date.data, current_user,
                            form.motivation.data or "")
            session.commit()
        except TrajectError as error:
            session.rollback()
            form.contract_id.errors = [translate(error.message)]
        except IntegrityError:  # another referral of this client to this lot won the race
            session.rollback()
            form.contract_id.errors = [_("De cliënt heeft al een lopend traject in dit perceel.")]
        else:
            flash(_("%(client)s is verwezen: traject %(ref)s.", client=client.display_name, ref=traject.reference),
                  "success")
            return redirect(url_for("trajecten.detail", traject_id=traject.id))
    status = 422 if form.is_submitted() else 200
    return render_template("trajecten/refer.html", client=client, form=form, candidates=candidates, day=day), status


# --- one traject ----------------------------------------------------------------------------------


def _render_detail(traject: Traject, form: EventForm | None = None, status: int = 200):
    today = clock.today()
    return render_template(
        "trajecten/detail.html", traject=traject, today=today,
        form=form or EventForm(formdata=None, by_provider=current_user.role == Role.PROVIDER),
        owed=money(traject, today), actions=open_actions(traject, today),
        rows=[(traject, e) for e in traject.events], revoked=revoked_ids(traject),
        needs_confirmation=needs_confirmation,
    ), status


@bp.route("/trajecten/<int:traject_id>")
@requires(Permission.VIEW_TRAJECTEN)
def detail(traject_id: int):
    return _render_detail(_traject(traject_id))


def _store_evidence(form, traject: Traject) -> EvidenceFile | bool | None:
    """The uploaded evidence, None when there is none, or False when it was refused (error at the field)."""
    upload = form.evidence.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    try:
        return evidence_store.store(upload, traject.id, current_user.id)
    except evidence_store.EvidenceError as error:
        form.evidence.errors = [*form.evidence.errors, str(error)]
        return False


@bp.route("/trajecten/<int:traject_id>/gebeurtenissen", methods=["POST"])
@requires(Permission.RECORD_EVENTS)
def add_event(traject_id: int):
    traject = _traject(traject_id)
    form = EventForm(by_provider=current_user.role == Role.PROVIDER)
    if not form.validate_on_submit():
        return _render_detail(traject, form, 422)
    proof = _store_evidence(form, traject)
    if proof is False:
        session.rollback()
        return _render_detail(traject, form, 422)
    try:
        record_event(traject, form.to_input(), current_user, clock.today(), evidence=proof)
        session.commit()
    except TrajectError as error:
        session.rollback()
        getattr(form, error.field or "type").errors.append(translate(error.message))
        return _render_detail(_traject(traject_id), form, 422)
    flash(_("De gebeurtenis is vastgelegd."), "success")
    return redirect(url_for("trajecten.detail", traject_id=traject.id))


@bp.route("/trajecten/<int:traject_id>/correctie", methods=["GET", "POST"])
@requires(Permission.CONFIRM_OUTCOMES)
def correct(traject_id: int):
    traject = _traject(traject_id)
    standing = effective(history(traject))
    by_id = {e.id: e for e in traject.events}
    form = CorrectionForm()
    form.revokes_id.choices = [
        (int(e.id), f"{by_id[int(e.id)].event_date:%d-%m-%Y} {EVENT_LABELS[e.type]}") for e in standing]
    if not form.is_submitted() and request.args.get("event", "").isdigit():
        form.revokes_id.data = int(request.args["event"])
    if form.validate_on_submit():
        data = EventInput(type=EventType.CORRECTION, event_date=form.event_date.data, reason=form.reason.data,
                          revokes_id=form.revokes_id.data)
        try:
            record_event(traject, data, current_user, clock.today())
            session.commit()
        except TrajectError as error:
            session.rollback()
            form.revokes_id.errors = [translate(error.message)]
        else:
            flash(_("De correctie is vastgelegd."), "success")
            return redirect(url_for("trajecten.detail", traject_id=traject.id))
    status = 422 if form.is_submitted() else 200
    return render_template("trajecten/correct.html", traject=traject, form=form), status


@bp.route("/trajecten/<int:traject_id>/gebeurtenissen/<int:event_id>/bevestigen", methods=["GET", "POST"])
@requires(Permission.CONFIRM_OUTCOMES)
def confirm_event(traject_id: int, event_id: int):
    traject = _traject(traject_id)
    event = next((e for e in traject.events if e.id == event_id), None)
    if event is None:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        proof = _store_evidence(form, traject)
        if proof is not False:
            try:
                confirm(event, current_user, proof, form.note.data or "")
                session.commit()
            except (TrajectError, IntegrityError) as error:
                session.rollback()
                message = translate(error.message) if isinstance(error, TrajectError) else _(
                    "Deze gebeurtenis is al bevestigd.")
                form.evidence.errors = [*form.evidence.errors, message]
            else:
                flash(_("Het resultaat is bevestigd en telt nu mee voor de betaling."), "success")
                return redirect(url_for("trajecten.detail", traject_id=traject.id))
        session.rollback()
    status = 422 if form.is_submitted() else 200
    return render_template("trajecten/confirm.html", traject=traject, event=event, form=form,
                           needs=needs_confirmation(event)), status


@bp.route("/trajecten/<int:traject_id>/bewijs/<int:evidence_id>")
@requires(Permission.VIEW_TRAJECTEN)
def evidence(traject_id: int, evidence_id: int):
    """Serve a stored evidence file to someone who may see the traject; every look is logged."""
    traject = _traject(traject_id)
    found = session.scalar(select(EvidenceFile).where(EvidenceFile.id == evidence_id,
                                                      EvidenceFile.traject_id == traject.id)) \
        if evidence_id <= MAX_ID else None
    if found is None:
        abort(404)
    audit.record(session, "view_evidence", "traject", traject.id, {"evidence": found.id, "file": found.filename})
    session.commit()
    return send_file(evidence_store.path_of(found), mimetype=found.media_type, as_attachment=True,
                     download_name=found.filename)


# --- a client's whole history ---------------------------------------------------------------------


@bp.route("/clienten/<int:client_id>/tijdlijn")
@requires(Permission.VIEW_CLIENTS)
def client_timeline(client_id: int):
    """All of a client's trajecten on one time line, with what each event made owed."""
    client = get_scoped_or_404(Client, client_id, client_scope(current_user))
    trajecten = list(session.scalars(select(Traject).where(Traject.client_id == client.id,
                                                           traject_scope(current_user))
                                     .order_by(Traject.referral_date)))
    today = clock.today()
    owed = {t.id: money(t, today) for t in trajecten}
    rows = sorted(((t, e) for t in trajecten for e in t.events), key=lambda r: (r[1].event_date, r[1].id))
    revoked = set().union(*(revoked_ids(t) for t in trajecten))
    return render_template("trajecten/client_timeline.html", client=client, trajecten=trajecten, rows=rows,
                           owed=owed, revoked=revoked, today=today, needs_confirmation=needs_confirmation)
