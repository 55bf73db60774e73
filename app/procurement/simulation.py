"""Side-by-side simulation: what would this lot's or contract's payment model have paid, and another?

The trajecten come from the contract's own trajecten, from an uploaded JSON file in the format of
``flask payments simulate`` (see docs/payment-models.md) or from the shipped example set.

A contract's own trajecten are shown anonymised: numbered in referral order, with the engine's facts only
(dates, kinds of work, hours, months, coded exit reasons), never a client's name, BSN, an employer or a free-text
reason, and never the traject's id (which would lead to its page). A user whose work is bounded to some
gemeenten (a klantmanager) sees only those gemeenten's trajecten; the roles that read the performance
reports over every gemeente see all of the contract's. As on a traject's page, an outcome counts once it is
confirmed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileAllowed, FileField
from sqlalchemy import select
from wtforms import SelectField
from wtforms.validators import DataRequired

from app import clock
from app.config import PROJECT_ROOT
from app.db import session
from app.forms import AppForm
from app.i18n import translate
from app.models.procurement import Contract, ContractVersion
from app.models.trajecten import Traject
from app.parsing import ParseError, parse_json
from app.scoping import gemeente_ids_for
from app.validators import DutchDateField
from contracts.events import Event, EventError, EventType
from contracts.events import Traject as EngineTraject
from contracts.model import ModelError, PaymentModel
from contracts.money import ZERO
from contracts.simulate import Simulation, run, run_trajecten, totals_by_traject

TEMPLATE_DIR = PROJECT_ROOT / "contracts" / "templates"
EXAMPLE_SET = PROJECT_ROOT / "docs" / "examples" / "trajecten.json"
MAX_UPLOAD_BYTES = 2 * 1024 * 1024


def template_choices() -> list[tuple[str, str]]:
    out = []
    for path in sorted(TEMPLATE_DIR.glob("*.json")):
        name = json.loads(path.read_text(encoding="utf-8"))["name"]
        out.append((f"template:{path.stem}", _("Sjabloon: %(name)s", name=name)))
    return out


def template_model(stem: str) -> dict:
    path = TEMPLATE_DIR / f"{stem}.json"
    if path.parent != TEMPLATE_DIR or not path.is_file():
        raise KeyError(stem)
    return json.loads(path.read_text(encoding="utf-8"))


def _model_choices() -> list[tuple[str, str]]:
    versions = session.execute(
        select(ContractVersion.id, Contract.number, ContractVersion.number)
        .join(Contract, ContractVersion.contract_id == Contract.id)
        .order_by(Contract.number, ContractVersion.number)
    )
    contracts = [(f"version:{vid}", _("Contract %(c)s, versie %(v)s", c=cnum, v=vnum)) for vid, cnum, vnum in versions]
    return [("", _("— niet vergelijken —")), *template_choices(), *contracts]


class SimulationForm(AppForm):
    compare_with = SelectField(_l("Vergelijk met"), default="")
    source = SelectField(_l("Trajecten"), default="example")
    trajecten_file = FileField(_l("Bestand met trajecten"), validators=[FileAllowed(["json"], _l("Alleen .json"))])
    as_of = DutchDateField(_l("Peildatum"), default=clock.today,
                           validators=[DataRequired(_l("Dit veld is verplicht."))])

    def __init__(self, *args, contract: Contract | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.compare_with.choices = _model_choices()
        self.source.choices = [("example", _("Voorbeeldset (4 trajecten)")), ("upload", _("Eigen bestand (JSON)"))]
        if contract is not None:
            self.source.choices.insert(0, ("own", _("Trajecten van dit contract (geanonimiseerd)")))
            if not self.is_submitted():
                self.source.data = "own"


@dataclass
class Row:
    traject: str
    a: Decimal
    b: Decimal | None

    @property
    def difference(self) -> Decimal | None:
        return None if self.b is None else self.b - self.a


def _other_model(choice: str) -> dict | None:
    kind, _, key = choice.partition(":")
    if kind == "template":
        return template_model(key)
    if kind == "version":
        version = session.get(ContractVersion, int(key))
        return version.payment_model if version else None
    return None


def _anonymous(events: tuple[Event, ...]) -> tuple[Event, ...]:
    """The events renumbered, with what the engine needs and names nobody: a reason is kept only where it is
    a code (the reason of an exit from benefit), never the free text of a refusal or a drop-out."""
    numbers = {e.id: f"e{i}" for i, e in enumerate(events, start=1)}
    return tuple(Event(id=numbers[e.id], type=e.type, date=e.date, kind=e.kind, hours_per_week=e.hours_per_week,
                       contract_months=e.contract_months, open_ended=e.open_ended,
                       reason=e.reason if e.type == EventType.BENEFIT_EXIT else None,
                       revokes=numbers.get(e.revokes) if e.revokes else None)
                 for e in events)


def own_trajecten(contract: Contract, latest: int | None = None) -> list[EngineTraject]:
    """The contract's trajecten that the user may see, as the engine reads them, with nothing that names anyone;
    with ``latest``, only that many of the most recently referred (still numbered in referral order)."""
    from app.trajecten.services import engine_ready, engine_traject

    stmt = select(Traject).where(Traject.contract_id == contract.id)
    allowed = gemeente_ids_for(current_user)
    if allowed is not None:
        stmt = stmt.where(Traject.gemeente_id.in_(allowed))
    if latest is not None:
        newest = stmt.order_by(Traject.referral_date.desc(), Traject.id.desc()).limit(latest).with_only_columns(
            Traject.id).scalar_subquery()
        stmt = select(Traject).where(Traject.id.in_(newest))
    rows = session.scalars(engine_ready(stmt.order_by(Traject.referral_date, Traject.id)))
    out = []
    for number, traject in enumerate(rows, start=1):
        seen = engine_traject(traject)
        out.append(EngineTraject(id=_("Traject %(n)s", n=number), referral_date=seen.referral_date,
                                 events=_anonymous(seen.events),
                                 client_group=seen.client_group, price=seen.price))
    return out


def _trajecten(form: SimulationForm, contract: Contract | None):
    if form.source.data == "own" and contract is not None:
        own = own_trajecten(contract)
        if not own:
            form.source.errors = [_("Dit contract heeft geen trajecten die u mag zien; kies een andere bron.")]
            return None
        return own
    if form.source.data == "upload":
        upload = form.trajecten_file.data
        if not upload:
            form.trajecten_file.errors = [_("Kies een bestand met trajecten.")]
            return None
        raw = upload.read(MAX_UPLOAD_BYTES + 1)
        if len(raw) > MAX_UPLOAD_BYTES:
            form.trajecten_file.errors = [_("Het bestand is groter dan 2 MB.")]
            return None
        try:
            data = parse_json(raw)
        except ParseError as error:
            form.trajecten_file.errors = [translate(error.message)]
            return None
        if not isinstance(data, list | dict):
            form.trajecten_file.errors = [_("Het bestand moet een lijst van trajecten bevatten, of een object met "
                                            "een lijst 'trajecten'.")]
            return None
        return data
    return json.loads(Path(EXAMPLE_SET).read_text(encoding="utf-8"))


def simulation_page(model_data: dict, title: str, back_url: str, contract: Contract | None = None):
    """Handle the simulate form for one payment model (of ``contract``, when there is one) and render the
    comparison."""
    form = SimulationForm(contract=contract)
    sims: list[Simulation] = []
    rows: list[Row] = []
    if form.validate_on_submit():
        data = _trajecten(form, contract)
        own = form.source.data == "own"
        other = _other_model(form.compare_with.data) if form.compare_with.data else None
        if data is not None:
            try:
                models = [PaymentModel.from_dict(model_data)]
                if other is not None:
                    models.append(PaymentModel.from_dict(other))
                sims = [run_trajecten(m, data, form.as_of.data) if own else run(m, data, form.as_of.data)
                        for m in models]
            except ModelError as exc:
                form.compare_with.errors = [f"{path}: {message}" for path, message in exc.problems]
            except EventError as exc:
                form.trajecten_file.errors = [str(exc)]
        if sims:
            a = totals_by_traject(sims[0])
            b = totals_by_traject(sims[1]) if len(sims) > 1 else None
            rows = [Row(r.traject.id, a.get(r.traject.id, ZERO), b.get(r.traject.id, ZERO) if b is not None else None)
                    for r in sims[0].results]
    status = 422 if form.errors else 200
    return render_template("procurement/simulate.html", form=form, sims=sims, rows=rows, title=title,
                           back_url=back_url, own_offered=contract is not None), status
