"""Charts of the management report, drawn on the server as inline SVG, for the page and the PDF alike.

One function per section turns the :class:`~app.reports.marap.Marap` (or the cohort curves) into a
:class:`Chart` of plain series; the SVG renderers draw those series, and the page and the PDF show the same
SVG. Nothing here needs JavaScript or a file from elsewhere, and the SVG carries no ``style`` attribute
(the site's Content-Security-Policy forbids inline styles): colours and fonts are presentation attributes.

Accessibility: the SVG is ``role="img"`` named by its ``<title>`` (``aria-labelledby``); ``described_by`` can
point at the data table the page shows beside it, which is the text equivalent. Each bar and point carries its
own ``<title>`` (series, category, value). Every colour has at least 3:1 contrast against the white background
(WCAG 2.x, 1.4.11), the first two (the pairs of bars) also against each other, and lines differ in dash pattern
and marker as well as in colour.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from flask_babel import format_date, get_locale, gettext
from markupsafe import Markup

from app.formatting import money, number, percent

# Colours with ≥ 3:1 contrast against white; the first two also ≥ 3:1 against each other.
PALETTE = ("#0b2d5b", "#cf6a0c", "#2e7d32", "#7b3294", "#a3195b", "#00727a", "#8a6100", "#4d4d4d")
BACKGROUND = "#ffffff"
TEXT = "#1a1a1a"
AXIS = "#595959"
GRID = "#d9d9d9"  # decorative only: the values are read from the labels and the table
DASHES = (None, "6 3", "2 3", "8 3 2 3", "10 4", "4 2 1 2", "1 2", "12 3 3 3")
MARKERS = ("circle", "square", "diamond", "triangle")
FONT = "Helvetica, Arial, sans-serif"


class Unit(enum.StrEnum):
    COUNT = "count"
    SHARE = "share"    # 0..1, shown as a percentage
    MONEY = "money"    # euros


class Kind(enum.StrEnum):
    BARS = "bars"
    LINES = "lines"


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[Decimal | None, ...]  # one per category; None: no value (a gap in a line)


@dataclass(frozen=True)
class Chart:
    """What a chart shows, independent of how it is drawn."""

    key: str                      # stable, used for element ids
    kind: Kind
    title: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    unit: Unit
    x_label: str = ""

    @property
    def points(self) -> int:
        """The data points that are drawn (a bar or a marker each)."""
        return sum(v is not None for s in self.series for v in s.values)

    def rows(self) -> list[tuple[str, list[Decimal | None]]]:
        """The chart as a table: one row per category, one value per series (the text equivalent)."""
        return [(c, [s.values[i] for s in self.series]) for i, c in enumerate(self.categories)]


# --- formatting ----------------------------------------------------------------------------------------


def month_label(month: str) -> str:
    """``2026-03`` as the user's language writes a month ("mrt 2026", "Mar 2026")."""
    year, number = (int(part) for part in month.split("-"))
    return format_date(date(year, number, 1), "MMM yyyy")


def format_value(value: Decimal | int | None, unit: Unit, compact: bool = False) -> str:
    """A value in the user's language; ``compact`` for axis labels (whole euros, whole percentages)."""
    if value is None:
        return "—"
    if unit == Unit.SHARE:
        return percent(value, 0 if compact else 1)
    if unit == Unit.MONEY:
        if not compact:
            return money(value)
        from babel.numbers import format_currency

        locale = get_locale()
        pattern = locale.currency_formats["standard"].pattern.split(";")[0].replace(".00", "")
        return format_currency(value, "EUR", format=pattern, locale=locale, currency_digits=False)
    return number(value)


