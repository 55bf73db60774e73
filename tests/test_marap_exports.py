"""The marap as files and charts: the XLSX and the PDF hold the figures of the one Marap, the SVG charts are
well-formed and accessible, and the PDF is tagged (PDF/UA) with the charts as figures."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest

from app import clock
from tests.test_approved_cost import project_costs

SVG = "{http://www.w3.org/2000/svg}"


def _parse(text: str) -> ET.Element:
    """Parse SVG this app generated itself (no untrusted input)."""
    return ET.fromstring(text)  # noqa: S314


@dataclass
class Report:
    marap: object
    curves: dict
    gemeente: object


def _trajecten(db, world, today: date) -> None:
    """Trajecten of Aastad with known facts (as keep_facts would store them), at both providers."""
    from app.models import Traject
    from contracts.lifecycle import TrajectStatus as S

    p1, p2 = world.providers
    g1 = world.gemeenten[0]
    contract = world.contract
    d = lambda days: today - timedelta(days=days)  # noqa: E731
    specs = [
        (p1, 100, S.PLACED, {"accepted_on": d(98), "started_on": d(90), "placed_on": d(40),
                             "placement_kind": "regular", "exited_on": d(35), "exit_reason": "work"}),
        (p1, 95, S.PLACED, {"accepted_on": d(93), "started_on": d(85), "placed_on": d(30),
                            "placement_kind": "regular"}),
        (p2, 80, S.PLACED, {"accepted_on": d(78), "started_on": d(70), "placed_on": d(20),
                            "placement_kind": "subsidised"}),
        (p2, 60, S.REFUSED, {"refused_on": d(58)}),
        (p1, 50, S.DROPPED_OUT, {"accepted_on": d(48), "started_on": d(45), "dropped_out_on": d(10)}),
        (p1, 30, S.ENDED, {"accepted_on": d(28), "started_on": d(25), "ended_on": d(3)}),
        (p2, 20, S.STARTED, {"accepted_on": d(18), "started_on": d(12)}),
    ]
    db.info["actor"] = (None, "test")
    for provider, referred, status, facts in specs:
        db.add(Traject(client=world.clients[0], contract=contract, contract_version=contract.versions[0],
                       provider=provider, gemeente=g1, client_group="algemeen", price=Decimal("2500.00"),
                       referral_date=d(referred), phase_at_referral=2, status=status, open_lot_key=None,
                       last_event_on=d(1), **facts))
    db.commit()
    db.info.pop("actor")


@pytest.fixture
def report(app, db, world):
    """A marap of Aastad over the last 120 days, with a budget and the world's invoice approved."""
    from app.models import Budget
    from app.reports.marap import build
    from app.reports.services import Query, cohort_curves
    from invoicing.status import InvoiceStatus

    today = clock.today()
    _trajecten(db, world, today)
    db.info["actor"] = (None, "test")
    world.invoice.status = InvoiceStatus.APPROVED  # past the services, so its cost is projected below
    due = {line.due_on.year for line in world.invoice.lines if line.due_on}
    db.add(Budget(gemeente=world.gemeenten[0], year=today.year, funding_source=world.contract.funding_source,
                  amount=Decimal("40000.00"), carried_over=Decimal("2500.50")))
    db.add(Budget(gemeente=world.gemeenten[0], year=today.year, funding_source="Eigen middelen",
                  amount=Decimal("12000.00")))
    db.commit()
    db.info.pop("actor")
    project_costs(app, world.invoice.id)
    period = (today - timedelta(days=120), today)
    with app.test_request_context():
        m = build(world.gemeenten[0].id, period, today)
        curves = cohort_curves(Query(period=period, gemeente_ids=frozenset({world.gemeenten[0].id})))
    assert today.year in due or not due  # the approved lines fall due this year, so they count as realised
    return Report(m, curves, world.gemeenten[0])


def test_the_test_report_has_something_to_show(report):
    m = report.marap
    assert m.referred == 8  # the world's traject and seven more
    assert dict(m.placements_by_kind) == {"regular": 2, "subsidised": 1, "temporary": 0}
    assert dict(m.status)["placed"] == 4 and dict(m.status)["ended"] == 1
    assert len(m.budget) == 2 and any(spent > 0 for _s, _b, spent in m.budget)
    assert {label for _k, label, _f in m.comparison.rows} == {"Werk Eerst B.V.", "Stap Twee"}
    assert set(report.curves) == {"Werk Eerst B.V.", "Stap Twee"}


