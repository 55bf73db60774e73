"""Finance's pages: invoices, payment runs, a provider's own invoice, the steps of approval, exports, overdue."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import bulk, clock, uploads
from app.auth.permissions import Permission, can, requires
from app.db import session
from app.invoicing import services, work
from app.invoicing.exports import buyers, ledger_csv, ledger_xlsx, ubl_xml
from app.invoicing.forms import (
    BulkStepForm,
    DecisionForm,
    PaymentRunForm,
    ProviderInvoiceForm,
    StepForm,
    invoice_status_label,
    verdict_label,
)
from app.invoicing.imports import read_claims, template_csv
from app.invoicing.work import WORK_LABELS, Work
from app.listing import paginate
from app.models.invoicing import Invoice, InvoiceExport, InvoiceLine, LineDecision
from app.models.procurement import Contract
from app.models.registers import Provider
from app.models.users import Role
from app.scoping import get_scoped_or_404, id_in, invoice_scope
from app.spreadsheet import XLSX_MIMETYPE
from app.tabular import FileError
from app.uow import attempt
from invoicing.status import BUTTON_STEPS, STEP_LABELS, InvoiceStatus, Step, approvals_needed, days_overdue
from invoicing.ubl import UblError

bp = Blueprint("invoices", __name__, url_prefix="/facturen")


@bp.app_context_processor
def _labels():
    return {"invoice_status_label": invoice_status_label, "verdict_label": verdict_label,
            "step_label": lambda s: _(STEP_LABELS[Step(s)]),
            "days_overdue": lambda invoice: days_overdue(invoice.status, invoice.due_date, clock.today())}


def _invoice(invoice_id: int) -> Invoice:
    # Its lines with their trajecten in two more queries: an invoice of a thousand lines read each traject on
    # its own (1,122 statements and a second at 100,000 trajecten).
    return get_scoped_or_404(Invoice, invoice_id, invoice_scope(current_user),
                             selectinload(Invoice.lines).selectinload(InvoiceLine.traject))


def _int_filter(column):
    def make(value: str):
        return column == id_in(value) if id_in(value) is not None else None
    return make


LIST_ARGS = ("q", "status", "werk", "provider", "contract", "sort", "dir", "page")


@bp.route("/")
@requires(Permission.VIEW_INVOICES)
def index():
    stmt = select(Invoice).join(Invoice.provider).where(invoice_scope(current_user)).options(
        selectinload(Invoice.contract))
    page = paginate(
        session, stmt,
        sortable={"number": Invoice.number, "provider": Provider.name, "issue_date": Invoice.issue_date,
                  "due_date": Invoice.due_date, "total": Invoice.total, "status": Invoice.status},
        default_sort="issue_date", default_direction="desc",
        searchable=[Invoice.number, Invoice.external_number, Provider.name],
        filters={
            "status": lambda v: Invoice.status == InvoiceStatus(v) if v in {s.value for s in InvoiceStatus} else None,
            "provider": _int_filter(Invoice.provider_id),
            "contract": _int_filter(Invoice.contract_id),
            "werk": lambda v: work.condition(Work(v), current_user, clock.today()) if v in set(Work) else None,
        },
    )
    providers = session.scalars(select(Provider).where(
        Provider.id.in_(select(Invoice.provider_id).where(invoice_scope(current_user)))).order_by(Provider.name))
    return render_template("invoices/index.html", page=page, bulk_form=_bulk_form(formdata=None),
                           statuses=[s.value for s in InvoiceStatus],
                           work_options=[(w.value, _(WORK_LABELS[w])) for w in Work],
                           provider_options=[(p.id, p.name) for p in providers])


# --- payment run ----------------------------------------------------------------------------------


@bp.route("/betaalrun", methods=["GET", "POST"])
@requires(Permission.PROCESS_INVOICES)
def payment_run():
    """Draft self-billing invoices for what fell due in a period; the provider checks each before it is paid."""
    form = PaymentRunForm()
    contracts = services.contracts_in_view(current_user)
    form.contract_id.choices = [(0, _("alle contracten"))] + [(c.id, str(c)) for c in contracts]
    if request.method == "GET" and not form.period_start.data:
        today = clock.today()
        last_month_end = today.replace(day=1) - timedelta(days=1)
        form.period_start.data, form.period_end.data = last_month_end.replace(day=1), last_month_end
    if form.validate_on_submit():
        chosen = [c for c in contracts if form.contract_id.data in (0, c.id)]
        done = attempt(lambda: services.start_payment_run(
            chosen, (form.period_start.data, form.period_end.data), current_user, clock.today()),
            form=form, field="contract_id")
        if done.ok:
            return redirect(url_for("jobs.show", job_id=done.value.id))
    status = 422 if form.is_submitted() else 200
    return render_template("invoices/run.html", form=form,
                           backlog=services.backlog(contracts)), status


# --- a provider's own invoice ---------------------------------------------------------------------


@bp.route("/aanbiederfactuur", methods=["GET", "POST"])
@requires(Permission.SUBMIT_INVOICES)
def provider_invoice():
    form = ProviderInvoiceForm()
    form.contract_id.choices = [(c.id, str(c)) for c in services.contracts_in_view(current_user)]
    problems: list[dict] = []
    raw = uploads.take(form, "file", current_user, "invoice_import") if form.validate_on_submit() else None
    if raw is not None:
        try:
            claims, problems = read_claims(raw)
        except FileError as error:
            form.file.errors = [str(error)]
        else:
            if problems:
                form.file.errors = [_("Het bestand heeft %(n)s fouten; er is niets opgeslagen.", n=len(problems))]
            else:
                done = attempt(lambda: services.enter_provider_invoice(
                    session.get(Contract, form.contract_id.data), form.external_number.data, form.issue_date.data,
                    (form.period_start.data, form.period_end.data), claims, current_user), form=form, field="file")
                if done.ok:
                    flash(_("Factuur %(number)s is ingelezen; elke regel is vergeleken met wat verschuldigd is.",
                            number=done.value.number), "success")
                    return redirect(url_for("invoices.detail", invoice_id=done.value.id))
    status = 422 if form.is_submitted() else 200
    return render_template("invoices/provider_invoice.html", form=form, problems=problems), status


@bp.route("/aanbiederfactuur/sjabloon.csv")
@requires(Permission.SUBMIT_INVOICES)
def claim_template():
    return Response(template_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=sjabloon-factuurregels.csv"})


# --- one invoice ----------------------------------------------------------------------------------


def _render_detail(invoice: Invoice, step_form: StepForm | None = None, failed_step: str | None = None,
                   decision_forms: dict | None = None, status: int = 200):
    return render_template(
        "invoices/detail.html", invoice=invoice, hands=services.hands(invoice),
        steps=services.open_steps_for(invoice, current_user), rule_labels=services.rule_labels_of(invoice),
        buyers=list(buyers(invoice)),
        step_form=step_form or StepForm(),
        failed_step=failed_step, decision_forms=decision_forms or {}, DecisionForm=DecisionForm,
        needed=approvals_needed(invoice.total, services.approval_threshold()),
        threshold=services.approval_threshold(), undecided=services.undecided(invoice),
        may_decide=can(Permission.PROCESS_INVOICES) and invoice.status == InvoiceStatus.SUBMITTED,
        replaced_by=session.scalar(select(Invoice).where(Invoice.replaces_id == invoice.id)),
    ), status


@bp.route("/<int:invoice_id>")
@requires(Permission.VIEW_INVOICES)
def detail(invoice_id: int):
    return _render_detail(_invoice(invoice_id))


@bp.route("/<int:invoice_id>/stap/<step>", methods=["POST"])
@requires(Permission.SUBMIT_INVOICES)
def take_step(invoice_id: int, step: str):
    invoice = _invoice(invoice_id)
    if step not in {s.value for s in BUTTON_STEPS}:
        abort(404)
    if Step(step) != Step.SUBMIT and not can(Permission.PROCESS_INVOICES):
        abort(403)
    form = StepForm()
    if form.validate_on_submit() and attempt(
            lambda: services.take_step(invoice.id, Step(step), current_user, clock.today(), form.note.data or ""),
            form=form, field="note").ok:
        flash(_("Factuur %(number)s: %(status)s.", number=invoice.number,
                status=invoice_status_label(invoice.status)), "success")
        return redirect(url_for("invoices.detail", invoice_id=invoice.id))
    return _render_detail(_invoice(invoice_id), form, step, status=422)


def _bulk_form(**kwargs) -> BulkStepForm:
    """The steps the user's role can take at all; the four-eyes rule then judges each invoice."""
    form = BulkStepForm(**kwargs)
    if not can(Permission.PROCESS_INVOICES):
        form.step.choices = [c for c in form.step.choices if c.value == Step.SUBMIT.value]
    return form


