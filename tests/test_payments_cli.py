"""`flask payments validate` and `flask payments simulate`: a model tried without the web app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "contracts" / "templates"
EXAMPLE = ROOT / "docs" / "examples" / "trajecten.json"


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.json")))
def test_every_template_validates(runner, template):
    result = runner.invoke(args=["payments", "validate", str(TEMPLATES / template)])
    assert result.exit_code == 0, result.output
    assert "geldig" in result.output


def test_an_invalid_model_names_the_field_and_fails(runner, tmp_path):
    model = json.loads((TEMPLATES / "tranches.json").read_text())
    model["rules"][0]["tranches"][1]["after"] = "missing"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(model))
    result = runner.invoke(args=["payments", "validate", str(path)])
    assert result.exit_code == 2
    assert "rules[0].tranches[1].after" in result.output


def test_simulate_prints_a_table_and_json_with_the_same_total(runner):
    result = runner.invoke(args=["payments", "simulate", str(TEMPLATES / "no_cure_less_pay_tiers.json"), str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    table, _, json_text = result.output.partition("\n{")
    data = json.loads("{" + json_text)
    assert data["total"] == "6500.00"
    assert "€ 6.500,00" in table and "(4 trajecten)" in table
    assert {t["id"]: t["total"] for t in data["trajecten"]} == {
        "T-001": "2500.00", "T-002": "2250.00", "T-003": "1750.00", "T-004": "0.00"}


def test_simulate_as_of_overrides_the_file(runner):
    result = runner.invoke(args=["payments", "simulate", str(TEMPLATES / "no_cure_no_pay_handover.json"),
                                 str(EXAMPLE), "--as-of", "2026-06-30", "--format", "json"])
    assert json.loads(result.output)["total"] == "0.00"  # nothing due yet half-way 2026


def test_simulate_reports_bad_traject_input(runner, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"id": "x", "referral_date": "2026-01-01",
                                 "events": [{"id": "a", "type": "hired", "date": "2026-01-02"}]}]))
    result = runner.invoke(args=["payments", "simulate", str(TEMPLATES / "tempo.json"), str(path)])
    assert result.exit_code != 0
    assert "trajecten[0].events[0].type" in result.output
