"""Cost of the audit trail's hash chain: appending, a full ``flask audit verify``, and the audit page's check.

What it measures, on a fresh database (a temporary SQLite file, or ``DATABASE_URL`` naming an empty
PostgreSQL database): appending N entries (default 100,000) in transactions of 10,000 through
``app.audit.append``; a full walk (``verify_chain``, what ``flask audit verify`` does), as entries per second;
the page's status right after a recorded run and after 6,000 more entries (it then checks at most
``PAGE_CHECK_LIMIT``); and appending single entries one transaction each, as a request does.

Why these: the full walk is linear in the trail, so its rate says how long a nightly run takes at any size;
the page must stay quick however long the trail grows, which is what the limit is for. Aims: the page under
half a second, the full walk over 5,000 entries a second.

Usage: ``.venv/bin/python bench/audit_chain.py [--entries N]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import datetime

from sqlalchemy.orm import Session

from app import audit
from app.db import make_engine
from app.migrate import upgrade

PAGE_AIM_SECONDS = 0.5
WALK_AIM_PER_SECOND = 5_000


def _rows(start: int, stop: int, at: datetime) -> list[dict]:
    return [{"at": at.replace(microsecond=i % 1_000_000), "actor_id": 1, "actor_label": "admin", "action": "update",
             "entity_type": "client", "entity_id": i, "parent_type": None, "parent_id": None,
             "changes": {"phase": {"before": 2, "after": 3}, "last_name": {"before": "Jansen", "after": "de Vries"}},
             "remote_addr": "127.0.0.1"} for i in range(start, stop)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    n = parser.parse_args().entries
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/audit.sqlite3"
    upgrade(url)
    engine = make_engine(url)
    ok = True
    with Session(engine) as session:
        started = time.perf_counter()
        for start in range(0, n, 10_000):
            audit.append(session.connection(), _rows(start, min(n, start + 10_000), datetime(2026, 12, 3, 10)))
            session.commit()
        print(f"append {n} entries: {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        verdict = audit.verify_chain(session)
        took = time.perf_counter() - started
        rate = verdict.checked / took
        ok &= verdict.intact and rate >= WALK_AIM_PER_SECOND
        print(f"full verify: {verdict.checked} entries in {took:.1f} s, {rate:,.0f} a second "
              f"(aim >= {WALK_AIM_PER_SECOND:,}), intact: {verdict.intact}")
        audit.record_verification(session, verdict)
        session.commit()

        for label, extra in (("right after a run", 0), ("6,000 entries after a run", 6_000)):
            if extra:
                audit.append(session.connection(), _rows(0, extra, datetime(2026, 12, 4)))
                session.commit()
            started = time.perf_counter()
            status = audit.chain_status(session)
            took = time.perf_counter() - started
            ok &= took < PAGE_AIM_SECONDS
            print(f"audit page {label}: {1000 * took:.0f} ms, {status.checked_since} checked "
                  f"(aim < {1000 * PAGE_AIM_SECONDS:.0f} ms)")

        started = time.perf_counter()
        for i in range(100):
            audit.append(session.connection(), _rows(i, i + 1, datetime(2026, 12, 5)))
            session.commit()
        print(f"one entry per transaction: {10 * (time.perf_counter() - started):.1f} ms each")
    engine.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
