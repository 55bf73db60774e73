"""What the report pages show: the placement share of everyone referred beside the share of the started
trajecten, targets with numerator, denominator and one notation, no cost per result without approved
invoices, plural forms where a count meets a noun, and the provider's start page."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import PerformanceTarget
from tests.test_reports import dataset  # noqa: F401  (the fixture of hand-worked trajecten)
from tests.test_trajecten import squash, text

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
YEAR = "start=2025-01-01&end=2025-12-31"


def _row(page: str, label: str) -> str:
    """The table row whose header cell is ``label``, as a reader sees it."""
    match = re.search(rf"<tr><th scope=\"row\">{re.escape(label)}</th>(.*?)</tr>", page, re.S)
    assert match, label
    return re.sub(r"\( (.*?) / (.*?) \)", r"(\1/\2)", squash(match.group(1)))


@pytest.mark.usefixtures("dataset")
def test_the_performance_page_shows_both_placement_shares_and_says_over_whom(as_role, world):
    page = text(as_role("management").get(f"/rapportages/?{YEAR}"))
    assert "Plaatsing, van de gestarte trajecten" in page and "Plaatsing, van alle verwezen cliënten" in page
    assert "Uitstroom naar werk, van de gestarte trajecten" in page
    # Provider A: 3 placed of 4 started (75,0%), of 6 referred (50,0%); B: 1 of 2 started, 1 of 3 referred.
    cells = _row(page, world.providers[0].name)
    assert "75,0% (3/4)" in cells and "50,0% (3/6)" in cells
    assert "33,3% (1/3)" in _row(page, world.providers[1].name)
    assert "indicator=referred_placement_rate" in page


@pytest.mark.usefixtures("dataset")
def test_the_share_of_everyone_referred_can_be_a_target(as_role, db, world):
    c = as_role("management")
    assert 'value="referred_placement_rate"' in text(c.get("/rapportages/doelen/nieuw"))
    r = c.post("/rapportages/doelen/nieuw", data={"indicator": "referred_placement_rate", "year": "2025",
                                                   "contract_id": str(world.contract.id), "gemeente_id": "0",
                                                   "target": "40", "tolerance": "2"})
    assert r.status_code == 302
    assert db.scalar(select(PerformanceTarget.indicator).where(PerformanceTarget.year == 2025)) == \
        "referred_placement_rate"
    # 4 placed of the 9 referred on the contract in 2025: 44,4% against 40 ± 2, reached, but 9 is too few.
    row = _row(text(c.get("/rapportages/doelen?jaar=2025")), "Plaatsing, van alle verwezen cliënten")
    assert "40,0%" in row and "± 2,0%" in row and "44,4% (4/9)" in row and "geen oordeel" in row


@pytest.mark.usefixtures("dataset")
def test_every_figure_on_the_targets_page_has_its_parts_and_one_notation(as_role, db, world):
    db.add_all([PerformanceTarget(indicator="placement_rate", year=2025, contract=world.contract,
                                  target=Decimal("64.00"), tolerance=Decimal("2.00")),
                PerformanceTarget(indicator="days_to_start", year=2025, contract=world.contract,
                                  target=Decimal("14.00"), tolerance=Decimal("3.00"))])
    db.commit()
    c = as_role("management")
    page = text(c.get("/rapportages/doelen?jaar=2025"))
    # 4 of the 6 started on the contract were placed: 66,7%, with its numerator and denominator.
    rate = _row(page, "Plaatsing, van de gestarte trajecten")
    assert "64,0%" in rate and "± 2,0%" in rate and "66,7% (4/6)" in rate
    assert "14 d" in _row(page, "Dagen tot start") and "± 3 d" in _row(page, "Dagen tot start")
    tbody = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert not re.search(r"\d\.\d\d\b", squash(tbody))  # no "64.00" beside "66,7%"
    assert "/rapportages/trajecten?" in tbody  # each part opens the trajecten behind it
    c.get("/taal/en")
    english = _row(text(c.get("/rapportages/doelen?jaar=2025")), "Placement, of the started trajecten")
    assert "64.0%" in english and "66.7% (4/6)" in english


@pytest.mark.usefixtures("dataset")
def test_no_cost_per_placement_without_approved_invoices(as_role, world):
    page = text(as_role("finance").get(f"/rapportages/vergelijking?{YEAR}"))
    costs = page.split("Kosten per (duurzame) plaatsing", 1)[1].split("</table>", 1)[0]
    assert "€ 0,00 (" not in costs and "— (3)" in squash(costs)
    marap = text(as_role("finance").get(f"/rapportages/marap?{YEAR}&gemeente={world.gemeenten[1].id}"))
    assert "(— per plaatsing)" in marap and "€ 0,00 per plaatsing" not in marap


@pytest.mark.usefixtures("dataset")
def test_the_comparison_writes_ratios_in_the_users_language(as_role, world):
    c = as_role("finance")
    table = squash(text(c.get(f"/rapportages/vergelijking?{YEAR}")).split("<tbody>", 1)[1].split("</tbody>")[0])
    assert re.search(r"\b\d,\d\d\b", table) and not re.search(r"\b\d\.\d\d\b", table)
    assert "te klein om te oordelen" in table  # four and three started: too few, whatever the ratio says


def test_no_template_decides_what_is_too_small_to_judge():
    rule = re.compile(r"[<>]=?\s*MIN_GROUP|kind\s*!=\s*'count'")
    assert [p.name for p in TEMPLATES.rglob("*.html") if rule.search(p.read_text(encoding="utf-8"))] == []


# --- plural forms --------------------------------------------------------------------------------------

PLURAL_NOUNS = ("dagen", "maanden", "trajecten", "facturen", "regels", "resultaten", "personen", "plaatsingen")
COUNT_BEFORE_NOUN = re.compile(r"""_\(["'][^"']*%\((?!num\))\w+\)s (?:""" + "|".join(PLURAL_NOUNS) + r")\b")


def test_a_count_meets_its_noun_through_ngettext():
    # MIN_GROUP (10) is a fixed number of the rules, never one.
    found = [f"{p.relative_to(TEMPLATES)}: {m.group(0)}" for p in sorted(TEMPLATES.rglob("*.html"))
             for line in p.read_text(encoding="utf-8").splitlines() if "MIN_GROUP" not in line
             for m in COUNT_BEFORE_NOUN.finditer(line)]
    assert found == []
    assert not any("persoon of personen" in p.read_text(encoding="utf-8") for p in TEMPLATES.rglob("*.html"))


@pytest.mark.usefixtures("dataset")
def test_one_traject_is_one_traject(as_role, world):
    url = (f"/rapportages/trajecten?{YEAR}&indicator=durable_rate&part=numerator&group={world.providers[0].id}")
    assert "1 traject telt mee." in text(as_role("inkoper").get(url))


def test_one_approver_is_one_person(as_role, world):
    page = text(as_role("finance").get(f"/facturen/{world.invoice.id}"))
    assert "Goedkeuring door 1 persoon:" in page


# --- the provider's start page -------------------------------------------------------------------------


def test_the_providers_start_page_points_at_its_portal(as_role, world):
    page = text(as_role("provider").get("/"))
    assert "komt beschikbaar" not in page
    assert 'href="/werklijst"' in page and 'href="/facturen/"' in page


# --- the compact filter bar and the wide table ---------------------------------------------------------------


def _details(page: str, element_id: str) -> str:
    match = re.search(rf'<details[^>]*id="{element_id}"[^>]*>.*?</details>', page, re.S)
    assert match, element_id
    return match.group(0)


def test_the_filter_bar_shows_the_default_period_in_its_fields_and_keeps_the_rest_folded(as_role, app):
    """Without a period in the address, the fields hold the twelve months the figures cover, and the filters
    used less often sit in a closed panel: the figures start above the fold."""
    from datetime import timedelta

    from app import clock
    from contracts.dates import add_period

    page = text(as_role("management").get("/rapportages/"))
    today = clock.today()
    start = add_period(today, months=-12) + timedelta(days=1)
    assert f'value="{start.isoformat()}"' in page and f'value="{today.isoformat()}"' in page
    panel = _details(page, "filter-more")
    assert " open" not in panel.split(">", 1)[0]
    assert all(f'name="{name}"' in panel for name in ("gemeente", "provider", "contract", "client_group", "phase"))
    assert 'name="basis"' not in panel and 'name="group_by"' not in panel
    assert "Periode " in page.split('id="filter-summary"', 1)[1].split("</p>", 1)[0]


def test_a_chosen_or_wrong_filter_opens_the_panel_and_is_named_above_the_figures(as_role, world):
    c = as_role("management")
    page = text(c.get(f"/rapportages/?{YEAR}&gemeente={world.gemeenten[0].id}"))
    head = _details(page, "filter-more").split(">", 1)[0]
    assert " open" in head and "(1 gekozen)" in _details(page, "filter-more")
    summary = page.split('id="filter-summary"', 1)[1].split("</p>", 1)[0]
    assert f"Gemeente: {world.gemeenten[0].name}" in summary and "1 jan 2025" in summary
    wrong = text(c.get("/rapportages/?start=2025-06-01&end=2025-01-01&phase=7"))
    assert " open" in _details(wrong, "filter-more").split(">", 1)[0]  # an error is never folded away


def test_every_column_of_the_performance_table_belongs_to_a_group_the_column_choice_offers(as_role):
    page = text(as_role("management").get(f"/rapportages/?{YEAR}"))
    offered = set(re.findall(r'id="column-group-(\w+)" value="\1"', _details(page, "column-choice")))
    table = page.split('id="performance-table"', 1)[1].split("</table>", 1)[0]
    used = set(re.findall(r'data-column-group="(\w+)"', table))
    assert used and used == offered
    # the first column (the provider, gemeente ...) has no group: it is never hidden, and it stays in view
    assert re.search(r'<tr><th scope="row">', table) and 'class="data-table report-table sticky-table"' in page
    assert 'role="region" aria-labelledby="performance-caption" tabindex="0"' in page


def test_the_marap_filter_shows_its_own_fields_in_view(as_role, world):
    page = text(as_role("management").get(f"/rapportages/marap?{YEAR}&gemeente={world.gemeenten[0].id}"))
    in_view = page.split('class="filter-grid"', 1)[1].split('id="filter-more"', 1)[0]
    assert all(f'name="{name}"' in in_view for name in ("start", "end", "gemeente"))
    assert 'name="basis"' not in in_view  # the marap counts by cohort; its basis is a choice it does not offer