# --- XLSX ----------------------------------------------------------------------------------------------


def _workbook(app, report, locale: str = "nl"):
    from flask_babel import force_locale
    from openpyxl import load_workbook

    from app.reports.exports import marap_xlsx

    with app.test_request_context(), force_locale(locale):
        data = marap_xlsx(report.marap, report.curves)
    return load_workbook(io.BytesIO(data))


def _rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def test_xlsx_has_a_sheet_per_section_with_a_bold_frozen_header(app, report):
    book = _workbook(app, report)
    assert book.sheetnames == ["Managementrapportage", "Instroom en uitstroom", "Status", "Plaatsingen", "Budget",
                               "Aanbieders", "Van start naar plaatsing", "Kosten", "Definities"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert all(cell.font.bold for cell in sheet[1] if cell.value is not None), sheet.title
        assert not any(cell.font.bold for cell in sheet[2]), sheet.title
    overview = _rows(book["Managementrapportage"])
    assert overview[1][0] == "Aastad"
    assert overview[1][1].date() == report.marap.period[0] and overview[1][2].date() == report.marap.period[1]
    assert overview[1][4] == report.marap.referred and overview[1][5] == report.marap.closed


def test_xlsx_flow_status_and_placements_hold_the_marap_counts(app, report):
    m = report.marap
    book = _workbook(app, report)
    rows = _rows(book["Instroom en uitstroom"])
    months = rows[1:1 + len(m.months)]
    assert [(f"{r[0]:%Y-%m}", r[1], r[2]) for r in months] == m.months
    assert rows[1 + len(m.months)] == ("Totaal", m.referred, m.closed)
    reasons = {r[0]: r[1] for r in rows if r[0] in ("beëindigd", "uitgevallen", "geweigerd door de aanbieder")}
    assert reasons == {"beëindigd": 1, "uitgevallen": 1, "geweigerd door de aanbieder": 1}
    assert ("werk", 1) in [r[:2] for r in rows]  # one exit from benefit to work

    status = dict(_rows(book["Status"])[1:])
    assert status["geplaatst"] == dict(m.status)["placed"] == 4
    assert status["Totaal"] == sum(n for _s, n in m.status)
    placements = dict(_rows(book["Plaatsingen"])[1:])
    assert placements == {"regulier werk": 2, "gesubsidieerd werk (loonkostensubsidie)": 1, "tijdelijk werk": 0,
                          "Totaal": 3}


def test_xlsx_budget_holds_budget_and_realised_as_money(app, report):
    m = report.marap
    sheet = _workbook(app, report)["Budget"]
    rows = _rows(sheet)
    assert rows[0][:5] == ("Financieringsbron", "Jaar", "Budget", "Gerealiseerd", "Resterend")
    for (source, amount, spent), row in zip(m.budget, rows[1:], strict=False):
        assert row[0] == source
        assert Decimal(str(row[2])) == amount and Decimal(str(row[3])) == spent
        assert Decimal(str(row[4])) == amount - spent
    assert Decimal(str(rows[len(m.budget) + 1][2])) == sum(b for _s, b, _r in m.budget)
    assert "€" in sheet["C2"].number_format and "0.00" in sheet["C2"].number_format


def test_xlsx_providers_hold_every_figure_with_its_parts_and_interval(app, report):
    m = report.marap
    rows = _rows(_workbook(app, report)["Aanbieders"])
    header = rows[0]
    assert header[3:] == ("Teller", "Noemer", "Waarde", "95%-interval, ondergrens", "95%-interval, bovengrens",
                          "te klein om te oordelen")
    by_key = {(r[0], r[2]): r for r in rows[1:]}
    groups = [(label, figures) for _k, label, figures in m.comparison.rows] + [("Totaal", m.comparison.total)]
    assert len(rows) - 1 == len(groups) * len(m.comparison.indicators)
    for label, figures in groups:
        for indicator in m.comparison.indicators:
            f = figures[indicator.id]
            row = by_key[(label, indicator.id)]
            assert row[1] == indicator.label
            assert (row[3], row[4]) == (f.numerator, f.denominator)
            assert (row[5] is None) == (f.value is None)
            if f.value is not None:
                assert Decimal(str(row[5])) == pytest.approx(f.value)
            if f.interval:
                assert Decimal(str(row[6])) == pytest.approx(f.interval[0])
                assert Decimal(str(row[7])) == pytest.approx(f.interval[1])
            assert (row[8] == "ja") == (f.kind != "count" and not f.judgeable)
    werk = by_key[("Werk Eerst B.V.", "placement_rate")]
    assert (werk[3], werk[4]) == (2, 5) and werk[5] == pytest.approx(0.4) and werk[8] == "ja"
    assert by_key[("Totaal", "referrals")][5] == m.referred


def test_xlsx_number_formats_and_costs(app, report):
    m = report.marap
    book = _workbook(app, report)
    providers = book["Aanbieders"]
    rate_row = next(r for r in providers.iter_rows(min_row=2) if r[2].value == "placement_rate")
    assert rate_row[5].number_format == "0.0%" and rate_row[6].number_format == "0.0%"
    costs = _rows(book["Kosten"])
    total = costs[-1]
    assert total[0] == "Totaal"
    assert Decimal(str(total[1])) == m.costs_total.cost > 0
    assert total[2] == m.costs_total.placements == 3
    assert "€" in book["Kosten"].cell(row=len(costs), column=2).number_format
    curves = _rows(book["Van start naar plaatsing"])
    assert curves[0][:2] == ("Aanbieder", "0 mnd")
    shares = {r[0]: r[1:] for r in curves[1:]}
    for provider, curve in report.curves.items():
        assert [pytest.approx(float(s)) for _m, s in curve] == list(shares[provider])


def test_xlsx_definitions_name_every_indicator_and_the_basis(app, report):
    from contracts.indicators import BASIS_LABELS, Basis

    rows = _rows(_workbook(app, report)["Definities"])
    found = {r[0]: (r[1], r[2]) for r in rows[1:]}
    for indicator in report.marap.comparison.indicators:
        assert found[indicator.id] == (indicator.label, indicator.definition)
    assert found["basis"][1] == BASIS_LABELS[Basis.COHORT]
    assert "cost" in found and "ratio" in found


def test_xlsx_in_english_translates_the_labels(app, report):
    book = _workbook(app, report, "en")
    flow = _rows(book.worksheets[1])
    assert any(r[0] == "ended" for r in flow) and not any(r[0] == "beëindigd" for r in flow)
    placements = _rows(book.worksheets[3])
    assert placements[0][0] == "Type of work"
    assert ("regular work", 2) in placements and ("Total", 3) in placements
    (chart,) = book.worksheets[1]._charts
    assert _text(chart.title) == "Referred and closed by month" and _text(chart.x_axis.title) == "Month"
    assert _text(book.worksheets[3]._charts[0].title) == "First placements in the period by type of work"


def test_xlsx_dates_counts_amounts_and_shares_are_values_in_their_formats(app, report):
    from app.spreadsheet import COUNT_FORMAT, DATE_FORMAT, MONEY_FORMAT, MONTH_FORMAT, PERCENT_FORMAT

    m = report.marap
    book = _workbook(app, report)
    overview = book["Managementrapportage"]
    for cell, day in zip(overview[2][1:4], (*m.period, m.made_on), strict=True):
        assert cell.is_date and cell.value.date() == day and cell.number_format == DATE_FORMAT
    assert overview["E2"].value == m.referred and overview["E2"].number_format == COUNT_FORMAT

    flow = book["Instroom en uitstroom"]
    for row in flow.iter_rows(min_row=2, max_row=1 + len(m.months)):
        assert row[0].is_date and row[0].number_format == MONTH_FORMAT
        assert all(isinstance(c.value, int) and c.number_format == COUNT_FORMAT for c in row[1:])

    budget = book["Budget"]
    for row in budget.iter_rows(min_row=2, max_row=2 + len(m.budget)):  # the sources and their total
        assert row[1].value == m.period[1].year and row[1].number_format == "0"  # a year, not "2.026"
        for cell in row[2:5]:
            assert isinstance(cell.value, int | float) and not isinstance(cell.value, str), cell.coordinate
            assert cell.number_format == MONEY_FORMAT, cell.coordinate

    costs = book["Kosten"]
    for row in costs.iter_rows(min_row=2):
        assert row[1].data_type == "n" and row[1].number_format == MONEY_FORMAT
        assert isinstance(row[2].value, int) and row[2].number_format == COUNT_FORMAT

    curves = book["Van start naar plaatsing"]
    shares = [c for row in curves.iter_rows(min_row=2, min_col=2) for c in row if c.value is not None]
    assert shares and all(isinstance(c.value, int | float) and 0 <= c.value <= 1 for c in shares)
    assert {c.number_format for c in shares} == {PERCENT_FORMAT}


def test_xlsx_columns_are_fitted_to_their_content(app, report):
    from app.spreadsheet import MAX_WIDTH, MIN_WIDTH

    book = _workbook(app, report)
    for sheet in book.worksheets:
        for column in range(1, sheet.max_column + 1):
            letter = sheet.cell(row=1, column=column).column_letter
            assert MIN_WIDTH <= sheet.column_dimensions[letter].width <= MAX_WIDTH, (sheet.title, letter)
    providers = book["Aanbieders"]
    widest = max(len(str(c.value)) for c in providers["B"] if c.value)
    assert providers.column_dimensions["B"].width == widest + 2  # the longest indicator name fits
    assert book["Definities"].column_dimensions["C"].width == MAX_WIDTH  # long definitions wrap at the cap
    assert book["Definities"]["C2"].alignment.wrap_text
    # the basis statement under the overview runs on over the empty cells: it does not widen column A
    assert book["Managementrapportage"].column_dimensions["A"].width == len("Gemeente") + 2


def _text(title) -> str:
    """The text of a chart's or an axis's title as openpyxl reads it back."""
    return "".join(run.t for paragraph in title.tx.rich.p for run in (paragraph.r or []))


def _cells(book, reference: str) -> list:
    """The values of the cells a chart's reference (``'Sheet'!$B$2:$B$5``) points at, in order."""
    name, cells = reference.rsplit("!", 1)
    found = book[name.strip("'")][cells.replace("$", "")]
    rows = found if isinstance(found, tuple) else ((found,),)
    return [cell.value for row in (r if isinstance(r, tuple) else (r,) for r in rows) for cell in row]


def _series(book, chart) -> dict[str, list]:
    """Each series of a chart by its name, with the values of the cells it is drawn from."""
    return {_cells(book, s.tx.strRef.f)[0]: _cells(book, s.val.numRef.f) for s in chart.series}


def _categories(book, chart) -> list:
    source = chart.series[0].cat
    return _cells(book, (source.numRef or source.strRef).f)


def test_xlsx_draws_the_pages_charts_from_its_own_cells(app, report):
    from openpyxl.chart import BarChart, LineChart

    from app.reports import charts

    m = report.marap
    book = _workbook(app, report)
    with app.test_request_context():
        titles = {c.key: c.title for c in charts.marap_charts(m, report.curves)}
    drawn = {sheet.title: sheet._charts for sheet in book.worksheets if sheet._charts}
    assert {title: [_text(c.title) for c in found] for title, found in drawn.items()} == {
        "Instroom en uitstroom": [titles["flow"]], "Plaatsingen": [titles["placements"]],
        "Budget": [titles["budget"]], "Van start naar plaatsing": [titles["cohorts"]]}
    assert titles["flow"] == "Verwezen en afgesloten per maand"

    (flow,), (placements,), (budget,), (cohorts,) = drawn.values()
    assert isinstance(flow, BarChart) and isinstance(cohorts, LineChart)
    assert (_text(flow.x_axis.title), _text(flow.y_axis.title)) == ("Maand", "Trajecten")
    assert _series(book, flow) == {"Verwezen": [r for _m, r, _c in m.months],
                                   "Afgesloten": [c for _m, _r, c in m.months]}
    assert [f"{day:%Y-%m}" for day in _categories(book, flow)] == [month for month, _r, _c in m.months]

    assert (_text(placements.x_axis.title), _text(placements.y_axis.title)) == ("Soort werk", "Plaatsingen")
    assert _series(book, placements) == {"Plaatsingen": [n for _k, n in m.placements_by_kind]}  # not the total
    assert _categories(book, placements) == ["regulier werk", "gesubsidieerd werk (loonkostensubsidie)",
                                             "tijdelijk werk"]
    assert placements.series[0].cat.strRef is not None and flow.series[0].cat.numRef is not None  # names, dates

    assert (_text(budget.x_axis.title), _text(budget.y_axis.title)) == ("Financieringsbron", "Bedrag")
    series = _series(book, budget)
    assert [Decimal(str(v)) for v in series["Budget"]] == [b for _s, b, _r in m.budget]
    assert [Decimal(str(v)) for v in series["Gerealiseerd"]] == [r for _s, _b, r in m.budget]
    assert _categories(book, budget) == [source for source, _b, _r in m.budget]
    assert "€" in budget.y_axis.number_format.formatCode

    assert (_text(cohorts.x_axis.title), _text(cohorts.y_axis.title)) == ("Maanden sinds de start",
                                                                          "Aandeel geplaatst")
    assert cohorts.y_axis.number_format.formatCode == "0%" and cohorts.y_axis.scaling.max == 1
    lines = _series(book, cohorts)
    assert set(lines) == set(report.curves)
    for provider, curve in report.curves.items():
        assert lines[provider] == [pytest.approx(float(share)) for _month, share in curve]
    assert _categories(book, cohorts)[:2] == ["0 mnd", "1 mnd"]
    for chart in (flow, placements, budget, cohorts):  # Excel hides the axes of a chart that does not say
        assert chart.x_axis.delete is False and chart.y_axis.delete is False


# --- PDF -----------------------------------------------------------------------------------------------


def _pdf_text(app, report) -> tuple[int, str]:
    from flask_babel import force_locale
    from pypdf import PdfReader

    from app.reports.exports import marap_pdf

    with app.test_request_context(), force_locale("nl"):
        data = marap_pdf(report.marap, report.curves)
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), text


