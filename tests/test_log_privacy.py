"""No BSN, name or birth date in the server log, even when saving a client fails.

SQLAlchemy puts a failed statement's bound parameters in its exception, and the error handler logs the
exception with its traceback: a full BSN with the client's name and birth date reached the log. The engine now
never shows parameters, and every log record is masked for BSN-shaped numbers as a second line of defence.
"""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import event

from app.logs import mask_record
from contracts.clients import mask_bsns
from tests.test_clients import valid_data

BSN = "111111110"  # passes the 11-test, and no client of the world has it
FIRST, LAST, BORN = "Zwanhilde", "Oostervelde-Kramp", "1987-03-14"


@pytest.fixture
def formatted_log(app):
    """What a real handler on the app's logger writes, traceback included, as an operator reads it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    app.logger.addHandler(handler)
    yield stream
    app.logger.removeHandler(handler)


def test_a_failed_client_save_logs_no_bsn_name_or_birth_date(app, world, connection, as_role, caplog,
                                                            formatted_log):
    def database_fails(_conn, _cursor, statement, _parameters, _context, _many):
        if statement.lstrip().upper().startswith("INSERT INTO CLIENT "):
            # A DataError reaches the error handler as a 500 with its statement (an OperationalError would be
            # "database unavailable", logged by its class alone).
            raise connection.dialect.loaded_dbapi.DataError("value out of range")

    client = as_role("klantmanager")
    event.listen(connection, "before_cursor_execute", database_fails)
    try:
        with caplog.at_level(logging.INFO):
            response = client.post("/clienten/nieuw", data=valid_data(
                world, bsn=BSN, first_name=FIRST, last_name=LAST, birth_date=BORN))
    finally:
        event.remove(connection, "before_cursor_execute", database_fails)
    assert response.status_code == 500
    written = formatted_log.getvalue()
    assert "DataError" in written and "INSERT INTO client" in written and "Traceback" in written
    for log in (caplog.text, written):
        for secret in (BSN, "1111.11.110", FIRST, LAST, BORN, "14-03-1987"):
            assert secret not in log, secret


@pytest.mark.parametrize("written", ["123456782", "1234.56.782", "123 456 782", "123-456-782", "bsn=123456782;"])
def test_a_bsn_shaped_number_in_a_message_its_arguments_or_its_exception_is_masked(caplog, formatted_log, app,
                                                                                   written):
    logger = app.logger
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("client %s", written)
        logger.info(f"client {written}")
        try:
            raise ValueError(f"no such client: {written}")
        except ValueError:
            logger.exception("lookup failed for %r", {"bsn": written})
    for log in (caplog.text, formatted_log.getvalue()):
        assert "456" not in log, log
        assert "******782" in log


@pytest.mark.parametrize("text", ["traject 12 op 2026-12-03 17:07:31", "id 1234567890", "IBAN NL91ABNA0417164300",
                                  "06-12345678", "12345678", "bedrag 1.234.567,89"])
def test_numbers_that_are_not_bsn_shaped_are_left_alone(text):
    assert mask_bsns(text) == text


def test_a_record_is_masked_once_and_still_formats(app):
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "bsn %s and %d", ("123456782", 3), None)
    mask_record(record)
    mask_record(record)
    assert record.getMessage() == "bsn ******782 and 3"
