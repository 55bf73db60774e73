"""The budget pages: the overview of a year, entering or editing a budget line, importing a file of them."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import clock, projections, uploads
from app.audit import history_for
from app.auth.permissions import Permission, requires
from app.budgets import imports, services
from app.budgets.forms import DEFAULT_SOURCE, FIRST_YEAR, LAST_YEAR, BudgetForm, BudgetImportForm
from app.db import session
from app.models.invoicing import Budget
from app.models.registers import Gemeente
from app.tabular import FileError
from app.uow import attempt
from contracts.money import ZERO
from invoicing.budget import WARNING_LABELS
from invoicing.budget import Warning as BudgetWarning

bp = Blueprint("budgets", __name__, url_prefix="/budgetten")

WARNING_BADGES = {
    BudgetWarning.OVER_BUDGET: "badge-danger",
    BudgetWarning.COMMITTED_OVER: "badge-warning",
    BudgetWarning.UNDERSPENT: "badge-warning",
}
DUPLICATE = _l("Er is al een budget voor deze gemeente, dit jaar en deze financieringsbron.")


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "budget_warning_label": lambda w: _(WARNING_LABELS[BudgetWarning(w)]),
        "budget_warning_badge": lambda w: WARNING_BADGES[BudgetWarning(w)],
        "budget_columns": imports.COLUMNS,
    }


def _year_asked(today: date) -> int:
    year = request.args.get("jaar", type=int)
    return year if year is not None and FIRST_YEAR <= year <= LAST_YEAR else today.year


@bp.route("/")
@requires(Permission.VIEW_BUDGETS)
def index():
    today = clock.today()
    year = _year_asked(today)
    rows = services.positions(year, today)
    late_month, underspent = services.settings()
    signalled = request.args.get("signalen") == "1"  # only the lines with a warning (the start page links here)
    return render_template("budgets/index.html", rows=services.signalled(rows) if signalled else rows,
                           total=services.totals(rows), signalled=signalled, year=year, today=today,
                           years=services.years_offered(year, today), late_month=late_month,
                           underspent_percent=int(underspent * 100), stale=projections.stale_count())


def _values(form: BudgetForm) -> services.BudgetValues:
    return services.BudgetValues(
        form.gemeente_id.data, form.year.data, form.funding_source.data or "", form.amount.data,
        form.carried_over.data if form.carried_over.data is not None else ZERO, form.spent_reported.data,
        form.remaining_reported.data, form.note.data or "")


def _save(form: BudgetForm, budget: Budget | None):
    if form.validate_on_submit():
        done = attempt(lambda: services.save(budget, _values(form)), form=form, field="funding_source",
                       conflict=str(DUPLICATE))
        if done.ok:
            record = done.value
            flash(_("Het budget %(source)s %(year)s van %(gemeente)s is opgeslagen.", source=record.funding_source,
                    year=record.year, gemeente=session.get(Gemeente, record.gemeente_id).name), "success")
            return redirect(url_for("budgets.index", jaar=record.year))
    history = history_for(session, "budget", budget.id) if budget is not None else []
    return render_template("budgets/form.html", form=form, budget=budget, sources=services.known_sources(),
                           history=history), 422 if form.errors else 200


@bp.route("/nieuw", methods=["GET", "POST"])
@requires(Permission.EDIT_BUDGETS)
def create():
    form = BudgetForm()
    if not form.is_submitted():  # the overview links here with the year, and for money without a budget line
        form.year.data = _year_asked(clock.today())
        form.gemeente_id.data = request.args.get("gemeente", default=0, type=int)
        form.funding_source.data = (request.args.get("bron") or DEFAULT_SOURCE)[:80]
    return _save(form, None)


@bp.route("/<int:budget_id>/bewerken", methods=["GET", "POST"])
@requires(Permission.EDIT_BUDGETS)
def edit(budget_id: int):
    budget = session.get(Budget, budget_id) or abort(404)
    return _save(BudgetForm(obj=budget), budget)


@bp.route("/import", methods=["GET", "POST"])
@requires(Permission.EDIT_BUDGETS)
def import_budgets():
    form = BudgetImportForm()
    if not form.validate_on_submit():
        return render_template("budgets/import.html", form=form), 422 if form.errors else 200
    raw = uploads.take(form, "file", current_user, "budget_import")
    if raw is None:
        return render_template("budgets/import.html", form=form), 422
    try:
        checked, problems = imports.read_rows(raw, services.known_sources())
    except FileError as error:
        form.file.errors = [*form.file.errors, str(error)]
        return render_template("budgets/import.html", form=form), 422
    if problems:
        return render_template("budgets/import.html", form=form, problems=problems,
                               bad_lines=len({p["line"] for p in problems})), 422
    done = attempt(lambda: services.store(checked), form=form, field="file", conflict=_(
        "Het bestand kon niet worden opgeslagen: iemand anders legde tegelijk dezelfde budgetten vast. Er is "
        "niets opgeslagen; probeer het opnieuw."))
    if not done.ok:
        return render_template("budgets/import.html", form=form), 409
    return render_template("budgets/imported.html", rows=checked,
                           off=[r for r in checked if r.difference not in (None, ZERO)],
                           counts={o: sum(1 for r in checked if r.outcome == o)
                                   for o in ("new", "updated", "unchanged")})


@bp.route("/sjabloon.csv")
@requires(Permission.VIEW_BUDGETS)
def template():
    return Response(imports.template_csv(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{imports.TEMPLATE_NAME}"'})
