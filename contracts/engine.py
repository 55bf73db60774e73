"""The entitlement engine: from a payment model and a traject's events, what is owed, when and why.

Everything here is a pure function of (model, traject, as-of date):

* events dated after the as-of date are not known yet, so a later as-of only ever adds;
* events are put in one canonical order first, so the order they were given in does not matter;
* a correction never rewrites history: what was owed before it stays in the output, and the
  correction adds a clawback that voids it (and, where the corrected facts earn something else,
  that new entitlement, due from the correction's date on).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from contracts.dates import describe_period, period_from_spec
from contracts.durability import confirmed_on_or_after, lasted
from contracts.events import Event, EventType, Traject
from contracts.model import Milestone, PaymentModel, Rule, Step
from contracts.money import ZERO, format_eur, to_cents

EXIT_BREAKS = frozenset({EventType.FALL_BACK})
BREAK_LABELS = {
    EventType.PLACEMENT_ENDED: "einde van de plaatsing",
    EventType.FALL_BACK: "terugval in de uitkering",
    EventType.DROPOUT: "uitval",
    EventType.RETURNED: "terugverwijzing",
}


@dataclass(frozen=True, slots=True)
class Entitlement:
    """One thing owed (or, when negative, recovered), with the rule and the facts behind it.

    ``key`` is stable: the same traject, rule and milestone always give the same key, so invoicing can
    make sure each entitlement is paid once. ``voids`` names the entitlement a clawback cancels.
    ``flag`` says why an amount was capped or is not owed (``traject_ceiling``, ``volume_limit``,
    ``budget_limit``); ``computed`` is then what the rule alone would have given.
    """

    key: str
    traject_id: str
    rule: str
    due_on: date
    amount: Decimal
    explanation: str
    basis: tuple[str, ...] = ()
    voids: str | None = None
    flag: str | None = None
    computed: Decimal | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key, "traject": self.traject_id, "rule": self.rule, "due_on": self.due_on.isoformat(),
            "amount": str(self.amount), "explanation": self.explanation, "basis": list(self.basis),
            "voids": self.voids, "flag": self.flag,
            "computed": str(self.computed) if self.computed is not None else None,
        }


@dataclass(frozen=True, slots=True)
class Reached:
    on: date
    event: Event
    basis: tuple[str, ...]


@dataclass
class TrajectResult:
    """A traject's entitlements, the milestones it reached (and when) and the kinds of event it had,
    all as known on the as-of date and after corrections."""

    traject: Traject
    entitlements: list[Entitlement]
    milestones: dict[str, date] = field(default_factory=dict)
    happened: frozenset[EventType] = frozenset()

    @property
    def total(self) -> Decimal:
        return sum((e.amount for e in self.entitlements), ZERO)


# --- facts ----------------------------------------------------------------------------------------


class _Facts:
    """The known, unrevoked events of one traject, indexed for the questions rules ask."""

    __slots__ = ("_memo", "as_of", "by_type", "events", "traject")

    def __init__(self, traject: Traject, events: list[Event], as_of: date):
        self.traject = traject
        self.events = events
        self.as_of = as_of
        self.by_type: dict[EventType, list[Event]] = {}
        for event in events:
            self.by_type.setdefault(event.type, []).append(event)
        self._memo: dict[str, Reached | None] = {}

    def first(self, event_type: EventType) -> Event | None:
        found = self.by_type.get(event_type)
        return found[0] if found else None

    def first_break(self, kinds: frozenset[EventType], on_or_after: date, before: date | None = None) -> Event | None:
        candidates = [e for t in kinds for e in self.by_type.get(t, ()) if e.date >= on_or_after]
        if before is not None:
            candidates = [e for e in candidates if e.date < before]
        return min(candidates, key=lambda e: e.sort_key) if candidates else None

    def reach(self, milestone: Milestone) -> Reached | None:
        if milestone.name not in self._memo:
            self._memo[milestone.name] = self._reach(milestone)
        return self._memo[milestone.name]

    def _qualifies(self, m: Milestone, e: Event) -> bool:
        if m.kinds is not None and e.kind not in m.kinds:
            return False
        if m.min_hours_per_week is not None and (e.hours_per_week is None or e.hours_per_week < m.min_hours_per_week):
            return False
        months = e.contract_months
        too_short = months is None or months < (m.min_contract_months or 0)
        if m.min_contract_months is not None and not e.open_ended and too_short:
            return False
        return m.reasons is None or e.reason in m.reasons

    def reach_again(self, milestone: Milestone, after: Event) -> Reached | None:
        """The milestone reached anew by an event that comes after ``after`` (the break that voided the last
        reach) in the canonical order: a result that was clawed back can be earned again by a later one."""
        return self._reach(milestone, after)

    def _reach(self, m: Milestone, after: Event | None = None) -> Reached | None:
        best: Reached | None = None
        for event in self.by_type.get(m.event, ()):
            if after is not None and event.sort_key <= after.sort_key:
                continue
            if not self._qualifies(m, event):
                continue
            if m.lasting_months is None:
                return Reached(event.date, event, (event.id,))
            if m.event == EventType.PLACEMENT:
                # Durability is one rule, shared with the reports: a confirmation of this same placement.
                confirmation = lasted(self.events, event, m.lasting_months)
                if confirmation is None:
                    continue
                reached = Reached(confirmation.date, event, (event.id, confirmation.id))
            else:
                window_end = period_from_spec(event.date, {"months": m.lasting_months})
                if self.first_break(EXIT_BREAKS, event.date, window_end) is not None or window_end > self.as_of:
                    continue
                reached = Reached(window_end, event, (event.id,))
            if best is None or reached.on < best.on:
                best = reached
        return best


# --- rules ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Pending:
    """A positive entitlement before the traject ceiling, and the clawback it may get."""

    key: str
    rule: str
    due_on: date
    amount: Decimal
    explanation: str
    basis: tuple[str, ...]
    clawback_on: date | None = None
    clawback_reason: str = ""
    clawback_basis: tuple[str, ...] = ()
    after_clawbacks: bool = False  # a top-up on a clawback's day is counted after that clawback


def _break_of(rule: Rule, facts: _Facts, reached: Reached, due_on: date) -> Event | None:
    """The event that voids what ``reached`` earned under the rule's clawback clause, if any."""
    if rule.clawback is None or reached.event.type not in (EventType.PLACEMENT, EventType.BENEFIT_EXIT):
        return None
    window_end = period_from_spec(reached.event.date, rule.clawback.within)
    return facts.first_break(rule.clawback.on, due_on, window_end)


