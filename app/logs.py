"""The server log holds no BSN: every log record is masked for BSN-shaped numbers when it is made.

The first line of defence is that the database engine never puts a statement's parameters in its errors
(``hide_parameters`` in :func:`app.db.make_engine`), so a failed save does not log the client's name and birth
date. This is the second: whatever a record carries (its message, its arguments, the text of its exception and
traceback, a stack), a BSN-shaped number is masked by :func:`contracts.clients.mask_bsns` before any handler
sees it.

It is done in the log record factory rather than as a filter on a logger or handler, because a logger's filter
does not see records that reach it from a child logger (SQLAlchemy's, Werkzeug's), and a handler added later
(by gunicorn, or pytest) would carry no filter at all.
"""

from __future__ import annotations

import logging
from typing import Any

from contracts.clients import mask_bsns

_MASKED = "bsn_masked"


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask ``record`` in place: the message with its arguments filled in, the exception text, the stack."""
    if getattr(record, _MASKED, False):
        return record
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # arguments that do not fit the message: kept, masked, for the reader
        message = f"{record.msg} {record.args!r}"
    record.msg = mask_bsns(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_bsns(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_bsns(record.stack_info)
    setattr(record, _MASKED, True)
    return record


def install() -> None:
    """Make every log record of the process a masked one (once, however many apps are created)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, _MASKED, False):
        return

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(factory(*args, **kwargs))

    setattr(masked_record, _MASKED, True)
    logging.setLogRecordFactory(masked_record)
