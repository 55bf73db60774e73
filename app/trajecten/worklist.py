"""The work list: every action that has come due on the trajecten a user sees, asked of the kept actions.

What a traject needs and from when is decided by :func:`contracts.worklist.actions` and kept per traject by
:func:`app.projections.keep_actions`; this module only asks the database which are due by today, in the user's
scope, counts them per kind and per klantmanager (a team lead sees how the work is spread over caseloads), and
pages them. The explanation of each action shown is worked out again for the page's rows only, by the same
rule, so that it reads as on the traject's own page. A fixed number of statements, however many trajecten.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from app.db import session
from app.listing import Page, requested_page
from app.models.clients import Client
from app.models.trajecten import Traject, TrajectAction
from app.models.users import Role, User
from app.scoping import traject_scope
from app.trajecten.services import engine_ready, open_actions
from contracts.messages import Message
from contracts.worklist import ACTION_LABELS, Action, ActionKind


@dataclass(frozen=True)
class Filters:
    """What the user asked to see: only their own clients, one klantmanager's, one kind of action."""

    mine: bool = False
    klantmanager_id: int | None = None
    kind: ActionKind | None = None


@dataclass
class Worklist:
    page: Page  # items: (traject, action) pairs, longest overdue first
    counts: dict[ActionKind, int]  # per kind, within the caseload chosen
    by_klantmanager: list[tuple[int | None, str, int]]  # (id, name, count) within the kind chosen


def _due(user: User, today: date) -> Select:
    return (select(TrajectAction.traject_id, TrajectAction.kind, TrajectAction.due)
            .join(Traject, Traject.id == TrajectAction.traject_id)
            .where(TrajectAction.due <= today, traject_scope(user)))


def _caseload(due: Select, user: User, filters: Filters) -> Select:
    if filters.mine or filters.klantmanager_id is not None:
        manager = user.id if filters.mine else filters.klantmanager_id
        return due.join(Client, Client.id == Traject.client_id).where(Client.klantmanager_id == manager)
    return due


def counts(user: User, today: date, filters: Filters) -> dict[ActionKind, int]:
    """How many actions of each kind have come due in the caseload chosen: the work list's tabs, and the
    start page's counts that link to them."""
    caseload = _caseload(_due(user, today), user, filters)
    found = dict(session.execute(
        caseload.with_only_columns(TrajectAction.kind, func.count()).group_by(TrajectAction.kind)).all())
    return {kind: int(found.get(kind.value, 0)) for kind in ActionKind}


def build(user: User, today: date, filters: Filters) -> Worklist:
    due = _due(user, today)
    caseload = _caseload(due, user, filters)
    counted = counts(user, today, filters)
    of_kind = due.where(TrajectAction.kind == filters.kind.value) if filters.kind else due
    # A provider's user works its own caseload, not the gemeente's klantmanagers'; and one looking at their own
    # clients only is shown no caseloads either.
    by_klantmanager = [] if user.role == Role.PROVIDER or filters.mine else [
        (manager_id, name or "", int(n)) for manager_id, name, n in session.execute(
            of_kind.join(Client, Client.id == Traject.client_id).outerjoin(User, User.id == Client.klantmanager_id)
            .with_only_columns(Client.klantmanager_id, User.full_name, func.count())
            .group_by(Client.klantmanager_id, User.full_name).order_by(User.full_name))]
    chosen = caseload.where(TrajectAction.kind == filters.kind.value) if filters.kind else caseload
    total = counted[filters.kind] if filters.kind else sum(counted.values())
    per_page = current_app.config["PAGE_SIZE"]
    number = requested_page(total, per_page)
    rows = session.execute(chosen.order_by(TrajectAction.due, TrajectAction.traject_id, TrajectAction.kind)
                           .limit(per_page).offset((number - 1) * per_page)).all()
    trajecten = {t.id: t for t in session.scalars(engine_ready(
        select(Traject).where(Traject.id.in_({row.traject_id for row in rows})))
        .options(selectinload(Traject.client), selectinload(Traject.provider)))}
    items = [(trajecten[row.traject_id], _action(trajecten[row.traject_id], row.kind, row.due)) for row in rows]
    applied = {"mine": "1" if filters.mine else "0", "kind": filters.kind.value if filters.kind else "",
               "klantmanager": str(filters.klantmanager_id or "")}
    return Worklist(Page(items, total, number, per_page, "due", "asc", "", applied), counted, by_klantmanager)


def next_actions(traject_ids: Iterable[int]) -> dict[int, TrajectAction]:
    """Each traject's next action (the earliest due, ties in the rule's order of kinds), from the kept rows in one
    query: the traject list shows it for a page of trajecten without replaying any of them."""
    order = {kind.value: n for n, kind in enumerate(ActionKind)}
    found: dict[int, TrajectAction] = {}
    for row in session.scalars(select(TrajectAction).where(TrajectAction.traject_id.in_(set(traject_ids)))):
        best = found.get(row.traject_id)
        if best is None or (row.due, order[row.kind]) < (best.due, order[best.kind]):
            found[row.traject_id] = row
    return found


def _action(traject: Traject, kind: str, due: date) -> Action:
    """The kept action with its explanation, by the rule that wrote it."""
    for action in open_actions(traject):
        if action.kind == kind:
            return action
    # Kept rows and the rule disagree only if something changed the inputs without keeping them; show the
    # kept row rather than hide work (`flask projections rebuild` puts it right).
    return Action(ActionKind(kind), due, Message(ACTION_LABELS[ActionKind(kind)]))