def _void(pending: _Pending, rule: Rule, reached: Reached, brk: Event) -> None:
    assert rule.clawback is not None, "only a rule with a clawback clause has a break that voids"
    pending.clawback_on = brk.date
    pending.clawback_basis = (brk.id,)
    pending.clawback_reason = (
        f"{BREAK_LABELS[brk.type]} op {brk.date.isoformat()}, binnen "
        f"{describe_period(rule.clawback.within)} na {reached.event.date.isoformat()}"
    )


def _clawback(rule: Rule, facts: _Facts, reached: Reached, pending: _Pending) -> None:
    brk = _break_of(rule, facts, reached, pending.due_on)
    if brk is not None:
        _void(pending, rule, reached, brk)


def _pro_rata(rule: Rule, event: Event, amount: Decimal) -> tuple[Decimal, str]:
    if rule.pro_rata_base_hours is None:
        return amount, ""
    hours = event.hours_per_week or Decimal(0)
    if hours >= rule.pro_rata_base_hours:
        return amount, ""
    return amount * hours / rule.pro_rata_base_hours, f" × {hours}/{rule.pro_rata_base_hours} uur"


def _fee(model: PaymentModel, rule: Rule, facts: _Facts, price: Decimal | None) -> list[_Pending]:
    assert rule.milestone is not None and rule.amount is not None, "the schema requires both of a fee"
    reached = facts.reach(model.milestones[rule.milestone])
    if reached is None:
        return []
    amount_spec, note = rule.amount, ""
    if rule.tempo_bands:
        # Only a start on or before the placement counts, so that a later event cannot change this fee.
        started = facts.first(EventType.STARTED)
        use_start = rule.tempo_from == "started" and started is not None and started.date <= reached.event.date
        origin = started.date if use_start and started is not None else facts.traject.referral_date
        days = (reached.event.date - origin).days
        band = next((b for b in rule.tempo_bands if days <= b.max_days), None)
        if band is not None:
            amount_spec = band.amount
            note = f" (tempo: {days} dagen, binnen {band.max_days})"
        else:
            note = f" (tempo: {days} dagen, buiten de tempobanden)"
    due_on = reached.on
    if rule.unless_within is not None:
        due_on = period_from_spec(reached.on, rule.unless_within)
        if due_on > facts.as_of:
            return []
        for name in rule.unless_milestones:
            result = facts.reach(model.milestones[name])
            if result is not None and result.on <= due_on:
                return []
        unless = " of ".join(model.milestones[name].description for name in rule.unless_milestones)
        note += f"; geen {unless} binnen {describe_period(rule.unless_within)}"
    value, factor = _pro_rata(rule, reached.event, amount_spec.value(price))
    pending = _Pending(
        key=rule.id, rule=rule.id, due_on=due_on, amount=to_cents(value),
        explanation=f"{amount_spec.describe(price)}{factor}: {rule.label}{note}", basis=reached.basis,
    )
    _clawback(rule, facts, reached, pending)
    return [pending]


