"""The amendment page's payment model as fields generated from the schema, the JSON for experts beside them,
and the preview of a change before it is saved as a new version (app.contracting.model_editor)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import html as lxml_html
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.models import ContractVersion
from tests.test_contracts import field_error, text

TEMPLATES = sorted((Path(__file__).resolve().parents[1] / "contracts" / "templates").glob("*.json"))


def url(world) -> str:
    return f"/contracten/{world.contract.id}/wijziging"


def page_form(response) -> MultiDict:
    """What a browser would post from the amendment form as it stands: every field with its value, the
    checked boxes and the chosen options, without the buttons."""
    form = next(f for f in lxml_html.fromstring(response.get_data(as_text=True)).forms
                if "payment_model" in f.fields)
    textareas = {element.name for element in form.inputs if element.tag == "textarea"}

    def sent(name: str, value: str | None) -> str:  # a browser drops the line break that opens a textarea
        value = value or ""
        return value.removeprefix("\r\n").removeprefix("\n") if name in textareas else value

    return MultiDict([(name, sent(name, value)) for name, value in form.form_values()])


def post(client, world, data: MultiDict, action: str | None = None, **changes):
    data = MultiDict(data)
    for name, value in changes.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    data.setlist("reason", [data.get("reason") or "Nieuwe prijs na indexering"])
    if action:
        data["action"] = action
    return client.post(url(world), data=data)


def versions(db) -> int:
    return db.scalar(select(func.count(ContractVersion.id)))


def latest(db, world) -> ContractVersion:
    return db.scalars(select(ContractVersion).where(ContractVersion.contract_id == world.contract.id)
                      .order_by(ContractVersion.number.desc())).first()


def test_the_page_shows_the_model_as_fields_with_dutch_labels_and_values(as_role, world):
    body = text(as_role("inkoper").get(url(world)))
    assert '<label for="pm-base_price-default">Standaardprijs (€)</label>' in body
    assert 'value="2.500,00"' in body  # the current version's base price, written the Dutch way
    assert "Het betalingsmodel als JSON (voor experts)" in body
    assert 'name="base_model"' in body and "Simulatie tonen" in body


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_every_shipped_template_is_saved_unchanged_through_the_fields(as_role, world, db, template):
    client = as_role("inkoper")
    filled = post(client, world, page_form(client.get(url(world))), "load_template",
                  template=f"template:{template.stem}")
    assert filled.status_code == 200
    before = versions(db)
    saved = post(client, world, page_form(filled))
    assert saved.status_code == 302, field_error(saved, "payment_model")
    assert versions(db) == before + 1
    assert latest(db, world).payment_model == json.loads(template.read_text(encoding="utf-8"))


def test_a_price_changed_in_its_field_is_saved_as_a_new_version_and_nothing_else_moves(as_role, world, db):
    client = as_role("inkoper")
    old = latest(db, world).payment_model
    response = post(client, world, page_form(client.get(url(world))), **{"pm-base_price-default": "2.750,00"})
    assert response.status_code == 302
    new = latest(db, world).payment_model
    assert new["base_price"] == {"default": "2750.00"}
    assert {**new, "base_price": old["base_price"]} == old


def test_an_amount_that_cannot_be_read_is_refused_at_its_field_and_nothing_is_stored(as_role, world, db):
    client = as_role("inkoper")
    before = versions(db)
    response = post(client, world, page_form(client.get(url(world))), **{"pm-base_price-default": "veel"})
    assert response.status_code == 422 and versions(db) == before
    assert field_error(response, "pm-base_price-default")
    assert 'href="#pm-base_price-default"' in text(response)  # and in the error summary above the form
    assert 'value="veel"' in text(response)  # what was typed is still there


def test_a_problem_of_the_model_is_shown_at_the_field_it_concerns(as_role, world, db):
    """An amount is a sum or a percentage: the schema refuses both, and the message stands at the amount."""
    client = as_role("inkoper")
    response = post(client, world, page_form(client.get(url(world))),
                    **{"pm-rules-0-tiers-0-amount-amount": "100,00"})
    assert response.status_code == 422
    assert "niet beide" in field_error(response, "pm-rules-0-tiers-0-amount-amount")


def test_an_amount_with_three_decimals_is_refused_at_its_field(as_role, world, db):
    client = as_role("inkoper")
    response = post(client, world, page_form(client.get(url(world))), **{"pm-base_price-default": "2500,125"})
    assert response.status_code == 422
    assert "twee cijfers achter de komma" in field_error(response, "pm-base_price-default")


def test_a_required_field_left_empty_is_refused_with_a_message(as_role, world, db):
    client = as_role("inkoper")
    response = post(client, world, page_form(client.get(url(world))), **{"pm-name": ""})
    assert response.status_code == 422
    assert "Dit veld is verplicht." in field_error(response, "pm-name")


def test_the_json_still_works_for_experts(as_role, world, db):
    client = as_role("inkoper")
    model = latest(db, world).payment_model
    model = {**model, "name": "Treden, door een expert"}
    response = post(client, world, page_form(client.get(url(world))), payment_model=json.dumps(model))
    assert response.status_code == 302
    assert latest(db, world).payment_model == model


def test_fields_and_json_changed_at_once_are_refused_and_both_are_kept(as_role, world, db):
    client = as_role("inkoper")
    before = versions(db)
    model = {**latest(db, world).payment_model, "name": "In de JSON"}
    response = post(client, world, page_form(client.get(url(world))), payment_model=json.dumps(model),
                    **{"pm-base_price-default": "3.000,00"})
    assert response.status_code == 422 and versions(db) == before
    assert "zowel de velden als de JSON" in field_error(response, "payment_model")
    body = text(response)
    assert 'value="3.000,00"' in body and "In de JSON" in body


def test_an_optional_condition_can_be_added_in_its_field(as_role, world, db):
    client = as_role("inkoper")
    response = post(client, world, page_form(client.get(url(world))),
                    **{"pm-milestones-work-min_hours_per_week": "20"})
    assert response.status_code == 302
    assert latest(db, world).payment_model["milestones"]["work"] == {"event": "placement", "kinds": ["regular"],
                                                                     "min_hours_per_week": 20}


def test_the_preview_shows_the_change_beside_the_form_and_stores_nothing(as_role, world, db):
    """The world's contract pays tiers of 70% and 100% of the traject's price (€ 2.500); its one started traject
    has not been placed, so it is owed 70% = € 1.750,00 today, and € 2.000,00 once the first tier is 80%."""
    client = as_role("inkoper")
    before = versions(db)
    response = post(client, world, page_form(client.get(url(world))), "preview",
                    **{"pm-rules-0-tiers-0-amount-percent": "80"})
    assert response.status_code == 200 and versions(db) == before
    body = text(response)
    assert "Wat de wijziging zou betalen" in body and "Er is nog niets opgeslagen." in body
    doc = lxml_html.fromstring(response.get_data(as_text=True))
    totals = {" ".join(row.xpath("string(th)").split()): " ".join(row.xpath("string(td)").split())
              for row in doc.xpath('//aside[contains(@class,"model-preview")]//table[1]//tr')}
    assert totals == {"Versie 1 (nu)": "€ 1.750,00", "Met de wijziging": "€ 2.000,00", "Verschil": "€ 250,00"}
    assert "1 traject krijgt een ander bedrag." in body
    assert 'value="80"' in body  # the changed field stays as typed, ready to save


def test_the_preview_of_an_invalid_change_shows_the_error_and_no_figures(as_role, world, db):
    client = as_role("inkoper")
    response = post(client, world, page_form(client.get(url(world))), "preview", **{"pm-base_price-default": "-5"})
    assert response.status_code == 422
    assert field_error(response, "pm-base_price-default")
    assert "Er is nog niets opgeslagen." not in text(response)


def test_the_preview_needs_no_reason_or_date(as_role, world, db):
    client = as_role("inkoper")
    data = page_form(client.get(url(world)))
    data.setlist("effective_from", [""])
    data.setlist("reason", [""])
    data["action"] = "preview"
    response = client.post(url(world), data=data)
    assert response.status_code == 200 and "Wat de wijziging zou betalen" in text(response)


def test_a_tampered_base_document_falls_back_to_the_json(as_role, world, db):
    """The hidden document the fields came from is the client's to send: one that is no valid model is ignored,
    and the JSON (checked as always) is what is saved."""
    client = as_role("inkoper")
    data = page_form(client.get(url(world)))
    for base in ("[]", "{\"schema_version\": 1}", "niet eens JSON", "{" * 5000):
        response = post(client, world, data, base_model=base, **{"pm-base_price-default": "1,00"})
        assert response.status_code == 302, base[:20]
    assert latest(db, world).payment_model["base_price"] == {"default": "2500.00"}


def test_the_preview_uses_the_latest_trajecten_only_up_to_its_limit(as_role, world, db, monkeypatch):
    from app.contracting import model_editor

    monkeypatch.setattr(model_editor, "PREVIEW_TRAJECTEN", 1)
    client = as_role("inkoper")
    response = post(client, world, page_form(client.get(url(world))), "preview")
    assert "Berekend over het meest recent verwezen traject van dit contract dat u mag zien." in text(response)


def test_the_form_reads_in_english(as_role, world):
    client = as_role("inkoper")
    client.get("/taal/en")
    body = text(client.get(url(world)))
    assert "Standard price (€)" in body and 'value="2,500.00"' in body
