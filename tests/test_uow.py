"""The unit of work and the clock: one way to commit an action or show why it was refused, one today().

Each refusal is checked in two halves: the user sees the message where the unit of work promises (the field
the rule names, the view's own field, the form, a flash), and nothing of the action is stored.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import get_flashed_messages
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError
from wtforms import StringField

from app import clock
from app.db import session
from app.models import Gemeente
from app.uow import Outcome, api_refusal, attempt, committed
from contracts.messages import DomainError, Message


class NameForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField()
    code = StringField()


class Refused(DomainError):
    code = "test_rule"


def _count(name: str) -> int:
    return session.scalar(select(func.count()).select_from(Gemeente).where(Gemeente.name == name))


def _add(name: str, cbs: str = "GM9901") -> Gemeente:
    gemeente = Gemeente(name=name, cbs_code=cbs)
    session.add(gemeente)
    session.flush()
    return gemeente


def _add_then(error: Exception, name: str = "Weggooidorp"):
    def action():
        _add(name)
        raise error

    return action


@pytest.fixture
def request_ctx(app):
    with app.test_request_context("/", method="POST"):
        yield app


def test_a_successful_action_is_committed_and_its_value_returned(request_ctx, db):
    outcome = attempt(lambda: _add("Bewaardorp"))
    assert outcome.ok and outcome.value.name == "Bewaardorp"
    session.rollback()  # nothing left to roll back: the commit made it stay
    assert _count("Bewaardorp") == 1


def test_a_refusal_lands_at_the_field_the_rule_names_and_stores_nothing(request_ctx):
    form = NameForm()
    outcome = attempt(_add_then(Refused(Message("Deze naam mag niet."), field="name")), form=form, field="code")
    assert not outcome.ok and outcome.code == "test_rule"
    assert form.name.errors == ["Deze naam mag niet."]
    assert not form.code.errors
    assert _count("Weggooidorp") == 0


def test_a_refusal_naming_no_field_of_the_form_lands_at_the_views_field(request_ctx):
    form = NameForm()
    attempt(_add_then(Refused("Niet nu.", field="something_else")), form=form, field="code")
    assert form.code.errors == ["Niet nu."]
    assert not form.name.errors


def test_a_refusal_with_no_field_at_all_is_shown_above_the_form(request_ctx):
    form = NameForm()
    attempt(_add_then(Refused("Het geheel klopt niet.")), form=form)
    assert form.form_errors == ["Het geheel klopt niet."]


def test_without_a_form_the_refusal_is_flashed(request_ctx):
    outcome = attempt(_add_then(Refused("Dat kan nu niet.")))
    assert outcome.refusal == "Dat kan nu niet."
    assert get_flashed_messages(with_categories=True) == [("error", "Dat kan nu niet.")]
    assert _count("Weggooidorp") == 0


def test_a_message_with_a_template_is_shown_in_the_users_language(app):
    with app.test_request_context("/", method="POST"):
        from flask import session as web_session

        web_session["lang"] = "en"
        form = NameForm()
        attempt(_add_then(Refused(Message("Er is niets opgeslagen."))), form=form, field="name")
        assert form.name.errors == ["Nothing was saved."]


def test_a_duplicate_that_slips_past_a_check_is_a_conflict_not_a_server_error(request_ctx, world):
    form = NameForm()
    taken = world.gemeenten[0]
    outcome = attempt(lambda: _add(taken.name, "GM9902"), form=form, field="name", conflict="Die naam bestaat al.")
    assert outcome.code == "conflict"
    assert form.name.errors == ["Die naam bestaat al."]
    assert session.scalar(select(func.count()).select_from(Gemeente).where(Gemeente.cbs_code == "GM9902")) == 0


def test_a_stale_write_asks_the_user_to_look_again(request_ctx):
    form = NameForm()
    outcome = attempt(_add_then(StaleDataError("changed")), form=form, field="name")
    assert outcome.code == "stale"
    assert "Iemand anders heeft dit net gewijzigd" in form.name.errors[0]
    assert _count("Weggooidorp") == 0


def test_anything_else_is_a_bug_and_is_not_swallowed(request_ctx):
    with pytest.raises(ZeroDivisionError):
        attempt(lambda: 1 / 0)


def test_the_api_answer_carries_the_code_message_and_field(request_ctx):
    response, status = api_refusal(Refused("Te laat.", field="event_date"))
    assert status == 422
    assert response.get_json() == {"error": "test_rule", "message": "Te laat.", "field": "event_date"}


def test_committed_rolls_back_outside_a_request_when_the_work_fails(app_ctx):
    with pytest.raises(Refused), committed():
        _add("Halfdorp")
        raise Refused("halverwege")
    assert _count("Halfdorp") == 0
    with committed():
        _add("Heeldorp")
    session.rollback()
    assert _count("Heeldorp") == 1


def test_a_refusal_that_escapes_a_view_is_a_clear_422_not_a_500(app):
    @app.route("/proef-weigering", methods=["POST"])
    def _refuse():
        raise Refused(Message("Er is niets opgeslagen."))

    @app.route("/api/proef-weigering", methods=["POST"])
    def _refuse_api():
        raise Refused("Nee.", field="x")

    app.config["WTF_CSRF_ENABLED"] = False
    web = app.test_client()
    page = web.post("/proef-weigering")
    assert page.status_code == 422
    assert "Er is niets opgeslagen." in page.get_data(as_text=True)
    api = web.post("/api/proef-weigering")
    assert api.status_code == 422
    assert api.get_json() == {"error": "test_rule", "message": "Nee.", "field": "x"}


def test_every_refusal_of_the_domain_derives_from_one_base():
    from app.invoicing.services import InvoiceError
    from app.tabular import FileError
    from app.trajecten.evidence import EvidenceError
    from app.trajecten.services import TrajectError
    from contracts.events import EventError
    from contracts.lifecycle import SequenceError
    from contracts.model import ModelError
    from contracts.procurement import ProcurementError
    from invoicing.ubl import UblError

    kinds = [InvoiceError, EvidenceError, FileError, TrajectError, EventError, SequenceError, ModelError,
             ProcurementError, UblError]
    assert all(issubclass(kind, DomainError) for kind in kinds)
    assert len({kind.code for kind in kinds}) == len(kinds), "each kind answers the API with its own code"


def test_outcome_is_ok_only_without_a_refusal():
    assert Outcome(value=1).ok
    assert not Outcome(refusal="nee").ok


# --- the clock ----------------------------------------------------------------------------------------------


def test_frozen_fixes_today_and_gives_the_real_clock_back():
    with clock.frozen(date(2026, 3, 1)):
        assert clock.today() == date(2026, 3, 1)
        with clock.frozen(date(2025, 1, 2)):
            assert clock.today() == date(2025, 1, 2)
        assert clock.today() == date(2026, 3, 1)
    assert clock.today() != date(2026, 3, 1) or date.today() == date(2026, 3, 1)


@pytest.mark.parametrize(("utc", "amsterdam_day"), [
    (datetime(2026, 12, 3, 23, 30, tzinfo=UTC), date(2026, 12, 4)),  # winter: UTC+1, already tomorrow
    (datetime(2026, 7, 1, 21, 59, tzinfo=UTC), date(2026, 7, 1)),  # summer: UTC+2, 23:59 local
    (datetime(2026, 7, 1, 22, 0, tzinfo=UTC), date(2026, 7, 2)),  # summer: midnight local
])
def test_today_is_the_day_in_amsterdam_not_on_the_servers_utc_clock(monkeypatch, utc, amsterdam_day):
    class At(datetime):
        @classmethod
        def now(cls, tz=None):
            return utc.astimezone(tz) if tz else utc.replace(tzinfo=None)

    monkeypatch.setattr(clock, "datetime", At)
    assert clock.today() == amsterdam_day
    assert clock.now() == utc