def _tiers(model: PaymentModel, rule: Rule, facts: _Facts, price: Decimal | None) -> list[_Pending]:
    """Alternatives: the highest tier standing is paid, with what was paid before counted against it.

    Tiers are walked in time. Reaching a tier pays the difference up to its value; a clawback voids a
    tier's payments, after which the provider is topped up to the best tier that still stands (a
    result that is later voided never leaves the provider below what a lower result earned).
    """
    moments: list[tuple[date, int, int, Step, Reached, Event | None]] = []
    for order, step in enumerate(rule.steps):
        milestone = model.milestones[step.milestone]
        result = facts.reach(milestone)
        voided_by: Event | None = None
        while result is not None:
            brk = _break_of(rule, facts, result, result.on)
            if brk is not None and voided_by is not None and brk.sort_key <= voided_by.sort_key:
                brk = None  # a break before this new reach cannot void it
            moments.append((result.on, 0, order, step, result, brk))
            if brk is None:
                break
            moments.append((brk.date, 1, order, step, result, brk))
            voided_by = brk
            # Only an event after both the break and the voided result can reach it anew.
            result = facts.reach_again(milestone, max(brk, result.event, key=lambda e: e.sort_key))
    moments.sort(key=lambda m: (m[0], m[1], m[2]))
    out: list[_Pending] = []
    earned: dict[str, list[_Pending]] = {}
    standing: dict[str, tuple[Decimal, Step]] = {}

    def paid() -> Decimal:
        return sum((p.amount for p in out if p.clawback_on is None), ZERO)

    for index, (day, voided, _, step, result, brk) in enumerate(moments):
        if not voided:
            value = to_cents(step.amount.value(price))
            standing[step.milestone] = (value, step)
            already = paid()
            if value <= already:
                continue
            earlier = f", waarvan {format_eur(already)} al eerder voor een lagere trede" if already else ""
            again = step.milestone in earned  # reached anew after a clawback: an entitlement of its own
            key = f"{rule.id}/{step.milestone}" + (f"/opnieuw/{day.isoformat()}" if again else "")
            pending = _Pending(
                key=key, rule=rule.id, due_on=day, amount=value - already,
                explanation=f"{step.amount.describe(price)}: {step.label} ({rule.label}{earlier})", basis=result.basis,
            )
            out.append(pending)
            earned.setdefault(step.milestone, []).append(pending)
            continue
        assert brk is not None, "a voiding moment is only added for a break"
        standing.pop(step.milestone, None)
        for pending in earned.get(step.milestone, ()):
            if pending.clawback_on is None:
                _void(pending, rule, result, brk)
        following = moments[index + 1] if index + 1 < len(moments) else None
        if not standing or (following is not None and following[:2] == (day, 1)):
            continue  # top up once, after every clawback of the day
        best_milestone, (best, best_step) = max(standing.items(), key=lambda item: item[1][0])
        already = paid()
        if best > already:
            top_up = _Pending(
                key=f"{rule.id}/{best_milestone}/aanvulling/{day.isoformat()}", rule=rule.id, due_on=day,
                amount=best - already, basis=(brk.id,), after_clawbacks=True,
                explanation=(f"{best_step.amount.describe(price)}: {best_step.label} ({rule.label}; aanvulling "
                             f"na terugvordering, waarvan {format_eur(already)} blijft staan)"),
            )
            out.append(top_up)
            earned.setdefault(best_milestone, []).append(top_up)
    return out


