"""The management report (marap) as files: an XLSX workbook with a sheet per section and a PDF.

Both render the one :class:`~app.reports.marap.Marap` the page shows, so the three cannot differ. The PDF
draws the page's charts from the series of :mod:`app.reports.charts`; the workbook draws the same charts, with
the same titles and colours, as Excel's own charts on the cells of the sheet they stand on, so that what a
reader sees drawn is the table beside it, and a chart copied into a presentation stays a chart, not a picture.
Every label goes through gettext, so an English user gets an English file. The PDF is a tagged PDF (PDF/UA-1)
that WeasyPrint makes from a print template: headings, tables with header cells, the page's SVG charts as
figures whose alternative text is the chart's title, and the document's language and title.
"""

from __future__ import annotations

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
from app.spreadsheet import (
    COUNT_FORMAT,
    MONEY_FORMAT,
    MONTH_FORMAT,
    PERCENT_FORMAT,
    add_sheet,
    append_row,
    workbook,
    workbook_bytes,
)
from contracts.indicators import BASIS_LABELS, MIN_GROUP, Basis, Figure, Kind
from contracts.messages import N_

DAYS_FORMAT = "0.0"
RATIO_FORMAT = "0.00"
YEAR_FORMAT = "0"
AXIS_FORMATS = {charts.Unit.COUNT: COUNT_FORMAT, charts.Unit.SHARE: "0%", charts.Unit.MONEY: '"€" #,##0'}
LINE_DASHES = ("solid", "dash", "sysDot", "dashDot", "lgDash", "lgDashDot", "sysDash", "lgDashDotDot")
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


def _figure_cells(f: Figure) -> tuple[list, dict[int, str]]:
    """Numerator, denominator, value, interval and the small-group flag of one figure, with their formats."""
    value_format = {Kind.RATE: PERCENT_FORMAT, Kind.COUNT: COUNT_FORMAT, Kind.MEDIAN_DAYS: DAYS_FORMAT}[f.kind]
    low, high = f.interval if f.interval else (None, None)
    cells = [f.numerator, f.denominator, f.value, low, high, gettext("ja") if not f.judgeable else None]
    return cells, {2: value_format, 3: PERCENT_FORMAT, 4: PERCENT_FORMAT}


def _drawable(chart: charts.Chart) -> bool:
    """Whether a chart has something to draw; the page, the PDF and the workbook leave out the same ones."""
    return bool(chart.categories and chart.series)


def _native_chart(chart: charts.Chart, x_title: str, y_title: str):
    """An Excel chart with the title, kind, unit and colours of the page's and the PDF's chart, whose
    series the caller points at the cells of the sheet."""
    from openpyxl.chart import BarChart, LineChart

    native = LineChart() if chart.kind == charts.Kind.LINES else BarChart()
    native.title = chart.title
    native.x_axis.title = x_title
    native.y_axis.title = y_title
    native.y_axis.number_format = AXIS_FORMATS[chart.unit]
    native.y_axis.scaling.min = 0
    if chart.unit == charts.Unit.SHARE:
        native.y_axis.scaling.max = 1
    native.x_axis.delete = native.y_axis.delete = False  # else Excel hides the axes of an openpyxl 3.1 chart
    native.width, native.height = 20, 10
    return native


def _style_series(native, lines: bool) -> None:
    """The palette of :mod:`app.reports.charts` (enough contrast); lines also differ in dash and marker."""
    from openpyxl.chart.marker import Marker
    from openpyxl.chart.shapes import GraphicalProperties
    from openpyxl.drawing.line import LineProperties

    for i, series in enumerate(native.series):
        colour = charts.PALETTE[i % len(charts.PALETTE)].lstrip("#")
        if lines:
            series.graphicalProperties = GraphicalProperties(ln=LineProperties(
                solidFill=colour, w=28575, prstDash=LINE_DASHES[i % len(LINE_DASHES)]))  # 2.25 pt, in EMU
            series.marker = Marker(symbol=charts.MARKERS[i % len(charts.MARKERS)], size=7,
                                   spPr=GraphicalProperties(solidFill=colour, ln=LineProperties(solidFill=colour)))
            series.smooth = False
        else:
            series.graphicalProperties = GraphicalProperties(solidFill=colour)


