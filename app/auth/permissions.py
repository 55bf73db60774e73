"""The one place that says which role may do what.

Views declare the permission they need with :func:`requires`; templates ask :func:`can` to decide
which menu items to show. Data scoping (a klantmanager sees only their own gemeenten' clients, a
provider user only their own provider) is done by the query helpers in :mod:`app.scoping`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from app.models.users import Role


class Permission(enum.StrEnum):
    VIEW_GEMEENTEN = "gemeenten.view"
    EDIT_GEMEENTEN = "gemeenten.edit"
    VIEW_PROVIDERS = "providers.view"
    EDIT_PROVIDERS = "providers.edit"
    VIEW_CLIENTS = "clients.view"
    EDIT_CLIENTS = "clients.edit"
    REVEAL_BSN = "clients.reveal_bsn"
    MANAGE_USERS = "users.manage"
    VIEW_AUDIT = "audit.view"
    MANAGE_REFERENCE_DATA = "reference.manage"
    VIEW_TENDERS = "tenders.view"
    EDIT_TENDERS = "tenders.edit"
    VIEW_CONTRACTS = "contracts.view"
    EDIT_CONTRACTS = "contracts.edit"
    VIEW_TRAJECTEN = "trajecten.view"
    REFER_CLIENTS = "trajecten.refer"
    RECORD_EVENTS = "trajecten.record"
    CONFIRM_OUTCOMES = "trajecten.confirm"
    IMPORT_CLIENTS = "import.clients"
    IMPORT_EVENTS = "import.events"
    VIEW_INVOICES = "invoices.view"
    SUBMIT_INVOICES = "invoices.submit"
    PROCESS_INVOICES = "invoices.process"
    VIEW_BUDGETS = "budgets.view"
    EDIT_BUDGETS = "budgets.edit"
    VIEW_REPORTS = "reports.view"
    EDIT_TARGETS = "reports.targets"


P = Permission

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.INKOPER: frozenset(
        {P.VIEW_GEMEENTEN, P.VIEW_PROVIDERS, P.EDIT_PROVIDERS, P.VIEW_TENDERS, P.EDIT_TENDERS, P.VIEW_CONTRACTS,
         P.EDIT_CONTRACTS, P.VIEW_REPORTS, P.EDIT_TARGETS}
    ),
    Role.KLANTMANAGER: frozenset(
        {P.VIEW_GEMEENTEN, P.VIEW_PROVIDERS, P.VIEW_CLIENTS, P.EDIT_CLIENTS, P.REVEAL_BSN, P.VIEW_CONTRACTS,
         P.VIEW_TRAJECTEN, P.REFER_CLIENTS, P.RECORD_EVENTS, P.CONFIRM_OUTCOMES, P.IMPORT_CLIENTS, P.IMPORT_EVENTS}
    ),
    Role.FINANCE: frozenset({P.VIEW_GEMEENTEN, P.VIEW_PROVIDERS, P.VIEW_CONTRACTS, P.VIEW_INVOICES, P.SUBMIT_INVOICES,
                             P.PROCESS_INVOICES, P.VIEW_BUDGETS, P.EDIT_BUDGETS, P.VIEW_REPORTS}),
    Role.MANAGEMENT: frozenset({P.VIEW_GEMEENTEN, P.VIEW_PROVIDERS, P.VIEW_TENDERS, P.VIEW_CONTRACTS, P.VIEW_INVOICES,
                                P.VIEW_BUDGETS, P.VIEW_REPORTS, P.EDIT_TARGETS}),
    # A provider's user works only on its own provider's trajecten and invoices (see app.scoping).
    Role.PROVIDER: frozenset({P.VIEW_TRAJECTEN, P.RECORD_EVENTS, P.IMPORT_EVENTS, P.VIEW_INVOICES, P.SUBMIT_INVOICES}),
}


def role_can(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


def can(permission: Permission | str) -> bool:
    if not current_user or not current_user.is_authenticated:
        return False
    return role_can(current_user.role, Permission(permission))


F = TypeVar("F", bound=Callable[..., Any])


def requires(permission: Permission) -> Callable[[F], F]:
    """Log-in first (anonymous users go to the login page), then 403 unless the role has ``permission``."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not can(permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = permission  # type: ignore[attr-defined]
        return login_required(wrapped)  # type: ignore[return-value]

    return decorator


def authenticated(view: F) -> F:
    """For pages every logged-in role may see (home, own profile)."""
    view.required_permission = None  # type: ignore[attr-defined]
    return login_required(view)  # type: ignore[return-value]