def _tranches(model: PaymentModel, rule: Rule, facts: _Facts, price: Decimal | None) -> list[_Pending]:
    out = []
    due: dict[str, date] = {}
    previous: Step | None = None
    for step in rule.steps:
        predecessor = step.after or (previous.id if previous else None)
        previous = step
        result = facts.reach(model.milestones[step.milestone])
        if result is None or (predecessor is not None and predecessor not in due):
            continue
        due_on = max(result.on, due[predecessor]) if predecessor else result.on
        due[step.id] = due_on
        pending = _Pending(
            key=f"{rule.id}/{step.id}", rule=rule.id, due_on=due_on, amount=to_cents(step.amount.value(price)),
            explanation=f"{step.amount.describe(price)}: {step.label} ({rule.label})", basis=result.basis,
        )
        _clawback(rule, facts, result, pending)
        out.append(pending)
    return out


def _recurring(model: PaymentModel, rule: Rule, facts: _Facts, price: Decimal | None) -> list[_Pending]:
    assert rule.milestone is not None and rule.amount is not None and rule.max_count is not None, "the schema"
    assert rule.every is not None, "requires a milestone, an amount, a period and a count of a recurring fee"
    reached = facts.reach(model.milestones[rule.milestone])
    if reached is None:
        return []
    placement = reached.event
    value, factor = _pro_rata(rule, placement, rule.amount.value(price))
    out = []
    for n in range(1, rule.max_count + 1):
        spec = {k: v * n for k, v in rule.every.items()}
        period_end = period_from_spec(placement.date, spec)
        # Staying in work is read as durability is: a confirmation of this same, unbroken placement.
        confirmation = confirmed_on_or_after(facts.events, placement, period_end)
        if confirmation is None:
            break
        out.append(_Pending(
            key=f"{rule.id}/{n}", rule=rule.id, due_on=max(confirmation.date, reached.on), amount=to_cents(value),
            explanation=(f"{rule.amount.describe(price)}{factor}: {rule.label}, periode {n} van {rule.max_count} "
                         f"(tot {period_end.isoformat()})"),
            basis=(placement.id, confirmation.id),
        ))
    return out


RULES = {"fee": _fee, "tiers": _tiers, "tranches": _tranches, "recurring": _recurring}


def _settle(traject: Traject, pending: list[_Pending], ceiling: Decimal | None) -> list[Entitlement]:
    """Apply the traject ceiling in due order and turn pending clawbacks into negative entitlements."""
    # Same-day entitlements are taken in the order the rules produced them (a lower tier before the
    # increment on top of it), so the ceiling cuts the last one, not whichever sorts first by name.
    events: list[tuple[date, int, int, _Pending]] = []
    for index, p in enumerate(pending):
        events.append((p.due_on, 2 if p.after_clawbacks else 0, index, p))
        if p.clawback_on is not None:
            events.append((p.clawback_on, 1, index, p))
    events.sort(key=lambda item: (item[0], item[1], item[2]))
    net = ZERO
    granted: dict[str, Decimal] = {}
    out: list[Entitlement] = []
    for day, order, _, p in events:
        key = p.key
        if order == 1:
            amount = granted.get(key, ZERO)
            if amount == ZERO:
                continue
            net -= amount
            out.append(Entitlement(
                key=f"{key}/terugvordering", traject_id=traject.id, rule=p.rule, due_on=day, amount=-amount,
                explanation=f"Terugvordering van {format_eur(amount)} ({key}): {p.clawback_reason}",
                basis=p.clawback_basis, voids=key,
            ))
            continue
        amount, flag, note = p.amount, None, ""
        if ceiling is not None and net + amount > ceiling:
            amount = max(ceiling - net, ZERO)
            flag = "traject_ceiling"
            note = (f"; afgetopt op het trajectplafond van {format_eur(ceiling)}" if amount
                    else f"; niet verschuldigd: trajectplafond van {format_eur(ceiling)} bereikt")
        net += amount
        granted[key] = amount
        out.append(Entitlement(
            key=key, traject_id=traject.id, rule=p.rule, due_on=day, amount=amount,
            explanation=p.explanation + note, basis=p.basis, flag=flag,
            computed=p.amount if flag else None,
        ))
    return out