def _add_chart(sheet, chart: charts.Chart, x_title: str, y_title: str, data, categories, anchor: str, *,
               from_rows: bool = False, category_format: str | None = None) -> None:
    """The chart drawn from ``data`` (a series per column, or per row, with its name in the first cell).

    Categories with a ``category_format`` are dates shown in it; without one they are names, which Excel
    reads as text only when the chart says so (openpyxl refers to every category as a number)."""
    from openpyxl.chart.data_source import AxDataSource, StrRef

    if not _drawable(chart):
        return
    native = _native_chart(chart, x_title, y_title)
    native.add_data(data, from_rows=from_rows, titles_from_data=True)
    native.set_categories(categories)
    if category_format:
        native.x_axis.number_format = category_format
    else:
        for series in native.series:
            series.cat = AxDataSource(strRef=StrRef(f=series.cat.numRef.f))
    _style_series(native, lines=chart.kind == charts.Kind.LINES)
    sheet.add_chart(native, anchor)


def _beside(sheet) -> str:
    """The cell two columns right of what the sheet holds, in its second row: where its chart goes."""
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(sheet.max_column + 2)}2"


def marap_xlsx(m, curves: dict[str, list[tuple[int, Decimal]]]) -> bytes:
    """The marap as a workbook: an overview sheet, a sheet per section with the section's chart drawn from its
    cells, and the definitions."""
    from openpyxl.chart import Reference
    from openpyxl.styles import Alignment

    book = workbook()
    basis = basis_of(m)

    sheet = add_sheet(book, gettext("Managementrapportage"),
                      [gettext("Gemeente"), gettext("Periode van"), gettext("Periode tot en met"),
                       gettext("Opgemaakt op"), gettext("Verwezen"), gettext("Afgesloten"), gettext("Telling")])
    append_row(sheet, [m.gemeente, m.period[0], m.period[1], m.made_on, m.referred, m.closed,
                       gettext(BASIS_LABELS[basis])])
    append_row(sheet, [])
    append_row(sheet, [basis_statement(m)])

    sheet = add_sheet(book, gettext("Instroom en uitstroom"),
                      [gettext("Maand"), gettext("Verwezen"), gettext("Afgesloten")])
    for month, referred, closed in m.months:
        year, number = (int(part) for part in month.split("-"))
        append_row(sheet, [date(year, number, 1), referred, closed], {0: MONTH_FORMAT})
    last = 1 + len(m.months)
    append_row(sheet, [gettext("Totaal"), m.referred, m.closed], bold=True)
    append_row(sheet, [])
    append_row(sheet, [gettext("Afgesloten naar reden"), gettext("Trajecten")], bold=True)
    for label, n in m.closed_by_reason:
        append_row(sheet, [gettext(label), n])
    append_row(sheet, [])
    append_row(sheet, [gettext("Uitstroom uit de uitkering naar reden"), gettext("Trajecten")], bold=True)
    for reason, n in m.exits_by_reason:
        append_row(sheet, [exit_reason_label(reason), n])
    _add_chart(sheet, charts.flow_chart(m), gettext("Maand"), gettext("Trajecten"),
               Reference(sheet, min_col=2, max_col=3, min_row=1, max_row=last),
               Reference(sheet, min_col=1, min_row=2, max_row=last), _beside(sheet), category_format=MONTH_FORMAT)

    sheet = add_sheet(book, gettext("Status"), [gettext("Status"), gettext("Trajecten")])
    for status, n in m.status:
        append_row(sheet, [status_label(status), n])
    append_row(sheet, [gettext("Totaal"), sum(n for _s, n in m.status)], bold=True)

    sheet = add_sheet(book, gettext("Plaatsingen"), [gettext("Soort werk"), gettext("Plaatsingen")])
    for kind, n in m.placements_by_kind:
        append_row(sheet, [work_kind_label(kind), n])
    last = 1 + len(m.placements_by_kind)
    append_row(sheet, [gettext("Totaal"), sum(n for _k, n in m.placements_by_kind)], bold=True)
    _add_chart(sheet, charts.placements_chart(m), gettext("Soort werk"), gettext("Plaatsingen"),
               Reference(sheet, min_col=2, min_row=1, max_row=last),
               Reference(sheet, min_col=1, min_row=2, max_row=last), _beside(sheet))

    sheet = add_sheet(book, gettext("Budget"), [gettext("Financieringsbron"), gettext("Jaar"), gettext("Budget"),
                                                gettext("Gerealiseerd"), gettext("Resterend")])
    money_formats = {1: YEAR_FORMAT, 2: MONEY_FORMAT, 3: MONEY_FORMAT, 4: MONEY_FORMAT}
    for source, amount, spent in m.budget:
        append_row(sheet, [source, m.period[1].year, amount, spent, amount - spent], money_formats)
    last = 1 + len(m.budget)
    if m.budget:
        total, spent = sum(b for _s, b, _r in m.budget), sum(r for _s, _b, r in m.budget)
        append_row(sheet, [gettext("Totaal"), m.period[1].year, total, spent, total - spent], money_formats,
                   bold=True)
    else:
        append_row(sheet, [gettext("Geen budget vastgelegd.")])
    _add_chart(sheet, charts.budget_chart(m), gettext("Financieringsbron"), gettext("Bedrag"),
               Reference(sheet, min_col=3, max_col=4, min_row=1, max_row=last),
               Reference(sheet, min_col=1, min_row=2, max_row=last), _beside(sheet))

    sheet = add_sheet(book, gettext("Aanbieders"),
                      [gettext("Aanbieder"), gettext("Indicator"), gettext("Code"), gettext("Teller"),
                       gettext("Noemer"), gettext("Waarde"), gettext("95%-interval, ondergrens"),
                       gettext("95%-interval, bovengrens"), gettext("te klein om te oordelen")])
    for _key, label, figures in [*m.comparison.rows, (None, gettext("Totaal"), m.comparison.total)]:
        for indicator in m.comparison.indicators:
            cells, formats = _figure_cells(figures[indicator.id])
            append_row(sheet, [label, gettext(indicator.label), indicator.id, *cells],
                       {3 + i: f for i, f in formats.items()})

    months = sorted({month for curve in curves.values() for month, _share in curve})
    sheet = add_sheet(book, gettext("Van start naar plaatsing"),
                      [gettext("Aanbieder"), *(gettext("%(m)s mnd", m=month) for month in months)])
    for provider, curve in curves.items():
        shares = dict(curve)
        append_row(sheet, [provider, *(shares.get(month) for month in months)],
                   {1 + i: PERCENT_FORMAT for i in range(len(months))})
    if curves:  # below the table, which is as wide as the months it follows
        _add_chart(sheet, charts.cohort_chart(curves), gettext("Maanden sinds de start"),
                   gettext("Aandeel geplaatst"),
                   Reference(sheet, min_col=1, max_col=1 + len(months), min_row=2, max_row=1 + len(curves)),
                   Reference(sheet, min_col=2, max_col=1 + len(months), min_row=1, max_row=1),
                   f"A{len(curves) + 3}", from_rows=True)

    sheet = add_sheet(book, gettext("Kosten"),
                      [gettext("Aanbieder"), gettext("Kosten"), gettext("Plaatsingen"), gettext("Per plaatsing"),
                       gettext("Duurzame plaatsingen"), gettext("Per duurzame plaatsing"),
                       gettext("Maanden bespaard"), gettext("Uitkering bespaard"), gettext("Kosten/besparing")])
    for i, (label, row) in enumerate(_money_rows(m)):
        append_row(sheet, [label, row.cost, row.placements, row.per_placement, row.durable, row.per_durable,
                           row.months_saved, row.euros_saved, row.cost_saving_ratio],
                   {1: MONEY_FORMAT, 3: MONEY_FORMAT, 5: MONEY_FORMAT, 7: MONEY_FORMAT, 8: RATIO_FORMAT},
                   bold=i == len(m.costs))

    sheet = add_sheet(book, gettext("Definities"), [gettext("Code"), gettext("Indicator"), gettext("Definitie")])
    for indicator in m.comparison.indicators:
        append_row(sheet, [indicator.id, gettext(indicator.label), gettext(indicator.definition)])
    for code, label, definition in _money_definitions():
        append_row(sheet, [code, label, definition])
    append_row(sheet, ["basis", gettext("Telling"), gettext(BASIS_LABELS[basis])])
    append_row(sheet, ["min_group", gettext("te klein om te oordelen"),
                       gettext("Groepen kleiner dan %(n)s trajecten zijn te klein om te oordelen.", n=MIN_GROUP)])
    for row in sheet.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")

    return workbook_bytes(book)


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
    if not _drawable(chart):
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
