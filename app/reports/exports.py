"""The management report (marap) as files: an XLSX workbook with a sheet per section and a PDF.

Both render the one :class:`~app.reports.marap.Marap` the page shows, and the PDF draws its charts from the
same series as the page (:mod:`app.reports.charts`), so the three cannot differ. Every label goes through
gettext, so an English user gets an English file. The PDF uses ReportLab's built-in Helvetica, whose
WinAnsi encoding has € and the Latin-1 accents (ë, é) the Dutch labels need.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from flask_babel import get_locale, gettext, ngettext

from app.formatting import date as format_day
from app.formatting import days, money, number, percent
from app.reports import charts
from app.reports.services import HORIZON_MONTHS, MONEY_DEFINITIONS, Money, group_labels
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
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for i, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + i)].width = width
    return sheet


def _append(sheet, values: list, formats: dict[int, str] | None = None, bold: bool = False) -> None:
    from openpyxl.styles import Font

    sheet.append(values)
    row = sheet[sheet.max_row]
    for index, number_format in (formats or {}).items():
        row[index].number_format = number_format
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


def _figure_text(f: Figure) -> str:
    """One figure as the page shows it: value (numerator/denominator), interval, small-group flag (markup)."""
    if f.kind == Kind.COUNT:
        text = number(f.numerator)
    elif f.value is None:
        text = f"— ({f.numerator}/{f.denominator})"
    else:
        shown = percent(f.value) if f.kind == Kind.RATE else days(f.value)
        text = f"<b>{escape(shown)}</b> ({f.numerator}/{f.denominator})"
        if f.interval:
            text += "<br/>" + escape(gettext("95%%: %(low)s – %(high)s", low=percent(f.interval[0]),
                                             high=percent(f.interval[1])))
    if not f.judgeable:
        text += "<br/><i>" + escape(gettext("te klein om te oordelen")) + "</i>"
    return text


def _styles():
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet

    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("marap-title", parent=base["Title"], fontName="Helvetica-Bold", fontSize=18,
                                alignment=0, spaceAfter=6),
        "h2": ParagraphStyle("marap-h2", parent=base["Heading2"], fontName="Helvetica-Bold", fontSize=13,
                             spaceBefore=12, spaceAfter=4, keepWithNext=1),
        "h3": ParagraphStyle("marap-h3", parent=base["Heading3"], fontName="Helvetica-Bold", fontSize=10,
                             spaceBefore=8, spaceAfter=3, keepWithNext=1),
        "body": ParagraphStyle("marap-body", parent=base["BodyText"], fontName="Helvetica", fontSize=9,
                               leading=12),
        "cell": ParagraphStyle("marap-cell", parent=base["BodyText"], fontName="Helvetica", fontSize=7.5,
                               leading=9.5),
        "head": ParagraphStyle("marap-head", parent=base["BodyText"], fontName="Helvetica-Bold", fontSize=7.5,
                               leading=9.5),
        "head-num": ParagraphStyle("marap-head-num", parent=base["BodyText"], fontName="Helvetica-Bold",
                                   fontSize=7.5, leading=9.5, alignment=2),
        "term": ParagraphStyle("marap-term", parent=base["BodyText"], fontName="Helvetica-Bold", fontSize=9,
                               leading=12, spaceBefore=4, keepWithNext=1),
    }


def _table(rows: list[list], widths: list[float], numeric_from: int = 1, total: bool = False):
    """A table whose first row is the header (repeated on a new page); the last row bold when ``total``."""
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    style = [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor(charts.AXIS)),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor(charts.GRID)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if total:
        style += [("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 8),
                  ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.HexColor(charts.AXIS))]
    table.setStyle(TableStyle(style))
    return table


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]


def marap_pdf(m, curves: dict[str, list[tuple[int, Decimal]]]) -> bytes:
    """The marap as an A4 PDF: title, period and basis, each section as a table with its chart, definitions."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer


    s = _styles()
    period = f"{format_day(m.period[0])} – {format_day(m.period[1])}"
    title = f"{gettext('Managementrapportage')} {m.gemeente}"
    width = A4[0] - 36 * mm
    basis = basis_of(m)

    def p(text: str, style: str = "body") -> Paragraph:
        return Paragraph(escape(text), s[style])

    def cell(markup: str, style: str = "cell") -> Paragraph:
        return Paragraph(markup, s[style])

    def chart(c: charts.Chart) -> list:
        """The chart under its title, kept on one page with any heading just before it."""
        lead = []
        while story and isinstance(story[-1], Paragraph) and getattr(story[-1].style, "keepWithNext", 0):
            lead.insert(0, story.pop())
        return [KeepTogether([*lead, p(c.title, "h3"), charts.drawing(c, width=width, height=200)])]

    story = [
        p(title, "title"),
        p(f"{gettext('Gemeente')}: {m.gemeente}"),
        p(f"{gettext('Periode')}: {period}"),
        p(f"{gettext('Opgemaakt op')}: {format_day(m.made_on)}"),
        Spacer(1, 4),
        p(basis_statement(m)),
        p(f"{gettext('Telling')}: {gettext(BASIS_LABELS[basis])}."),
        p(gettext("Groepen kleiner dan %(n)s trajecten zijn te klein om te oordelen.", n=MIN_GROUP)),
    ]

    # Inflow and outflow
    story.append(p(gettext("Instroom en uitstroom"), "h2"))
    story.append(p(ngettext("%(num)s traject verwezen, %(out)s afgesloten.",
                            "%(num)s trajecten verwezen, %(out)s afgesloten.", m.referred, out=number(m.closed))))
    story += chart(charts.flow_chart(m))  # its title names the table below it too
    rows = [[gettext("Maand"), gettext("Verwezen"), gettext("Afgesloten")]]
    rows += [[charts.month_label(month), number(r), number(c)] for month, r, c in m.months]
    rows.append([gettext("Totaal"), number(m.referred), number(m.closed)])
    story.append(_table(rows, [200, 80, 80], total=True))
    story.append(p(gettext("Afgesloten naar reden"), "h3"))
    rows = [[gettext("Reden"), gettext("Trajecten")]] + [[gettext(label), number(n)]
                                                         for label, n in m.closed_by_reason]
    story.append(_table(rows, [280, 80]))
    story.append(p(gettext("Uitstroom uit de uitkering naar reden"), "h3"))
    rows = [[gettext("Reden"), gettext("Trajecten")]] + [[exit_reason_label(r), number(n)]
                                                         for r, n in m.exits_by_reason]
    story.append(_table(rows, [280, 80]))

    # Status
    story.append(p(gettext("Trajecten naar status"), "h2"))
    story.append(p(gettext("Trajecten verwezen tot het einde van de periode, naar hun status nu")))
    rows = [[gettext("Status"), gettext("Trajecten")]] + [[status_label(st), number(n)] for st, n in m.status]
    rows.append([gettext("Totaal"), number(sum(n for _s, n in m.status))])
    story.append(_table(rows, [280, 80], total=True))

    # Placements
    story.append(p(gettext("Plaatsingen"), "h2"))
    story += chart(charts.placements_chart(m))
    rows = [[gettext("Soort werk"), gettext("Plaatsingen")]]
    rows += [[work_kind_label(k), number(n)] for k, n in m.placements_by_kind]
    rows.append([gettext("Totaal"), number(sum(n for _k, n in m.placements_by_kind))])
    story.append(_table(rows, [280, 80], total=True))

    # Budget
    story.append(p(gettext("Kosten en budget"), "h2"))
    if m.budget:
        story += chart(charts.budget_chart(m))
        rows = [[gettext("Financieringsbron"), gettext("Budget"), gettext("Gerealiseerd"), gettext("Resterend")]]
        rows += [[source, money(b), money(r), money(b - r)] for source, b, r in m.budget]
        total, spent = sum(b for _s, b, _r in m.budget), sum(r for _s, _b, r in m.budget)
        rows.append([gettext("Totaal"), money(total), money(spent), money(total - spent)])
        story.append(_table(rows, [160, 100, 100, 100], total=True))
    else:
        story.append(p(gettext("Budget en gerealiseerd in %(year)s (goedgekeurde facturen, zonder btw)",
                               year=m.period[1].year), "h3"))
        story.append(p(gettext("Geen budget vastgelegd.")))
    story.append(p(ngettext("Kosten van de trajecten verwezen in de periode: %(cost)s voor %(num)s plaatsing "
                            "(%(per)s per plaatsing).",
                            "Kosten van de trajecten verwezen in de periode: %(cost)s voor %(num)s plaatsingen "
                            "(%(per)s per plaatsing).", m.costs_total.placements,
                            cost=money(m.costs_total.cost), per=money(m.costs_total.per_placement))))

    # Provider comparison: indicators down, providers across (a few per table so that it fits A4).
    story.append(p(gettext("Vergelijking van aanbieders"), "h2"))
    story.append(p(gettext("Indicatoren per aanbieder (cohort)")))
    groups = [(label, figures) for _key, label, figures in m.comparison.rows]
    for chunk in _chunks(groups, 3):
        columns = [*chunk, (gettext("Totaal"), m.comparison.total)]
        rows = [[cell(escape(gettext("Indicator")), "head"), *(cell(escape(str(label)), "head")
                                                               for label, _f in columns)]]
        for indicator in m.comparison.indicators:
            rows.append([cell(escape(gettext(indicator.label))),
                         *(cell(_figure_text(figures[indicator.id])) for _label, figures in columns)])
        label_width = 120
        story.append(_table(rows, [label_width] + [(width - label_width) / len(columns)] * len(columns)))
        story.append(Spacer(1, 6))
    if curves:
        story += chart(charts.cohort_chart(curves))  # its title names the table below it too
        rows = [[gettext("Aanbieder"), *(gettext("%(m)s mnd", m=month) for month in CURVE_MONTHS)]]
        for provider, curve in curves.items():
            shares = dict(curve)
            rows.append([provider, *(percent(shares.get(month)) for month in CURVE_MONTHS)])
        story.append(_table(rows, [160] + [60] * len(CURVE_MONTHS)))

    # Costs
    story.append(p(gettext("Kosten en besparing"), "h2"))
    story.append(p(gettext("Kosten per (duurzame) plaatsing en bespaarde uitkering")))
    money_rows = _money_rows(m)
    measures = [
        (gettext("Kosten"), lambda x: money(x.cost)),
        (gettext("Plaatsingen"), lambda x: number(x.placements)),
        (gettext("Per plaatsing"), lambda x: money(x.per_placement)),
        (gettext("Duurzame plaatsingen"), lambda x: number(x.durable)),
        (gettext("Per duurzame plaatsing"), lambda x: money(x.per_durable)),
        (gettext("Maanden bespaard"), lambda x: number(x.months_saved)),
        (gettext("Uitkering bespaard"), lambda x: money(x.euros_saved)),
        (gettext("Kosten/besparing"),
         lambda x: number(x.cost_saving_ratio, 2)),
    ]
    providers, total_row = money_rows[:-1], money_rows[-1]
    for chunk in _chunks(providers, 3):
        columns = [*chunk, total_row]
        rows = [[cell(escape(gettext("Aanbieder")), "head"),
                 *(cell(escape(label), "head-num") for label, _x in columns)]]
        rows += [[name, *(shown(x) for _label, x in columns)] for name, shown in measures]
        story.append(_table(rows, [120] + [(width - 120) / len(columns)] * len(columns)))
        story.append(Spacer(1, 6))

    # Definitions
    story.append(p(gettext("Definities"), "h2"))
    for indicator in m.comparison.indicators:
        story.append(p(gettext(indicator.label), "term"))
        cohort = gettext("Telt de trajecten die in de periode zijn verwezen.") if basis == Basis.COHORT else ""
        story.append(p(f"{gettext(indicator.definition)} {cohort}".strip()))
    for _code, label, definition in _money_definitions():
        story.append(p(label, "term"))
        story.append(p(definition))
    story.append(p(gettext("Telling"), "term"))
    story.append(p(gettext(BASIS_LABELS[basis])))

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.drawString(18 * mm, 10 * mm, f"{title} · {period}")
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, str(doc.page))
        canvas.restoreState()

    out = io.BytesIO()
    locale = get_locale()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=18 * mm, title=f"{title}, {period}", author=m.gemeente,
                            subject=gettext("Managementrapportage"), lang=str(locale) if locale else "nl",
                            invariant=True)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
