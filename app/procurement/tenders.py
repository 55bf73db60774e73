"""Tenders (aanbestedingen): lots, criteria, bids, their evaluation and scoring, and the award decision.

The rules themselves (the status machine, the timeline, scoring and ranking) live in
:mod:`contracts.procurement`; this module gathers their input from forms and the database, calls them,
and shows every step of the scoring on the lot page, so that a losing bidder's question can be answered
from what the page says.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app import clock
from app.audit import history_for
from app.auth.permissions import Permission, requires
from app.db import session, utcnow
from app.forms import DeleteForm, commit_form, validate_submission
from app.i18n import translate
from app.listing import paginate
from app.models import (
    AwardCriterion,
    Bid,
    BidScore,
    BidSelection,
    Gemeente,
    Lot,
    LotAward,
    Procedure,
    Provider,
    ProviderStatus,
    SelectionCriterion,
    TargetGroup,
    Tender,
)
from app.navigation import money
from app.parsing import ParseError, parse_number
from app.procurement.forms import parse_payment_model
from app.procurement.simulation import simulation_page, template_choices, template_model
from app.procurement.workflow import (
    PRECONDITIONS,
    award_reason,
    boundary_tie,
    criteria_problems,
    evaluation_gaps,
    moment,
    score,
)
from app.validators import DutchDateField, MoneyField, NormalisedStringField
from contracts.model import ModelError, PaymentModel
from contracts.procurement import (
    MAX_SCORE,
    TENDER_STATUS_LABELS,
    TENDER_TRANSITIONS,
    ProcurementError,
    ScoredBid,
    TenderStatus,
    Timeline,
    check_transition,
    standstill_end,
)

bp = Blueprint("tenders", __name__, url_prefix="/aanbestedingen")

VIEW = Permission.VIEW_TENDERS
EDIT = Permission.EDIT_TENDERS

REQUIRED = _l("Dit veld is verplicht.")
REFERENCE_TAKEN = _l("Er is al een aanbesteding met dit kenmerk.")
NUMBER_TAKEN = _l("Deze aanbesteding heeft al een perceel met dit nummer.")
MOMENT_FORMAT = ["%Y-%m-%dT%H:%M", "%d-%m-%Y %H:%M"]
INVALID_MOMENT = _l("Vul een geldige datum en tijd in, bijvoorbeeld 31-12-2026 12:00.")

STATUS_LABELS = {status: _l(label) for status, label in TENDER_STATUS_LABELS.items()}

# What the button that moves a tender to a status says.
TRANSITION_LABELS = {
    TenderStatus.PUBLISHED: _l("Publiceren"),
    TenderStatus.CLOSED: _l("Sluiten"),
    TenderStatus.EVALUATED: _l("Beoordeling afronden"),
    TenderStatus.AWARD_ANNOUNCED: _l("Gunningsvoornemen bekendmaken"),
    TenderStatus.STANDSTILL: _l("Standstill-termijn laten ingaan"),
    TenderStatus.CONTRACTED: _l("Contracteren"),
    TenderStatus.CANCELLED: _l("Intrekken"),
}

PROCEDURE_LABELS = {
    Procedure.OPEN: _l("open"),
    Procedure.RESTRICTED: _l("niet-openbaar"),
    Procedure.MULTIPLE_PRIVATE: _l("meervoudig onderhands"),
    Procedure.SINGLE_PRIVATE: _l("enkelvoudig onderhands"),
}

SELECTION_CHOICES = [("", _l("nog niet beoordeeld")), ("pass", _l("voldoet")), ("fail", _l("voldoet niet"))]

# Bids may be registered while the tender is open or has just closed (bids that came in on time);
# they are evaluated once it is closed, and may still be corrected until the award is announced.
BIDDING = frozenset({TenderStatus.PUBLISHED, TenderStatus.CLOSED})
EVALUATING = frozenset({TenderStatus.CLOSED, TenderStatus.EVALUATED})


@bp.context_processor
def _helpers():
    return {
        "status_label": lambda s: STATUS_LABELS[TenderStatus(s)],
        "procedure_label": lambda p: PROCEDURE_LABELS[Procedure(p)],
        "transition_label": lambda s: TRANSITION_LABELS[TenderStatus(s)],
        "moment": moment,
        "TenderStatus": TenderStatus,
    }


# --- forms ----------------------------------------------------------------------------------------


class MomentField(DateTimeLocalField):
    """A date and time: ``<input type=datetime-local>`` sends 2026-12-31T12:00; 31-12-2026 12:00 works too."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("format", MOMENT_FORMAT)
        kwargs.setdefault("invalid_value_message", INVALID_MOMENT)
        super().__init__(label, validators, **kwargs)


