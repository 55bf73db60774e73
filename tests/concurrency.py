"""Releasing several requests at the same moment, each in its own thread, app context and connection.

Each racer first prepares (loads what it needs) inside its own app context, then all wait at a barrier and
act together; the outcome of each is "done", "refused" (the service said no) or "failed: <error>" (anything
else, which a race test expects none of). The read of the preparation is committed before the barrier: outside
a request a SQLite transaction begins IMMEDIATE (it holds the write lock from BEGIN, see
:func:`app.db.sqlite_begin`), so a racer waiting at the barrier inside it would keep all the others out. What was
loaded stays in the session (nothing expires on commit), so the act still starts from what it read before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from tests.conftest import TIERS_MODEL


def at_once(app, racers: list[Any], prepare: Callable[[Any], Any], act: Callable[[Any], None],
            refused: type[Exception]) -> list[str]:
    barrier = threading.Barrier(len(racers))
    outcomes: list[str] = []
    lock = threading.Lock()

    def race(racer: Any) -> None:
        with app.app_context():
            from app.db import session

            state = prepare(racer)
            session.commit()
            barrier.wait()
            try:
                act(state)
                session.commit()
                result = "done"
            except refused:
                session.rollback()
                result = "refused"
            except Exception as error:
                session.rollback()
                result = f"failed: {type(error).__name__}: {error}"
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=race, args=(racer,)) for racer in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def race_contract(today: date, **contract: Any) -> tuple[Any, Any, Any]:
    """The gemeente, provider and active contract (with its first version) a race starts from; ``contract``
    adds to the contract's fields. The caller adds them to its own session."""
    from app.models import Contract, ContractStatus, ContractVersion, Gemeente, Provider

    gemeente = Gemeente(name="Racestad", cbs_code="GM8101")
    provider = Provider(name="Snel B.V.", kvk_number="12345678", vat_number="NL111222333B01",
                        iban="NL91ABNA0417164300", city="Racestad")
    deal = Contract(number="C-RACE", title="Race", provider=provider, status=ContractStatus.ACTIVE,
                    start_date=today - timedelta(days=30), end_date=today + timedelta(days=300),
                    gemeenten=[gemeente], **contract)
    deal.versions.append(ContractVersion(number=1, effective_from=deal.start_date, reason="Gunning",
                                         payment_model=TIERS_MODEL))
    return gemeente, provider, deal
