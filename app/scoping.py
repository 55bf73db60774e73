"""Which rows a user may see. Every query for clients and trajecten goes through here, never around it."""

from __future__ import annotations

from flask import abort
from sqlalchemy import ColumnElement, false, select, true

from app.db import session
from app.models.clients import Client
from app.models.invoicing import Invoice
from app.models.trajecten import Traject
from app.models.users import Role, User, user_gemeente

MAX_ID = 2**31 - 1  # larger numbers cannot be a database id (and would overflow the driver)


def id_in(text: str | None) -> int | None:
    """The id a query-string value names, or None when it is not one (not digits, or beyond any id)."""
    return int(text) if text and text.isdigit() and int(text) <= MAX_ID else None


def client_scope(user: User) -> ColumnElement[bool]:
    """Admin sees all clients; a klantmanager those of their own gemeenten; other roles none (yet)."""
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.KLANTMANAGER:
        own = select(user_gemeente.c.gemeente_id).where(user_gemeente.c.user_id == user.id)
        return Client.gemeente_id.in_(own)
    return false()


def traject_scope(user: User) -> ColumnElement[bool]:
    """Admin all; a klantmanager the trajecten of their gemeenten; a provider's user only its own provider's."""
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.KLANTMANAGER:
        own = select(user_gemeente.c.gemeente_id).where(user_gemeente.c.user_id == user.id)
        return Traject.gemeente_id.in_(own)
    if user.role == Role.PROVIDER and user.provider_id is not None:
        return Traject.provider_id == user.provider_id
    return false()


def invoice_scope(user: User) -> ColumnElement[bool]:
    """A provider's user sees only its own provider's invoices; the roles allowed invoices at all see every one."""
    if user.role == Role.PROVIDER:
        return Invoice.provider_id == user.provider_id if user.provider_id is not None else false()
    return true()


def get_scoped_or_404(model, object_id: int, scope: ColumnElement[bool], *options):
    """The row if the user may see it; 404 otherwise (never 403: no hint that it exists). ``options`` load what
    the page reads of it with it (e.g. an invoice's lines and their trajecten: a few queries, not one a line)."""
    found = session.scalar(select(model).where(model.id == object_id, scope).options(*options))
    if found is None:
        abort(404)
    return found


def gemeente_ids_for(user: User) -> set[int] | None:
    """The gemeenten a user works for; None means all of them."""
    if user.role == Role.KLANTMANAGER:
        return {g.id for g in user.gemeenten}
    return None
