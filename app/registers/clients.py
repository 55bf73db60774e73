"""The clients (cliënten) register: scoped to the user's gemeenten, with the BSN masked everywhere.

Every query for clients is filtered with :func:`app.scoping.client_scope`, so a client outside the
user's gemeenten answers 404 on every per-client URL. The BSN is entered once, at creation, and is
shown masked; the only way to see it in full is the POST action :func:`reveal_bsn`, which is logged
in the audit trail with the reason given (doelbinding).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app import audit, clock
from app.audit import history_for
from app.auth.permissions import Permission, requires
from app.db import session
from app.forms import commit_form, validate_submission
from app.listing import paginate
from app.models.clients import BenefitType, Client, TargetGroup
from app.models.registers import Gemeente
from app.models.users import Role, User, user_gemeente
from app.navigation import BENEFIT_LABELS
from app.scoping import MAX_ID, client_scope, gemeente_ids_for, get_scoped_or_404
from app.search import like_pattern, phrase
from app.validators import DutchDateField, MoneyField, NormalisedStringField, normalise_bsn, validate_bsn

bp = Blueprint("clients", __name__, url_prefix="/clienten")

REQUIRED = _l("Dit veld is verplicht.")
BSN_TAKEN = _l("Er is al een cliënt met dit BSN.")
PHASES = range(1, 5)
LADDER_RUNGS = range(1, 7)
MAX_MONTHLY_BENEFIT = Decimal("100000.00")
EARLIEST_DATE = date(1900, 1, 1)

LADDER_LABELS = {
    1: _l("1 – geïsoleerd"),
    2: _l("2 – sociale contacten buitenshuis"),
    3: _l("3 – deelname aan georganiseerde activiteiten"),
    4: _l("4 – onbetaald werk"),
    5: _l("5 – betaald werk met ondersteuning"),
    6: _l("6 – betaald werk"),
}

# Why a user looks at a full BSN (doelbinding); the code is what the audit trail records.
REVEAL_REASONS = {
    "contact": _l("Contact met de cliënt of een andere instantie"),
    "aanmelding": _l("Aanmelding of verwijzing bij een aanbieder"),
    "uitkering": _l("Uitkeringsadministratie of betaling"),
    "controle": _l("Controle of correctie van gegevens"),
}


def _id_or_none(value: Any) -> int | None:
    """Coerce a select value to an id; an empty or tampered value becomes None, not a crash."""
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= MAX_ID else None


def _allowed_gemeenten() -> list[Gemeente]:
    ids = gemeente_ids_for(current_user)
    stmt = select(Gemeente).order_by(Gemeente.name)
    if ids is not None:
        stmt = stmt.where(Gemeente.id.in_(ids))
    return list(session.scalars(stmt))


def _eligible_klantmanagers(gemeente_ids: set[int]) -> list[User]:
    """Active klantmanagers who work for at least one of these gemeenten."""
    if not gemeente_ids:
        return []
    works_for = select(user_gemeente.c.user_id).where(user_gemeente.c.gemeente_id.in_(gemeente_ids))
    stmt = (
        select(User)
        .where(User.role == Role.KLANTMANAGER, User.active.is_(True), User.id.in_(works_for))
        .options(selectinload(User.gemeenten))
        .order_by(User.full_name)
    )
    return list(session.scalars(stmt))


def _not_in_future(message: Any):
    def check(_form, field) -> None:
        if field.data and field.data > clock.today():
            raise ValidationError(str(message))
        if field.data and field.data < EARLIEST_DATE:
            raise ValidationError(str(_l("Deze datum ligt te ver in het verleden.")))

    return check


class ClientForm(FlaskForm):
    """Create and edit; on edit the BSN and the phase fields are removed (see ``CREATE_ONLY``)."""

    CREATE_ONLY = ("bsn", "phase", "ladder_rung", "assessed_on")

    bsn = NormalisedStringField(
        _l("BSN"), validators=[DataRequired(REQUIRED), validate_bsn], normaliser=normalise_bsn
    )
    first_name = StringField(_l("Voornaam"), validators=[DataRequired(REQUIRED), Length(max=80)])
    last_name = StringField(_l("Achternaam"), validators=[DataRequired(REQUIRED), Length(max=120)])
    birth_date = DutchDateField(
        _l("Geboortedatum"),
        validators=[Optional(), _not_in_future(_l("Een geboortedatum kan niet in de toekomst liggen."))],
    )
    gemeente_id = SelectField(_l("Gemeente"), coerce=_id_or_none, validate_choice=False,
                              validators=[DataRequired(REQUIRED)])
    benefit_type = SelectField(_l("Uitkering"), validate_choice=False, validators=[DataRequired(REQUIRED)])
    monthly_benefit = MoneyField(_l("Uitkering per maand (€)"), validators=[InputRequired(REQUIRED)],
                                 default=Decimal("0.00"))
    target_group_id = SelectField(_l("Doelgroep"), coerce=_id_or_none, validate_choice=False,
                                  validators=[DataRequired(REQUIRED)])
    phase = SelectField(_l("Fase"), coerce=_id_or_none, validate_choice=False, validators=[InputRequired(REQUIRED)])
    ladder_rung = SelectField(_l("Trede op de participatieladder"), coerce=_id_or_none, validate_choice=False,
                              validators=[InputRequired(REQUIRED)])
    assessed_on = DutchDateField(
        _l("Vastgesteld op"),
        default=date.today,
        validators=[DataRequired(REQUIRED), _not_in_future(_l("Deze datum kan niet in de toekomst liggen."))],
    )
    klantmanager_id = SelectField(_l("Klantmanager"), coerce=_id_or_none, validate_choice=False)

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:
            for name in self.CREATE_ONLY:
                delattr(self, name)
        self.allowed_gemeenten = _allowed_gemeenten()
        self.gemeente_id.choices = [("", _("— kies een gemeente —"))] + [
            (g.id, g.name) for g in self.allowed_gemeenten
        ]
        self.benefit_type.choices = [("", _("— kies —"))] + [(b.value, str(BENEFIT_LABELS[b])) for b in BenefitType]
        groups = session.scalars(select(TargetGroup).order_by(TargetGroup.name))
        self.target_group_id.choices = [("", _("— kies een doelgroep —"))] + [(t.id, t.name) for t in groups]
        managers = _eligible_klantmanagers({g.id for g in self.allowed_gemeenten})
        self.klantmanager_id.choices = [("", _("— nog geen —"))] + [
            (u.id, f"{u.full_name} ({', '.join(g.name for g in u.gemeenten)})") for u in managers
        ]
        if creating:
            self.phase.choices = [("", _("— kies —"))] + [(n, _("Fase %(n)s", n=n)) for n in PHASES]
            self.ladder_rung.choices = [("", _("— kies —"))] + [(n, str(LADDER_LABELS[n])) for n in LADDER_RUNGS]

    def validate_gemeente_id(self, field) -> None:
        if field.data not in {g.id for g in self.allowed_gemeenten}:
            raise ValidationError(str(_l("Kies een van de gemeenten waarvoor je werkt.")))

    def validate_benefit_type(self, field) -> None:
        if field.data not in BenefitType._value2member_map_:
            raise ValidationError(str(_l("Kies een soort uitkering uit de lijst.")))

    def validate_monthly_benefit(self, field) -> None:
        if field.data is None:
            return
        if field.data < 0:
            raise ValidationError(str(_l("Een bedrag kan niet negatief zijn.")))
        if field.data > MAX_MONTHLY_BENEFIT:
            raise ValidationError(str(_l("Dit bedrag is te hoog voor een uitkering per maand.")))
        if self.benefit_type.data == BenefitType.NONE.value and field.data != 0:
            raise ValidationError(str(_l("Zonder uitkering is het bedrag per maand 0,00.")))

    def validate_target_group_id(self, field) -> None:
        if session.get(TargetGroup, field.data) is None:
            raise ValidationError(str(_l("Kies een doelgroep uit de lijst.")))

    def validate_phase(self, field) -> None:
        if field.data not in PHASES:
            raise ValidationError(str(_l("Kies een fase van 1 tot en met 4.")))

    def validate_ladder_rung(self, field) -> None:
        if field.data not in LADDER_RUNGS:
            raise ValidationError(str(_l("Kies een trede van 1 tot en met 6.")))

    def validate_klantmanager_id(self, field) -> None:
        if field.data is None:
            if field.raw_data and field.raw_data[0]:
                raise ValidationError(str(_l("Kies een klantmanager uit de lijst.")))
            return
        user = session.get(User, field.data)
        works_for_gemeente = user is not None and self.gemeente_id.data in {g.id for g in user.gemeenten}
        if user is None or not user.active or user.role != Role.KLANTMANAGER or not works_for_gemeente:
            raise ValidationError(str(_l("Kies een actieve klantmanager die voor de gekozen gemeente werkt.")))


class PhaseForm(FlaskForm):
    phase = SelectField(_l("Fase"), coerce=_id_or_none, validate_choice=False, validators=[InputRequired(REQUIRED)])
    ladder_rung = SelectField(_l("Trede op de participatieladder"), coerce=_id_or_none, validate_choice=False,
                              validators=[InputRequired(REQUIRED)])
    valid_from = DutchDateField(
        _l("Vastgesteld op"),
        default=date.today,
        validators=[DataRequired(REQUIRED), _not_in_future(_l("Deze datum kan niet in de toekomst liggen."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.phase.choices = [("", _("— kies —"))] + [(n, _("Fase %(n)s", n=n)) for n in PHASES]
        self.ladder_rung.choices = [("", _("— kies —"))] + [(n, str(LADDER_LABELS[n])) for n in LADDER_RUNGS]

    validate_phase = ClientForm.validate_phase
    validate_ladder_rung = ClientForm.validate_ladder_rung


class RevealForm(FlaskForm):
    reason = SelectField(_l("Reden van inzage"), validate_choice=False, validators=[DataRequired(REQUIRED)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = [("", _("— kies een reden —"))] + [(k, str(v)) for k, v in REVEAL_REASONS.items()]

    def validate_reason(self, field) -> None:
        if field.data not in REVEAL_REASONS:
            raise ValidationError(str(_l("Kies een reden uit de lijst.")))


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "ladder_label": lambda rung: LADDER_LABELS.get(rung, rung),
        "reveal_reason_label": lambda code: REVEAL_REASONS.get(code, code),
    }


def _scoped_client(client_id: int) -> Client:
    return get_scoped_or_404(Client, client_id, client_scope(current_user))


def _int_filter(column: Any, allowed: Any = None):
    def make(value: str):
        number = _id_or_none(value)
        if number is None or (allowed is not None and number not in allowed):
            return None
        return column == number

    return make


def _benefit_filter(value: str):
    return Client.benefit_type == BenefitType(value) if value in BenefitType._value2member_map_ else None


class BsnSearchForm(FlaskForm):
    """Finding a client by full BSN is a POST, so that the number never lands in a URL, history or log."""

    bsn = NormalisedStringField(
        _l("Zoek op volledig BSN"), validators=[DataRequired(REQUIRED), validate_bsn], normaliser=normalise_bsn
    )


def _name_matches(query: str):
    """First and last name in either order, with or without a comma, ignoring case and diacritics."""
    return Client.search_name.like(like_pattern(phrase(query)), escape="\\")


def _render_index(bsn_form: BsnSearchForm, status: int = 200):
    stmt = (
        select(Client)
        .join(Client.gemeente)
        .outerjoin(Client.klantmanager)
        .where(client_scope(current_user))
        .options(selectinload(Client.gemeente), selectinload(Client.target_group), selectinload(Client.klantmanager))
    )
    page = paginate(
        session,
        stmt,
        sortable={
            "name": Client.last_name,
            "gemeente": Gemeente.name,
            "benefit_type": Client.benefit_type,
            "phase": Client.phase,
            "klantmanager": User.full_name,
        },
        default_sort="name",
        search=_name_matches,
        filters={
            "gemeente": _int_filter(Client.gemeente_id),
            "benefit_type": _benefit_filter,
            "target_group": _int_filter(Client.target_group_id),
            "phase": _int_filter(Client.phase, PHASES),
            "mine": lambda v: Client.klantmanager_id == current_user.id if v == "1" else None,
        },
    )
    return render_template(
        "clients/index.html",
        page=page,
        bsn_form=bsn_form,
        gemeente_options=[(g.id, g.name) for g in _allowed_gemeenten()],
        benefit_types=[b.value for b in BenefitType],
        target_group_options=[(t.id, t.name) for t in session.scalars(select(TargetGroup).order_by(TargetGroup.name))],
        phase_options=[(n, _("Fase %(n)s", n=n)) for n in PHASES],
    ), status


@bp.route("/")
@requires(Permission.VIEW_CLIENTS)
def index():
    return _render_index(BsnSearchForm(formdata=None))


@bp.route("/zoek-bsn", methods=["POST"])
@requires(Permission.VIEW_CLIENTS)
def find_by_bsn():
    form = BsnSearchForm()
    if not form.validate_on_submit():
        return _render_index(form, 422)
    client = session.scalar(select(Client).where(Client.bsn == form.bsn.data, client_scope(current_user)))
    if client is None:
        form.bsn.errors = [str(_l("Geen cliënt met dit BSN in je gemeenten."))]
        return _render_index(form, 404)
    return redirect(url_for("clients.detail", client_id=client.id))


def _render_detail(client: Client, reveal_form: RevealForm | None = None, revealed: bool = False, status: int = 200):
    return render_template(
        "clients/detail.html",
        client=client,
        revealed=revealed,
        reveal_form=reveal_form or RevealForm(formdata=None),
        history=history_for(session, "client", client.id),
    ), status


@bp.route("/<int:client_id>")
@requires(Permission.VIEW_CLIENTS)
def detail(client_id: int):
    return _render_detail(_scoped_client(client_id))


@bp.route("/<int:client_id>/bsn", methods=["POST"])
@requires(Permission.REVEAL_BSN)
def reveal_bsn(client_id: int):
    client = _scoped_client(client_id)
    form = RevealForm()
    if not form.validate_on_submit():
        return _render_detail(client, form, status=422)
    audit.record(session, "reveal_bsn", "client", client.id, {"reason": form.reason.data})
    session.commit()
    return _render_detail(client, RevealForm(formdata=None), revealed=True)


def _render_form(form: ClientForm, client: Client | None):
    return render_template("clients/form.html", form=form, client=client), 200 if not form.errors else 422


def _fill(client: Client, form: ClientForm) -> None:
    client.first_name = form.first_name.data.strip()
    client.last_name = form.last_name.data.strip()
    client.birth_date = form.birth_date.data
    client.gemeente_id = form.gemeente_id.data
    client.benefit_type = BenefitType(form.benefit_type.data)
    client.monthly_benefit = form.monthly_benefit.data
    client.target_group_id = form.target_group_id.data
    client.klantmanager_id = form.klantmanager_id.data


@bp.route("/nieuw", methods=["GET", "POST"])
@requires(Permission.EDIT_CLIENTS)
def create():
    form = ClientForm(creating=True)
    if not form.is_submitted():
        if len(form.allowed_gemeenten) == 1:
            form.gemeente_id.data = form.allowed_gemeenten[0].id
        if current_user.role == Role.KLANTMANAGER:
            form.klantmanager_id.data = current_user.id
    # The BSN is checked against all clients, also those outside the user's scope; the message names no one.
    if validate_submission(form, None, {"bsn": (Client.bsn, BSN_TAKEN)}):
        client = Client(bsn=form.bsn.data)
        _fill(client, form)
        client.assess(form.phase.data, form.ladder_rung.data, form.assessed_on.data, current_user.id)
        session.add(client)
        if commit_form(form, {"bsn": BSN_TAKEN}):
            flash(_("Cliënt %(name)s is opgeslagen.", name=client.display_name), "success")
            return redirect(url_for("clients.detail", client_id=client.id))
    return _render_form(form, None)


@bp.route("/<int:client_id>/bewerken", methods=["GET", "POST"])
@requires(Permission.EDIT_CLIENTS)
def edit(client_id: int):
    client = _scoped_client(client_id)
    form = ClientForm(obj=client)
    if not form.is_submitted():
        form.benefit_type.data = client.benefit_type.value
    if form.validate_on_submit():
        _fill(client, form)
        if commit_form(form):
            flash(_("Cliënt %(name)s is opgeslagen.", name=client.display_name), "success")
            return redirect(url_for("clients.detail", client_id=client.id))
    return _render_form(form, client)


@bp.route("/<int:client_id>/fase/nieuw", methods=["GET", "POST"])
@requires(Permission.EDIT_CLIENTS)
def phase_create(client_id: int):
    client = _scoped_client(client_id)
    form = PhaseForm()
    if form.validate_on_submit():
        is_current = client.assess(form.phase.data, form.ladder_rung.data, form.valid_from.data, current_user.id)
        if commit_form(form):
            if is_current:
                flash(_("De nieuwe fase is vastgelegd."), "success")
            else:
                flash(_("De fase is vastgelegd in de historie. Er is een recentere vaststelling, "
                        "dus de huidige fase is niet gewijzigd."), "info")
            return redirect(url_for("clients.detail", client_id=client.id))
    status = 200 if not form.errors else 422
    return render_template("clients/phase_form.html", form=form, client=client), status
