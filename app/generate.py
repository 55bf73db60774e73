"""Volume data: N trajecten with realistic histories over the demo's contracts, for measuring reports at scale.

``flask demo generate --trajecten 1000000`` adds trajecten to a database that already holds the demo
(gemeenten, providers, target groups, users and contracts with versions): each with a new client, a story of
events that follows the lifecycle rules, the facts and status the app keeps, and approved invoice lines for
what the payment models made owed. Why it is written the way it is:

* **Bulk and set-based.** Rows are written per batch (one transaction each) as plain tuples with the driver's
  ``executemany`` (SQLite) or ``COPY`` (PostgreSQL: measured 2.6 times faster than ``executemany`` there),
  never through the ORM, whose unit of work costs far more than the rows themselves at this size. On SQLite the
  generator's own connection runs with ``synchronous=OFF``, an in-memory journal, a large page cache and
  foreign-key checks off; on PostgreSQL, when it connects as a superuser, its batch transactions set
  ``session_replication_role = replica``, which skips the per-row foreign-key triggers (two thirds of the
  writing time). Every key is ours, and the tests run the same code on a connection that does check them.
  The settings are undone before the connection returns to the pool; nobody else's connection is affected.
* **In parallel.** Making the rows (stories, replay, facts, entitlements) costs more than writing them, so
  ``workers`` processes make batches while this one writes them in order. Batch ``i`` depends only on the
  seed, the batch size and ``i``, so the data are the same with any number of workers.
* **The same functions as the app.** Status comes from :func:`contracts.lifecycle.replay`, the kept facts
  from :func:`contracts.indicators.facts_of` with the durability of :func:`app.trajecten.services.terms_for`, the
  work list's actions from :func:`contracts.worklist.actions` with the same terms,
  the open-lot key from ``Contract.lot_key``, what is owed from :func:`contracts.engine.evaluate` and the budget's
  outlook from :func:`invoicing.budget.traject_cost` under the traject's own contract version (with the terms of
  :func:`app.trajecten.services.terms_for`), all over the very events written, so the kept columns are exactly what
  :mod:`app.projections` would have kept (the tests rebuild them through the app).
* **Events are recorded by the gemeente** (``by_provider`` false, recorded by the client's klantmanager), so
  outcomes count without an ``event_confirmation`` row: the fast choice, and for the facts the same as a
  provider's report that was confirmed.
* **No audit entries.** The audit trail is written by the ORM's after-flush hook; Core inserts bypass it.
  That is right here: generated rows are no one's business action, and a million audit entries would only
  measure the audit table.
* **Keys.** Clients, trajecten and invoices get ids from the current maximum of each table on (on PostgreSQL
  the sequences are moved past them at the end); events, phase records and invoice lines, which nothing here
  refers to, get theirs from the database. So generating on top of existing data never collides; run it while
  no one else writes. BSNs are nine-digit numbers counted upwards from 200000000 that pass the 11-test,
  skipping any already in the database; every traject gets a new client, so one open traject per client and
  lot holds.

Stories and proportions are the demo's (:data:`app.demo.STORIES`), played forward from the referral and cut
at today: waiting for an answer, refused, in preparation, started without result, placed in regular or
subsidised work, dropped out, returned, moved away, fallen back. Three things are added so that three years
of them look like three years: the client's phase tilts the odds (phase 1 is placed more often and drops out
less than phase 4) and each contract gets a fixed effect, so that the standardised comparison has something
to find; stories end (a referral nobody answered is withdrawn, a plan that never started is ended, work is
followed up for six months and then ended, a traject without result ends after a year); and placements get a
benefit exit and still-employed confirmations at three and six calendar months, so durability can be reached.

Referral dates are spread over the last three years, up to each contract's end (and, for a contract that is
no longer active, up to three months ago, as in the demo). That is a deliberate relaxation of "within the
contract's term": the demo's contracts began 11 to 20 months ago, so a referral dated before its contract's
start is paid under the contract's first version, as if the contract had run for three years. Without it
every report period would cover all rows, and the period filters would not be measured.

Invoices: one self-billing invoice per contract and month for the entitlements that fell due in that month,
up to the end of last month (last month's approved, the month before exported, older ones paid), with their
steps (four eyes: created and submitted by one finance user, checked by a second, approved by a third, and by
an admin too above the second-approver threshold) and the invoiced-entitlement register, so a later payment
run does not invoice them again. Contract-level bonus/malus and the ceilings are left out: with a million
trajecten on four contracts every volume ceiling would be exceeded hundredfold.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
from bisect import bisect
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import count
from types import SimpleNamespace

from dateutil.relativedelta import relativedelta
from sqlalchemy import Connection, Engine, bindparam, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, selectinload

from app import clock
from app.demo import FIRST_NAMES, GEMEENTEN, LAST_NAMES, STORIES, TARGET_GROUPS, benefit_for, phase_and_rung
from app.models.clients import BenefitType, Client, TargetGroup
from app.models.invoicing import Invoice
from app.models.procurement import Contract, ContractStatus
from app.models.registers import Gemeente
from app.models.users import Role, User, user_gemeente
from app.trajecten.services import terms_for
from contracts.dates import add_period
from contracts.engine import evaluate
from contracts.events import Event, EventType, ExitReason, WorkKind
from contracts.events import Traject as EngineTraject
from contracts.indicators import FACT_FIELDS, facts_of
from contracts.lifecycle import AFTER_END, CLOSING_EVENTS, replay
from contracts.model import PaymentModel
from contracts.worklist import Terms
from contracts.worklist import actions as worklist_actions
from invoicing import budget
from invoicing.status import InvoiceStatus, Step
from invoicing.totals import VatTreatment, totals

E = EventType
YEARS = 3
# Odds of the stories with a placement, and of drop-out and return, by the client's phase (1: near work).
PLACED_STORIES = frozenset({"regular", "subsidised", "fell_back"})
LOST_STORIES = frozenset({"dropout", "returned"})
PHASE_TILT = {1: (1.5, 0.7), 2: (1.15, 0.9), 3: (0.8, 1.2), 4: (0.45, 1.6)}
EMPLOYERS = ("Bakkerij De Linde", "Logistiek Oost", "Zorggroep Veld", "Gemeentewerf", "Supermarkt Centrum",
             "Schoonmaakbedrijf Glans", "Installatietechniek Noord", "Hotel De Beek")
MOTIVATION = "Gemotiveerd, wil snel aan het werk."

# Columns as written. Events, phase records and invoice lines get their ids from the database (nothing refers
# to them here), so parallel workers need not agree on them; clients, trajecten and invoices get ours.
CLIENT_COLUMNS = ("id", "bsn", "first_name", "last_name", "birth_date", "gemeente_id", "benefit_type",
                  "monthly_benefit", "target_group_id", "phase", "ladder_rung", "klantmanager_id", "created_at")
PHASE_COLUMNS = ("client_id", "phase", "ladder_rung", "valid_from", "recorded_by_id", "recorded_at")
TRAJECT_COLUMNS = ("id", "client_id", "contract_id", "contract_version_id", "provider_id", "gemeente_id",
                   "client_group", "price", "referral_date", "motivation", "status", "open_lot_key", "last_event_on",
                   "referred_by_id", "created_at", "phase_at_referral", *FACT_FIELDS, "approved_cost",
                   "cost_max_cents", "cost_owed_cents", "cost_owed_until", "cost_due_year")
ACTION_COLUMNS = ("traject_id", "kind", "due")
EVENT_COLUMNS = ("traject_id", "type", "event_date", "note", "reason", "exit_reason", "employer", "hours_per_week",
                 "work_kind", "contract_months", "open_ended", "wage", "by_provider", "recorded_by_id", "recorded_at")
INVOICE_COLUMNS = ("id", "number", "external_number", "source", "provider_id", "contract_id", "period_start",
                   "period_end", "issue_date", "due_date", "status", "credit_note", "vat_category", "vat_rate",
                   "vat_exemption_reason", "subtotal", "vat", "total", "rejection_reason", "paid_on", "export_id",
                   "created_at", "created_by_id", "version")
LINE_COLUMNS = ("invoice_id", "position", "traject_id", "gemeente_id", "entitlement_key", "rule", "description",
                "due_on", "amount", "decision", "decision_note")
REGISTER_COLUMNS = ("key", "invoice_id", "amount")
EXPORT_COLUMNS = ("id", "created_at", "created_by_id")
STEP_COLUMNS = ("id", "invoice_id", "step", "user_id", "at", "note")
OUR_IDS = ("client", "traject", "invoice", "invoice_export", "invoice_step")
DATABASE_IDS = ("client_phase_record", "traject_event", "invoice_line")


class GenerateError(RuntimeError):
    """The database cannot take generated trajecten (not migrated, or no demo contracts to refer to)."""


@dataclass
class Summary:
    trajecten: int = 0
    clients: int = 0
    events: int = 0
    invoices: int = 0
    invoice_lines: int = 0
    seconds: float = 0.0
    workers: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


# --- BSNs ------------------------------------------------------------------------------------------


def bsn_numbers(first_prefix: int = 2_000_000) -> Iterator[str]:
    """Nine-digit numbers that pass the 11-test, in increasing order from ``first_prefix`` (seven digits).

    9·d1 + 8·d2 + … + 2·d8 − d9 ≡ 0 (mod 11): for each prefix and eighth digit the ninth is that sum mod 11,
    a digit for at least nine of the ten eighth digits, so no number is tried and thrown away."""
    for prefix in count(first_prefix):
        digits = f"{prefix:07d}"
        base = sum(int(d) * w for d, w in zip(digits, range(9, 2, -1), strict=True))
        for eighth in range(10):
            ninth = (base + 2 * eighth) % 11
            if ninth < 10:
                yield f"{digits}{eighth}{ninth}"


# --- what the demo gives to refer to ---------------------------------------------------------------


@dataclass
class _Version:
    id: int
    effective_from: date
    model: PaymentModel
    terms: Terms  # the contract's, with the durability term terms_for chooses
    triggers: frozenset[EventType]  # events that reach a milestone: without one, nothing is owed


@dataclass
class _Contract:
    id: int
    provider_id: int
    lot_key: str
    first_day: date
    last_day: date
    versions: list[_Version]
    vat: VatTreatment
    vat_category: str
    vat_exemption_reason: str
    payment_term_days: int
    cum_weights: dict[int, list[float]] = field(default_factory=dict)  # per phase, over STORIES

    def version_on(self, day: date) -> _Version:
        """The version in force; before the first one, the first one (see the module's note on dates)."""
        current = [v for v in self.versions if v.effective_from <= day]
        return current[-1] if current else self.versions[0]


@dataclass
class _Plan:
    """Everything a worker needs to make its chunks; chunk ``i`` depends only on this and ``i``."""

    contracts: dict[int, _Contract]
    combos: list[tuple[int, int, int, str]]  # (contract, gemeente, target group id, target group code)
    combo_cum: list[float]
    managers: dict[int, list[int]]
    today: date
    cutoff: date  # invoiced up to and including this day (the end of last month)
    sqlite: bool
    seed: int
    total: int
    batch: int
    client_base: int
    traject_base: int


@dataclass
class _Chunk:
    """One batch of rows as written (events, phase records without ids), and the entitlements owed."""

    clients: list[tuple]
    phases: list[tuple]
    trajecten: list[tuple]
    events: list[tuple]
    owed: list[tuple]  # (contract id, month, traject id, gemeente id, key, rule, explanation, due_on, amount)
    by_status: dict[str, int]
    actions: list[tuple]  # (traject id, kind, due): what contracts.worklist.actions says each still needs


def _read_world(conn: Connection, today: date, seed: int) -> tuple[dict[int, _Contract], list, list[float],
                                                                   dict[int, list[int]], list[int], int | None,
                                                                   set[str]]:
    rng = random.Random(seed)  # noqa: S311 -- reproducible volume data, not security
    session = Session(bind=conn)
    try:
        contracts = session.scalars(select(Contract).where(Contract.status != ContractStatus.DRAFT)
                                    .options(selectinload(Contract.versions), selectinload(Contract.gemeenten),
                                             selectinload(Contract.lot)).order_by(Contract.id)).all()
        contracts = [c for c in contracts if c.versions and c.gemeenten]
        groups = session.scalars(select(TargetGroup).order_by(TargetGroup.id)).all()
        if not contracts or not groups:
            raise GenerateError("Geen contracten met versies en gemeenten, of geen doelgroepen: laad eerst de demo "
                                "(flask demo load).")
        window_start = today - relativedelta(years=YEARS)
        made: dict[int, _Contract] = {}
        for c in contracts:
            last = min(today, c.end_date)
            if c.status != ContractStatus.ACTIVE:  # no new referrals lately, as in the demo
                last = min(last, today - relativedelta(months=3))
            if last < window_start:
                continue
            versions = []
            for v in sorted(c.versions, key=lambda v: (v.effective_from, v.number)):
                model = PaymentModel.from_dict(v.payment_model)
                terms = terms_for(SimpleNamespace(contract=c, contract_version=v))
                versions.append(_Version(v.id, v.effective_from, model, terms,
                                         frozenset(m.event for m in model.milestones.values())))
            rate = Decimal("0") if c.vat_category == "E" else c.vat_rate
            entry = _Contract(c.id, c.provider_id, c.lot_key, window_start, last, versions,
                              VatTreatment(c.vat_category, rate, c.vat_exemption_reason), c.vat_category,
                              c.vat_exemption_reason, c.payment_term_days)
            effect = rng.uniform(0.75, 1.25)  # this contract's provider does better or worse than average
            for phase, (placed, lost) in PHASE_TILT.items():
                weights = [w * (placed * effect if name in PLACED_STORIES else lost if name in LOST_STORIES else 1)
                           for name, w in STORIES]
                entry.cum_weights[phase] = [sum(weights[:i + 1]) for i in range(len(weights))]
            made[c.id] = entry
        if not made:
            raise GenerateError("Geen contract neemt verwijzingen in de afgelopen drie jaar: laad eerst de demo.")

        # Who is referred where: gemeente and target group in the demo's proportions, over the contracts that
        # fit them (the contract's gemeenten, the lot's target group), shared equally between those contracts.
        gemeente_weight = {code: share for _name, code, share in GEMEENTEN}
        cbs = dict(session.execute(select(Gemeente.id, Gemeente.cbs_code)).all())
        group_weight = {code: share for code, _name, share in TARGET_GROUPS}
        fitting: dict[tuple[int, int], list[int]] = {}
        for c in contracts:
            if c.id in made:
                for g in c.gemeenten:
                    for tg in groups:
                        if c.lot is None or c.lot.target_group_id in (None, tg.id):
                            fitting.setdefault((g.id, tg.id), []).append(c.id)
        combos, cum, running = [], [], 0.0
        for (gemeente_id, group_id), ids in sorted(fitting.items()):
            code = next(tg.code for tg in groups if tg.id == group_id)
            for contract_id in ids:
                running += gemeente_weight.get(cbs[gemeente_id], 0.1) * group_weight.get(code, 0.05) / len(ids)
                combos.append((contract_id, gemeente_id, group_id, code))
                cum.append(running)

        managers: dict[int, list[int]] = {}
        for user_id, gemeente_id in session.execute(
                select(user_gemeente.c.user_id, user_gemeente.c.gemeente_id)
                .join(User, User.id == user_gemeente.c.user_id)
                .where(User.role == Role.KLANTMANAGER, User.active.is_(True)).order_by(user_gemeente.c.user_id)):
            managers.setdefault(gemeente_id, []).append(user_id)
        finance = list(session.scalars(select(User.id).where(User.role == Role.FINANCE).order_by(User.id)))
        admin = session.scalar(select(User.id).where(User.role == Role.ADMIN).order_by(User.id).limit(1))
        bsns = set(session.scalars(select(Client.bsn)))
    finally:
        session.close()
    return made, combos, cum, managers, finance, admin, bsns


# --- stories ---------------------------------------------------------------------------------------


def _story(rng: random.Random, name: str, referral: date) -> list[tuple[int, EventType, dict]]:
    """(days after referral, type, fields) for one story, in order: the demo's stories, ended as they end."""
    rand = rng.random

    def between(low: int, high: int) -> int:
        return low + int(rand() * (high - low + 1))

    def months_after(day: int, months: int) -> int:
        return (add_period(referral + timedelta(days=day), months=months) - referral).days

    answer = between(2, 9)
    if name == "waiting":
        withdrawn = "Verwijzing ingetrokken: geen reactie van de aanbieder"
        return [(answer + between(35, 60), E.ENDED, {"reason": withdrawn})]
    if name == "refused":
        return [(answer, E.REFUSED, {"reason": rng.choice(("Geen passend aanbod voor deze cliënt", "Geen capaciteit",
                                                          "Cliënt niet belastbaar"))})]
    steps = [(answer, E.ACCEPTED, {}), (answer + 7, E.INTAKE, {}), (answer + 14, E.PLAN_SUBMITTED, {})]
    if name == "preparing":
        steps.append((answer + between(60, 120), E.ENDED, {"reason": "Geen trajectplan tot stand gekomen"}))
        return steps
    start = answer + between(18, 28)
    steps += [(answer + 16, E.PLAN_APPROVED, {}), (start, E.STARTED, {})]
    steps += [(start + 90 * q, E.PROGRESS_REPORT, {}) for q in range(1, 5)]
    placed = start + between(30, 120)
    if name in PLACED_STORIES:
        kind = WorkKind.SUBSIDISED if name == "subsidised" else WorkKind.REGULAR
        steps.append((placed, E.PLACEMENT, {"employer": rng.choice(EMPLOYERS), "work_kind": kind,
                                            "hours_per_week": Decimal(rng.choice((20, 24, 32, 36))),
                                            "contract_months": rng.choice((6, 12)),
                                            "wage": Decimal(between(2100, 2900))}))
        if rand() < (0.5 if kind == WorkKind.SUBSIDISED else 0.8):
            steps.append((placed + between(0, 30), E.BENEFIT_EXIT, {"exit_reason": ExitReason.WORK}))
        three = months_after(placed, 3) + between(0, 14)
        steps.append((three, E.STILL_EMPLOYED, {}))
        if name == "fell_back":
            lost = three + between(7, 50)
            steps += [(lost, E.PLACEMENT_ENDED, {"reason": "Proeftijd niet doorstaan"}), (lost + 10, E.FALL_BACK, {}),
                      (lost + between(14, 30), E.ENDED, {"reason": "Cliënt terug in de uitkering"})]
        else:
            six = months_after(placed, 6)
            steps += [(six + between(0, 14), E.STILL_EMPLOYED, {}),
                      (six + between(15, 45), E.ENDED, {"reason": "Nazorg afgerond"})]
    elif name == "dropout":
        steps.append((placed, E.DROPOUT, {"reason": rng.choice(("Langdurig ziek", "Zorgtaken", "Geen motivatie"))}))
    elif name == "returned":
        steps.append((start + 20, E.RETURNED, {"reason": "Eerst schuldhulpverlening nodig"}))
    elif name == "moved":
        steps += [(placed, E.BENEFIT_EXIT, {"exit_reason": ExitReason.MOVED_AWAY}),
                  (placed + 3, E.ENDED, {"reason": "Cliënt verhuisd naar een andere gemeente"})]
    else:  # no_result
        steps.append((start + 365 + between(0, 30), E.ENDED, {"reason": "Maximale duur zonder resultaat"}))
    closed = min((day for day, kind, _f in steps if kind in CLOSING_EVENTS), default=None)
    return sorted((step for step in steps if closed is None or step[0] <= closed or step[1] in AFTER_END),
                  key=lambda step: step[0])


def _storage(sqlite: bool) -> tuple[Callable, Callable, Callable]:
    """How a date, a moment (a day at an hour) and an amount are written: as SQLAlchemy stores them on SQLite
    (ISO text, and floats since the driver takes no Decimal), natively on PostgreSQL."""
    if sqlite:
        return ((lambda d: None if d is None else d.isoformat()),
                (lambda d, hour: f"{d.isoformat()} {hour:02d}:00:00.000000"),
                (lambda x: None if x is None else float(x)))
    return (lambda d: d), (lambda d, hour: datetime(d.year, d.month, d.day, hour)), (lambda x: x)


_PLAN: _Plan | None = None


def _set_plan(plan: _Plan) -> None:
    global _PLAN
    _PLAN = plan


def _chunk(index: int) -> _Chunk:
    """Rows for trajecten ``index × batch`` up to the next batch: the same for the same plan and index,
    whichever process makes it."""
    plan = _PLAN
    rng = random.Random(plan.seed * 1_000_003 + index)  # noqa: S311 -- reproducible volume data
    rand = rng.random
    day, at, amount = _storage(plan.sqlite)
    first = index * plan.batch
    size = min(plan.batch, plan.total - first)
    names = [name for name, _w in STORIES]
    combos, combo_cum = plan.combos, plan.combo_cum
    total_weight = combo_cum[-1]
    today, cutoff = plan.today, plan.cutoff
    clients, phases, trajecten, events, owed, actions = [], [], [], [], [], []
    by_status: dict[str, int] = {}
    for n in range(first, first + size):
        contract_id, gemeente_id, group_id, group = combos[bisect(combo_cum, rand() * total_weight)]
        contract = plan.contracts[contract_id]
        span = (contract.last_day - contract.first_day).days + 1
        referral = contract.first_day + timedelta(days=int(rand() * span))
        version = contract.version_on(referral)
        phase, rung = phase_and_rung(rng)
        if group == "jongeren":
            age = rng.randint(18, 26)
        elif group == "55plus":
            age = rng.randint(55, 66)
        else:
            age = rng.randint(27, 54)
        benefit, monthly = benefit_for(rng, age)
        managers = plan.managers.get(gemeente_id)
        manager = rng.choice(managers) if managers else None
        client_id, traject_id = plan.client_base + n, plan.traject_base + n
        clients.append((client_id, None, rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES),
                        day(referral - timedelta(days=age * 365 + int(rand() * 365))), gemeente_id, benefit.value,
                        amount(monthly), group_id, phase, rung, manager, at(referral, 9)))
        assessed = referral - timedelta(days=14 + int(rand() * 187))
        phases.append((client_id, phase, rung, day(assessed), manager, at(assessed, 11)))

        cum = contract.cum_weights[phase]
        history = []
        for days, kind, fields in _story(rng, names[bisect(cum, rand() * cum[-1])], referral):
            on = referral + timedelta(days=days)
            if on > today:
                break
            if kind == E.BENEFIT_EXIT and benefit == BenefitType.NONE:
                continue  # the lifecycle refuses an exit from a benefit the client does not have
            exit_reason, work_kind = fields.get("exit_reason"), fields.get("work_kind")
            hours, months = fields.get("hours_per_week"), fields.get("contract_months")
            reason = fields.get("reason", "")
            history.append(Event(id=str(len(history) + 1), type=kind, date=on, kind=work_kind, hours_per_week=hours,
                                 contract_months=months,
                                 reason=exit_reason.value if exit_reason is not None else (reason or None)))
            events.append((traject_id, kind.value, day(on), "", reason,
                           exit_reason.value if exit_reason is not None else None, fields.get("employer", ""),
                           amount(hours), work_kind.value if work_kind is not None else None, months, False,
                           amount(fields.get("wage")), False, manager, at(on, 10)))
        lifecycle = replay(referral, history)
        facts = facts_of(history, version.terms.durability_months)
        actions.extend((traject_id, a.kind.value, day(a.due)) for a in worklist_actions(lifecycle, version.terms))
        status = lifecycle.status.value
        by_status[status] = by_status.get(status, 0) + 1
        price = version.model.price_for(group, None)
        # Every generated invoice is approved, exported or paid, so the traject's approved cost is all it earned.
        cost = Decimal("0.00")
        engine = EngineTraject(str(traject_id), referral, tuple(history), group, price)
        due = budget.due_on(referral, facts.started_on, facts.placed_on, version.terms.durability_months,
                            version.terms.max_duration_months)
        outlook = budget.traject_cost(version.model, engine, today, due)
        if history and history[0].date <= cutoff and any(e.type in version.triggers for e in history):
            result = evaluate(version.model, engine, cutoff)
            for e in result.entitlements:
                if e.amount:
                    cost += e.amount
                    owed.append((contract_id, e.due_on.replace(day=1), traject_id, gemeente_id,
                                 f"t{traject_id}:{e.key}", e.rule, e.explanation, day(e.due_on), e.amount))
        trajecten.append((traject_id, client_id, contract_id, version.id, contract.provider_id, gemeente_id, group,
                          amount(price), day(referral), MOTIVATION if rand() < 0.5 else "", status,
                          contract.lot_key if lifecycle.is_open else None, day(lifecycle.last_event_on or referral),
                          manager, at(referral, 9), phase, day(facts.accepted_on), day(facts.refused_on),
                          day(facts.started_on), day(facts.placed_on), facts.placement_kind, day(facts.durable_on),
                          day(facts.exited_on), facts.exit_reason, day(facts.dropped_out_on), day(facts.returned_on),
                          day(facts.ended_on), day(facts.fell_back_on), amount(cost), outlook.most, outlook.owed,
                          day(outlook.owed_until), outlook.due_year))
    return _Chunk(clients, phases, trajecten, events, owed, by_status, actions)