def test_pdf_has_title_period_sections_money_and_definitions(app, report):
    from flask_babel import format_date

    from contracts.indicators import INDICATORS

    pages, text = _pdf_text(app, report)
    flat = " ".join(text.split())
    assert pages >= 1
    assert "Managementrapportage Aastad" in flat
    with app.test_request_context():
        first, last = (format_date(d, "short") for d in report.marap.period)
    assert first in flat and last in flat
    assert "€" in text
    for section in ("Instroom en uitstroom", "Trajecten naar status", "Plaatsingen", "Kosten en budget",
                    "Vergelijking van aanbieders", "Kosten en besparing", "Definities"):
        assert section in flat, section
    assert " ".join(INDICATORS["placement_rate"].definition.split()[:12]) in flat
    assert "beëindigd" in flat
    assert "cohort: trajecten verwezen in de periode" in flat


def test_pdf_shows_the_traject_counts(app, report):
    m = report.marap
    _pages, text = _pdf_text(app, report)
    flat = " ".join(text.split())
    assert f"{m.referred} trajecten verwezen, {m.closed} afgesloten." in flat
    assert re.search(rf"\bgeplaatst {dict(m.status)['placed']}\b", flat)
    assert re.search(rf"\bTotaal {sum(n for _s, n in m.status)}\b", flat)
    assert re.search(r"\bregulier werk 2\b", flat)
    assert "te klein om te oordelen" in flat  # groups of four are flagged


