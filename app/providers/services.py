"""The providers register's services: saving a provider through its status machine (:mod:`contracts.contracting`),
and adding or deleting its contacts and quality marks. Nothing here commits: the view's unit of work does."""

from __future__ import annotations

from flask import abort
from stdnum import iban as std_iban

from app import clock
from app.db import session
from app.models.registers import Provider, ProviderStatus
from contracts.contracting import check_provider_status


def provider_or_404(provider_id: int) -> Provider:
    return session.get(Provider, provider_id) or abort(404)


def format_iban(value: str) -> str:
    return std_iban.format(value) if value else ""


def save(provider: Provider | None, form) -> Provider:
    """Store a new or edited provider; its status moves only as the status machine allows."""
    previous_status = provider.status if provider else None
    previous_since = provider.status_since if provider else None
    status = ProviderStatus(form.status.data)
    reason = (form.status_reason.data or "").strip()
    check_provider_status(previous_status, status, reason)
    provider = provider or Provider()
    provider.name = form.name.data.strip()
    provider.kvk_number = form.kvk_number.data
    provider.vat_number = form.vat_number.data
    provider.iban = form.iban.data
    provider.street = (form.street.data or "").strip()
    provider.house_number = (form.house_number.data or "").strip()
    provider.postcode = form.postcode.data or ""
    provider.city = (form.city.data or "").strip()
    provider.website = form.website.data or ""
    provider.status = status
    provider.status_reason = reason
    since = form.status_since.data
    # A new status starts today unless the user gave another date (the edit form shows the old one).
    if status != previous_status and (since is None or since == previous_since):
        since = clock.today()
    provider.status_since = since
    session.add(provider)
    session.flush()
    return provider


def add_part(provider: Provider, model: type, form):
    """A contact or a quality mark, from its form's fields."""
    values = {f.name: f.data.strip() if isinstance(f.data, str) else f.data for f in form if f.name != "csrf_token"}
    record = model(provider=provider, **values)
    session.add(record)
    return record


def part_or_404(model: type, provider_id: int, part_id: int):
    record = session.get(model, part_id)
    if record is None or record.provider_id != provider_id:
        abort(404)
    return record


def delete_part(record) -> None:
    session.delete(record)
