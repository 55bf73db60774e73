"""A pause in the middle of a transaction, so that a test can kill the server there and check what survives.

A crash test needs the server to be inside a payment run or an approval (some rows written, the transaction
not yet committed) at the moment it is killed, every time, not when a timer happens to hit it. With
``FAULT_PAUSE_BEFORE`` set to the start of a statement (``INSERT INTO invoice_lines``) the first statement that
begins so waits there for good, after touching the file named by ``FAULT_PAUSE_FILE`` to say it got there; the
test then sends SIGKILL. Never active in production: :func:`install` refuses there.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event

from app.config import ConfigurationError


def install(app: Flask) -> None:
    prefix = os.environ.get("FAULT_PAUSE_BEFORE", "").strip().upper()
    if not prefix:
        return
    if app.config["APP_ENV"] == "production":
        raise ConfigurationError("FAULT_PAUSE_BEFORE is for crash tests and is refused in production.")
    engine = app.extensions["db_bind"]
    if not isinstance(engine, Engine):
        return
    signal = Path(os.environ.get("FAULT_PAUSE_FILE", "fault-paused"))

    @event.listens_for(engine, "before_cursor_execute")
    def _pause(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(prefix):
            signal.write_text(statement.split("(", 1)[0], encoding="utf-8")
            threading.Event().wait()  # until the test kills the process
