"""The payment model on the amendment page as a form, with the JSON beside it for experts, and the effect of a
change simulated before it is saved.

The fields come from :mod:`contracts.model_form` (the schema says what each value is and what it is called);
this module makes WTForms fields of them, so that they read Dutch and English numbers, show their errors at
the field and join the error summary as every other field does. The page posts, hidden, the document the
fields were made from (``base_model``): the fields are written into that document, unless the JSON was
changed instead. Both changed at once is refused, with nothing lost, because either choice would silently
throw away the other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Field as WTField
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app import clock
from app.forms import AppForm
from app.models.procurement import Contract, ContractVersion
from app.parsing import ParseError, parse_json
from app.procurement.simulation import EXAMPLE_SET, own_trajecten
from app.trajecten.forms import EVENT_LABELS, EXIT_REASON_LABELS, WORK_KIND_LABELS
from app.validators import MoneyField, NumberField
from contracts import model_form
from contracts.model import ModelError, PaymentModel
from contracts.simulate import Comparison, compare, run, run_trajecten

#: The preview runs in the request: over at most this many of the contract's most recent trajecten.
PREVIEW_TRAJECTEN = 500

REQUIRED = _l("Dit veld is verplicht.")
CONFLICT = _l("U hebt zowel de velden als de JSON gewijzigd. Wijzig één van beide en probeer het opnieuw: "
              "beide staan nog zoals u ze invulde.")

CHOICE_LABELS: dict[str, Any] = {
    **{kind.value: label for kind, label in EVENT_LABELS.items()},
    **{kind.value: label for kind, label in WORK_KIND_LABELS.items()},
    **{reason.value: label for reason, label in EXIT_REASON_LABELS.items()},
    "referral": _l("de verwijzing"),
    "referrals": _l("verwijzingen"),
    "bonus": _l("bonus"),
    "malus": _l("malus"),
}


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def label_of(spec: model_form.Field) -> str:
    text = _(spec.label)
    return f"{text}: {spec.subject}" if spec.subject else text


def _at_least(spec: model_form.Field):
    """The schema's lower bound as a validator with a message a person reads."""
    if spec.minimum is None:
        return None
    if spec.exclusive_minimum:
        def above(_form, field):
            if field.data is not None and field.data <= spec.minimum:
                raise ValidationError(_("Vul een waarde groter dan %(n)s in.", n=spec.minimum))
        return above
    return NumberRange(min=spec.minimum, message=_("Vul %(n)s of meer in.", n=spec.minimum))


def _wtform_field(spec: model_form.Field) -> WTField:
    checks: list[Any] = [InputRequired(str(REQUIRED)) if spec.required else Optional()]
    bound = _at_least(spec)
    if bound is not None:
        checks.append(bound)
    label, hint = label_of(spec), spec.hint
    kw = {"label": label, "description": _(hint) if hint else ""}
    if spec.kind == "money":
        return MoneyField(validators=checks, **kw)
    if spec.kind in ("percent", "number"):
        return NumberField(validators=checks, **kw)
    if spec.kind == "integer":
        return IntegerField(validators=checks, **kw)
    choices = [SelectChoice(value, str(CHOICE_LABELS.get(value, value))) for value in spec.choices]
    if spec.kind == "choice":
        return SelectField(choices=choices, validators=checks[:1], **kw)
    if spec.kind == "choices":
        return CheckboxesField(choices=choices, validators=[Optional()], **kw)
    if spec.kind == "longtext":
        return TextAreaField(validators=checks[:1], render_kw={"rows": 3}, **kw)
    return StringField(validators=checks[:1], **kw)


def _shown(spec: model_form.Field) -> Any:
    """The document's value as the field holds it before anything is posted."""
    if spec.value is None:
        return [] if spec.kind == "choices" else None
    if spec.kind in ("money", "percent", "number"):
        return Decimal(str(spec.value))
    return spec.value


def fields_form(group: model_form.Group, formdata: Mapping | None) -> AppForm:
    """A form of the group's fields, filled from the document or from what was posted (no CSRF token of its
    own: it is posted inside the amendment form, which has one)."""
    specs = list(group.all_fields())
    form_class = type("PaymentModelValues", (AppForm,), {spec.name: _wtform_field(spec) for spec in specs})
    return form_class(formdata=formdata, data={spec.name: _shown(spec) for spec in specs}, meta={"csrf": False})


def _parsed(text: str | None) -> Any:
    try:
        return parse_json(text or "")
    except ParseError:
        return None


def _valid(document: Any) -> bool:
    try:
        PaymentModel.from_dict(document)
    except ModelError:
        return False
    return True


def pretty(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)


