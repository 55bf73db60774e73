"""The form kernel: what a browser sends is screened before a field reads it, and a duplicate that slips past
the check in a race is shown at the field it clashes on."""

from __future__ import annotations

import io

import pytest
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import func, select
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from app.db import session
from app.forms import AppForm, commit_form, submit
from app.models import Gemeente


class _GemeenteForm(AppForm):
    name = StringField()
    cbs_code = StringField()


def test_a_unique_constraint_race_is_shown_at_the_field_and_stores_nothing(app, world, db):
    with app.test_request_context(method="POST", data={"name": "Deestad", "cbs_code": "GM8001"}):
        form = _GemeenteForm()
        # What a second user saved between our check and our write: the CBS code is now taken.
        session.add(Gemeente(name="Deestad", cbs_code="GM8001"))
        assert commit_form(form, {"cbs_code": "Er is al een gemeente met deze CBS-code."}) is False
        assert form.cbs_code.errors == ["Er is al een gemeente met deze CBS-code."]
        assert form.form_errors == []
    assert db.scalar(select(func.count()).select_from(Gemeente).where(Gemeente.name == "Deestad")) == 0


def test_a_clash_on_a_field_without_a_message_is_shown_above_the_form(app, world):
    with app.test_request_context(method="POST"):
        form = _GemeenteForm()
        outcome = submit(form, lambda: session.add(Gemeente(name="Aastad", cbs_code="GM8009")))
        assert not outcome.ok and outcome.code == "conflict"
        assert form.form_errors and not form.name.errors


def test_a_stored_action_is_committed_and_returns_its_value(app, world, db):
    def add() -> Gemeente:
        gemeente = Gemeente(name="Eedorp", cbs_code="GM8005")
        session.add(gemeente)
        return gemeente

    with app.test_request_context(method="POST"):
        outcome = submit(_GemeenteForm(), add)
        assert outcome.ok and outcome.value.name == "Eedorp"
    assert db.scalar(select(Gemeente).where(Gemeente.cbs_code == "GM8005")) is not None


def _all_subclasses(cls: type) -> set[type]:
    return {sub for direct in cls.__subclasses__() for sub in {direct, *_all_subclasses(direct)}}


def test_every_form_of_the_app_is_screened(app):
    """A form built on FlaskForm itself would read a NUL byte, a file part or a huge id straight into a query."""
    forms = {cls for cls in _all_subclasses(FlaskForm) if cls.__module__.startswith("app.")}
    assert len(forms) > 30
    assert not {f"{cls.__module__}.{cls.__qualname__}" for cls in forms if not issubclass(cls, AppForm)}


class _HostileForm(AppForm):
    name = StringField()
    note = TextAreaField()
    count = IntegerField()
    provider_id = SelectField(coerce=int, choices=[SelectChoice(1, "een")])
    upload = FileField()
    asked: list[int] = []

    def validate_provider_id(self, field):
        self.asked.append(field.data)  # a query with this id would overflow the column


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"name": "a\x00b"}, "name", "NUL-teken"),
    ({"name": "\x1b[31m"}, "name", "NUL-teken"),
    ({"name": (io.BytesIO(b"x"), "naam.txt")}, "name", "geen bestand"),
    ({"count": "2147483648"}, "count", "te groot"),
    ({"count": "-2147483649"}, "count", "te groot"),
    ({"provider_id": "99999999999999999999"}, "provider_id", "uit de lijst"),
])
def test_what_no_one_types_is_refused_at_its_field(app, data, field, message):
    with app.test_request_context(method="POST", data=data, content_type="multipart/form-data"):
        form = _HostileForm()
        assert not form.validate()
        assert len(form[field].errors) == 1 and message in form[field].errors[0]
        assert all(asked is None or abs(asked) < 2**31 for asked in _HostileForm.asked)


def test_line_breaks_tabs_and_a_file_in_a_file_field_pass(app):
    data = {"note": "regel 1\r\n\tregel 2", "count": "2147483647", "provider_id": "1",
            "upload": (io.BytesIO(b"%PDF"), "bewijs.pdf")}
    with app.test_request_context(method="POST", data=data, content_type="multipart/form-data"):
        form = _HostileForm()
        assert form.validate(), form.errors
        assert form.note.data == "regel 1\r\n\tregel 2" and form.count.data == 2**31 - 1
        assert form.upload.data.filename == "bewijs.pdf"