def _decimal(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(int(value))


# --- the charts of a marap -----------------------------------------------------------------------------


def flow_chart(m) -> Chart:
    """Trajecten referred and closed per month of the period (grouped bars)."""
    return Chart(
        key="flow", kind=Kind.BARS, title=gettext("Verwezen en afgesloten per maand"),
        categories=tuple(month_label(month) for month, _in, _out in m.months),
        series=(Series(gettext("Verwezen"), tuple(_decimal(n) for _m, n, _c in m.months)),
                Series(gettext("Afgesloten"), tuple(_decimal(c) for _m, _n, c in m.months))),
        unit=Unit.COUNT,
    )


def placements_chart(m) -> Chart:
    """First placements in the period per kind of work."""
    from app.trajecten.forms import WORK_KIND_LABELS
    from contracts.events import WorkKind

    return Chart(
        key="placements", kind=Kind.BARS, title=gettext("Eerste plaatsingen in de periode naar soort werk"),
        categories=tuple(str(WORK_KIND_LABELS[WorkKind(kind)]) for kind, _n in m.placements_by_kind),
        series=(Series(gettext("Plaatsingen"), tuple(_decimal(n) for _k, n in m.placements_by_kind)),),
        unit=Unit.COUNT,
    )


def budget_chart(m) -> Chart:
    """Budget (including what was carried over) and realised spending per funding source."""
    return Chart(
        key="budget", kind=Kind.BARS,
        title=gettext("Budget en gerealiseerd in %(year)s (goedgekeurde facturen, zonder btw)", year=m.period[1].year),
        categories=tuple(source for source, _b, _r in m.budget),
        series=(Series(gettext("Budget"), tuple(b for _s, b, _r in m.budget)),
                Series(gettext("Gerealiseerd"), tuple(r for _s, _b, r in m.budget))),
        unit=Unit.MONEY,
    )


def cohort_chart(curves: dict[str, list[tuple[int, Decimal]]]) -> Chart:
    """Per provider, the share of its started trajecten placed within 0, 1, ... months of the start
    (:func:`app.reports.services.cohort_curves`)."""
    months = sorted({month for curve in curves.values() for month, _share in curve})
    series = []
    for provider, curve in curves.items():
        shares = dict(curve)
        series.append(Series(provider, tuple(shares.get(month) for month in months)))
    return Chart(
        key="cohorts", kind=Kind.LINES, title=gettext("Aandeel geplaatst per maand sinds de start"),
        categories=tuple(gettext("%(m)s mnd", m=month) for month in months), series=tuple(series), unit=Unit.SHARE,
    )


def marap_charts(m, curves: dict[str, list[tuple[int, Decimal]]]) -> list[Chart]:
    """All charts of a marap, in the order of its sections."""
    return [flow_chart(m), placements_chart(m), budget_chart(m), cohort_chart(curves)]


# --- scale ---------------------------------------------------------------------------------------------


def ticks(chart: Chart, count: int = 5) -> list[float]:
    """Round values for the value axis, from 0 to at least the largest value."""
    top = max((float(v) for s in chart.series for v in s.values if v is not None), default=0.0)
    if chart.unit == Unit.SHARE and top <= 1:
        return [i / 5 for i in range(6)]
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(f * magnitude for f in (1, 2, 2.5, 5, 10) if f * magnitude >= raw)
    if chart.unit == Unit.COUNT:
        step = max(1.0, math.ceil(step))
    n = math.ceil(top / step - 1e-9)
    return [i * step for i in range(n + 1)]


def _tick_label(value: float, unit: Unit) -> str:
    as_decimal = Decimal(str(round(value, 6))).normalize()
    return format_value(as_decimal, unit, compact=True)


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Words of a label on lines that fit ``width`` pixels (estimated at 0.55 em per character)."""
    fits = max(1, int(width / (size * 0.55)))
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= fits:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


# --- SVG -----------------------------------------------------------------------------------------------


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg_open(chart: Chart, width: int, height: int, prefix: str, described_by: str | None) -> list[str]:
    described = f" aria-describedby={quoteattr(described_by)}" if described_by else ""
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{chart.kind}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{prefix}-title"'
        f'{described} font-family="{FONT}" font-size="12" fill="{TEXT}">',
        f'<title id="{prefix}-title">{escape(chart.title)}</title>',
        f'<rect class="background" x="0" y="0" width="{width}" height="{height}" fill="{BACKGROUND}"/>',
    ]


def _svg_legend(chart: Chart, x: float, y: float, lines: bool) -> list[str]:
    out = ['<g class="legend">']
    for i, series in enumerate(chart.series):
        colour = PALETTE[i % len(PALETTE)]
        if lines:
            dash = DASHES[i % len(DASHES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(f'<line x1="{_num(x)}" y1="{_num(y - 4)}" x2="{_num(x + 24)}" y2="{_num(y - 4)}" '
                       f'stroke="{colour}" stroke-width="2.5"{dash_attr}/>')
            out.append(_svg_marker(MARKERS[i % len(MARKERS)], x + 12, y - 4, colour, ""))
            x += 30
        else:
            out.append(f'<rect x="{_num(x)}" y="{_num(y - 10)}" width="12" height="12" fill="{colour}"/>')
            x += 17
        out.append(f'<text x="{_num(x)}" y="{_num(y)}">{escape(series.name)}</text>')
        x += len(series.name) * 12 * 0.55 + 18
    out.append("</g>")
    return out


def _svg_value_axis(chart: Chart, scale: list[float], left: float, right: float,
                    y_of: Callable[[float], float]) -> list[str]:
    out = ['<g class="value-axis">']
    for value in scale:
        y = y_of(value)
        out.append(f'<line x1="{_num(left)}" y1="{_num(y)}" x2="{_num(right)}" y2="{_num(y)}" stroke="{GRID}"/>')
        out.append(f'<text x="{_num(left - 6)}" y="{_num(y + 4)}" text-anchor="end">'
                   f'{escape(_tick_label(value, chart.unit))}</text>')
    out.append(f'<line x1="{_num(left)}" y1="{_num(y_of(0))}" x2="{_num(right)}" y2="{_num(y_of(0))}" '
               f'stroke="{AXIS}" stroke-width="1.5"/>')
    out.append("</g>")
    return out


def _svg_categories(chart: Chart, centre_of: Callable[[int], float], band: float, y: float) -> list[str]:
    out = ['<g class="category-axis">']
    for i, category in enumerate(chart.categories):
        x = centre_of(i)
        words = _wrap(category, band - 4, 11)
        tspans = "".join(f'<tspan x="{_num(x)}" dy="{0 if j == 0 else 13}">{escape(line)}</tspan>'
                         for j, line in enumerate(words))
        out.append(f'<text x="{_num(x)}" y="{_num(y)}" font-size="11" text-anchor="middle">{tspans}</text>')
    out.append("</g>")
    return out


def _label_lines(chart: Chart, band: float) -> int:
    return max((len(_wrap(c, band - 4, 11)) for c in chart.categories), default=1)


def _layout(chart: Chart, width: int, height: int) -> tuple[float, float, float, float, float]:
    """Left, top, right, bottom of the plot area and the width of one category band."""
    scale = ticks(chart)
    label_width = max(len(_tick_label(v, chart.unit)) for v in scale) * 12 * 0.55
    left, right, top = 14 + label_width, width - 16.0, 36.0
    band = (right - left) / max(1, len(chart.categories))
    below = 12 + 13 * _label_lines(chart, band) + (18 if chart.x_label else 0)
    return left, top, right, height - below, band


@dataclass
class _Frame:
    """A chart's plot area and value scale, and the SVG drawn so far (opening, legend, value axis)."""

    out: list[str]
    left: float
    top: float
    right: float
    bottom: float
    band: float
    top_value: float

    def y_of(self, value: float) -> float:
        return self.bottom - (self.bottom - self.top) * value / self.top_value

    def x_of(self, i: int) -> float:
        return self.left + self.band * (i + 0.5)


def _frame(chart: Chart, width: int, height: int, id_prefix: str | None, described_by: str | None,
           lines: bool) -> _Frame:
    scale = ticks(chart)
    left, top, right, bottom, band = _layout(chart, width, height)
    frame = _Frame(_svg_open(chart, width, height, id_prefix or f"chart-{chart.key}", described_by),
                   left, top, right, bottom, band, scale[-1] or 1.0)
    frame.out += _svg_legend(chart, left, 18, lines=lines)
    frame.out += _svg_value_axis(chart, scale, left, right, frame.y_of)
    return frame


def _close(chart: Chart, frame: _Frame, height: int) -> Markup:
    out = frame.out + _svg_categories(chart, frame.x_of, frame.band, frame.bottom + 16)
    if chart.x_label:
        out.append(f'<text x="{_num((frame.left + frame.right) / 2)}" y="{height - 6}" text-anchor="middle">'
                   f'{escape(chart.x_label)}</text>')
    out.append("</svg>")
    return Markup("\n".join(out))  # noqa: S704 - every text above is escaped


def svg_bars(chart: Chart, *, width: int = 640, height: int = 320, id_prefix: str | None = None,
             described_by: str | None = None) -> Markup:
    """Grouped vertical bars: one ``<rect class="bar">`` per value (a zero is a bar of height 0)."""
    f = _frame(chart, width, height, id_prefix, described_by, lines=False)
    out, left, bottom, band, y_of = f.out, f.left, f.bottom, f.band, f.y_of
    groups = max(1, len(chart.series))
    bar = min(48.0, band * 0.8 / groups)
    out.append('<g class="bars">')
    for s, series in enumerate(chart.series):
        colour = PALETTE[s % len(PALETTE)]
        for i, value in enumerate(series.values):
            if value is None:
                continue
            x = left + band * i + (band - bar * groups) / 2 + bar * s
            y = y_of(float(value))
            label = f"{series.name}, {chart.categories[i]}: {format_value(value, chart.unit)}"
            out.append(f'<rect class="bar" x="{_num(x)}" y="{_num(y)}" width="{_num(max(bar - 1, 1))}" '
                       f'height="{_num(bottom - y)}" fill="{colour}"><title>{escape(label)}</title></rect>')
    out.append("</g>")
    return _close(chart, f, height)


def _svg_marker(shape: str, x: float, y: float, colour: str, title: str) -> str:
    inner = f"<title>{escape(title)}</title>" if title else ""
    cls = ' class="point"' if title else ""
    if shape == "square":
        return (f'<rect{cls} x="{_num(x - 3.5)}" y="{_num(y - 3.5)}" width="7" height="7" '
                f'fill="{colour}">{inner}</rect>')
    if shape == "diamond":
        points = f"{_num(x)},{_num(y - 5)} {_num(x + 5)},{_num(y)} {_num(x)},{_num(y + 5)} {_num(x - 5)},{_num(y)}"
        return f'<polygon{cls} points="{points}" fill="{colour}">{inner}</polygon>'
    if shape == "triangle":
        points = f"{_num(x)},{_num(y - 5)} {_num(x + 5)},{_num(y + 4)} {_num(x - 5)},{_num(y + 4)}"
        return f'<polygon{cls} points="{points}" fill="{colour}">{inner}</polygon>'
    return f'<circle{cls} cx="{_num(x)}" cy="{_num(y)}" r="4" fill="{colour}">{inner}</circle>'


def svg_lines(chart: Chart, *, width: int = 640, height: int = 320, id_prefix: str | None = None,
              described_by: str | None = None) -> Markup:
    """One line per series (a gap where a value is missing) with a marker per value (``class="point"``)."""
    f = _frame(chart, width, height, id_prefix, described_by, lines=True)
    out, x_of, y_of = f.out, f.x_of, f.y_of
    for s, series in enumerate(chart.series):
        colour, dash = PALETTE[s % len(PALETTE)], DASHES[s % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<g class="series" data-series={quoteattr(series.name)}>')
        for run in _runs(series.values):
            points = " ".join(f"{_num(x_of(i))},{_num(y_of(float(v)))}" for i, v in run)
            out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5"'
                       f'{dash_attr}/>')
        for i, value in enumerate(series.values):
            if value is not None:
                label = f"{series.name}, {chart.categories[i]}: {format_value(value, chart.unit)}"
                out.append(_svg_marker(MARKERS[s % len(MARKERS)], x_of(i), y_of(float(value)), colour, label))
        out.append("</g>")
    return _close(chart, f, height)


def _runs(values: Sequence[Decimal | None]) -> list[list[tuple[int, Decimal]]]:
    """Consecutive present values: a line is drawn through each run, not across a gap."""
    runs: list[list[tuple[int, Decimal]]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((i, value))
    return [run for run in runs if run]


def svg(chart: Chart, **options) -> Markup:
    """The chart as inline SVG, bars or lines as its kind says."""
    return svg_lines(chart, **options) if chart.kind == Kind.LINES else svg_bars(chart, **options)


# --- for the pages -------------------------------------------------------------------------------------


def cohort_chart_svg(curves: dict[str, list[tuple[int, Decimal]]], **options) -> Markup:
    """The cohort curves as inline SVG (empty when no provider has started trajecten)."""
    chart = cohort_chart(curves)
    return svg_lines(chart, **options) if chart.points else Markup("")


def marap_charts_svg(m, curves: dict[str, list[tuple[int, Decimal]]]) -> dict[str, Markup]:
    """The marap's charts as inline SVG by section: ``months``, ``placements``, ``budget``, ``cohorts``; a
    section with nothing to draw (no budget, no started trajecten) gets an empty string."""
    budget = budget_chart(m)
    return {"months": svg_bars(flow_chart(m)), "placements": svg_bars(placements_chart(m)),
            "budget": svg_bars(budget) if budget.points else Markup(""), "cohorts": cohort_chart_svg(curves)}
