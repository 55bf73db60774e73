"""Pages for the klantmanager's and provider's work: caseload, work list, referral, traject timeline, and the
import of clients and events (its own blueprint, ``imports``, under /import).

Routes only: each parses the request, runs one service call through :func:`app.uow.attempt` (which commits,
or rolls back and shows the refusal at its field) and renders.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import audit, bulk, clock, uploads
from app.auth.permissions import Permission, can, requires
from app.clients.services import name_matches
from app.db import session
from app.i18n import translate
from app.listing import Joined, paginate
from app.models.clients import Client
from app.models.registers import Provider
from app.models.trajecten import EvidenceFile, ImportBatch, ImportKind, ImportStatus, Traject, TrajectEvent
from app.models.users import Role
from app.scoping import client_scope, get_scoped_or_404, id_in, traject_scope
from app.trajecten import evidence as evidence_store
from app.trajecten import worklist as worklists
from app.trajecten.exports import TEMPLATE_NAMES, import_template
from app.trajecten.forms import (
    EVENT_LABELS,
    EXIT_REASON_LABELS,
    IMPORT_KIND_LABELS,
    IMPORT_PERMISSIONS,
    IMPORT_STATUS_LABELS,
    WORK_KIND_LABELS,
    BulkConfirmForm,
    CloseForm,
    ConfirmForm,
    CorrectionForm,
    EventForm,
    ImportForm,
    ReferralForm,
    UploadForm,
    action_label,
    importable_kinds,
    status_label,
)
from app.trajecten.imports import COLUMNS
from app.trajecten.services import (
    EventInput,
    candidate_contracts,
    check_step,
    confirm,
    confirm_awaiting,
    discard_batch,
    engine_ready,
    find_batch,
    history,
    money,
    needs_confirmation,
    new_batch,
    open_actions,
    recent_batches,
    record_event,
    refer,
    revoked_ids,
    start_import,
    store_evidence,
)
from app.uow import attempt
from contracts.events import EventType
from contracts.lifecycle import CLOSED_STATUSES, TrajectStatus, effective, may_record
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
    # With its events and their confirmations: a traject with a long history read each confirmation on its own.
    return get_scoped_or_404(Traject, traject_id, traject_scope(current_user),
                             selectinload(Traject.events).selectinload(TrajectEvent.confirmation))


# --- caseload -------------------------------------------------------------------------------------


def _enum_filter(column, enum_cls):
    def make(value: str):
        return column == enum_cls(value) if value in {m.value for m in enum_cls} else None
    return make


def _int_filter(column):
    def make(value: str):
        return column == id_in(value) if id_in(value) is not None else None
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
    stmt = (select(Traject).where(traject_scope(current_user))
            .options(selectinload(Traject.client), selectinload(Traject.provider)))
    page = paginate(
        session, stmt,
        sortable={"client": Joined(Client.last_name, Traject.client),
                  "provider": Joined(Provider.name, Traject.provider), "status": Traject.status,
                  "referral_date": Traject.referral_date, "last_event": Traject.last_event_on},
        default_sort="referral_date", default_direction="desc",
        search=lambda q: Traject.client_id.in_(select(Client.id).where(name_matches(q))),
        filters={
            "status": _enum_filter(Traject.status, TrajectStatus),
            "state": _open_filter,
            "provider": _int_filter(Traject.provider_id),
            "mine": lambda v: Traject.client_id.in_(select(Client.id).where(Client.klantmanager_id == current_user.id))
            if v == "1" else None,
        },
    )
    today = clock.today()
    next_action = worklists.next_actions(t.id for t in page.items)
    providers = session.scalars(select(Provider).where(
        Provider.id.in_(select(Traject.provider_id).where(traject_scope(current_user)))).order_by(Provider.name))
    return render_template("trajecten/index.html", page=page, next_action=next_action, today=today,
                           close_form=_close_form(formdata=None) if page.items else None,
                           statuses=[s.value for s in TrajectStatus],
                           provider_options=[(p.id, p.name) for p in providers])


@bp.route("/werklijst")
@requires(Permission.VIEW_TRAJECTEN)
def worklist():
    """Every action come due on the trajecten in view (closed ones too: a placement's durability is checked
    months after the traject ended), longest overdue first."""
    mine = request.args.get("mine", "1" if current_user.role == Role.KLANTMANAGER else "") == "1"
    kind = request.args.get("kind", "")
    filters = worklists.Filters(mine=mine, kind=ActionKind(kind) if kind in set(ActionKind) else None,
                                klantmanager_id=None if mine else id_in(request.args.get("klantmanager")))
    today = clock.today()
    found = worklists.build(current_user, today, filters)
    bulk_form = BulkConfirmForm(formdata=None) if (filters.kind == ActionKind.CONFIRM_OUTCOME and found.page.items
                                                   and can(Permission.CONFIRM_OUTCOMES)) else None
    return render_template("trajecten/worklist.html", work=found, page=found.page, today=today, filters=filters,
                           bulk_form=bulk_form)


@bp.route("/werklijst/bevestigen", methods=["POST"])
@requires(Permission.CONFIRM_OUTCOMES)
def confirm_many():
    """Confirm the reported outcomes of the trajecten ticked on the work list, each against its own evidence."""
    form = BulkConfirmForm()
    back = redirect(url_for("trajecten.worklist", kind=ActionKind.CONFIRM_OUTCOME.value,
                            mine=request.args.get("mine", "")))
    chosen = _ticked_trajecten() if form.validate_on_submit() else []
    if not chosen:
        flash(_("Kies ten minste één traject."), "error")
        return back
    bulk.run(chosen, lambda t: t.reference, lambda t: confirm_awaiting(t, current_user), bool(form.only_valid.data),
             lambda n: ngettext("De resultaten van %(num)s traject zijn bevestigd.",
                                "De resultaten van %(num)s trajecten zijn bevestigd.", n),
             _refused_traject)
    return back


def _ticked_trajecten() -> list[Traject]:
    ids = bulk.ticked("traject")
    return list(session.scalars(engine_ready(select(Traject).where(Traject.id.in_(ids), traject_scope(current_user)))
                                .order_by(Traject.id))) if ids else []


def _refused_traject(reference: str, why: str) -> str:
    return _("Traject %(reference)s: %(why)s", reference=reference, why=why)


def _close_form(**kwargs) -> CloseForm | None:
    """The list's form to end trajecten, for a role that may record an end at all."""
    return CloseForm(**kwargs) if may_record(EventType.ENDED, current_user.role == Role.PROVIDER) else None


