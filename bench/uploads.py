"""How long the upload reader takes on hostile spreadsheets: a few hundred bytes that declare or hold a huge sheet.

Before the reader was bounded, a 1.5 KB XLSX declaring ``A1:XFD20000`` with one cell in row 20,000 took
34 s and was accepted; one reaching row 1,048,576 would have taken about half an hour of CPU. Each file
below must now be refused, each in under ``BUDGET`` seconds (most of the first one's time is loading
openpyxl). The files are the hand-made workbooks of ``tests/test_tabular.py``.

Usage: ``.venv/bin/python bench/uploads.py``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app
from app.tabular import FileError, file_records, rows_of
from tests.test_tabular import COLUMNS, HEADER, ROW, xlsx

BUDGET = 2.0
FAR = {1: HEADER, 2: ROW, 1_048_576: [("XFD", "x")]}
CASES = {
    "declares A1:XFD20000, a cell in row 20,000": xlsx({1: HEADER, 2: ROW, 20000: [("A", "x")]}, "A1:XFD20000"),
    "declares A1:XFD1048576": xlsx(FAR, "A1:XFD1048576"),
    "no dimension, a cell at XFD1048576": xlsx(FAR, None),
    "declares A1:D2, a cell at XFD1048576": xlsx(FAR, "A1:D2"),
    "a part that unpacks to 30 MB": xlsx({1: HEADER, 2: ROW}, extra={"xl/media/padding.xml": " " * 30_000_000}),
}


def main() -> int:
    failed = 0
    with create_app().test_request_context():
        for name, raw in CASES.items():
            start = time.perf_counter()
            try:
                rows_of(file_records(raw), COLUMNS)
                outcome = "ACCEPTED"
            except FileError:
                outcome = "refused"
            seconds = time.perf_counter() - start
            ok = outcome == "refused" and seconds < BUDGET
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name}: {len(raw):,} bytes, {outcome} in {seconds:.3f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
