"""The payment model as a form (contracts.model_form) and a change beside the model in force
(contracts.simulate.compare), without a database."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.model import ModelError, PaymentModel, schema
from contracts.model_form import EMPTY, apply, form_of, schema_texts
from contracts.simulate import compare, run
from tests.contracts.helpers import TEMPLATES

SHIPPED = sorted(TEMPLATES.glob("*.json"))
EXAMPLE_SET = TEMPLATES.parents[1] / "docs" / "examples" / "trajecten.json"


def document(name: str) -> dict:
    return json.loads((TEMPLATES / f"{name}.json").read_text(encoding="utf-8"))


def as_read(field) -> object:
    """A field's value as the web form reads it back: decimals for amounts and numbers, the rest as they are."""
    if field.value is None:
        return EMPTY
    return Decimal(str(field.value)) if field.kind in ("money", "percent", "number") else field.value


def field_at(doc: dict, *path):
    return next(f for f in form_of(doc).all_fields() if f.path == path)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_template_comes_back_unchanged_from_its_own_form(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    values = {f.path: as_read(f) for f in form_of(doc).all_fields()}
    assert apply(doc, values) == doc


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_value_a_template_sets_is_a_field_or_shown_as_structure(path):
    """Nothing of a model is hidden by its form: each scalar is a field, or structure shown beside them."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    form = form_of(doc)
    fields = {f.path for f in form.all_fields()}
    fixed = sum(len(g.fixed) for g in form.all_groups())

    def scalars(node, path=()):
        if isinstance(node, dict):
            for key, value in node.items():
                yield from scalars(value, (*path, key))
        elif isinstance(node, list) and node and all(isinstance(v, dict) for v in node):
            for i, value in enumerate(node):
                yield from scalars(value, (*path, i))
        else:
            yield path

    values = [p for p in scalars(doc) if p != ("schema_version",)]  # the one value the schema allows
    structure = [p for p in values if p not in fields]
    assert len(structure) == fixed, structure


def test_every_field_has_a_dutch_label_from_the_schema():
    for path in SHIPPED:
        for field in form_of(json.loads(path.read_text(encoding="utf-8"))).all_fields():
            assert field.label in set(schema_texts()), (path.stem, field.path)
            assert field.label != str(field.path[-1])


def test_names_references_and_the_rule_type_are_structure_not_fields():
    doc = document("frame_contract_bonus_malus")
    paths = {f.path for f in form_of(doc).all_fields()}
    assert ("rules", 0, "id") not in paths and ("rules", 0, "type") not in paths
    assert ("rules", 0, "milestone") not in paths and ("schema_version",) not in paths
    rule = next(g for g in form_of(doc).all_groups() if g.path == ("rules", 0))
    assert [(f.label, f.value) for f in rule.fixed] == [("Kenmerk", "product_price"), ("Soort regel", "fee"),
                                                        ("Mijlpaal", "plan_approved")]


def test_a_new_price_is_written_as_the_schema_writes_an_amount():
    doc = document("frame_contract_bonus_malus")
    changed = apply(doc, {("rules", 0, "amount", "amount"): Decimal("1350"),
                          ("contract_rules", 0, "amount", "percent_of_rules", "percent"): Decimal("12.50")})
    assert changed["rules"][0]["amount"] == {"amount": "1350.00"}
    assert changed["contract_rules"][0]["amount"]["percent_of_rules"]["percent"] == "12.5"
    assert doc["rules"][0]["amount"] == {"amount": "1200.00"}  # the document itself is left alone
    changed["rules"][0]["amount"] = doc["rules"][0]["amount"]
    changed["contract_rules"][0]["amount"]["percent_of_rules"]["percent"] = "10"
    assert changed == doc  # and nothing else moved


def test_a_value_that_means_the_same_keeps_how_it_was_written():
    doc = document("frame_contract_bonus_malus")
    doc["rules"][0]["amount"]["amount"] = "1200"
    assert apply(doc, {("rules", 0, "amount", "amount"): Decimal("1200.00")})["rules"][0]["amount"] == \
        {"amount": "1200"}


def test_an_optional_value_can_be_added_and_left_out_again():
    doc = document("frame_contract_bonus_malus")
    path = ("milestones", "placement", "min_hours_per_week")
    assert field_at(doc, *path).value is None and not field_at(doc, *path).required
    added = apply(doc, {path: Decimal("20")})
    assert added["milestones"]["placement"]["min_hours_per_week"] == 20
    PaymentModel.from_dict(added)
    assert apply(added, {path: EMPTY}) == doc


def test_an_emptied_required_value_is_left_as_it_was():
    doc = document("frame_contract_bonus_malus")
    assert apply(doc, {("name",): "", ("rules", 1, "tempo", "bands", 0, "max_days"): EMPTY}) == doc


def test_unchecking_every_kind_of_work_leaves_the_choice_out():
    doc = document("frame_contract_bonus_malus")
    changed = apply(doc, {("milestones", "placement", "kinds"): []})
    assert "kinds" not in changed["milestones"]["placement"]
    assert apply(doc, {("milestones", "placement", "kinds"): ["subsidised", "regular"]}) == doc


def test_an_amount_with_three_decimals_is_refused_at_its_path_not_rounded():
    doc = document("frame_contract_bonus_malus")
    changed = apply(doc, {("rules", 0, "amount", "amount"): Decimal("1200.125")})
    with pytest.raises(ModelError) as refused:
        PaymentModel.from_dict(changed)
    assert [path for path, _message in refused.value.problems] == [field_at(doc, "rules", 0, "amount", "amount").where]


def test_the_client_group_prices_are_fields_named_by_their_group():
    doc = document("differential_prices")
    groups = doc["base_price"]["by_client_group"]
    fields = [f for f in form_of(doc).all_fields() if f.path[:2] == ("base_price", "by_client_group")]
    assert [(f.subject, f.value) for f in fields] == list(groups.items())


def test_every_schema_text_is_dutch_and_none_is_empty():
    texts = list(schema_texts())
    assert texts and all(t.strip() for t in texts)
    assert schema()["title"] == "Betalingsmodel, versie 1"


AMOUNT_PATHS = [(path.stem, f.path) for path in SHIPPED
                for f in form_of(json.loads(path.read_text(encoding="utf-8"))).all_fields()
                if f.kind == "money" and f.value is not None]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(AMOUNT_PATHS), st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False,
                                                  allow_infinity=False))
def test_any_amount_typed_in_any_template_gives_a_valid_model_with_that_amount(where, amount):
    name, path = where
    doc = document(name)
    changed = apply(doc, {path: amount})
    PaymentModel.from_dict(changed)
    node = changed
    for part in path:
        node = node[part]
    assert Decimal(node) == amount
    assert apply(changed, {path: Decimal(str(field_at(doc, *path).value))}) == doc


# --- the comparison beside the form -----------------------------------------------------------------


def simulate(doc: dict):
    return run(PaymentModel.from_dict(doc), json.loads(EXAMPLE_SET.read_text(encoding="utf-8")))


def test_a_higher_base_price_raises_a_tiers_model_by_the_same_share():
    """No cure less pay, the example set: T-001 regular work of 12 months at 32 hours (100%), T-002 subsidised
    work (90%), T-003 started and dropped out (70%), T-004 never started (nothing). At P = 2.500 that is 2.500 +
    2.250 + 1.750 = 6.500; at P = 3.000 it is 3.000 + 2.700 + 2.100 = 7.800."""
    doc = document("no_cure_less_pay_tiers")
    dearer = apply(doc, {("base_price", "default"): Decimal("3000")})
    result = compare(simulate(doc), simulate(dearer))
    assert (result.before, result.after, result.difference) == (Decimal("6500.00"), Decimal("7800.00"),
                                                                 Decimal("1300.00"))
    assert result.trajecten == 4
    assert [(c.name, c.before, c.after) for c in result.changed] == [
        ("T-001", Decimal("2500.00"), Decimal("3000.00")), ("T-002", Decimal("2250.00"), Decimal("2700.00")),
        ("T-003", Decimal("1750.00"), Decimal("2100.00"))]
    assert [(c.name, c.before, c.after) for c in result.by_rule] == [
        ("trajectprijs in treden", result.before, result.after)]


def test_the_example_set_under_the_frame_contract_with_a_lower_product_price():
    """Only T-001 of the example set has an approved plan, so a product price of € 1.000 instead of € 1.200
    lowers the total by € 200, all of it in the product price and in T-001; the placement fees stay."""
    doc = document("frame_contract_bonus_malus")
    cheaper = apply(doc, {("rules", 0, "amount", "amount"): Decimal("1000")})
    result = compare(simulate(doc), simulate(cheaper))
    assert result.difference == Decimal("-200.00")
    product = next(c for c in result.by_rule if c.name == "productprijs")
    assert (product.before, product.after) == (Decimal("1200.00"), Decimal("1000.00"))
    assert all(c.difference == 0 for c in result.by_rule if c.name != "productprijs")
    assert [(c.name, c.difference) for c in result.changed] == [("T-001", Decimal("-200.00"))]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(AMOUNT_PATHS), st.decimals(min_value=0, max_value=5000, places=2, allow_nan=False,
                                                  allow_infinity=False))
def test_the_differences_by_rule_and_by_traject_add_up_to_the_total(where, amount):
    name, path = where
    doc = document(name)
    result = compare(simulate(doc), simulate(apply(doc, {path: amount})))
    assert sum((c.difference for c in result.by_rule), Decimal(0)) == result.difference
    traject_only = result.difference - sum(
        (c.difference for c in result.by_rule if c.name in {r.label or r.id for r in
                                                           PaymentModel.from_dict(doc).contract_rules}), Decimal(0))
    assert sum((c.difference for c in result.changed), Decimal(0)) == traject_only