@bp.route("/trajecten/beeindigen", methods=["POST"])
@requires(Permission.RECORD_EVENTS)
def close_many():
    """End the ticked trajecten: an end event for each, recorded and judged as on the traject's own page."""
    form = _close_form()
    if form is None:
        abort(403)
    back = redirect(url_for("trajecten.index", **{k: v for k, v in request.args.items() if k in LIST_ARGS}))
    chosen = _ticked_trajecten()
    if not form.validate_on_submit() or not chosen:
        flash(_("Kies ten minste één traject en geef de einddatum en de reden."), "error")
        return back
    data = EventInput(type=EventType.ENDED, event_date=form.event_date.data, reason=form.reason.data)
    bulk.run(chosen, lambda t: t.reference, lambda t: record_event(t, data, current_user, clock.today()),
             bool(form.only_valid.data),
             lambda n: ngettext("%(num)s traject is beëindigd.", "%(num)s trajecten zijn beëindigd.", n),
             _refused_traject)
    return back


LIST_ARGS = ("q", "status", "state", "provider", "mine", "sort", "dir", "page")


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
        outcome = attempt(lambda: refer(client, form.contract_id.data, form.referral_date.data, current_user,
                                        form.motivation.data or ""),
                          form=form, field="contract_id",
                          conflict=_("De cliënt heeft al een lopend traject in dit perceel."))
        if outcome.ok:
            flash(_("%(client)s is verwezen: traject %(ref)s.", client=client.display_name,
                    ref=outcome.value.reference), "success")
            return redirect(url_for("trajecten.detail", traject_id=outcome.value.id))
    status = 422 if form.is_submitted() else 200
    return render_template("trajecten/refer.html", client=client, form=form, candidates=candidates, day=day), status


# --- one traject ----------------------------------------------------------------------------------


def _render_detail(traject: Traject, form: EventForm | None = None, status: int = 200):
    today = clock.today()
    return render_template(
        "trajecten/detail.html", traject=traject, today=today,
        form=form or EventForm(formdata=None, by_provider=current_user.role == Role.PROVIDER),
        owed=money(traject, today), actions=open_actions(traject),
        rows=[(traject, e) for e in traject.events], revoked=revoked_ids(traject),
        needs_confirmation=needs_confirmation,
    ), status


@bp.route("/trajecten/<int:traject_id>")
@requires(Permission.VIEW_TRAJECTEN)
def detail(traject_id: int):
    return _render_detail(_traject(traject_id))


