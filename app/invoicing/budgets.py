"""Budgets per gemeente, year and funding source, and what is realised, committed and expected against them.

The arithmetic lives in :mod:`invoicing.budget` (pure, tested on its own); this module gathers its inputs
from the database and shows the result:

* :func:`realised` sums approved invoice lines in one query, per line gemeente and contract funding source;
* :func:`outlook` runs the payment engine over the open trajecten to find what they may still cost at most
  (committed) and will likely still cost (expected);
* :func:`positions` puts both next to the budget lines of a year, with the warnings and the reconciliation
  of the figures the budget's source reported.

Budgets are entered one by one or imported from a CSV file (all rows or none). A row whose reported
figures do not add up is stored all the same and flagged wherever it is shown: the audit that found a
budget table whose rows did not add up is the reason the figures are reconciled, not trusted. What each
figure means is written down in docs/budgets.md.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, true
from sqlalchemy.exc import IntegrityError

from app import clock
from app.audit import history_for
from app.auth.permissions import Permission, requires
from app.db import session
from app.forms import commit_form
from app.i18n import translate
from app.invoicing.budget_forms import (
    BAD_YEAR,
    DEFAULT_SOURCE,
    FIRST_YEAR,
    LAST_YEAR,
    MAX_AMOUNT,
    REQUIRED,
    TOO_LARGE,
    BudgetForm,
    BudgetImportForm,
)
from app.models.invoicing import Budget, Invoice, InvoiceLine
from app.models.procurement import Contract
from app.models.registers import Gemeente
from app.models.trajecten import Traject
from app.parsing import ParseError, parse_amount
from app.tabular import TOO_MANY_CELLS, FileError, Row, csv_records, decode, rows_of
from app.trajecten.services import PaymentModels, engine_ready, engine_traject
from app.validators import normalise_cbs
from contracts.engine import evaluate
from contracts.lifecycle import CLOSED_STATUSES, TrajectStatus
from contracts.money import ZERO, to_cents
from invoicing.budget import (
    DEFAULT,
    WARNING_LABELS,
    BudgetFigures,
    Position,
    expected_cost,
    max_cost,
    reconcile,
    remaining,
    warnings,
)
from invoicing.budget import Warning as BudgetWarning
from invoicing.status import APPROVED_STATUSES

bp = Blueprint("budgets", __name__, url_prefix="/budgetten")

Key = tuple[int | None, str]  # (gemeente id, funding source)

# When too few finished trajecten are known, an open one is expected to cost this share of its maximum.
DEFAULT_SHARE = Decimal("0.5")
# A referral the provider refused never ran and never cost anything: it says nothing about what a running
# traject will cost, so it is left out of the observed average (as it is left out of the volume ceiling).
FINISHED_STATUSES = frozenset(CLOSED_STATUSES) - {TrajectStatus.REFUSED}

COLUMNS = ("gemeente_cbs", "jaar", "bron", "budget", "overgeheveld", "besteed", "resterend", "toelichting")
TEMPLATE_NAME = "sjabloon-budgetten.csv"
DUPLICATE = _l("Er is al een budget voor deze gemeente, dit jaar en deze financieringsbron.")

WARNING_BADGES = {
    BudgetWarning.OVER_BUDGET: "badge-danger",
    BudgetWarning.COMMITTED_OVER: "badge-warning",
    BudgetWarning.UNDERSPENT: "badge-warning",
}


# --- realised: approved invoices ------------------------------------------------------------------


def realised(year: int, gemeente_id: int | None = None) -> dict[Key, Decimal]:
    """Approved money per (gemeente, funding source) for lines falling due in ``year``, excluding VAT.

    One grouped query rather than a loop over invoices, so that the overview stays one round trip however
    many invoices there are. A line is charged to its own gemeente (a joint contract's lines each carry the
    client's gemeente, and a contract-level bonus is split into one line per gemeente) and to its contract's
    funding source. Only invoices in :data:`~invoicing.status.APPROVED_STATUSES` count: until an invoice is
    approved its money is a claim, not spending. The year is the year the line's entitlement fell due, not the
    invoice or payment date, because that is the budget year the obligation belongs to. Line amounts exclude
    VAT: the gemeente reclaims the VAT from the BTW-compensatiefonds, so budgets are kept excluding VAT too.
    A credit note's lines are negative and lower the sum. ``ix_invoice_line_realised`` holds every column
    the sum needs, so the database reads that index and not the lines; ``gemeente_id`` limits it to one.
    """
    stmt = (
        select(InvoiceLine.gemeente_id, Contract.funding_source, func.sum(InvoiceLine.amount))
        .join(Invoice, InvoiceLine.invoice_id == Invoice.id)
        .join(Contract, Invoice.contract_id == Contract.id)
        .where(Invoice.status.in_(sorted(APPROVED_STATUSES)),
               InvoiceLine.due_on.between(date(year, 1, 1), date(year, 12, 31)),
               InvoiceLine.gemeente_id == gemeente_id if gemeente_id is not None else true())
        .group_by(InvoiceLine.gemeente_id, Contract.funding_source)
    )
    return {(gemeente_id, source): to_cents(Decimal(total or 0))
            for gemeente_id, source, total in session.execute(stmt)}


# --- committed and expected: open trajecten -------------------------------------------------------


class Outlook(NamedTuple):
    """What the open trajecten of one (gemeente, funding source) may and will likely still cost.

    The first two fields are the pair the overview needs; the counts say what the figures rest on.
    """

    committed: Decimal
    expected: Decimal
    trajecten: int = 0  # open trajecten counted
    undetermined: int = 0  # open trajecten whose maximum cannot be known (counted as 0)
    by_default: int = 0  # open trajecten whose expectation is the default share, not an observed average


@dataclass
class _Sum:
    committed: Decimal = ZERO
    expected: Decimal = ZERO
    trajecten: int = 0
    undetermined: int = 0
    by_default: int = 0

    def outlook(self) -> Outlook:
        return Outlook(to_cents(self.committed), to_cents(self.expected), self.trajecten, self.undetermined,
                       self.by_default)


def _observed(contract_id: int, today: date, models: PaymentModels) -> tuple[Decimal | None, int]:
    """The average total owed of a contract's finished trajecten as of ``today``, and how many there are."""
    finished = session.scalars(engine_ready(select(Traject).where(
        Traject.contract_id == contract_id, Traject.open_lot_key.is_(None),
        Traject.status.in_(sorted(FINISHED_STATUSES))))).all()
    if not finished:
        return None, 0
    totals = [evaluate(models.of(t), engine_traject(t), today).total for t in finished]
    return sum(totals, ZERO) / len(totals), len(totals)


def outlook(today: date) -> dict[Key, Outlook]:
    """Committed and expected money of the open trajecten, per client's gemeente and contract funding source.

    For each open traject (``open_lot_key`` set), with what approved invoices already paid for it (its
    realised money) and what it is owed so far under its own contract version (outcomes a provider reported
    count once confirmed, as everywhere else):

    * committed = its maximum cost (:func:`~invoicing.budget.max_cost`) less what is realised: whatever the
      outcome, it cannot cost more, so realised plus committed within budget means no outcome overspends.
      Money owed but not yet on an approved invoice is still to be paid, so it stays in the commitment;
    * expected = its likely total (:func:`~invoicing.budget.expected_cost`: the average of the same contract's
      finished trajecten when there are enough of them, else half the maximum), and at least what it is
      already owed, less what is realised; never above committed.

    A traject whose maximum cannot be determined (a percentage of a price it has not got) counts 0 and is
    counted in ``undetermined``, so that the page can say so rather than silently under-report.

    Every traject is evaluated once; a contract's finished trajecten once per contract, not per open traject.
    The costs are charged to the client's gemeente, as a joint contract's invoices are.
    """
    models = PaymentModels()
    observed: dict[int, tuple[Decimal | None, int]] = {}
    sums: dict[Key, _Sum] = {}
    open_ones = session.scalars(engine_ready(select(Traject).where(Traject.open_lot_key.is_not(None))
                                             .order_by(Traject.id))).all()
    paid = dict(session.execute(
        select(InvoiceLine.traject_id, func.sum(InvoiceLine.amount)).join(Invoice)
        .where(Invoice.status.in_(sorted(APPROVED_STATUSES)), InvoiceLine.traject_id.is_not(None),
               InvoiceLine.traject_id.in_(select(Traject.id).where(Traject.open_lot_key.is_not(None))))
        .group_by(InvoiceLine.traject_id)).all())
    for traject in open_ones:
        entry = sums.setdefault((traject.gemeente_id, traject.contract.funding_source), _Sum())
        entry.trajecten += 1
        model = models.of(traject)
        most = max_cost(model, traject.client_group, traject.price)
        if most is None:
            entry.undetermined += 1
            continue
        owed = evaluate(model, engine_traject(traject), today).total
        if traject.contract_id not in observed:
            observed[traject.contract_id] = _observed(traject.contract_id, today, models)
        average, count = observed[traject.contract_id]
        likely, basis = expected_cost(most, average, count, default_share=DEFAULT_SHARE)
        realised = Decimal(paid.get(traject.id) or ZERO)
        committed = remaining(most, realised)
        entry.committed += committed
        entry.expected += min(remaining(max(likely, owed), realised), committed)
        entry.by_default += basis == DEFAULT
    return {key: entry.outlook() for key, entry in sums.items()}


# --- the overview ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """A horizontal bar in percentages of its scale (to one decimal, for drawing only): realised, expected
    after it, and where the budget ends."""

    realised: Decimal
    expected: Decimal
    budget: Decimal


@dataclass
class PositionRow:
    """One line of the overview: a budget line, or money charged to a (gemeente, source) with no budget."""

    gemeente_id: int | None
    gemeente: str
    funding_source: str
    budget: Budget | None
    position: Position
    outlook: Outlook
    warnings: list[BudgetWarning] = field(default_factory=list)

    @property
    def has_budget(self) -> bool:
        return self.budget is not None

    @property
    def reported(self) -> str:
        """Whether the source reported spent and remaining: "none", "partial" or "complete"."""
        if self.budget is None:
            return "none"
        given = [v is not None for v in (self.budget.spent_reported, self.budget.remaining_reported)]
        return "complete" if all(given) else ("partial" if any(given) else "none")

    @property
    def difference(self) -> Decimal | None:
        """How far the reported row is off (:func:`~invoicing.budget.reconcile`); None when it cannot be told."""
        if self.reported != "complete":
            return None
        b = self.budget
        return reconcile(BudgetFigures(b.amount, b.carried_over, b.spent_reported, b.remaining_reported))

    @property
    def adds_up(self) -> bool:
        return self.difference is None or self.difference == 0

    @property
    def bar(self) -> Bar | None:
        p = self.position
        realised_part, expected_part = max(p.realised, ZERO), max(p.expected, ZERO)
        scale = max(p.budget, realised_part + expected_part)
        if scale <= 0:
            return None

        def share(amount: Decimal) -> Decimal:
            return (amount / scale * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

        return Bar(share(realised_part), share(expected_part), share(max(p.budget, ZERO)))

    @property
    def used_share(self) -> int | None:
        """The forecast as a whole percentage of the budget, for the bar's text equivalent."""
        if self.position.budget <= 0:
            return None
        return int((self.position.forecast / self.position.budget * 100).to_integral_value())


@dataclass
class Totals:
    budget: Decimal = ZERO
    realised: Decimal = ZERO
    committed: Decimal = ZERO
    expected: Decimal = ZERO
    trajecten: int = 0

    @property
    def available(self) -> Decimal:
        return self.budget - self.realised - self.committed

    @property
    def forecast(self) -> Decimal:
        return self.realised + self.expected


def totals(rows: Iterable[PositionRow]) -> Totals:
    t = Totals()
    for row in rows:
        t.budget += row.position.budget
        t.realised += row.position.realised
        t.committed += row.position.committed
        t.expected += row.position.expected
        t.trajecten += row.outlook.trajecten
    return t


def _settings() -> tuple[int, Decimal]:
    config = current_app.config
    return int(config["BUDGET_LATE_FROM_MONTH"]), Decimal(str(config["BUDGET_UNDERSPENT_SHARE"]))


def positions(year: int, today: date) -> list[PositionRow]:
    """The overview of ``year``: every budget line, and every (gemeente, source) with money but no budget.

    Commitments and expectations are reported against the current year only (an obligation may fall due up
    to two years after the referral, across budget years, and is not split over them): in the current year's
    view they all show, in other years' none. A (gemeente, source) that has money charged to it but no budget
    line is shown all the same, flagged, so that spending never disappears for want of a budget.
    """
    late_month, underspent = _settings()
    spent = realised(year)
    ahead = outlook(today) if year == today.year else {}
    names = dict(session.execute(select(Gemeente.id, Gemeente.name)).all())
    none = Outlook(ZERO, ZERO)
    rows: list[PositionRow] = []
    seen: set[Key] = set()
    budgets = session.scalars(select(Budget).where(Budget.year == year)).all()
    for budget in budgets:
        key = (budget.gemeente_id, budget.funding_source)
        seen.add(key)
        coming = ahead.get(key, none)
        position = Position(year, budget.amount + budget.carried_over, spent.get(key, ZERO), coming.committed,
                            coming.expected)
        rows.append(PositionRow(budget.gemeente_id, names.get(budget.gemeente_id, ""), budget.funding_source,
                                budget, position, coming,
                                warnings(position, today, late_month, underspent)))
    for key in sorted(set(spent) | set(ahead), key=lambda k: (k[0] or 0, k[1])):
        if key in seen:
            continue
        coming = ahead.get(key, none)
        position = Position(year, ZERO, spent.get(key, ZERO), coming.committed, coming.expected)
        if not (position.realised or position.committed or position.expected or coming.undetermined):
            continue
        gemeente_id, source = key
        rows.append(PositionRow(gemeente_id, names.get(gemeente_id, "") if gemeente_id else "", source, None,
                                position, coming))
    rows.sort(key=lambda r: (r.gemeente.lower(), r.funding_source.lower()))
    return rows


# --- funding sources ------------------------------------------------------------------------------


def known_sources() -> list[str]:
    """Every funding source in use, on budgets and on contracts, for the form's suggestions."""
    found = set(session.scalars(select(Budget.funding_source).distinct()))
    found |= set(session.scalars(select(Contract.funding_source).distinct()))
    found.add(DEFAULT_SOURCE)
    return sorted(found, key=str.lower)


def canonical_source(typed: str, known: Iterable[str]) -> str:
    """The source as typed, white space tidied, in the spelling already in use when it differs only in case.

    Budgets meet invoices on the exact funding source text of the contract: "participatiebudget" typed for
    "Participatiebudget" would otherwise make a second budget line that no invoice is charged to.
    """
    tidy = re.sub(r"\s+", " ", typed or "").strip()
    for source in known:
        if source.lower() == tidy.lower():
            return source
    return tidy


def _existing(gemeente_id: int, year: int, source: str) -> Budget | None:
    return session.scalar(select(Budget).where(Budget.gemeente_id == gemeente_id, Budget.year == year,
                                               func.lower(Budget.funding_source) == source.lower()))


# --- import ---------------------------------------------------------------------------------------


@dataclass
class ImportRow:
    line: int
    gemeente: Gemeente | None = None
    year: int | None = None
    source: str = ""
    amount: Decimal | None = None
    carried_over: Decimal = ZERO
    spent: Decimal | None = None
    remaining: Decimal | None = None
    note: str = ""
    outcome: str = ""  # "new", "updated" or "unchanged", once stored

    @property
    def key(self) -> tuple[int, int, str] | None:
        if self.gemeente is None or self.year is None or not self.source:
            return None
        return self.gemeente.id, self.year, self.source.lower()

    @property
    def difference(self) -> Decimal | None:
        if self.spent is None or self.remaining is None or self.amount is None:
            return None
        return reconcile(BudgetFigures(self.amount, self.carried_over, self.spent, self.remaining))


class _Cells:
    """The cells of one row, each problem noted at its column."""

    def __init__(self, row: Row, problems: list[dict]):
        self.row = row
        self.problems = problems

    def fail(self, column: str, message: Any) -> None:
        self.problems.append({"line": self.row.line, "column": column, "message": str(message)})

    def raw(self, column: str) -> str:
        return self.row.values.get(column, "")

    def text(self, column: str, max_length: int, required: bool = False) -> str:
        value = re.sub(r"\s+", " ", self.raw(column)).strip()
        if required and not value:
            self.fail(column, REQUIRED)
        elif len(value) > max_length:
            self.fail(column, _("Dit is te lang: hoogstens %(max)s tekens.", max=max_length))
        return value

    def amount(self, column: str, required: bool = False, negative: bool = False) -> Decimal | None:
        value = self.raw(column)
        if not value:
            if required:
                self.fail(column, REQUIRED)
            return None
        try:
            number = parse_amount(value, negative=negative)
        except ParseError as error:
            self.fail(column, translate(error.message))
            return None
        if abs(number) > MAX_AMOUNT:
            self.fail(column, TOO_LARGE)
        else:
            return to_cents(number)
        return None


def check_rows(rows: list[Row], known: list[str]) -> tuple[list[ImportRow], list[dict]]:
    """Read every row, noting every problem with its line and column; the rows are only good when none is."""
    by_cbs = {g.cbs_code: g for g in session.scalars(select(Gemeente))}
    problems: list[dict] = []
    checked: list[ImportRow] = []
    first_line: dict[tuple[int, int, str], int] = {}
    for row in rows:
        cells = _Cells(row, problems)
        item = ImportRow(row.line)
        if row.too_many:
            cells.fail("", TOO_MANY_CELLS)
        cbs = cells.raw("gemeente_cbs")
        if not cbs:
            cells.fail("gemeente_cbs", REQUIRED)
        else:
            code = normalise_cbs(cbs)
            if not re.fullmatch(r"GM\d{4}", code):
                cells.fail("gemeente_cbs", _("Een CBS-gemeentecode heeft de vorm GM0000 (GM en 4 cijfers)."))
            elif code not in by_cbs:
                cells.fail("gemeente_cbs", _("Er is geen gemeente met CBS-code %(code)s.", code=code))
            else:
                item.gemeente = by_cbs[code]
        year = cells.raw("jaar")
        if not year:
            cells.fail("jaar", REQUIRED)
        elif not year.isdigit() or not FIRST_YEAR <= int(year) <= LAST_YEAR:
            cells.fail("jaar", BAD_YEAR)
        else:
            item.year = int(year)
        item.source = canonical_source(cells.text("bron", 80, required=True), known)
        item.amount = cells.amount("budget", required=True)
        item.carried_over = cells.amount("overgeheveld", negative=True) or ZERO
        item.spent = cells.amount("besteed")
        item.remaining = cells.amount("resterend", negative=True)
        item.note = cells.text("toelichting", 2000)
        key = item.key
        if key is not None:
            if key in first_line:
                cells.fail("bron", _("Deze gemeente, dit jaar en deze bron staan ook op regel %(line)s.",
                                     line=first_line[key]))
            else:
                first_line[key] = row.line
        checked.append(item)
    order = {name: i for i, name in enumerate(COLUMNS)}
    problems.sort(key=lambda p: (p["line"], order.get(p["column"], -1)))
    return checked, problems


def store(rows: list[ImportRow]) -> None:
    """Add or update a budget line per row, in the caller's transaction: a row states the whole line."""
    for item in rows:
        budget = _existing(item.gemeente.id, item.year, item.source)
        values = {"amount": item.amount, "carried_over": item.carried_over, "spent_reported": item.spent,
                  "remaining_reported": item.remaining, "note": item.note}
        if budget is None:
            session.add(Budget(gemeente_id=item.gemeente.id, year=item.year, funding_source=item.source, **values))
            item.outcome = "new"
            continue
        changed = {name: value for name, value in values.items() if getattr(budget, name) != value}
        for name, value in changed.items():
            setattr(budget, name, value)
        item.outcome = "updated" if changed else "unchanged"
    session.flush()


# --- pages ----------------------------------------------------------------------------------------


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "budget_warning_label": lambda w: _(WARNING_LABELS[BudgetWarning(w)]),
        "budget_warning_badge": lambda w: WARNING_BADGES[BudgetWarning(w)],
        "budget_columns": COLUMNS,
    }


