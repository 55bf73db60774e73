"""Bulk actions: the single action applied to each chosen record, never a rule of its own.

Each record runs the same service the record's own page calls, inside a savepoint: a refusal undoes that record
alone and is kept with the record's name and the rule's own message. Then either every refusal stops the whole
batch (nothing is stored, the user sees each refusal), or, when the user chose "only the valid ones", the
valid ones are stored and the refused ones named. The caller commits through :func:`app.uow.attempt`, so the
batch is one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from flask import flash, request

from app.db import session
from app.i18n import translate
from app.scoping import id_in
from app.uow import attempt
from contracts.messages import N_, DomainError, Message

T = TypeVar("T")

LIMIT = 200  # records per batch: a page of a list, a few times over


@dataclass
class Batch:
    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (record, why), in the order chosen


class BatchRefused(DomainError):
    pass


def each(items: Sequence[T], name: Callable[[T], str], action: Callable[[T], object], only_valid: bool,
         batch: Batch) -> Batch:
    """Apply ``action`` to every item; ``batch`` (the caller's, so that it survives a refusal) records what
    happened. Raises :class:`BatchRefused` when something was refused and ``only_valid`` is not chosen."""
    for item in items:
        savepoint = session.begin_nested()
        try:
            action(item)
            session.flush()
            savepoint.commit()
            batch.done.append(name(item))
        except DomainError as error:
            savepoint.rollback()
            batch.refused.append((name(item), translate(error.message)))
    if batch.refused and not only_valid:
        batch.done.clear()
        raise BatchRefused(Message(N_("Niets opgeslagen: %(n)s van de %(total)s gekozen kon niet."),
                                   n=len(batch.refused), total=len(items)))
    return batch


def ticked(name: str) -> list[int]:
    """The ids of the rows ticked on the list (the form's ``name`` checkboxes); what is not an id is ignored."""
    return sorted({i for i in (id_in(v) for v in request.form.getlist(name)[:LIMIT]) if i is not None})


def run(items: Sequence[T], name: Callable[[T], str], action: Callable[[T], object], only_valid: bool,
        done: Callable[[int], str], refused: Callable[[str, str], str]) -> Batch:
    """:func:`each` as one transaction, told to the user: ``done(n)`` when something was stored, and
    ``refused(record, why)`` for every refusal."""
    batch = Batch()
    outcome = attempt(lambda: each(items, name, action, only_valid, batch))
    if outcome.ok and batch.done:
        flash(done(len(batch.done)), "success")
    for record, why in batch.refused:
        flash(refused(record, why), "error")
    return batch