@bp.route("/stappen", methods=["POST"])
@requires(Permission.SUBMIT_INVOICES)
def bulk_step():
    """One step for the invoices ticked on the list; each is refused or taken as on its own page."""
    form = _bulk_form()
    back = redirect(url_for("invoices.index", **{k: v for k, v in request.args.items() if k in LIST_ARGS}))
    if not form.validate_on_submit():
        flash(_("Kies een stap."), "error")
        return back
    step = Step(form.step.data)
    ids = bulk.ticked("invoice")
    chosen = list(session.scalars(select(Invoice).where(Invoice.id.in_(ids), invoice_scope(current_user))
                                  .order_by(Invoice.number))) if ids else []
    if not chosen:
        flash(_("Kies ten minste één factuur."), "error")
        return back
    bulk.run(chosen, lambda i: i.number, lambda i: services.take_step(i.id, step, current_user, clock.today()),
             bool(form.only_valid.data),
             lambda n: ngettext("%(num)s factuur: %(step)s.", "%(num)s facturen: %(step)s.", n,
                                step=_(STEP_LABELS[step])),
             lambda number, why: _("Factuur %(number)s: %(why)s", number=number, why=why))
    return back


@bp.route("/<int:invoice_id>/regels/<int:line_id>", methods=["POST"])
@requires(Permission.PROCESS_INVOICES)
def decide(invoice_id: int, line_id: int):
    invoice = _invoice(invoice_id)
    line = session.get(InvoiceLine, line_id)
    if line is None or line.invoice_id != invoice.id:
        abort(404)
    form = DecisionForm(prefix=f"line{line.id}")
    if form.validate_on_submit() and attempt(
            lambda: services.decide(invoice, line, LineDecision(form.decision.data), form.note.data or ""),
            form=form, field="decision").ok:
        return redirect(url_for("invoices.detail", invoice_id=invoice.id, _anchor=f"regel-{line.id}"))
    return _render_detail(_invoice(invoice_id), decision_forms={line.id: form}, status=422)


@bp.route("/<int:invoice_id>/opnieuw", methods=["POST"])
@requires(Permission.PROCESS_INVOICES)
def redo(invoice_id: int):
    invoice = _invoice(invoice_id)
    form = StepForm()
    if not form.validate_on_submit():
        abort(400)
    done = attempt(lambda: services.redo(invoice, current_user, clock.today()))
    if not done.ok:
        return redirect(url_for("invoices.detail", invoice_id=invoice.id))
    new = done.value
    if new is None:
        flash(_("Voor deze periode staat niets meer open; er is geen nieuwe factuur."), "info")
        return redirect(url_for("invoices.detail", invoice_id=invoice.id))
    flash(_("Factuur %(number)s vervangt de afgekeurde factuur.", number=new.number), "success")
    return redirect(url_for("invoices.detail", invoice_id=new.id))


@bp.route("/<int:invoice_id>/ubl.xml")
@requires(Permission.VIEW_INVOICES)
def ubl(invoice_id: int):
    invoice = _invoice(invoice_id)
    gemeente = request.args.get("gemeente", "")
    try:
        number, body = ubl_xml(invoice, id_in(gemeente))
    except UblError as error:
        flash(_("Geen UBL-document: %(reason)s", reason=str(error)), "error")
        return redirect(url_for("invoices.detail", invoice_id=invoice.id))
    return Response(body, mimetype="application/xml",
                    headers={"Content-Disposition": f"attachment; filename={number}.xml"})


@bp.route("/<int:invoice_id>/afdruk")
@requires(Permission.VIEW_INVOICES)
def statement(invoice_id: int):
    invoice = _invoice(invoice_id)
    return render_template("invoices/statement.html", invoice=invoice, rule_labels=services.rule_labels_of(invoice))


# --- export and overdue ---------------------------------------------------------------------------


@bp.route("/export", methods=["GET", "POST"])
@requires(Permission.PROCESS_INVOICES)
def exports():
    """Hand approved invoices to the financial system: they become 'exported' in one batch, downloadable again."""
    waiting = services.approved_waiting()
    form = StepForm()
    if form.validate_on_submit():
        if not waiting:
            flash(_("Er zijn geen goedgekeurde facturen om te exporteren."), "info")
            return redirect(url_for("invoices.exports"))
        done = attempt(lambda: services.export(waiting, current_user, clock.today()))
        if not done.ok:
            return redirect(url_for("invoices.exports"))
        flash(ngettext("%(num)s factuur is geëxporteerd.", "%(num)s facturen zijn geëxporteerd.", len(waiting)),
              "success")
        return redirect(url_for("invoices.exports", _anchor=f"export-{done.value.id}"))
    return render_template("invoices/exports.html", waiting=waiting, batches=services.recent_exports(), form=form)


@bp.route("/export/<int:batch_id>.<fmt>")
@requires(Permission.PROCESS_INVOICES)
def export_file(batch_id: int, fmt: str):
    batch = session.get(InvoiceExport, batch_id)
    if batch is None or fmt not in ("csv", "xlsx"):
        abort(404)
    if fmt == "csv":
        return Response(ledger_csv(batch.invoices), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename=export-{batch.id}.csv"})
    return Response(ledger_xlsx(batch.invoices),
                    mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f"attachment; filename=export-{batch.id}.xlsx"})


@bp.route("/achterstallig")
@requires(Permission.VIEW_INVOICES)
def overdue():
    provider = current_user.provider_id if current_user.role == Role.PROVIDER else None
    today = clock.today()
    return render_template("invoices/overdue.html", invoices=services.overdue(today, provider), today=today)