def _year_asked(today: date) -> int:
    year = request.args.get("jaar", type=int)
    return year if year is not None and FIRST_YEAR <= year <= LAST_YEAR else today.year


@bp.route("/")
@requires(Permission.VIEW_BUDGETS)
def index():
    today = clock.today()
    year = _year_asked(today)
    rows = positions(year, today)
    years = set(session.scalars(select(Budget.year).distinct())) | {today.year - 1, today.year, today.year + 1, year}
    late_month, underspent = _settings()
    return render_template("budgets/index.html", rows=rows, total=totals(rows), year=year, today=today,
                           years=sorted(years, reverse=True), late_month=late_month,
                           underspent_percent=int(underspent * 100))


def _save(form: BudgetForm, budget: Budget | None):
    known = known_sources()
    if form.is_submitted():
        ok = form.validate()
        source = canonical_source(form.funding_source.data or "", known)
        if ok:
            other = _existing(form.gemeente_id.data, form.year.data, source)
            if other is not None and (budget is None or other.id != budget.id):
                form.funding_source.errors = [*form.funding_source.errors, str(DUPLICATE)]
                ok = False
        if ok:
            record = budget or Budget()
            record.gemeente_id = form.gemeente_id.data
            record.year = form.year.data
            record.funding_source = source
            record.amount = form.amount.data
            record.carried_over = form.carried_over.data if form.carried_over.data is not None else ZERO
            record.spent_reported = form.spent_reported.data
            record.remaining_reported = form.remaining_reported.data
            record.note = (form.note.data or "").strip()
            session.add(record)
            if commit_form(form, {"funding_source": str(DUPLICATE)}):
                gemeente = session.get(Gemeente, record.gemeente_id)
                flash(_("Het budget %(source)s %(year)s van %(gemeente)s is opgeslagen.", source=record.funding_source,
                        year=record.year, gemeente=gemeente.name), "success")
                return redirect(url_for("budgets.index", jaar=record.year))
    history = history_for(session, "budget", budget.id) if budget is not None else []
    return render_template("budgets/form.html", form=form, budget=budget, sources=known,
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
    try:
        rows = rows_of(csv_records(decode(form.file.data.read())), COLUMNS)
    except FileError as error:
        form.file.errors = [*form.file.errors, str(error)]
        return render_template("budgets/import.html", form=form), 422
    checked, problems = check_rows(rows, known_sources())
    if problems:
        return render_template("budgets/import.html", form=form, problems=problems,
                               bad_lines=len({p["line"] for p in problems})), 422
    try:
        store(checked)
        session.commit()
    except IntegrityError:
        session.rollback()
        form.file.errors = [_("Het bestand kon niet worden opgeslagen: iemand anders legde tegelijk dezelfde "
                              "budgetten vast. Er is niets opgeslagen; probeer het opnieuw.")]
        return render_template("budgets/import.html", form=form), 409
    return render_template("budgets/imported.html", rows=checked,
                           off=[r for r in checked if r.difference not in (None, ZERO)],
                           counts={o: sum(1 for r in checked if r.outcome == o)
                                   for o in ("new", "updated", "unchanged")})


def _example() -> list[str]:
    cbs = session.scalar(select(Gemeente.cbs_code).order_by(Gemeente.name).limit(1)) or "GM0363"
    return [cbs, str(clock.today().year), DEFAULT_SOURCE, "250.000,00", "12.500,00", "180.000,00", "82.500,00",
            "Begroting na de voorjaarsnota"]


@bp.route("/sjabloon.csv")
@requires(Permission.VIEW_BUDGETS)
def template():
    """The header and one example row that adds up, ``;``-separated, UTF-8 with BOM so that Excel opens it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(COLUMNS)
    writer.writerow(_example())
    return Response(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{TEMPLATE_NAME}"'})