class ScoreField(StringField):
    """A score from 0 to 10 with at most two decimals, typed with a comma or a point; empty means no score."""

    def process_formdata(self, valuelist):
        self.data = None
        raw = valuelist[0].strip() if valuelist else ""
        if not raw:
            return
        try:
            value = parse_number(raw, str(get_locale() or "nl"))
        except ParseError:
            raise ValueError(str(_l("Vul een score van 0 tot en met 10 in, bijvoorbeeld 7,5."))) from None
        if not value.is_finite() or value < 0 or value > MAX_SCORE:
            raise ValueError(str(_l("Een score ligt tussen 0 en 10.")))
        if value.as_tuple().exponent < -2:
            raise ValueError(str(_l("Een score heeft hoogstens twee cijfers achter de komma.")))
        self.data = value

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format_decimal(self.data, format="0.##")


class TenderForm(FlaskForm):
    reference = NormalisedStringField(
        _l("Kenmerk"), validators=[DataRequired(REQUIRED), Length(max=40)], normaliser=str.strip
    )
    title = StringField(_l("Titel"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(_l("Omschrijving"), validators=[Length(max=20000)])
    procedure = SelectField(_l("Procedure"), default=Procedure.OPEN.value)
    light_regime = BooleanField(_l("Sociaal en ander specifiek omschreven diensten (licht regime)"), default=True)
    gemeenten = SelectMultipleField(_l("Gemeenten"), coerce=int)
    publication_date = DutchDateField(_l("Publicatiedatum"), validators=[Optional()])
    questions_deadline = DutchDateField(_l("Uiterste datum voor vragen"), validators=[Optional()])
    closing_at = MomentField(_l("Sluiting (datum en tijd)"), validators=[Optional()])
    intended_award_date = DutchDateField(_l("Beoogde gunningsdatum"), validators=[Optional()])
    standstill_days = IntegerField(
        _l("Standstill-termijn (dagen)"),
        default=20,
        validators=[InputRequired(REQUIRED), NumberRange(min=0, message=_l("Vul 0 of meer dagen in."))],
    )

    # Timeline.problems() names these fields.
    TIMELINE_FIELDS = {
        "questions_deadline": "questions_deadline",
        "closing": "closing_at",
        "intended_award": "intended_award_date",
        "standstill_days": "standstill_days",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.procedure.choices = [(p.value, str(PROCEDURE_LABELS[p])) for p in Procedure]
        self.gemeenten.choices = [(g.id, g.name) for g in session.scalars(select(Gemeente).order_by(Gemeente.name))]

    def validate_gemeenten(self, field):
        if not field.data:
            raise ValidationError(str(_l("Kies minstens één gemeente; bij gezamenlijke inkoop meerdere.")))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        dates = (self.publication_date, self.questions_deadline, self.closing_at, self.intended_award_date)
        if any(f.errors for f in dates):
            return ok
        days = self.standstill_days.data if isinstance(self.standstill_days.data, int) else 0
        timeline = Timeline(self.publication_date.data, self.questions_deadline.data, self.closing_at.data,
                            self.intended_award_date.data, days)
        for name, message in timeline.problems():
            target = self[self.TIMELINE_FIELDS[name]]
            if not target.errors:
                target.errors = [*target.errors, translate(message)]
                ok = False
        return ok


class DescriptionForm(FlaskForm):
    """After publication only the description of a tender may change."""

    description = TextAreaField(_l("Omschrijving"), validators=[Length(max=20000)])


class TransitionForm(FlaskForm):
    target = HiddenField()
    reason = TextAreaField(_l("Reden"))


class SelectionCriterionForm(FlaskForm):
    name = StringField(_l("Naam"), validators=[DataRequired(REQUIRED), Length(max=160)])
    description = TextAreaField(_l("Omschrijving"), validators=[Length(max=4000)])


class AwardCriterionForm(FlaskForm):
    name = StringField(_l("Naam"), validators=[DataRequired(REQUIRED), Length(max=160)])
    weight = IntegerField(
        _l("Weging"),
        validators=[InputRequired(REQUIRED),
                    NumberRange(min=1, max=100, message=_l("Vul een geheel getal van 1 tot en met 100 in."))],
    )
    is_price = BooleanField(_l("Dit is het prijscriterium"))

    def __init__(self, *args, tender: Tender, criterion: AwardCriterion | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tender = tender
        self.criterion = criterion

    def validate_is_price(self, field):
        if field.data and any(c.is_price and c is not self.criterion for c in self.tender.award_criteria):
            raise ValidationError(str(_l("Deze aanbesteding heeft al een prijscriterium; er kan er maar één zijn.")))


class LotForm(FlaskForm):
    number = IntegerField(
        _l("Perceelnummer"),
        validators=[InputRequired(REQUIRED), NumberRange(min=1, message=_l("Vul een geheel getal van 1 of meer in."))],
    )
    title = StringField(_l("Titel"), validators=[DataRequired(REQUIRED), Length(max=200)])
    target_group_id = SelectField(_l("Doelgroep"), coerce=int, default=0)
    description = TextAreaField(_l("Product"), validators=[Length(max=20000)])
    expected_volume = IntegerField(
        _l("Verwacht aantal trajecten"),
        default=0,
        validators=[InputRequired(REQUIRED), NumberRange(min=0, message=_l("Vul 0 of meer in."))],
    )
    price_ceiling = MoneyField(_l("Prijsplafond per traject"), validators=[InputRequired(REQUIRED)])
    award_count = IntegerField(
        _l("Aantal te gunnen inschrijvingen"),
        default=1,
        validators=[InputRequired(REQUIRED), NumberRange(min=1, message=_l("Gun aan minstens één inschrijver."))],
    )
    outcome_definitions = TextAreaField(_l("Definities van de resultaten"), validators=[Length(max=20000)])
    template = SelectField(_l("Beginnen met sjabloon"), default="")
    payment_model = TextAreaField(_l("Betalingsmodel (JSON)"), render_kw={"rows": 18, "spellcheck": "false"})

    def __init__(self, *args, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        groups = session.scalars(select(TargetGroup).order_by(TargetGroup.name))
        self.target_group_id.choices = [(0, _("— geen —"))] + [(g.id, g.name) for g in groups]
        if creating:
            self.template.choices = [("", _("— geen: eigen model —")), *template_choices()]
        else:
            del self.template
        self.parsed_model: dict | None = None

    def validate_price_ceiling(self, field):
        if field.data is not None and field.data <= 0:
            raise ValidationError(str(_l("Het prijsplafond moet groter zijn dan € 0.")))

    def chosen_template(self) -> dict | None:
        choice = self.template.data if "template" in self else ""
        if choice and choice.startswith("template:"):
            try:
                return template_model(choice.removeprefix("template:"))
            except KeyError:
                return None
        return None

    def validate_payment_model(self, field):
        text = (field.data or "").strip()
        if not text:
            template = self.chosen_template()
            if template is None:
                raise ValidationError(str(_l("Vul het betalingsmodel in of kies een sjabloon.")))
            self.parsed_model = template
            return
        self.parsed_model = parse_payment_model(field, text)


class BidForm(FlaskForm):
    provider_id = SelectField(_l("Aanbieder"), coerce=int, default=0)
    price = MoneyField(_l("Prijs per traject"), validators=[InputRequired(REQUIRED)])
    submitted_at = MomentField(_l("Ingediend op (datum en tijd)"), validators=[InputRequired(REQUIRED)])
    notes = TextAreaField(_l("Aantekeningen"), validators=[Length(max=4000)])

    def __init__(self, *args, lot: Lot, **kwargs):
        super().__init__(*args, **kwargs)
        self.lot = lot
        active = session.scalars(
            select(Provider).where(Provider.status == ProviderStatus.ACTIVE).order_by(Provider.name)
        )
        self.provider_id.choices = [(0, _("— kies een aanbieder —"))] + [(p.id, p.name) for p in active]

    def validate_provider_id(self, field):
        if not field.data:
            raise ValidationError(str(REQUIRED))
        taken = session.scalar(
            select(func.count(Bid.id)).where(Bid.lot_id == self.lot.id, Bid.provider_id == field.data)
        )
        if taken:
            raise ValidationError(str(_l("Deze aanbieder heeft al ingeschreven op dit perceel.")))

    def validate_price(self, field):
        if field.data is None:
            return
        if field.data <= 0:
            raise ValidationError(str(_l("De prijs moet groter zijn dan € 0.")))
        ceiling = self.lot.price_ceiling
        if ceiling is not None and field.data > ceiling:
            raise ValidationError(_("Deze prijs ligt boven het prijsplafond van %(ceiling)s; de inschrijving kan "
                                    "niet worden aangenomen.", ceiling=money(ceiling)))

    def validate_submitted_at(self, field):
        closing = self.lot.tender.closing_at
        if field.data is not None and closing is not None and field.data > closing:
            raise ValidationError(_("Ingediend na de sluiting op %(closing)s; de inschrijving kan niet worden "
                                    "aangenomen.", closing=moment(closing)))


class EvaluationForm(FlaskForm):
    evaluator = StringField(_l("Beoordelaar"), validators=[DataRequired(REQUIRED), Length(max=120)])
    knockout_reason = TextAreaField(_l("Reden van uitsluiting"), validators=[Length(max=4000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self:
            if isinstance(field, SelectField):
                field.choices = [(value, str(label)) for value, label in SELECTION_CHOICES]


class AwardForm(FlaskForm):
    motivation = TextAreaField(_l("Aanvullende motivering (optioneel)"), validators=[Length(max=4000)])


# --- helpers --------------------------------------------------------------------------------------


def _tender_or_404(tender_id: int) -> Tender:
    return session.get(Tender, tender_id) or abort(404)


def _lot_or_404(lot_id: int, for_scoring: bool = False) -> Lot:
    if not for_scoring:
        return session.get(Lot, lot_id) or abort(404)
    # Scoring reads every bid's provider, selections and scores: load them in a few queries, not per bid.
    bids = selectinload(Lot.bids)
    stmt = select(Lot).where(Lot.id == lot_id).options(
        bids.selectinload(Bid.provider), bids.selectinload(Bid.scores),
        bids.selectinload(Bid.selections).selectinload(BidSelection.criterion), selectinload(Lot.awards),
    )
    return session.scalar(stmt) or abort(404)


def _status(response_form) -> int:
    return 422 if response_form.errors else 200


def _locked_page(title: str, message: str, back_url: str):
    """A page that says why this can't be changed now (a GET of a form that is closed in this status)."""
    return render_template("tenders/locked.html", title=title, message=message, back_url=back_url)


def _refuse(message: str, back_url: str):
    flash(message, "danger")
    return redirect(back_url)


def _criteria_locked(tender: Tender) -> str | None:
    if tender.status != TenderStatus.DRAFT:
        return _("De criteria kunnen alleen worden gewijzigd zolang de aanbesteding een concept is; deze is %(s)s.",
                 s=STATUS_LABELS[tender.status])
    return None


def _lots_locked(tender: Tender) -> str | None:
    if tender.status != TenderStatus.DRAFT:
        return _("Percelen kunnen alleen worden gewijzigd zolang de aanbesteding een concept is; deze is %(s)s.",
                 s=STATUS_LABELS[tender.status])
    return None


@dataclass
class QualityLine:
    criterion: AwardCriterion
    marks: list[Decimal]
    average: Decimal | None
    points: Decimal | None


@dataclass
class ScoreRow:
    """One bid's line of the scoring, with the numbers behind its points."""

    bid: Bid
    scored: ScoredBid
    quality: list[QualityLine]


def _score_rows(lot: Lot, scored: list[ScoredBid]) -> list[ScoreRow]:
    bids = {b.id: b for b in lot.bids}
    rows = []
    for s in scored:
        lines = []
        for c in lot.tender.award_criteria:
            if c.is_price:
                continue
            marks = s.bid.scores.get(c.id, [])
            average = sum(marks, Decimal(0)) / len(marks) if marks else None
            lines.append(QualityLine(c, marks, average, s.quality_points.get(c.id) if s.valid else None))
        rows.append(ScoreRow(bids[s.bid.id], s, lines))
    return rows


# --- tenders --------------------------------------------------------------------------------------


def _status_is(value: str):
    if value not in TenderStatus._value2member_map_:
        return None
    return Tender.status == TenderStatus(value)


def _procedure_is(value: str):
    if value not in Procedure._value2member_map_:
        return None
    return Tender.procedure == Procedure(value)


@bp.route("/")
@requires(VIEW)
def index():
    page = paginate(
        session,
        select(Tender),
        sortable={"reference": Tender.reference, "title": Tender.title, "status": Tender.status,
                  "closing_at": Tender.closing_at},
        default_sort="reference",
        searchable=[Tender.reference, Tender.title],
        filters={"status": _status_is, "procedure": _procedure_is},
    )
    return render_template(
        "tenders/index.html",
        page=page,
        status_options=[(s.value, str(STATUS_LABELS[s])) for s in TenderStatus],
        procedure_options=[(p.value, str(PROCEDURE_LABELS[p])) for p in Procedure],
    )


@bp.route("/<int:tender_id>")
@requires(VIEW)
def detail(tender_id: int):
    tender = _tender_or_404(tender_id)
    allowed = TENDER_TRANSITIONS[tender.status]
    return render_template(
        "tenders/detail.html",
        tender=tender,
        next_steps=[s for s in TenderStatus if s in allowed and s != TenderStatus.CANCELLED],
        can_cancel=TenderStatus.CANCELLED in allowed,
        weight_total=sum(c.weight for c in tender.award_criteria),
        criteria_problems=criteria_problems(tender),
        history=history_for(session, "tender", tender.id),
        form=TransitionForm(),
    )


def _save_tender(form: TenderForm, tender: Tender | None):
    if validate_submission(form, tender.id if tender else None, {"reference": (Tender.reference, REFERENCE_TAKEN)}):
        record = tender or Tender(status=TenderStatus.DRAFT)
        record.reference = form.reference.data
        record.title = form.title.data.strip()
        record.description = (form.description.data or "").strip()
        record.procedure = Procedure(form.procedure.data)
        record.light_regime = bool(form.light_regime.data)
        record.gemeenten = list(session.scalars(select(Gemeente).where(Gemeente.id.in_(form.gemeenten.data))))
        record.publication_date = form.publication_date.data
        record.questions_deadline = form.questions_deadline.data
        record.closing_at = form.closing_at.data
        record.intended_award_date = form.intended_award_date.data
        record.standstill_days = form.standstill_days.data
        session.add(record)
        if commit_form(form, {"reference": REFERENCE_TAKEN}):
            flash(_("Aanbesteding %(ref)s is opgeslagen.", ref=record.reference), "success")
            return redirect(url_for("tenders.detail", tender_id=record.id))
    return render_template("tenders/form.html", form=form, tender=tender), _status(form)


@bp.route("/nieuw", methods=["GET", "POST"])
@requires(EDIT)
def create():
    return _save_tender(TenderForm(), None)


@bp.route("/<int:tender_id>/bewerken", methods=["GET", "POST"])
@requires(EDIT)
def edit(tender_id: int):
    tender = _tender_or_404(tender_id)
    if tender.status != TenderStatus.DRAFT:
        return _edit_description(tender)
    form = TenderForm(obj=tender)
    if not form.is_submitted():
        form.procedure.data = tender.procedure.value
        form.gemeenten.data = [g.id for g in tender.gemeenten]
    return _save_tender(form, tender)


def _edit_description(tender: Tender):
    """After publication the terms are fixed: only the description may still be improved."""
    form = DescriptionForm(obj=tender)
    if form.validate_on_submit():
        others = set(request.form) - {"description", "csrf_token"}
        if others:
            form.form_errors.append(_("Na publicatie kan alleen de omschrijving worden gewijzigd; de andere gegevens "
                                      "van de aanbesteding liggen vast. Er is niets opgeslagen."))
        else:
            tender.description = (form.description.data or "").strip()
            session.commit()
            flash(_("De omschrijving van %(ref)s is opgeslagen.", ref=tender.reference), "success")
            return redirect(url_for("tenders.detail", tender_id=tender.id))
    return render_template("tenders/description_form.html", form=form, tender=tender), _status(form)


@bp.route("/<int:tender_id>/status", methods=["POST"])
@requires(EDIT)
def transition(tender_id: int):
    tender = _tender_or_404(tender_id)
    back = url_for("tenders.detail", tender_id=tender.id)
    form = TransitionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        target = TenderStatus(form.target.data or "")
    except ValueError:
        return _refuse(_("Kies de nieuwe status van de aanbesteding."), back)
    reason = (form.reason.data or "").strip()
    try:
        check_transition(tender.status, target, reason)
    except ProcurementError as exc:
        return _refuse(translate(exc.args[0]), back)
    problems = PRECONDITIONS.get(target, lambda _t: [])(tender)
    if problems:
        flash(_("De aanbesteding kan niet naar '%(s)s':", s=STATUS_LABELS[target]), "danger")
        for problem in problems:
            flash(problem, "danger")
        return redirect(back)
    today = clock.today()
    tender.status = target
    tender.status_reason = reason
    if target == TenderStatus.PUBLISHED and tender.publication_date is None:
        tender.publication_date = today
    if target == TenderStatus.AWARD_ANNOUNCED:
        tender.award_announced_on = today
        tender.standstill_end = standstill_end(today, tender.standstill_days)
    session.commit()
    flash(_("De aanbesteding is nu %(s)s.", s=STATUS_LABELS[target]), "success")
    return redirect(back)


# --- criteria -------------------------------------------------------------------------------------


@bp.route("/<int:tender_id>/selectiecriteria/nieuw", methods=["GET", "POST"])
@requires(EDIT)
def selection_create(tender_id: int):
    tender = _tender_or_404(tender_id)
    back = url_for("tenders.detail", tender_id=tender.id, _anchor="selectiecriteria")
    locked = _criteria_locked(tender)
    if locked:
        return _refuse(locked, back) if request.method == "POST" else _locked_page(
            _("Selectiecriterium toevoegen"), locked, back)
    form = SelectionCriterionForm()
    if form.validate_on_submit():
        criterion = SelectionCriterion(name=form.name.data.strip(), description=(form.description.data or "").strip())
        tender.selection_criteria.append(criterion)
        if commit_form(form):
            flash(_("Selectiecriterium %(name)s is toegevoegd.", name=criterion.name), "success")
            return redirect(back)
    return render_template("tenders/criterion_form.html", form=form, tender=tender, kind="selection",
                           criterion=None), _status(form)


@bp.route("/<int:tender_id>/selectiecriteria/<int:criterion_id>/verwijderen", methods=["POST"])
@requires(EDIT)
def selection_delete(tender_id: int, criterion_id: int):
    criterion = session.get(SelectionCriterion, criterion_id)
    if criterion is None or criterion.tender_id != tender_id:
        abort(404)
    return _delete_criterion(criterion, "selectiecriteria", _l("Selectiecriterium %(name)s is verwijderd."))


def _delete_criterion(criterion, anchor: str, done):
    tender = criterion.tender
    back = url_for("tenders.detail", tender_id=tender.id, _anchor=anchor)
    if not DeleteForm().validate_on_submit():
        abort(400)
    locked = _criteria_locked(tender)
    if locked:
        return _refuse(locked, back)
    session.delete(criterion)
    session.commit()
    flash(str(done) % {"name": criterion.name}, "success")
    return redirect(back)


def _save_award_criterion(tender: Tender, criterion: AwardCriterion | None):
    back = url_for("tenders.detail", tender_id=tender.id, _anchor="gunningscriteria")
    locked = _criteria_locked(tender)
    if locked:
        title = _("Gunningscriterium bewerken") if criterion else _("Gunningscriterium toevoegen")
        return _refuse(locked, back) if request.method == "POST" else _locked_page(title, locked, back)
    form = AwardCriterionForm(obj=criterion, tender=tender, criterion=criterion)
    if form.validate_on_submit():
        record = criterion or AwardCriterion()
        record.name = form.name.data.strip()
        record.weight = form.weight.data
        record.is_price = bool(form.is_price.data)
        if criterion is None:
            tender.award_criteria.append(record)
        if commit_form(form):
            flash(_("Gunningscriterium %(name)s is opgeslagen.", name=record.name), "success")
            problems = criteria_problems(tender)
            if problems:
                flash(" ".join(problems), "warning")
            return redirect(back)
    return render_template("tenders/criterion_form.html", form=form, tender=tender, kind="award",
                           criterion=criterion), _status(form)


@bp.route("/<int:tender_id>/gunningscriteria/nieuw", methods=["GET", "POST"])
@requires(EDIT)
def award_criterion_create(tender_id: int):
    return _save_award_criterion(_tender_or_404(tender_id), None)


def _award_criterion_or_404(tender_id: int, criterion_id: int) -> AwardCriterion:
    criterion = session.get(AwardCriterion, criterion_id)
    if criterion is None or criterion.tender_id != tender_id:
        abort(404)
    return criterion


@bp.route("/<int:tender_id>/gunningscriteria/<int:criterion_id>/bewerken", methods=["GET", "POST"])
@requires(EDIT)
def award_criterion_edit(tender_id: int, criterion_id: int):
    criterion = _award_criterion_or_404(tender_id, criterion_id)
    return _save_award_criterion(criterion.tender, criterion)


@bp.route("/<int:tender_id>/gunningscriteria/<int:criterion_id>/verwijderen", methods=["POST"])
@requires(EDIT)
def award_criterion_delete(tender_id: int, criterion_id: int):
    criterion = _award_criterion_or_404(tender_id, criterion_id)
    return _delete_criterion(criterion, "gunningscriteria", _l("Gunningscriterium %(name)s is verwijderd."))


# --- lots -----------------------------------------------------------------------------------------


def _number_taken(tender: Tender, number: int | None, lot: Lot | None) -> bool:
    return any(other.number == number and other is not lot for other in tender.lots)


def _save_lot(form: LotForm, tender: Tender, lot: Lot | None):
    if form.is_submitted() and "load_template" in request.form and "template" in form:
        # Fill the textarea from the chosen template and show the form again; nothing is saved.
        template = form.chosen_template()
        if template is None:
            form.template.errors = [str(_l("Kies eerst een sjabloon."))]
        else:
            form.payment_model.raw_data = None
            form.payment_model.data = json.dumps(template, indent=2, ensure_ascii=False)
        return render_template("tenders/lot_form.html", form=form, tender=tender, lot=lot), _status(form)
    if form.is_submitted():
        ok = form.validate()
        if form.number.data is not None and _number_taken(tender, form.number.data, lot):
            form.number.errors = [*form.number.errors, str(NUMBER_TAKEN)]
            ok = False
        if ok:
            record = lot or Lot()
            record.number = form.number.data
            record.title = form.title.data.strip()
            record.target_group_id = form.target_group_id.data or None
            record.description = (form.description.data or "").strip()
            record.expected_volume = form.expected_volume.data
            record.price_ceiling = form.price_ceiling.data
            record.award_count = form.award_count.data
            record.outcome_definitions = (form.outcome_definitions.data or "").strip()
            record.payment_model = form.parsed_model
            if lot is None:
                tender.lots.append(record)
            if commit_form(form, {"number": NUMBER_TAKEN}):
                flash(_("%(lot)s is opgeslagen.", lot=str(record)), "success")
                return redirect(url_for("tenders.lot_detail", lot_id=record.id))
    return render_template("tenders/lot_form.html", form=form, tender=tender, lot=lot), _status(form)


@bp.route("/<int:tender_id>/percelen/nieuw", methods=["GET", "POST"])
@requires(EDIT)
def lot_create(tender_id: int):
    tender = _tender_or_404(tender_id)
    back = url_for("tenders.detail", tender_id=tender.id, _anchor="percelen")
    locked = _lots_locked(tender)
    if locked:
        return _refuse(locked, back) if request.method == "POST" else _locked_page(_("Perceel toevoegen"), locked, back)
    form = LotForm(creating=True)
    if not form.is_submitted():
        form.number.data = max((lot.number for lot in tender.lots), default=0) + 1
        form.template.data = request.args.get("template", "")
        template = form.chosen_template()
        if template is not None:
            form.payment_model.data = json.dumps(template, indent=2, ensure_ascii=False)
    return _save_lot(form, tender, None)


@bp.route("/percelen/<int:lot_id>/bewerken", methods=["GET", "POST"])
@requires(EDIT)
def lot_edit(lot_id: int):
    lot = _lot_or_404(lot_id)
    back = url_for("tenders.lot_detail", lot_id=lot.id)
    locked = _lots_locked(lot.tender)
    if locked:
        return _refuse(locked, back) if request.method == "POST" else _locked_page(
            _("%(lot)s bewerken", lot=str(lot)), locked, back)
    form = LotForm(obj=lot, creating=False)
    if not form.is_submitted():
        form.target_group_id.data = lot.target_group_id or 0
        form.payment_model.data = json.dumps(lot.payment_model, indent=2, ensure_ascii=False)
    return _save_lot(form, lot.tender, lot)


@bp.route("/percelen/<int:lot_id>")
@requires(VIEW)
def lot_detail(lot_id: int):
    lot = _lot_or_404(lot_id, for_scoring=True)
    tender = lot.tender
    try:
        model = PaymentModel.from_dict(lot.payment_model)
    except ModelError:
        model = None
    scoring_problem = None
    rows: list[ScoreRow] = []
    tie: list[ScoredBid] = []
    try:
        scored = score(lot)
        rows = _score_rows(lot, scored)
        tie = boundary_tie(scored, lot.award_count)
    except ProcurementError as exc:
        scoring_problem = translate(exc.args[0])
    return render_template(
        "tenders/lot_detail.html",
        lot=lot,
        tender=tender,
        model=model,
        model_json=json.dumps(lot.payment_model, indent=2, ensure_ascii=False),
        rows=rows,
        tie=tie,
        scoring_problem=scoring_problem,
        price_criteria=[c for c in tender.award_criteria if c.is_price],
        quality_criteria=[c for c in tender.award_criteria if not c.is_price],
        gaps={bid.id: evaluation_gaps(tender, bid) for bid in lot.bids},
        can_bid=tender.status in BIDDING,
        can_evaluate=tender.status in EVALUATING,
        can_award=tender.status == TenderStatus.EVALUATED,
        award_form=AwardForm(),
        awards=sorted(lot.awards, key=lambda a: (a.rank is None, a.rank or 0)),
        lowest=min((r.bid.price for r in rows if r.scored.valid), default=None),
        history=history_for(session, "lot", lot.id),
    )


@bp.route("/percelen/<int:lot_id>/simuleren", methods=["GET", "POST"])
@requires(VIEW)
def lot_simulate(lot_id: int):
    lot = _lot_or_404(lot_id)
    return simulation_page(lot.payment_model, str(lot), url_for("tenders.lot_detail", lot_id=lot.id))


# --- bids and their evaluation --------------------------------------------------------------------


@bp.route("/percelen/<int:lot_id>/inschrijvingen/nieuw", methods=["GET", "POST"])
@requires(EDIT)
def bid_create(lot_id: int):
    lot = _lot_or_404(lot_id)
    tender = lot.tender
    back = url_for("tenders.lot_detail", lot_id=lot.id, _anchor="inschrijvingen")
    if tender.status not in BIDDING:
        locked = _("Inschrijvingen kunnen alleen worden vastgelegd zolang de aanbesteding gepubliceerd of gesloten "
                   "is; deze is %(s)s.", s=STATUS_LABELS[tender.status])
        return _refuse(locked, back) if request.method == "POST" else _locked_page(
            _("Inschrijving vastleggen"), locked, back)
    form = BidForm(lot=lot)
    if not form.is_submitted():
        form.submitted_at.data = datetime.now().replace(second=0, microsecond=0)
    if form.validate_on_submit():
        bid = Bid(provider_id=form.provider_id.data, price=form.price.data, submitted_at=form.submitted_at.data,
                  notes=(form.notes.data or "").strip())
        lot.bids.append(bid)
        if commit_form(form, {"provider_id": _l("Deze aanbieder heeft al ingeschreven op dit perceel.")}):
            flash(_("De inschrijving van %(name)s is vastgelegd.", name=bid.provider.name), "success")
            return redirect(back)
    return render_template("tenders/bid_form.html", form=form, lot=lot, tender=tender), _status(form)


def _evaluation_form_class(tender: Tender) -> type[EvaluationForm]:
    """The evaluation form of this tender: one pass/fail per selection criterion, one score per quality criterion."""

    class Form(EvaluationForm):
        pass

    for c in tender.selection_criteria:
        setattr(Form, f"selection_{c.id}", SelectField(c.name, default=""))
        setattr(Form, f"selection_{c.id}_note", StringField(_l("Toelichting bij %(name)s", name=c.name),
                                                            validators=[Length(max=4000)]))
    for c in tender.award_criteria:
        if not c.is_price:
            setattr(Form, f"score_{c.id}", ScoreField(_l("Score voor %(name)s (0–10)", name=c.name)))
    return Form


@bp.route("/inschrijvingen/<int:bid_id>/beoordelen", methods=["GET", "POST"])
@requires(EDIT)
def bid_evaluate(bid_id: int):
    bid = session.get(Bid, bid_id) or abort(404)
    lot = bid.lot
    tender = lot.tender
    back = url_for("tenders.lot_detail", lot_id=lot.id, _anchor="inschrijvingen")
    if tender.status not in EVALUATING:
        locked = _("Inschrijvingen worden beoordeeld als de aanbesteding gesloten is (of beoordeeld, om te "
                   "corrigeren); deze is %(s)s.", s=STATUS_LABELS[tender.status])
        return _refuse(locked, back) if request.method == "POST" else _locked_page(
            _("Inschrijving beoordelen"), locked, back)
    evaluator = (request.args.get("beoordelaar") or current_user.full_name).strip()
    selections = {s.criterion_id: s for s in bid.selections}
    initial: dict[str, object] = {"evaluator": evaluator, "knockout_reason": bid.knockout_reason}
    for c in tender.selection_criteria:
        if c.id in selections:
            initial[f"selection_{c.id}"] = "pass" if selections[c.id].passed else "fail"
            initial[f"selection_{c.id}_note"] = selections[c.id].note
    for s in bid.scores:
        if s.evaluator == evaluator:
            initial[f"score_{s.criterion_id}"] = Decimal(s.score)
    quality = [c for c in tender.award_criteria if not c.is_price]
    form = _evaluation_form_class(tender)(data=initial)
    if form.validate_on_submit():
        _store_evaluation(form, bid, tender, quality)
        session.commit()
        flash(_("De beoordeling van de inschrijving van %(name)s is opgeslagen.", name=bid.provider.name), "success")
        return redirect(back)
    return render_template("tenders/evaluate.html", form=form, bid=bid, lot=lot, tender=tender, quality=quality,
                           evaluators=sorted({s.evaluator for s in bid.scores})), _status(form)


def _store_evaluation(form: EvaluationForm, bid: Bid, tender: Tender, quality: list[AwardCriterion]) -> None:
    """Upsert the selection results and this evaluator's scores, and the knock-out; one unit of work."""
    selections = {s.criterion_id: s for s in bid.selections}
    for c in tender.selection_criteria:
        value = form[f"selection_{c.id}"].data
        row = selections.get(c.id)
        if not value:
            if row is not None:
                bid.selections.remove(row)
            continue
        if row is None:
            row = BidSelection(criterion=c, passed=False)
            bid.selections.append(row)
        row.passed = value == "pass"
        row.note = (form[f"selection_{c.id}_note"].data or "").strip()
    evaluator = form.evaluator.data.strip()
    mine = {s.criterion_id: s for s in bid.scores if s.evaluator == evaluator}
    for c in quality:
        value = form[f"score_{c.id}"].data
        row = mine.get(c.id)
        if value is None:
            if row is not None:
                bid.scores.remove(row)
            continue
        if row is None:
            row = BidScore(criterion=c, evaluator=evaluator, score=value)
            bid.scores.append(row)
        row.score = value
    bid.knockout_reason = (form.knockout_reason.data or "").strip()


# --- award ----------------------------------------------------------------------------------------


@bp.route("/percelen/<int:lot_id>/gunning", methods=["POST"])
@requires(EDIT)
def lot_award(lot_id: int):
    lot = _lot_or_404(lot_id, for_scoring=True)
    tender = lot.tender
    back = url_for("tenders.lot_detail", lot_id=lot.id, _anchor="gunning")
    form = AwardForm()
    if not form.validate_on_submit():
        return _refuse(" ".join(str(e) for errors in form.errors.values() for e in errors), back)
    if tender.status != TenderStatus.EVALUATED:
        return _refuse(_("Een perceel wordt gegund als de aanbesteding beoordeeld is; deze is %(s)s.",
                         s=STATUS_LABELS[tender.status]), back)
    try:
        scored = score(lot)
    except ProcurementError as exc:
        return _refuse(translate(exc.args[0]), back)
    tie = boundary_tie(scored, lot.award_count)
    if tie:
        names = ", ".join(s.bid.bidder for s in tie)
        return _refuse(_("De inschrijvingen van %(names)s staan gelijk op rang %(rank)s, op de grens van de gunning "
                         "(%(n)s te gunnen). Beslis eerst hoe de gelijke stand wordt doorbroken (bijvoorbeeld door "
                         "loting), leg die beslissing vast en pas de beoordeling of het aantal te gunnen "
                         "inschrijvingen aan.", names=names, rank=tie[0].rank, n=lot.award_count), back)
    awarded_totals = [s.total for s in scored if s.awarded]
    last_awarded = min(awarded_totals) if awarded_totals else None
    motivation = (form.motivation.data or "").strip()
    lot.awards.clear()
    session.flush()  # the old decision goes before the new one comes in: (lot, bid) is unique
    decided_at = utcnow()
    for s in scored:
        reason = award_reason(s, last_awarded)
        if motivation:
            reason += f". Toelichting: {motivation}"
        lot.awards.append(LotAward(bid_id=s.bid.id, rank=s.rank, total_points=s.total if s.valid else None,
                             awarded=s.awarded, reason=reason, decided_at=decided_at,
                             decided_by_id=current_user.id))
    session.commit()
    flash(_("De gunningsbeslissing voor %(lot)s is vastgelegd: %(n)s gegund.", lot=str(lot),
            n=sum(1 for s in scored if s.awarded)), "success")
    return redirect(back)


# --- export ---------------------------------------------------------------------------------------


@bp.route("/<int:tender_id>/ocds.json")
@requires(VIEW)
def ocds(tender_id: int):
    from app.procurement.ocds import release_package

    tender = _tender_or_404(tender_id)
    response = jsonify(release_package(tender))
    response.headers["Content-Disposition"] = f"attachment; filename={tender.reference}-ocds.json"
    return response