# --- charts --------------------------------------------------------------------------------------------


def _charts(app, report):
    from app.reports.charts import marap_charts

    with app.test_request_context():
        return marap_charts(report.marap, report.curves)


def _svg(app, chart, **options):
    from app.reports.charts import svg

    with app.test_request_context():
        return str(svg(chart, **options))


def test_svg_charts_are_well_formed_named_and_without_inline_style(app, report):
    for chart in _charts(app, report):
        root = _parse(_svg(app, chart, described_by=f"table-{chart.key}"))
        assert root.tag == f"{SVG}svg" and root.get("role") == "img"
        title = root.find(f"{SVG}title")
        assert title is not None and title.text == chart.title
        assert root.get("aria-labelledby") == title.get("id")
        assert root.get("aria-describedby") == f"table-{chart.key}"
        for element in root.iter():
            assert "style" not in element.attrib, (chart.key, element.tag)
            assert element.tag != f"{SVG}style"


def test_svg_bars_draw_one_bar_per_value_in_proportion(app, report):
    charts = {c.key: c for c in _charts(app, report)}
    for key in ("flow", "placements", "budget"):
        chart = charts[key]
        root = _parse(_svg(app, chart))
        bars = [e for e in root.iter(f"{SVG}rect") if e.get("class") == "bar"]
        values = [v for s in chart.series for v in s.values]
        assert len(bars) == len(values) == chart.points > 0, key
        top = max(values)
        scale = max(float(b.get("height")) for b in bars) / float(top)
        for bar, value in zip(bars, values, strict=True):  # every bar's height is its value times one scale
            assert float(bar.get("height")) == pytest.approx(float(value) * scale, abs=0.06), (key, value)
        assert all(b.find(f"{SVG}title") is not None for b in bars)
    placements = charts["placements"]
    assert placements.series[0].values == (2, 1, 0)
    assert placements.categories[0] == "regulier werk"