@bp.route("/trajecten/<int:traject_id>/gebeurtenissen", methods=["POST"])
@requires(Permission.RECORD_EVENTS)
def add_event(traject_id: int):
    traject = _traject(traject_id)
    form = EventForm(by_provider=current_user.role == Role.PROVIDER)
    if not form.validate_on_submit():
        return _render_detail(traject, form, 422)
    outcome = attempt(lambda: record_event(traject, form.to_input(), current_user, clock.today(),
                                           evidence=store_evidence(form.evidence.data, traject, current_user)),
                      form=form, field="type")
    if not outcome.ok:
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
        if attempt(lambda: record_event(traject, data, current_user, clock.today()), form=form,
                   field="revokes_id").ok:
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
        outcome = attempt(lambda: confirm(event, current_user,
                                          store_evidence(form.evidence.data, traject, current_user),
                                          form.note.data or ""),
                          form=form, field="evidence", conflict=_("Deze gebeurtenis is al bevestigd."))
        if outcome.ok:
            flash(_("Het resultaat is bevestigd en telt nu mee voor de betaling."), "success")
            return redirect(url_for("trajecten.detail", traject_id=traject.id))
    status = 422 if form.is_submitted() else 200
    return render_template("trajecten/confirm.html", traject=traject, event=event, form=form,
                           needs=needs_confirmation(event)), status


@bp.route("/trajecten/<int:traject_id>/bewijs/<int:evidence_id>")
@requires(Permission.VIEW_TRAJECTEN)
def evidence(traject_id: int, evidence_id: int):
    """Serve a stored evidence file to someone who may see the traject; every look is logged."""
    traject = _traject(traject_id)
    found = session.scalar(select(EvidenceFile).where(EvidenceFile.id == evidence_id,
                                                      EvidenceFile.traject_id == traject.id))
    if found is None:
        abort(404)
    if found.purged_at is not None:
        abort(410)  # removed after its retention period (flask retention run)
    if not attempt(lambda: audit.record(session, "view_evidence", "traject", traject.id,
                                        {"evidence": found.id, "file": found.filename})).ok:
        abort(409)  # a look that cannot be logged is not given
    return send_file(evidence_store.path_of(found), mimetype=found.media_type, as_attachment=True,
                     download_name=found.filename)


# --- a client's whole history ---------------------------------------------------------------------


@bp.route("/clienten/<int:client_id>/tijdlijn")
@requires(Permission.VIEW_CLIENTS)
def client_timeline(client_id: int):
    """All of a client's trajecten on one time line, with what each event made owed."""
    client = get_scoped_or_404(Client, client_id, client_scope(current_user))
    # The engine's reading of every traject (events, confirmations, version) in a few queries for any number.
    trajecten = list(session.scalars(engine_ready(select(Traject).where(Traject.client_id == client.id,
                                                                        traject_scope(current_user))
                                                  .order_by(Traject.referral_date))))
    today = clock.today()
    owed = {t.id: money(t, today) for t in trajecten}
    rows = sorted(((t, e) for t in trajecten for e in t.events), key=lambda r: (r[1].event_date, r[1].id))
    revoked = set().union(*(revoked_ids(t) for t in trajecten))
    return render_template("trajecten/client_timeline.html", client=client, trajecten=trajecten, rows=rows,
                           owed=owed, revoked=revoked, today=today, needs_confirmation=needs_confirmation)


# --- imports (their own blueprint, under /import) ---------------------------------------------------

imports_bp = Blueprint("imports", __name__, url_prefix="/import")


@imports_bp.context_processor
def _import_labels() -> dict[str, Any]:
    return {
        "import_kind_label": lambda k: IMPORT_KIND_LABELS[ImportKind(k)],
        "import_status_label": lambda s: IMPORT_STATUS_LABELS[ImportStatus(s)],
        "import_columns": COLUMNS,
        "ImportStatus": ImportStatus,
    }


def _batch(batch_id: int, lock: bool = False) -> ImportBatch:
    """The batch if it is the user's own (an admin sees all); 404 otherwise, never a hint that it exists."""
    found = find_batch(batch_id, current_user, lock)
    if found is None:
        abort(404)
    if not can(IMPORT_PERMISSIONS[found.kind]):
        abort(403)
    return found


def _render_index(form: UploadForm, status: int = 200):
    return render_template("imports/index.html", form=form, batches=recent_batches(current_user),
                           kinds=importable_kinds()), status


@imports_bp.route("/", endpoint="index")
@requires(Permission.IMPORT_EVENTS)
def imports_index():
    return _render_index(UploadForm(formdata=None))


