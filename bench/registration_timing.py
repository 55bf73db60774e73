"""Does registering a person another gemeente holds take measurably longer than registering a fresh BSN?

The page answers the same in both cases (tests/test_client_transfers.py); this measures whether the time it
takes gives the difference away. The demo database (SQLite, in a temporary file) is loaded, and its
klantmanager of the first two gemeenten posts *Nieuwe cliënt* N times with a BSN the other klantmanager's
gemeenten hold and N times with a BSN that is nowhere, interleaved, through the test client (no network).
It prints the median and the 90th percentile of each, and their difference against the spread of one kind.

Usage: ``.venv/bin/python bench/registration_timing.py [--n 100]``
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from stdnum.nl import bsn as std_bsn  # noqa: E402

from app import create_app  # noqa: E402
from app.db import session  # noqa: E402
from app.demo import DEMO_PASSWORD, load_demo  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.models import Client, TargetGroup, User  # noqa: E402
from app.uow import committed  # noqa: E402


def fresh_bsns(used: set[str], n: int, rng: random.Random) -> list[str]:
    found: list[str] = []
    while len(found) < n:
        candidate = f"{rng.randint(100_000_000, 999_999_999)}"
        if std_bsn.is_valid(candidate) and candidate not in used:
            used.add(candidate)
            found.append(candidate)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-registration-"))
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    upgrade(url)
    app = create_app("testing", overrides={"DATABASE_URL": url, "EVIDENCE_DIR": str(folder / "evidence")})
    with app.app_context():
        with committed():
            load_demo(session, clients=max(300, args.n * 8))
        me = session.scalar(select(User).where(User.username == "klantmanager"))
        mine = {g.id for g in me.gemeenten}
        gemeente_id = min(mine)
        group_id = session.scalar(select(TargetGroup.id).order_by(TargetGroup.id))
        everyone = list(session.scalars(select(Client)))
        hidden = [c.bsn for c in everyone if c.gemeente_id not in mine][:args.n]
        fresh = fresh_bsns({c.bsn for c in everyone}, args.n, random.Random(1))  # noqa: S311  (test numbers)
    if len(hidden) < args.n:
        raise SystemExit(f"the demo holds only {len(hidden)} clients outside the klantmanager's gemeenten")
    web = app.test_client()
    web.post("/login", data={"username": "klantmanager", "password": DEMO_PASSWORD})
    form = {"first_name": "Fenna", "last_name": "de Vries", "birth_date": "1990-05-17",
            "gemeente_id": str(gemeente_id), "benefit_type": "participatiewet", "monthly_benefit": "1.234,56",
            "target_group_id": str(group_id), "phase": "3", "ladder_rung": "4", "assessed_on": "2026-01-05",
            "klantmanager_id": ""}
    times: dict[str, list[float]] = {"held elsewhere": [], "fresh": []}
    for held, new in zip(hidden, fresh, strict=True):
        for kind, bsn in (("held elsewhere", held), ("fresh", new)):
            start = time.perf_counter()
            response = web.post("/clienten/nieuw", data={**form, "bsn": bsn})
            times[kind].append((time.perf_counter() - start) * 1000)
            assert response.status_code == 302, (kind, response.status_code)
    for kind, values in times.items():
        values.sort()
        print(f"{kind:>15}: n={len(values)} median {statistics.median(values):6.2f} ms, "
              f"p90 {values[int(len(values) * 0.9)]:6.2f} ms, stdev {statistics.stdev(values):5.2f} ms")
    gap = statistics.median(times["held elsewhere"]) - statistics.median(times["fresh"])
    print(f"difference of the medians: {gap:+.2f} ms")


if __name__ == "__main__":
    main()
