"""Releasing several requests at the same moment, each in its own thread, app context and connection.

Each racer first prepares (loads what it needs) inside its own app context, then all wait at a barrier and
act together; the outcome of each is "done", "refused" (the service said no) or "locked: <error>" (SQLite
lets one writer in at a time and refuses the others rather than letting them through).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def at_once(app, racers: list[Any], prepare: Callable[[Any], Any], act: Callable[[Any], None],
            refused: type[Exception]) -> list[str]:
    barrier = threading.Barrier(len(racers))
    outcomes: list[str] = []
    lock = threading.Lock()

    def race(racer: Any) -> None:
        with app.app_context():
            from app.db import session

            state = prepare(racer)
            barrier.wait()
            try:
                act(state)
                session.commit()
                result = "done"
            except refused:
                session.rollback()
                result = "refused"
            except Exception as error:  # SQLite: "database is locked" for a writer that came second
                session.rollback()
                result = f"locked: {type(error).__name__}"
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=race, args=(racer,)) for racer in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes
