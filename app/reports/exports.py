"""The management report (marap) as files: an XLSX workbook with a sheet per section and a PDF.

Both render the one :class:`~app.reports.marap.Marap` the page shows, and the PDF draws its charts from the
same series as the page (:mod:`app.reports.charts`), so the three cannot differ. Every label goes through
gettext, so an English user gets an English file. The PDF is a tagged PDF (PDF/UA-1) that WeasyPrint makes
from a print template: headings, tables with header cells, the page's SVG charts as figures whose alternative
text is the chart's title, and the document's language and title.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import current_app, render_template
from flask_babel import get_locale, gettext, ngettext
from markupsafe import Markup, escape

from app.formatting import date as format_day
from app.formatting import days, money, number, percent
from app.reports import charts
from app.reports.services import HORIZON_MONTHS, MONEY_DEFINITIONS, Money, group_labels
from app.spreadsheet import append_row
from contracts.indicators import BASIS_LABELS, MIN_GROUP, Basis, Figure, Kind
from contracts.messages import N_

MONEY_FORMAT = '"€" #,##0.00'
PERCENT_FORMAT = "0.0%"
COUNT_FORMAT = "0"
DAYS_FORMAT = "0.0"
DATE_FORMAT = "yyyy-mm-dd"
RATIO_FORMAT = "0.00"
CURVE_MONTHS = (0, 3, 6, 9, 12)  # the months since the start the PDF's curve table shows, as the page does


# --- labels ----------------------------------------------------------------------------------------------


def status_label(value: str) -> str:
    from contracts.lifecycle import STATUS_LABELS, TrajectStatus

    return gettext(STATUS_LABELS[TrajectStatus(value)])


def exit_reason_label(value: str) -> str:
    from app.trajecten.forms import EXIT_REASON_LABELS
    from contracts.events import ExitReason

    return str(EXIT_REASON_LABELS[ExitReason(value)])


def work_kind_label(value: str) -> str:
    from app.trajecten.forms import WORK_KIND_LABELS
    from contracts.events import WorkKind

    return str(WORK_KIND_LABELS[WorkKind(value)])


def basis_of(m) -> Basis:
    """The basis of the provider comparison (a marap compares on a cohort basis)."""
    return next((f.basis for f in m.comparison.total.values()), Basis.COHORT)


def basis_statement(m) -> str:
    """What each section counts: the sentence the page shows under its title, with the dates."""
    return gettext("Periode %(start)s – %(end)s, opgemaakt op %(made)s. De vergelijking van aanbieders telt de "
                   "trajecten die in de periode zijn verwezen (cohort); instroom, uitstroom en plaatsingen tellen "
                   "wat in de periode gebeurde.", start=format_day(m.period[0]),
                   end=format_day(m.period[1]), made=format_day(m.made_on))


def _provider_names(m) -> dict:
    names = {key: label for key, label, _figures in m.comparison.rows}
    missing = [key for key in m.costs if key not in names]
    if missing:
        names.update(group_labels("provider", missing))
    return names


def _money_rows(m) -> list[tuple[str, Money]]:
    names = _provider_names(m)
    rows = sorted(((str(names.get(key, "—")), money) for key, money in m.costs.items()), key=lambda r: r[0])
    return [*rows, (gettext("Totaal"), m.costs_total)]


# The money measures and their names, in the order the page's definitions list them.
MONEY_TERMS = (("cost", N_("Kosten")), ("per_placement", N_("Per plaatsing")),
               ("per_durable", N_("Per duurzame plaatsing")), ("saved", N_("Uitkering bespaard")),
               ("ratio", N_("Kosten/besparing")))


def _money_definitions() -> list[tuple[str, str, str]]:
    out = []
    for code, label in MONEY_TERMS:
        text = MONEY_DEFINITIONS[code]
        definition = gettext(text, horizon=HORIZON_MONTHS) if code == "saved" else gettext(text)
        out.append((code, gettext(label), definition))
    return out


# --- XLSX ------------------------------------------------------------------------------------------------


def _sheet_title(text: str) -> str:
    for bad in "[]:*?/\\":
        text = text.replace(bad, " ")
    return text[:31]


def _sheet(book, title: str, header: list[str], widths: list[int]):
    from openpyxl.styles import Font

    sheet = book.create_sheet(_sheet_title(title))
    for cell in append_row(sheet, header):
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for i, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + i)].width = width
    return sheet


def _append(sheet, values: list, formats: dict[int, str] | None = None, bold: bool = False) -> None:
    from openpyxl.styles import Font

    row = append_row(sheet, values, formats)
    if bold:
        for cell in row:
            cell.font = Font(bold=True)


def _figure_cells(f: Figure) -> tuple[list, dict[int, str]]:
    """Numerator, denominator, value, interval and the small-group flag of one figure, with their formats."""
    value_format = {Kind.RATE: PERCENT_FORMAT, Kind.COUNT: COUNT_FORMAT, Kind.MEDIAN_DAYS: DAYS_FORMAT}[f.kind]
    low, high = f.interval if f.interval else (None, None)
    cells = [f.numerator, f.denominator, f.value, low, high, gettext("ja") if not f.judgeable else None]
    return cells, {2: value_format, 3: PERCENT_FORMAT, 4: PERCENT_FORMAT}


def marap_xlsx(m, curves: dict[str, list[tuple[int, Decimal]]]) -> bytes:
    """The marap as a workbook: an overview sheet, a sheet per section and the definitions."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    basis = basis_of(m)

    sheet = _sheet(book, gettext("Managementrapportage"),
                   [gettext("Gemeente"), gettext("Periode van"), gettext("Periode tot en met"),
                    gettext("Opgemaakt op"), gettext("Verwezen"), gettext("Afgesloten"), gettext("Telling")],
                   [24, 14, 16, 14, 12, 12, 80])
    _append(sheet, [m.gemeente, m.period[0], m.period[1], m.made_on, m.referred, m.closed,
                    gettext(BASIS_LABELS[basis])], {1: DATE_FORMAT, 2: DATE_FORMAT, 3: DATE_FORMAT})
    _append(sheet, [])
    _append(sheet, [basis_statement(m)])

    sheet = _sheet(book, gettext("Instroom en uitstroom"),
                   [gettext("Maand"), gettext("Verwezen"), gettext("Afgesloten")], [36, 12, 12])
    for month, referred, closed in m.months:
        year, number = (int(part) for part in month.split("-"))
        _append(sheet, [date(year, number, 1), referred, closed], {0: "yyyy-mm"})
    _append(sheet, [gettext("Totaal"), m.referred, m.closed], bold=True)
    _append(sheet, [])
    _append(sheet, [gettext("Afgesloten naar reden"), gettext("Trajecten")], bold=True)
    for label, n in m.closed_by_reason:
        _append(sheet, [gettext(label), n])
    _append(sheet, [])
    _append(sheet, [gettext("Uitstroom uit de uitkering naar reden"), gettext("Trajecten")], bold=True)
    for reason, n in m.exits_by_reason:
        _append(sheet, [exit_reason_label(reason), n])

    sheet = _sheet(book, gettext("Status"), [gettext("Status"), gettext("Trajecten")], [36, 12])
    for status, n in m.status:
        _append(sheet, [status_label(status), n])
    _append(sheet, [gettext("Totaal"), sum(n for _s, n in m.status)], bold=True)

    sheet = _sheet(book, gettext("Plaatsingen"), [gettext("Soort werk"), gettext("Plaatsingen")], [44, 12])
    for kind, n in m.placements_by_kind:
        _append(sheet, [work_kind_label(kind), n])
    _append(sheet, [gettext("Totaal"), sum(n for _k, n in m.placements_by_kind)], bold=True)

    sheet = _sheet(book, gettext("Budget"), [gettext("Financieringsbron"), gettext("Jaar"), gettext("Budget"),
                                             gettext("Gerealiseerd"), gettext("Resterend")], [30, 8, 16, 16, 16])
    money_formats = {2: MONEY_FORMAT, 3: MONEY_FORMAT, 4: MONEY_FORMAT}
    for source, amount, spent in m.budget:
        _append(sheet, [source, m.period[1].year, amount, spent, amount - spent], money_formats)
    if m.budget:
        total, spent = sum(b for _s, b, _r in m.budget), sum(r for _s, _b, r in m.budget)
        _append(sheet, [gettext("Totaal"), m.period[1].year, total, spent, total - spent], money_formats, bold=True)
    else:
        _append(sheet, [gettext("Geen budget vastgelegd.")])

    sheet = _sheet(book, gettext("Aanbieders"),
                   [gettext("Aanbieder"), gettext("Indicator"), gettext("Code"), gettext("Teller"), gettext("Noemer"),
                    gettext("Waarde"), gettext("95%-interval, ondergrens"), gettext("95%-interval, bovengrens"),
                    gettext("te klein om te oordelen")], [28, 32, 26, 10, 10, 10, 14, 14, 14])
    for _key, label, figures in [*m.comparison.rows, (None, gettext("Totaal"), m.comparison.total)]:
        for indicator in m.comparison.indicators:
            cells, formats = _figure_cells(figures[indicator.id])
            _append(sheet, [label, gettext(indicator.label), indicator.id, *cells],
                    {3 + i: f for i, f in formats.items()})

    months = sorted({month for curve in curves.values() for month, _share in curve})
    sheet = _sheet(book, gettext("Van start naar plaatsing"),
                   [gettext("Aanbieder"), *(gettext("%(m)s mnd", m=month) for month in months)],
                   [28, *([9] * len(months))])
    for provider, curve in curves.items():
        shares = dict(curve)
        _append(sheet, [provider, *(shares.get(month) for month in months)],
                {1 + i: PERCENT_FORMAT for i in range(len(months))})

    sheet = _sheet(book, gettext("Kosten"),
                   [gettext("Aanbieder"), gettext("Kosten"), gettext("Plaatsingen"), gettext("Per plaatsing"),
                    gettext("Duurzame plaatsingen"), gettext("Per duurzame plaatsing"), gettext("Maanden bespaard"),
                    gettext("Uitkering bespaard"), gettext("Kosten/besparing")], [28, 14, 12, 14, 12, 14, 12, 16, 12])
    for i, (label, row) in enumerate(_money_rows(m)):
        _append(sheet, [label, row.cost, row.placements, row.per_placement, row.durable, row.per_durable,
                        row.months_saved, row.euros_saved, row.cost_saving_ratio],
                {1: MONEY_FORMAT, 3: MONEY_FORMAT, 5: MONEY_FORMAT, 7: MONEY_FORMAT, 8: RATIO_FORMAT},
                bold=i == len(m.costs))

    sheet = _sheet(book, gettext("Definities"), [gettext("Code"), gettext("Indicator"), gettext("Definitie")],
                   [26, 32, 120])
    for indicator in m.comparison.indicators:
        _append(sheet, [indicator.id, gettext(indicator.label), gettext(indicator.definition)])
    for code, label, definition in _money_definitions():
        _append(sheet, [code, label, definition])
    _append(sheet, ["basis", gettext("Telling"), gettext(BASIS_LABELS[basis])])
    _append(sheet, ["min_group", gettext("te klein om te oordelen"),
                    gettext("Groepen kleiner dan %(n)s trajecten zijn te klein om te oordelen.", n=MIN_GROUP)])
    from openpyxl.styles import Alignment

    for row in sheet.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- PDF -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    """A table of the print template: a caption, a header row, rows whose first cell names the row, a total."""

    caption: str
    header: list[str]
    body: list[list]
    total: list | None = None


def _figure_text(f: Figure) -> Markup:
    """One figure as the page shows it: value (numerator/denominator), interval, small-group flag."""
    if f.kind == Kind.COUNT:
        text = escape(number(f.numerator))
    elif f.value is None:
        text = escape(f"— ({f.numerator}/{f.denominator})")
    else:
        shown = percent(f.value) if f.kind == Kind.RATE else days(f.value)
        text = Markup("<strong>%s</strong> (%s/%s)") % (shown, f.numerator, f.denominator)
        if f.interval:
            text += Markup("<br>") + gettext("95%%: %(low)s – %(high)s", low=percent(f.interval[0]),
                                              high=percent(f.interval[1]))
    if not f.judgeable:
        text += Markup('<br><span class="flag">%s</span>') % gettext("te klein om te oordelen")
    return text


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]


def _print_chart(chart: charts.Chart) -> dict | None:
    """A chart for the print template: its title (the figure's caption) and its SVG, whose ``<title>`` is the
    figure's alternative text; None when there is nothing to draw."""
    if not chart.categories or not chart.series:
        return None
    return {"title": chart.title, "svg": charts.svg(chart, id_prefix=f"print-{chart.key}")}


def file_stem(m) -> str:
    """The name a marap file is downloaded under, without its extension."""
    return f"marap-{m.gemeente.lower().replace(' ', '-')}-{m.period[0]:%Y%m%d}-{m.period[1]:%Y%m%d}"


