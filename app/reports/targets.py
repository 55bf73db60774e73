"""Performance targets judged on the figures of their year so far: the targets page and the start pages'
traffic lights."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.db import session
from app.models.reports import PerformanceTarget
from app.reports import services
from contracts.indicators import INDICATORS, Basis, Figure, Light, judge, judge_figure, target_basis


@dataclass(frozen=True)
class JudgedTarget:
    """A target, the figure of its year so far with what the page needs to open the trajecten behind it,
    and its traffic light."""

    target: PerformanceTarget
    figure: Figure | None
    light: Light
    args: dict
    group: int | None


def _judge(targets: list[PerformanceTarget], year: int, today: date) -> list[JudgedTarget]:
    """Each target judged on the figure for its year so far (:func:`contracts.indicators.target_basis` says
    on which basis). One grouped table per basis and kind of target (contract or gemeente) serves them all."""
    period = (date(year, 1, 1), min(date(year, 12, 31), today))
    if period[0] > period[1]:
        return [JudgedTarget(t, None, judge(None, t.target, t.tolerance, 0), {}, None) for t in targets]
    wanted: dict[tuple[Basis, str], list[PerformanceTarget]] = defaultdict(list)
    for t in targets:
        wanted[(target_basis(INDICATORS[t.indicator]), "contract" if t.contract_id else "gemeente")].append(t)
    rows = {}
    for (basis, group_by), some in wanted.items():
        query = services.Query(period=period, basis=basis, group_by=group_by)
        found = services.figures_for(query, sorted({t.indicator for t in some}),
                                     {t.contract_id or t.gemeente_id for t in some})
        args = {"start": period[0].isoformat(), "end": period[1].isoformat(), "basis": basis.value,
                "group_by": group_by}
        for t in some:
            group = t.contract_id or t.gemeente_id
            figure = found[group][t.indicator]
            rows[t.id] = JudgedTarget(t, figure, judge_figure(figure, t.target, t.tolerance), args, group)
    return [rows[t.id] for t in targets]


def judged(year: int, today: date) -> list[JudgedTarget]:
    """Every target of ``year``, judged, in the targets page's order."""
    found = session.scalars(select(PerformanceTarget).where(PerformanceTarget.year == year)
                            .options(selectinload(PerformanceTarget.contract),
                                     selectinload(PerformanceTarget.gemeente))
                            .order_by(PerformanceTarget.indicator, PerformanceTarget.id)).all()
    return _judge(list(found), year, today)


def lights(year: int, today: date) -> dict[Light, int]:
    """How many of ``year``'s targets stand at each light."""
    counted = Counter(j.light for j in judged(year, today))
    return {light: counted.get(light, 0) for light in Light}