def test_svg_lines_draw_a_point_per_value_and_break_at_gaps(app):
    from app.reports.charts import cohort_chart

    curves = {"A": [(0, Decimal("0")), (1, Decimal("0.5")), (2, Decimal("0.75"))], "B": [(0, Decimal("0.25"))],
              "C & co": [(0, Decimal(0)), (2, Decimal("1"))]}
    with app.test_request_context():
        chart = cohort_chart(curves)
    root = _parse(_svg(app, chart))
    points = [e for e in root.iter() if e.get("class") == "point"]
    assert len(points) == chart.points == 6
    assert len(list(root.iter(f"{SVG}polyline"))) == 1 + 1 + 2  # C has no value at month 1
    assert chart.categories == ("0 mnd", "1 mnd", "2 mnd")
    legend = [t.text for t in root.iter(f"{SVG}text")]
    assert "C & co" in legend


def test_chart_colours_have_enough_contrast():
    from app.reports.charts import BACKGROUND, PALETTE, TEXT

    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    def contrast(a: str, b: str) -> float:
        high, low = sorted((luminance(a), luminance(b)), reverse=True)
        return (high + 0.05) / (low + 0.05)

    assert all(contrast(colour, BACKGROUND) >= 3 for colour in PALETTE)
    assert contrast(PALETTE[0], PALETTE[1]) >= 3  # the two series of a pair of bars
    assert contrast(TEXT, BACKGROUND) >= 4.5