# --- writing ---------------------------------------------------------------------------------------


class _Writer:
    """Plain rows into one table: ``executemany`` on SQLite, ``COPY`` (or ``executemany``) on PostgreSQL."""

    def __init__(self, conn: Connection, copy: bool):
        self.conn = conn
        self.copy = copy and conn.dialect.name == "postgresql"
        self.mark = "?" if conn.dialect.name == "sqlite" else "%s"
        self.quote = conn.dialect.identifier_preparer.quote

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        names = ", ".join(self.quote(c) for c in columns)
        if self.copy:
            with self.conn.connection.driver_connection.cursor() as cursor, \
                    cursor.copy(f"COPY {self.quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join([self.mark] * len(columns))
        self.conn.exec_driver_sql(f"INSERT INTO {self.quote(table)} ({names}) VALUES ({marks})", rows)  # noqa: S608


class _transaction:
    """A transaction on a connection of our own, a savepoint inside the caller's."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def __enter__(self):
        self.tx = self.conn.begin_nested() if self.conn.in_transaction() else self.conn.begin()
        return self.tx

    def __exit__(self, kind, _value, _traceback):
        if kind is None:
            self.tx.commit()
        else:
            self.tx.rollback()
        return False


def _tune(conn: Connection) -> Callable[[], None] | None:
    """Bulk-load settings for this SQLite connection only (set outside any transaction), and their undoing."""
    if conn.dialect.name != "sqlite":
        return None
    raw = conn.connection.driver_connection
    before = {name: raw.execute(f"PRAGMA {name}").fetchone()[0]
              for name in ("synchronous", "journal_mode", "cache_size", "foreign_keys")}
    for setting in ("synchronous=OFF", "journal_mode=MEMORY", "cache_size=-400000", "foreign_keys=OFF"):
        raw.execute(f"PRAGMA {setting}")

    def restore() -> None:
        if conn.in_transaction():
            conn.rollback()
        for name, value in before.items():
            raw.execute(f"PRAGMA {name}={value}")

    return restore


def _chunks(plan: _Plan, workers: int) -> Iterator[_Chunk]:
    """The chunks in order, made here or by ``workers`` processes (a few chunks ahead of the writer)."""
    chunks = range((plan.total + plan.batch - 1) // plan.batch)
    if workers <= 1:
        _set_plan(plan)
        for index in chunks:
            yield _chunk(index)
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with multiprocessing.get_context(method).Pool(workers, initializer=_set_plan, initargs=(plan,)) as pool:
        waiting: deque = deque()
        upcoming = iter(chunks)
        for index in upcoming:
            waiting.append(pool.apply_async(_chunk, (index,)))
            if len(waiting) >= 2 * workers:
                break
        while waiting:
            made = waiting.popleft().get()
            for index in upcoming:
                waiting.append(pool.apply_async(_chunk, (index,)))
                break
            yield made


def default_workers() -> int:
    """Processes that make rows while this one writes: the cores there are, at most four (the writer is the
    limit beyond that)."""
    return max(1, min(4, os.cpu_count() or 1))


def generate(bind: Engine | Connection, trajecten: int, seed: int = 2026, batch: int = 20_000,
             today: date | None = None, progress: Callable[[int, int, float], None] | None = None,
             workers: int = 1, copy: bool = True, second_approver_above: Decimal = Decimal("25000.00")) -> Summary:
    """Add ``trajecten`` generated trajecten (with clients, events and invoices) in batches of ``batch``.

    ``bind`` is an Engine (each batch its own transaction, on one connection) or a Connection already in a
    transaction (each batch a savepoint, as in the tests). With ``workers`` > 1 that many processes make the
    rows while this one writes them; the data are the same either way (same seed, batch and database).
    ``progress(done, total, seconds)`` is called after every batch. Raises :class:`GenerateError` when the
    database has no demo to build on."""
    if trajecten < 0 or batch < 1:
        raise ValueError("trajecten >= 0 and batch >= 1")
    today = today or clock.today()
    began = time.perf_counter()
    owned = isinstance(bind, Engine)
    conn = bind.connect() if owned else bind
    restore = _tune(conn) if owned else None
    try:
        try:
            with _transaction(conn):
                contracts, combos, cum, managers, finance, admin, bsns = _read_world(conn, today, seed)
                next_id = {t: conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {t}").scalar() + 1  # noqa: S608
                           for t in OUR_IDS}
                # PostgreSQL checks foreign keys with a trigger per row: two thirds of the writing time here. A
                # superuser's own connection skips them in its own transactions, as the SQLite one does (_tune).
                replica = owned and conn.dialect.name == "postgresql" and conn.exec_driver_sql(
                    "SELECT current_setting('is_superuser')").scalar() == "on"
        except DBAPIError as error:
            raise GenerateError("De database is niet gemigreerd of onleesbaar: voer eerst flask db upgrade en "
                                f"flask demo load uit ({error.orig}).") from None
        plan = _Plan(contracts, combos, cum, managers, today, today.replace(day=1) - timedelta(days=1),
                     conn.dialect.name == "sqlite", seed, trajecten, batch, next_id["client"], next_id["traject"])
        run = _Run(conn, plan, next_id, bsns, finance, admin, copy)
        run.replica = replica
        run.summary.workers = workers
        done = 0
        for chunk in _chunks(plan, workers):
            with _transaction(conn):
                run.write(chunk)
            done += len(chunk.trajecten)
            if progress is not None:
                progress(done, trajecten, time.perf_counter() - began)
        with _transaction(conn):
            run.finish(second_approver_above)
            # Without fresh statistics the planner guesses: on a SQLite database grown from the demo to 100,000
            # trajecten the budget page's invoice sum walked the invoices instead of its covering index (160 ms
            # instead of 22). Both databases take ANALYZE inside a transaction.
            conn.exec_driver_sql("ANALYZE")
        run.summary.seconds = time.perf_counter() - began
        return run.summary
    finally:
        if restore is not None:
            restore()
        if owned:
            conn.close()


@dataclass
class _Invoice:
    id: int
    contract: _Contract
    month: date
    status: InvoiceStatus
    issue_date: date
    export_id: int | None
    amounts: list[Decimal] = field(default_factory=list)


def _month_end(month: date) -> date:
    return month + relativedelta(months=1) - timedelta(days=1)


class _Run:
    """The writing side: BSNs, invoices (one per contract and month) and their lines, per chunk."""

    def __init__(self, conn: Connection, plan: _Plan, next_id: dict[str, int], existing_bsns: set[str],
                 finance: list[int], admin: int | None, copy: bool):
        self.conn, self.plan, self.ids, self.finance, self.admin = conn, plan, next_id, finance, admin
        self.writer = _Writer(conn, copy)
        self.summary = Summary()
        self.bsns = (b for b in bsn_numbers() if b not in existing_bsns)
        self.invoices: dict[tuple[int, date], _Invoice] = {}
        self.exports: dict[date, int] = {}
        self.replica = False

    def _id(self, table: str) -> int:
        value = self.ids[table]
        self.ids[table] = value + 1
        return value

    def write(self, chunk: _Chunk) -> None:
        if self.replica:
            self.conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        day, at, amount = _storage(self.plan.sqlite)
        bsns = self.bsns
        clients = [(row[0], next(bsns), *row[2:]) for row in chunk.clients]
        new_invoices, new_exports, lines, register = [], [], [], []
        for contract_id, month, traject_id, gemeente_id, key, rule, explanation, due_on, value in chunk.owed:
            invoice = self.invoices.get((contract_id, month))
            if invoice is None:
                invoice = self._invoice(self.plan.contracts[contract_id], month, new_exports)
                new_invoices.append(invoice)
            invoice.amounts.append(value)
            lines.append((invoice.id, len(invoice.amounts), traject_id, gemeente_id, key, rule, explanation, due_on,
                          amount(value), "accept", ""))
            register.append((key, invoice.id, amount(value)))
        creator = self.finance[0] if self.finance else None
        w = self.writer
        w.insert("invoice_export", EXPORT_COLUMNS, [(export_id, at(issued + timedelta(days=20), 14), creator)
                                                    for export_id, issued in new_exports])
        zero = amount(Decimal("0.00"))
        w.insert("invoice", INVOICE_COLUMNS, [
            (i.id, f"F{i.issue_date.year}-{i.id:06d}", "", "self_billing", i.contract.provider_id, i.contract.id,
             day(i.month), day(_month_end(i.month)), day(i.issue_date),
             day(i.issue_date + timedelta(days=i.contract.payment_term_days)), i.status.value, False,
             i.contract.vat_category, amount(i.contract.vat.rate), i.contract.vat_exemption_reason, zero, zero, zero,
             "", day(i.issue_date + timedelta(days=25)) if i.status == InvoiceStatus.PAID else None, i.export_id,
             at(i.issue_date, 8), creator, 1) for i in new_invoices])
        w.insert("client", CLIENT_COLUMNS, clients)
        w.insert("client_phase_record", PHASE_COLUMNS, chunk.phases)
        w.insert("traject", TRAJECT_COLUMNS, chunk.trajecten)
        w.insert("traject_event", EVENT_COLUMNS, chunk.events)
        w.insert("traject_action", ACTION_COLUMNS, chunk.actions)
        w.insert("invoice_line", LINE_COLUMNS, lines)
        w.insert("invoiced_entitlement", REGISTER_COLUMNS, register)
        s = self.summary
        s.trajecten += len(chunk.trajecten)
        s.clients += len(clients)
        s.events += len(chunk.events)
        s.invoice_lines += len(lines)
        for status, n in chunk.by_status.items():
            s.by_status[status] = s.by_status.get(status, 0) + n

    def _invoice(self, contract: _Contract, month: date, new_exports: list) -> _Invoice:
        cutoff = self.plan.cutoff
        age = (cutoff.year - month.year) * 12 + cutoff.month - month.month
        status = InvoiceStatus.APPROVED if age == 0 else InvoiceStatus.EXPORTED if age == 1 else InvoiceStatus.PAID
        issued = _month_end(month) + timedelta(days=1)
        export_id = None
        if status != InvoiceStatus.APPROVED:
            export_id = self.exports.get(month)
            if export_id is None:
                export_id = self.exports[month] = self._id("invoice_export")
                new_exports.append((export_id, issued))
        invoice = self.invoices[(contract.id, month)] = _Invoice(self._id("invoice"), contract, month, status, issued,
                                                                 export_id)
        return invoice

    def finish(self, second_approver_above: Decimal) -> None:
        """Invoice totals and four-eyes steps, and (PostgreSQL) the id sequences moved past what was written."""
        _day, at, _amount = _storage(self.plan.sqlite)
        finance, admin = self.finance, self.admin
        steps, figures = [], []
        for invoice in self.invoices.values():
            sums = totals(invoice.amounts, invoice.contract.vat)
            figures.append({"b_id": invoice.id, "subtotal": sums.subtotal, "vat": sums.vat, "total": sums.total})
            if len(finance) < 3:
                continue  # not enough people for four eyes: the status stands without its steps
            taken = [(Step.SUBMIT, finance[0], 2), (Step.CHECK, finance[1], 5), (Step.APPROVE, finance[2], 10)]
            if sums.total > second_approver_above and admin is not None:
                taken.append((Step.APPROVE, admin, 11))
            if invoice.status != InvoiceStatus.APPROVED:
                taken.append((Step.EXPORT, finance[0], 20))
            if invoice.status == InvoiceStatus.PAID:
                taken.append((Step.PAY, finance[0], 25))
            steps += [(self._id("invoice_step"), invoice.id, step.value, user,
                       at(invoice.issue_date + timedelta(days=days), 12), "") for step, user, days in taken]
        if figures:
            table = Invoice.__table__
            self.conn.execute(update(table).where(table.c.id == bindparam("b_id")), figures)
        self.writer.insert("invoice_step", STEP_COLUMNS, steps)
        self.summary.invoices = len(self.invoices)
        if self.conn.dialect.name == "postgresql":
            for table in OUR_IDS:
                self.conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                                          f"(SELECT coalesce(max(id), 1) FROM {table}))")