@imports_bp.route("/", methods=["POST"])
@requires(Permission.IMPORT_EVENTS)
def upload():
    form = UploadForm()
    if form.kind.data == ImportKind.CLIENTS.value and not can(Permission.IMPORT_CLIENTS):
        abort(403)
    if not form.validate_on_submit():
        return _render_index(form, 422)
    filename = form.file.data.filename
    raw = uploads.take(form, "file", current_user, "import")
    if raw is None:
        return _render_index(form, 422)
    outcome = attempt(lambda: new_batch(ImportKind(form.kind.data), filename, raw, current_user), form=form,
                      field="file")
    if not outcome.ok:
        return _render_index(form, 422)
    batch, seen = outcome.value
    if seen:
        flash(_("Je hebt dit bestand al eerder geïmporteerd. Regels die er al zijn, worden niet nog eens "
                "opgeslagen."), "info")
    return redirect(url_for("imports.batch", batch_id=batch.id))


def _render_batch(batch: ImportBatch, form: ImportForm | None = None, status: int = 200):
    problems = batch.problems or []
    bad_lines = len({p["line"] for p in problems})
    valid_rows = max(batch.total_rows - bad_lines, 0)
    form = form or ImportForm(formdata=None)
    own = batch.uploaded_by_id == current_user.id
    form.only_valid.label.text = _("Ik importeer alleen de %(n)s geldige regels; de regels met fouten worden "
                                   "niet opgeslagen", n=valid_rows)
    return render_template("imports/batch.html", batch=batch, problems=problems, bad_lines=bad_lines,
                           valid_rows=valid_rows, form=form,
                           may_import=own, may_discard=own or current_user.role == Role.ADMIN), status


@imports_bp.route("/<int:batch_id>")
@requires(Permission.IMPORT_EVENTS)
def batch(batch_id: int):
    return _render_batch(_batch(batch_id))


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


@imports_bp.route("/<int:batch_id>/controleren", methods=["POST"])
@requires(Permission.IMPORT_EVENTS)
def check(batch_id: int):
    """One step of the check; a second tab asking for a step already done checks nothing twice."""
    found = _batch(batch_id, lock=True)
    expected = request.form.get("from", "")
    in_step = not expected.isdigit() or int(expected) == found.checked_rows
    if found.status == ImportStatus.CHECKING and in_step:
        attempt(lambda: check_step(found, current_app.config["IMPORT_CHECK_ROWS_PER_STEP"], clock.today()))
    if _wants_json():
        return jsonify(checked=found.checked_rows, total=found.total_rows,
                       done=found.status != ImportStatus.CHECKING)
    return redirect(url_for("imports.batch", batch_id=found.id))


@imports_bp.route("/<int:batch_id>/importeren", methods=["POST"])
@requires(Permission.IMPORT_EVENTS)
def run(batch_id: int):
    found = _batch(batch_id, lock=True)
    if found.uploaded_by_id != current_user.id:
        abort(403)  # only the uploader imports: the rows are checked against their gemeenten and trajecten
    if found.status != ImportStatus.CHECKED:
        flash(_("Dit bestand kan nu niet worden geïmporteerd: het is %(status)s.",
                status=IMPORT_STATUS_LABELS[found.status]), "warning")
        return redirect(url_for("imports.batch", batch_id=found.id))
    only_valid = request.form.get("only_valid") == "1"
    outcome = attempt(lambda: start_import(found, current_user, only_valid, clock.today()))
    if not outcome.ok:
        return redirect(url_for("imports.batch", batch_id=found.id))
    return redirect(url_for("jobs.show", job_id=outcome.value.id))


@imports_bp.route("/<int:batch_id>/verwerpen", methods=["POST"])
@requires(Permission.IMPORT_EVENTS)
def discard(batch_id: int):
    found = _batch(batch_id, lock=True)
    outcome = attempt(lambda: discard_batch(found))
    if outcome.ok and outcome.value:
        flash(_("Het bestand is verworpen; er is niets uit opgeslagen."), "success")
    elif outcome.ok:
        flash(_("Dit bestand kan niet meer worden verworpen: het is %(status)s.",
                status=IMPORT_STATUS_LABELS[found.status]), "warning")
    return redirect(url_for("imports.batch", batch_id=batch_id))


@imports_bp.route("/sjabloon/<kind>.csv")
@requires(Permission.IMPORT_EVENTS)
def download_template(kind: str):
    if kind not in ImportKind._value2member_map_:
        abort(404)
    chosen = ImportKind(kind)
    if not can(IMPORT_PERMISSIONS[chosen]):
        abort(403)
    return Response(import_template(chosen, current_user, clock.today()), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{TEMPLATE_NAMES[chosen]}"'})