@dataclass
class Editor:
    """The model on the page: the document the fields show, the fields, and a preview once asked for."""

    base: dict | None
    group: model_form.Group | None
    fields: AppForm | None
    comparison: Comparison | None = None
    sample: str | None = None
    save: bool = False
    # The model to check came from the fields (not from the JSON): its problems belong at the fields.
    from_fields: bool = False

    @property
    def field_errors(self) -> bool:
        return bool(self.fields is not None and self.fields.errors)

    def parts(self, group: model_form.Group) -> tuple[list[tuple[model_form.Field, WTField]],
                                                      list[tuple[model_form.Field, WTField]], bool]:
        """A group's fields in two parts: those the model uses or needs, and the optional ones it leaves out
        (folded away, and unfolded once one of them holds a value or an error)."""
        assert self.fields is not None
        used, more = [], []
        for spec in group.fields:
            bound = self.fields[spec.name]
            (used if spec.required or spec.value is not None else more).append((spec, bound))
        unfold = any(bound.errors or bound.data not in (None, "", []) for _spec, bound in more)
        return used, more, unfold


def _editor(document: Any, formdata: Mapping | None = None) -> Editor:
    if not isinstance(document, dict) or not _valid(document):
        return Editor(None, None, None)
    group = model_form.form_of(document)
    return Editor(document, group, fields_form(group, formdata))


def start(form) -> Editor:
    """The page before anything is posted, or after a template was filled in: fields from the JSON."""
    document = _parsed(form.payment_model.data)
    form.base_model.data = pretty(document) if document is not None else ""
    return _editor(document)


def read(form, formdata: Mapping) -> Editor:
    """Settle what the post means before the amendment form validates: the fields written into the document
    they were made from, or the JSON as typed; ``form.payment_model`` then holds the model to check and save."""
    base = _parsed(form.base_model.data) if form.base_model.data else None
    editor = _editor(base, formdata)
    if editor.fields is None:  # the JSON alone was posted (or the fields' document was tampered with)
        return _editor(_parsed(form.payment_model.data))
    typed = _parsed(form.payment_model.data)
    json_changed = typed != base
    fields_ok = editor.fields.validate()
    proposed = model_form.apply(base, _values(editor)) if fields_ok else None
    fields_changed = not fields_ok or proposed != base
    if json_changed and fields_changed:
        form.model_conflict = str(CONFLICT)
    elif json_changed:
        editor = _editor(typed) if _valid(typed) else editor
    elif proposed is not None:
        form.payment_model.data = pretty(proposed)
        editor.from_fields = True
    else:
        editor.from_fields = True  # a field that cannot be read: the fields are what the user changed
    return editor


def _values(editor: Editor) -> dict[model_form.Path, Any]:
    assert editor.group is not None and editor.fields is not None
    return {spec.path: editor.fields[spec.name].data for spec in editor.group.all_fields()}


def handle(form, contract: Contract, current: ContractVersion | None, action: str | None) -> Editor:
    """The page's three actions on the model: fill in a template, preview the change, or (``save``) let the
    view validate and save the amendment."""
    if not form.is_submitted():
        return start(form)
    if action == "load_template":
        return start(form) if form.apply_template(overwrite=True) else read(form, request.form)
    form.apply_template(overwrite=False)
    editor = read(form, request.form)
    if action != "preview":
        editor.save = True
    elif form.check_model() and not editor.field_errors:
        editor = preview(editor, contract, current, form.parsed_model)
    return editor


def settle(form, editor: Editor) -> Editor:
    """After validation: the model's own problems at the fields they concern (the rest stay at the JSON), and
    a valid model shown again in both, fields and JSON, from what will be saved."""
    if editor.group is None or editor.fields is None:
        return editor
    # A problem of a part (an amount with both a sum and a percentage) goes to the part's first field.
    by_where = {group.where: next(iter(group.all_fields())).name for group in editor.group.all_groups()
                if group.path and any(True for _spec in group.all_fields())}
    by_where.update({spec.where: spec.name for spec in editor.group.all_fields()})
    kept = []
    for problem in form.payment_model.errors:
        where, _sep, message = str(problem).partition(": ")
        name = by_where.get(where)
        if name is not None and editor.from_fields and not form.model_conflict:
            editor.fields[name].errors = [*editor.fields[name].errors, message]
        else:
            kept.append(problem)
    form.payment_model.errors = kept
    if form.parsed_model is not None and not editor.field_errors:
        form.payment_model.data = pretty(form.parsed_model)
        form.base_model.data = form.payment_model.data
        fresh = _editor(form.parsed_model)
        fresh.comparison, fresh.sample = editor.comparison, editor.sample
        return fresh
    return editor


def preview(editor: Editor, contract: Contract, current: ContractVersion | None, proposed: dict) -> Editor:
    """The proposed model beside the one in force, over the contract's most recent trajecten (those the user
    may see), or over the example set when it has none yet."""
    before = PaymentModel.from_dict(current.payment_model if current is not None else proposed)
    after = PaymentModel.from_dict(proposed)
    today = clock.today()
    own = own_trajecten(contract, latest=PREVIEW_TRAJECTEN)
    if own:
        sims = [run_trajecten(model, own, today) for model in (before, after)]
        editor.sample = "own"
    else:
        data = json.loads(EXAMPLE_SET.read_text(encoding="utf-8"))
        sims = [run(model, data, today) for model in (before, after)]
        editor.sample = "example"
    editor.comparison = compare(*sims)
    return editor