def _evaluate(model: PaymentModel, traject: Traject, events: list[Event], as_of: date) -> TrajectResult:
    events = [e for e in events if e.date <= as_of]
    facts = _Facts(traject, events, as_of)
    price = model.price_for(traject.client_group, traject.price)
    pending: list[_Pending] = []
    for rule in model.rules:
        pending.extend(RULES[rule.type](model, rule, facts, price))
    ceiling = to_cents(model.traject_ceiling.value(price)) if model.traject_ceiling else None
    milestones = {name: r.on for name, m in model.milestones.items() if (r := facts.reach(m)) is not None}
    return TrajectResult(traject, _settle(traject, pending, ceiling), milestones, frozenset(facts.by_type))


class _Presenter:
    """How a correction-free evaluation shows up in the output once corrections have happened.

    After a correction voids an entitlement, anything the corrected facts earn under the same key gets
    a key of its own (``key@correction``), and what becomes due only because of a correction is due
    from the correction's date, not retroactively.
    """

    def __init__(self) -> None:
        self.alias: dict[str, str] = {}
        self.shown: list[tuple[date, set[tuple[str, Decimal]]]] = []

    def present(self, x: Entitlement) -> Entitlement:
        key = self.alias.get(x.key, x.key)
        voids = self.alias.get(x.voids, x.voids) if x.voids else None
        due_on, explanation = x.due_on, x.explanation
        for corrected_on, shown in self.shown:
            if due_on < corrected_on and (key, x.amount) not in shown:
                due_on, explanation = corrected_on, x.explanation + " (bekend na correctie)"
        if (key, voids, due_on) == (x.key, x.voids, x.due_on):
            return x
        return replace(x, key=key, voids=voids, due_on=due_on, explanation=explanation)


def evaluate(model: PaymentModel, traject: Traject, as_of: date) -> TrajectResult:
    """What ``traject`` is owed under ``model`` with everything known on ``as_of``."""
    known = [e for e in traject.ordered_events() if e.date <= as_of]
    corrections = [e for e in known if e.type == EventType.CORRECTION]
    facts = [e for e in known if e.type != EventType.CORRECTION]
    if not corrections:
        return _evaluate(model, traject, facts, as_of)

    presenter = _Presenter()
    revoked: set[str] = set()
    voided: list[Entitlement] = []
    for correction in corrections:
        day_before = correction.date - timedelta(days=1)
        before = [presenter.present(x) for x in
                  _evaluate(model, traject, [e for e in facts if e.id not in revoked], day_before).entitlements]
        assert correction.revokes is not None, "parsing refuses a correction that names no event"
        revoked.add(correction.revokes)
        after = {(y.key, y.amount, y.due_on) for y in (presenter.present(x) for x in _evaluate(
            model, traject, [e for e in facts if e.id not in revoked], day_before).entitlements)}
        for x in before:
            if (x.key, x.amount, x.due_on) in after:
                continue
            # What was owed stays owed as it was shown; the correction takes it back.
            voided.append(x)
            if x.amount:
                voided.append(Entitlement(
                    key=f"{x.key}/correctie/{correction.id}", traject_id=traject.id, rule=x.rule,
                    due_on=correction.date, amount=-x.amount, voids=x.key, basis=(correction.id,),
                    explanation=(f"Correctie op {correction.date.isoformat()}: {format_eur(x.amount)} ({x.key}) "
                                 "vervalt" + (f" ({correction.reason})" if correction.reason else "")),
                ))
            raw = next((k for k, v in presenter.alias.items() if v == x.key), x.key)
            presenter.alias[raw] = f"{raw}@{correction.id}"
        presenter.shown.append((correction.date, {(x.key, x.amount) for x in before}))
    final = _evaluate(model, traject, [e for e in facts if e.id not in revoked], as_of)
    current = [presenter.present(x) for x in final.entitlements]
    # A clawback of something that became known only through a correction is known from then on too,
    # never before what it takes back.
    shown_on = {x.key: x.due_on for x in current}
    current = [replace(x, due_on=shown_on[x.voids], explanation=x.explanation + " (bekend na correctie)")
               if x.voids in shown_on and shown_on[x.voids] > x.due_on else x for x in current]
    entitlements = sorted(voided + current, key=lambda e: (e.due_on, e.key))
    return TrajectResult(traject, entitlements, final.milestones, final.happened)