def marap_pdf(m, curves: dict[str, list[tuple[int, Decimal]]]) -> bytes:
    """The marap as a tagged A4 PDF (PDF/UA-1): title, period and basis, each section as a table with its chart,
    definitions. Rendered by WeasyPrint from ``reports/marap_print.html`` in the user's language."""
    from weasyprint import HTML

    period = f"{format_day(m.period[0])} – {format_day(m.period[1])}"
    basis = basis_of(m)
    total = gettext("Totaal")

    groups = [(label, figures) for _key, label, figures in m.comparison.rows]
    comparison = []
    for chunk in _chunks(groups, 3):
        columns = [*chunk, (total, m.comparison.total)]
        comparison.append(_Table(gettext("Indicatoren per aanbieder (cohort)"),
                                 [gettext("Indicator"), *(str(label) for label, _f in columns)],
                                 [[gettext(indicator.label), *(_figure_text(figures[indicator.id])
                                                               for _label, figures in columns)]
                                  for indicator in m.comparison.indicators]))

    measures = [
        (gettext("Kosten"), lambda x: money(x.cost)),
        (gettext("Plaatsingen"), lambda x: number(x.placements)),
        (gettext("Per plaatsing"), lambda x: money(x.per_placement)),
        (gettext("Duurzame plaatsingen"), lambda x: number(x.durable)),
        (gettext("Per duurzame plaatsing"), lambda x: money(x.per_durable)),
        (gettext("Maanden bespaard"), lambda x: number(x.months_saved)),
        (gettext("Uitkering bespaard"), lambda x: money(x.euros_saved)),
        (gettext("Kosten/besparing"), lambda x: number(x.cost_saving_ratio, 2)),
    ]
    money_rows = _money_rows(m)
    providers, total_row = money_rows[:-1], money_rows[-1]
    money_tables = []
    for chunk in _chunks(providers, 3):
        columns = [*chunk, total_row]
        money_tables.append(_Table(gettext("Kosten per (duurzame) plaatsing en bespaarde uitkering"),
                                   [gettext("Aanbieder"), *(label for label, _x in columns)],
                                   [[name, *(shown(x) for _label, x in columns)] for name, shown in measures]))

    cohort = charts.cohort_chart(curves)
    curve_rows = []
    for provider, curve in curves.items():
        shares = dict(curve)
        curve_rows.append([provider, *(percent(shares.get(month)) for month in CURVE_MONTHS)])

    budget_title = charts.budget_chart(m).title
    budget = None
    if m.budget:
        amount, spent = sum(b for _s, b, _r in m.budget), sum(r for _s, _b, r in m.budget)
        budget = _Table(budget_title, [gettext("Financieringsbron"), gettext("Budget"), gettext("Gerealiseerd"),
                                       gettext("Resterend")],
                        [[source, money(b), money(r), money(b - r)] for source, b, r in m.budget],
                        [total, money(amount), money(spent), money(amount - spent)])

    cohort_note = gettext("Telt de trajecten die in de periode zijn verwezen.") if basis == Basis.COHORT else ""
    definitions = [(gettext(indicator.label), f"{gettext(indicator.definition)} {cohort_note}".strip())
                   for indicator in m.comparison.indicators]
    definitions += [(label, definition) for _code, label, definition in _money_definitions()]
    definitions.append((gettext("Telling"), gettext(BASIS_LABELS[basis])))

    locale = get_locale()
    html = render_template(
        "reports/marap_print.html", lang=locale.language if locale else "nl",
        title=f"{gettext('Managementrapportage')} {m.gemeente}", period=period, gemeente=m.gemeente,
        made_on=format_day(m.made_on), basis_statement=basis_statement(m), basis=gettext(BASIS_LABELS[basis]),
        small_groups=gettext("Groepen kleiner dan %(n)s trajecten zijn te klein om te oordelen.", n=MIN_GROUP),
        colours={"text": charts.TEXT, "axis": charts.AXIS, "grid": charts.GRID},
        flow_counts=ngettext("%(num)s traject verwezen, %(out)s afgesloten.",
                             "%(num)s trajecten verwezen, %(out)s afgesloten.", m.referred, out=number(m.closed)),
        flow_chart=_print_chart(charts.flow_chart(m)),
        flow=_Table(gettext("Verwezen en afgesloten per maand"),
                    [gettext("Maand"), gettext("Verwezen"), gettext("Afgesloten")],
                    [[charts.month_label(month), number(r), number(c)] for month, r, c in m.months],
                    [total, number(m.referred), number(m.closed)]),
        closed_by_reason=_Table(gettext("Afgesloten naar reden"), [gettext("Reden"), gettext("Trajecten")],
                                [[gettext(label), number(n)] for label, n in m.closed_by_reason]),
        exits_by_reason=_Table(gettext("Uitstroom uit de uitkering naar reden"),
                               [gettext("Reden"), gettext("Trajecten")],
                               [[exit_reason_label(r), number(n)] for r, n in m.exits_by_reason]),
        status=_Table(gettext("Trajecten verwezen tot het einde van de periode, naar hun status nu"),
                      [gettext("Status"), gettext("Trajecten")],
                      [[status_label(st), number(n)] for st, n in m.status],
                      [total, number(sum(n for _s, n in m.status))]),
        placements_chart=_print_chart(charts.placements_chart(m)),
        placements=_Table(gettext("Eerste plaatsingen in de periode naar soort werk"),
                          [gettext("Soort werk"), gettext("Plaatsingen")],
                          [[work_kind_label(k), number(n)] for k, n in m.placements_by_kind],
                          [total, number(sum(n for _k, n in m.placements_by_kind))]),
        budget=budget, budget_title=budget_title, budget_chart=_print_chart(charts.budget_chart(m)),
        costs_sentence=ngettext("Kosten van de trajecten verwezen in de periode: %(cost)s voor %(num)s plaatsing "
                                "(%(per)s per plaatsing).",
                                "Kosten van de trajecten verwezen in de periode: %(cost)s voor %(num)s plaatsingen "
                                "(%(per)s per plaatsing).", m.costs_total.placements,
                                cost=money(m.costs_total.cost), per=money(m.costs_total.per_placement)),
        comparison=comparison,
        cohort_chart=_print_chart(cohort) if curves else None,
        curves=_Table(cohort.title, [gettext("Aanbieder"), *(gettext("%(m)s mnd", m=month) for month in CURVE_MONTHS)],
                      curve_rows),
        money_tables=money_tables, definitions=definitions,
    )
    return HTML(string=html, base_url=current_app.static_folder).write_pdf(pdf_variant="pdf/ua-1")
