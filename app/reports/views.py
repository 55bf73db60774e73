"""Pages for provider performance and the management report: every figure with its definition, its basis,
its group size and interval, and one click to the trajecten behind it."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app import clock
from app.auth.permissions import Permission, can, requires
from app.db import session
from app.forms import DeleteForm, commit_form
from app.models.reports import PerformanceTarget
from app.models.users import Role
from app.reports import services
from app.reports import targets as targets_of
from app.reports.charts import cohort_chart_svg, marap_charts_svg, month_label
from app.reports.exports import file_stem, marap_xlsx
from app.reports.forms import ReportForm, TargetForm
from app.reports.jobs import start_marap_pdf
from app.reports.marap import build as build_marap
from app.scoping import id_in
from app.spreadsheet import XLSX_MIMETYPE
from app.uow import attempt
from contracts.indicators import (
    BASIS_LABELS,
    BASIS_NAMES,
    INDICATORS,
    LIGHT_LABELS,
    MIN_GROUP,
    VERDICT_LABELS,
    Basis,
    Kind,
    Verdict,
    column_group,
    column_groups,
)

bp = Blueprint("reports", __name__, url_prefix="/rapportages")


# The fact that dates each part of an indicator, as the definitions on the page name it.
DATE_LABELS = {
    "referral_date": _l("de verwijsdatum"), "accepted_on": _l("de acceptatie"), "refused_on": _l("de weigering"),
    "started_on": _l("de start"), "placed_on": _l("de eerste plaatsing"), "durable_on": _l("de bevestiging van "
    "duurzaamheid"), "exited_on": _l("de uitstroom"), "dropped_out_on": _l("de uitval"),
    "returned_on": _l("de terugmelding"), "ended_on": _l("het einde"), "fell_back_on": _l("de terugval"),
}


@bp.app_context_processor
def _labels():
    return {"indicator_label": lambda i: _(INDICATORS[i].label), "light_label": lambda light: _(LIGHT_LABELS[light]),
            "basis_label": lambda b: _(BASIS_LABELS[Basis(b)]), "basis_name": lambda b: _(BASIS_NAMES[Basis(b)]),
            "column_group": column_group, "MIN_GROUP": MIN_GROUP, "Kind": Kind,
            "comparison_verdict_label": lambda v: _(VERDICT_LABELS[Verdict(v)]),
            "date_label": lambda field: DATE_LABELS[field], "month_label": month_label}


def _form() -> ReportForm:
    form = ReportForm(formdata=request.args, today=clock.today())
    form.validate()
    return form


def _args() -> dict:
    """The current query string without drill-down keys: to build links that keep the user's choices. A
    ``fmt`` someone typed is left out too: the links name their own file format."""
    return {k: v for k, v in request.args.items() if k not in ("indicator", "part", "group", "page", "fmt")}


@bp.route("/")
@requires(Permission.VIEW_REPORTS)
def index():
    form = _form()
    query = form.query()
    table = services.table(query)
    return render_template("reports/index.html", form=form, query=query, table=table, args=_args(),
                           indicators=list(INDICATORS.values()),
                           column_groups=column_groups(i.id for i in table.indicators))


@bp.route("/trajecten")
@requires(Permission.VIEW_REPORTS)
def members():
    """The trajecten counted in one figure: the same SQL condition as the number, so the two always agree.

    Shown by traject number and facts only, without client names: the roles that read reports do not work
    with clients; a user who may (admin) can open each traject.
    """
    form = _form()
    indicator = request.args.get("indicator", "")
    part = request.args.get("part", "")
    if indicator not in INDICATORS or part not in ("numerator", "denominator"):
        abort(404)
    group_arg = request.args.get("group")
    query = form.query()
    group: object | None = None
    if group_arg not in (None, ""):
        group = id_in(group_arg) if query.group_by in services.NUMBERED_GROUPS else group_arg
        if group is None:
            abort(404)  # no group of this grouping has that key
    rows, total = services.members(query, indicator, part, group)
    return render_template("reports/members.html", form=form, query=query, indicator=INDICATORS[indicator],
                           part=part, rows=rows, total=total, args=_args(),
                           group_label=services.group_labels(query.group_by, [group]).get(group, group_arg)
                           if group is not None else None,
                           may_open=can(Permission.VIEW_TRAJECTEN) and current_user.role != Role.PROVIDER)


@bp.route("/vergelijking")
@requires(Permission.VIEW_REPORTS)
def comparison():
    """A fair comparison: rates against what each provider's mix of clients predicts; creaming and parking
    signs; and how fast each provider's starts turn into placements."""
    form = _form()
    query = form.query()
    curves = services.cohort_curves(query)
    today = clock.today()
    costs = services.money(query, today)
    standardised, selection = services.fairness(query, today)
    return render_template("reports/comparison.html", form=form, query=query, args=_args(),
                           standardised=standardised, selection=selection,
                           curves=curves, chart=cohort_chart_svg(curves) if curves else None, costs=costs,
                           costs_total=services.totals_of(costs),
                           names=services.group_labels(query.group_by, list(costs)),
                           definitions=services.MONEY_DEFINITIONS, horizon=services.HORIZON_MONTHS,
                           inactive_days=services.INACTIVE_DAYS)


