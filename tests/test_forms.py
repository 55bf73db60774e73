"""The form kernel: a duplicate that slips past the check in a race is shown at the field it clashes on."""

from __future__ import annotations

from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import StringField

from app.db import session
from app.forms import commit_form, submit
from app.models import Gemeente


class _GemeenteForm(FlaskForm):
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