def test_an_empty_marap_still_exports_and_draws(app, db, world):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    from app.reports.charts import marap_charts_svg
    from app.reports.exports import marap_pdf, marap_xlsx
    from app.reports.marap import build

    today = clock.today()
    with app.test_request_context():
        m = build(world.gemeenten[2].id, (today - timedelta(days=30), today), today)
        xlsx, pdf = marap_xlsx(m, {}), marap_pdf(m, {})
        pages = marap_charts_svg(m, {})
    assert m.referred == 0 and m.budget == []
    book = load_workbook(io.BytesIO(xlsx))
    assert ("Geen budget vastgelegd.",) in [r[:1] for r in book["Budget"].iter_rows(values_only=True)]
    # no chart without anything to draw, as on the page and in the PDF; the months are there, with zeros
    assert book["Budget"]._charts == [] and book["Van start naar plaatsing"]._charts == []
    assert len(book["Instroom en uitstroom"]._charts) == 1
    assert "Ceeveen" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert pages["budget"] == "" and pages["cohorts"] == ""
    assert _parse(str(pages["months"])).find(f"{SVG}title") is not None


def _structure(node, seen=None) -> list:
    """Every structure element below ``node`` (a /StructTreeRoot or /StructElem), depth first."""
    from pypdf.generic import ArrayObject, DictionaryObject

    seen = set() if seen is None else seen
    kids = node.get("/K")
    kids = kids.get_object() if kids is not None else []
    out = []
    for kid in kids if isinstance(kids, ArrayObject) else [kids]:
        element = kid.get_object() if hasattr(kid, "get_object") else kid
        if isinstance(element, DictionaryObject) and "/S" in element and id(element) not in seen:
            seen.add(id(element))
            out += [element, *_structure(element, seen)]
    return out


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_pdf_is_tagged_with_language_title_table_headers_and_figures(app, report, locale):
    from flask_babel import force_locale
    from pypdf import PdfReader

    from app.reports.exports import marap_pdf

    with app.test_request_context(), force_locale(locale):
        data = marap_pdf(report.marap, report.curves)
    reader = PdfReader(io.BytesIO(data))
    catalog = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog
    assert catalog["/MarkInfo"]["/Marked"].value is True
    assert str(catalog["/Lang"]).lower().startswith(locale)
    title = (reader.metadata or {}).get("/Title") or (reader.xmp_metadata and reader.xmp_metadata.dc_title)
    assert title and "Aastad" in str(title) and ("Managementrapportage" if locale == "nl" else "report") in str(title)
    elements = _structure(catalog["/StructTreeRoot"].get_object())
    kinds = [str(e["/S"]) for e in elements]
    assert "/TH" in kinds and "/Table" in kinds and "/H1" in kinds
    figures = [e for e in elements if e["/S"] == "/Figure"]
    assert len(figures) >= 3 and all(str(f.get("/Alt", "")).strip() for f in figures)