# --- targets --------------------------------------------------------------------------------------


@bp.route("/doelen")
@requires(Permission.VIEW_REPORTS)
def targets():
    year = request.args.get("jaar", type=int) or clock.today().year
    return render_template("reports/targets.html", rows=targets_of.judged(year, clock.today()), year=year,
                           indicators=INDICATORS)


def _save_target(target: PerformanceTarget | None):
    form = TargetForm(obj=target)
    if form.validate_on_submit():
        duplicate = session.scalar(select(PerformanceTarget.id).where(
            PerformanceTarget.indicator == form.indicator.data, PerformanceTarget.year == form.year.data,
            PerformanceTarget.contract_id.is_(None) if not form.contract_id.data
            else PerformanceTarget.contract_id == form.contract_id.data,
            PerformanceTarget.gemeente_id.is_(None) if not form.gemeente_id.data
            else PerformanceTarget.gemeente_id == form.gemeente_id.data,
            PerformanceTarget.id != (target.id if target else 0)))
        if duplicate is not None:
            form.indicator.errors = [_("Voor deze indicator, dit jaar en dit contract of deze gemeente is al een "
                                       "doel vastgelegd.")]
        else:
            record = target or PerformanceTarget()
            record.indicator, record.year = form.indicator.data, form.year.data
            record.contract_id = form.contract_id.data or None
            record.gemeente_id = form.gemeente_id.data or None
            record.target, record.tolerance = form.target.data, form.tolerance.data or 0
            record.note = (form.note.data or "").strip()
            session.add(record)
            if commit_form(form):
                flash(_("Het doel is opgeslagen."), "success")
                return redirect(url_for("reports.targets", jaar=record.year))
    status = 422 if form.is_submitted() else 200
    return render_template("reports/target_form.html", form=form, target=target), status


@bp.route("/doelen/nieuw", methods=["GET", "POST"])
@requires(Permission.EDIT_TARGETS)
def target_create():
    return _save_target(None)


@bp.route("/doelen/<int:target_id>/bewerken", methods=["GET", "POST"])
@requires(Permission.EDIT_TARGETS)
def target_edit(target_id: int):
    target = session.get(PerformanceTarget, target_id)
    if target is None:
        abort(404)
    return _save_target(target)


@bp.route("/doelen/<int:target_id>/verwijderen", methods=["POST"])
@requires(Permission.EDIT_TARGETS)
def target_delete(target_id: int):
    target = session.get(PerformanceTarget, target_id)
    if target is None:
        abort(404)
    if not DeleteForm().validate_on_submit():
        abort(400)
    year = target.year
    if attempt(lambda: session.delete(target)).ok:
        flash(_("Het doel is verwijderd."), "success")
    return redirect(url_for("reports.targets", jaar=year))


# --- the management report ------------------------------------------------------------------------


def _marap_input():
    form = _form()
    query = form.query()
    gemeente_id = form.gemeente.data or None
    return form, query, gemeente_id


@bp.route("/marap")
@requires(Permission.VIEW_REPORTS)
def marap():
    form, query, gemeente_id = _marap_input()
    report = build_marap(gemeente_id, query.period, clock.today()) if gemeente_id else None
    charts = None
    if report is not None:
        charts = marap_charts_svg(report, services.cohort_curves(_cohort_query(report)))
    return render_template("reports/marap.html", form=form, report=report, charts=charts, args=_args())


def _cohort_query(report):
    return services.Query(period=report.period, gemeente_ids=frozenset({report.gemeente_id}))


@bp.route("/marap.<fmt>")
@requires(Permission.VIEW_REPORTS)
def marap_file(fmt: str):
    if fmt != "xlsx":
        abort(404)  # the PDF is made in the background: marap_pdf
    query, gemeente_id = _marap_input()[1:]
    if not gemeente_id:
        flash(_("Kies een gemeente voor de managementrapportage."), "error")
        return redirect(url_for("reports.marap", **_args()))
    report = build_marap(gemeente_id, query.period, clock.today())
    curves = services.cohort_curves(_cohort_query(report))
    return Response(marap_xlsx(report, curves),
                    mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f"attachment; filename={file_stem(report)}.xlsx"})


@bp.route("/marap-pdf", methods=["POST"])
@requires(Permission.VIEW_REPORTS)
def marap_pdf():
    """Start making the marap's PDF in the background; its job page offers the file when it is ready."""
    query, gemeente_id = _marap_input()[1:]
    if not gemeente_id:
        flash(_("Kies een gemeente voor de managementrapportage."), "error")
        return redirect(url_for("reports.marap", **_args()))
    done = attempt(lambda: start_marap_pdf(gemeente_id, query.period, current_user, clock.today()))
    if not done.ok:
        return redirect(url_for("reports.marap", **_args()))
    return redirect(url_for("jobs.show", job_id=done.value.id))
