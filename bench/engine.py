"""Throughput of the entitlement engine, measured against the cost of merely reading the same data.

What it measures: the entitlements of N generated trajecten (default 100,000, about six events each)
under the shipped payment models in ``contracts/templates``, one template per traject, round-robin,
all evaluated as of 2027-12-31. The trajecten are generated deterministically (``--seed``) as plain
dicts, the way they arrive from JSON or a database: string dates, string amounts (prices).

Three timed sections, each run per template with a full garbage collection before it and, as
``timeit`` does, the cyclic collector off while the clock runs (``--keep-gc`` leaves it on):

* baseline -- only reading the data into memory: ``traject_from_dict`` on every raw traject;
* engine -- the same reading plus ``evaluate(model, traject, as_of)``: what a real run costs;
* engine only -- ``evaluate`` on the trajecten the baseline already read.

Why this baseline: whatever the engine does, its input has to be parsed and validated into
``Traject``/``Event`` objects first (dates, decimals, enums, duplicate ids). That is the floor for
any run over this data in this process, on this machine and Python; the engine/baseline ratio says
how much the payment logic adds on top of it, and it stays meaningful across machines, where the
absolute seconds do not. The aims (``FEW`` and ``TARGET_*`` below) are that the engine costs at most a
few times the baseline and that 100,000 trajecten take under 10 s on one core.

Usage: ``.venv/bin/python bench/engine.py [--trajecten N] [--seed S] [--keep-gc]``
"""

from __future__ import annotations

import argparse
import calendar
import gc
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from contracts.engine import evaluate  # noqa: E402
from contracts.events import traject_from_dict  # noqa: E402
from contracts.model import PaymentModel  # noqa: E402

TEMPLATES = ROOT / "contracts" / "templates"
AS_OF = date(2027, 12, 31)
REFERRALS = (date(2025, 1, 1), date(2026, 12, 31))
CLIENT_GROUPS = ("jongeren", "statushouders", "arbeidsbeperkt")  # from differential_prices.json
NEGOTIATED_PRICES = ("2200.00", "2750.00", "3250.00")
FEW = 5  # "a few times the baseline", made concrete
TARGET_SECONDS, TARGET_TRAJECTEN = 10.0, 100_000

# --- generation -----------------------------------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the month's end (31 January + 1 month = 28/29 February)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _days(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(days=rng.randint(low, high))


def _placement(rng: random.Random, started: date, add: Callable[..., None]) -> date:
    """A placement with its exit, confirmations and breaks; returns the day the traject ends."""
    on = started + timedelta(days=round(rng.triangular(14, 420, 60)))
    kind = rng.choices(("regular", "subsidised", "temporary"), weights=(65, 25, 10))[0]
    months = rng.randint(1, 24)
    add("placement", on, kind=kind, hours_per_week=rng.randint(8, 40), contract_months=months)
    if rng.random() < 0.80:
        reason = rng.choices(("work", "moved_away", "partner_income", "other"), weights=(88, 4, 4, 4))[0]
        add("benefit_exit", on, reason=reason)
    breaks = []
    if rng.random() < (0.60 if kind == "temporary" else 0.15):
        breaks.append(("placement_ended", _add_months(on, months)))
    if rng.random() < 0.18:  # ~15% of placements once those after the as-of date are left out
        breaks.append(("fall_back", on + _days(rng, 30, 540)))
    if rng.random() < 0.08:
        breaks.append(("dropout", on + _days(rng, 14, 300)))
    work_end = min((day for _, day in breaks), default=None)
    for event_type, day in breaks:
        add(event_type, day)
    if rng.random() < 0.85:
        for after in (3, 6, 12):
            due = _add_months(on, after) + _days(rng, 0, 21)
            if work_end is not None and due >= work_end:
                break
            add("still_employed", due)
    return work_end or _add_months(on, rng.randint(1, 6))


def _events(rng: random.Random, referral: date) -> list[tuple[date, str, dict]]:
    events: list[tuple[date, str, dict]] = []

    def add(event_type: str, day: date, **details) -> None:
        if day <= AS_OF:  # the data only holds what has happened by the as-of date
            events.append((day, event_type, details))

    decided = referral + _days(rng, 1, 14)
    if rng.random() >= 0.85:
        add("refused", decided, reason=rng.choice(("past niet in het aanbod", "geen capaciteit", "medisch")))
        return events
    add("accepted", decided)
    intake = decided + _days(rng, 3, 21)
    if rng.random() >= 0.80:  # accepted, never started: sent back or dropped out early
        if rng.random() < 0.6:
            add("intake", intake)
        stop = intake + _days(rng, 7, 60)
        add("returned" if rng.random() < 0.6 else "dropout", stop)
        if rng.random() < 0.9:
            add("ended", stop + _days(rng, 0, 14))
        return events
    add("intake", intake)
    approved = intake + _days(rng, 7, 30)
    if rng.random() < 0.3:
        add("plan_submitted", approved - _days(rng, 1, 6))
    add("plan_approved", approved)
    started = approved + _days(rng, 0, 14)
    add("started", started)
    if rng.random() < 0.40:
        end = _placement(rng, started, add)
    elif rng.random() < 0.28:  # with the placed ones who drop out, ~20% of started trajecten drop out
        end = started + _days(rng, 14, 300)
        add("dropout", end, reason=rng.choice(("ziekte", "geen motivatie", "verhuisd", None)))
    else:
        end = started + _days(rng, 180, 540)
        if rng.random() < 0.05:
            add("benefit_exit", end, reason=rng.choice(("moved_away", "partner_income", "other")))
    progress = started + _days(rng, 80, 120)  # a progress report about every quarter, not always
    while progress < end and rng.random() < 0.55:
        add("progress_report", progress)
        progress += _days(rng, 80, 120)
    if rng.random() < 0.9:
        add("ended", end + _days(rng, 0, 30))
    return events


def _traject(rng: random.Random, tid: str) -> dict:
    first, last = REFERRALS
    referral = first + _days(rng, 0, (last - first).days)
    raw = sorted(_events(rng, referral), key=lambda item: item[0])  # as a database would list them
    events = [
        {"id": f"{tid}-e{n}", "type": event_type, "date": day.isoformat(),
         **{k: v for k, v in details.items() if v is not None}}
        for n, (day, event_type, details) in enumerate(raw, start=1)
    ]
    if len(events) > 1 and rng.random() < 0.01:  # a correction revoking an earlier event
        placements = [e for e in events if e["type"] == "placement"]
        target = placements[0] if placements and rng.random() < 0.5 else rng.choice(events[1:])
        day = min(date.fromisoformat(target["date"]) + _days(rng, 1, 60), AS_OF)
        events.append({"id": f"{tid}-e{len(events) + 1}", "type": "correction", "date": day.isoformat(),
                       "revokes": target["id"], "reason": "registratiefout"})
    data = {"id": tid, "referral_date": referral.isoformat(), "events": events}
    if rng.random() < 0.30:
        data["client_group"] = rng.choice(CLIENT_GROUPS)
    if rng.random() < 0.05:
        data["price"] = rng.choice(NEGOTIATED_PRICES)
    return data


def generate(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)  # noqa: S311 -- deterministic test data, not security
    return [_traject(rng, f"T{i:06d}") for i in range(count)]


# --- measuring ------------------------------------------------------------------------------------


def _timed(groups: dict[str, list], work: Callable[[str, list], list],
           keep_gc: bool) -> tuple[dict[str, float], dict[str, list]]:
    """Run ``work`` on each group after a full collection; seconds and output per group.

    As ``timeit`` does, the cyclic collector is off while the clock runs (unless ``keep_gc``): when it
    would run depends on everything else in the heap, such as the other sections' leftovers, so with
    it on, whichever group happens to cross a threshold pays for a full collection of the process.
    What survives a collection is frozen, so that the next one only looks at what is new.
    """
    seconds, outputs = {}, {}
    for name, items in groups.items():
        gc.collect()
        gc.freeze()
        if not keep_gc:
            gc.disable()
        try:
            start = time.perf_counter()
            outputs[name] = work(name, items)
            seconds[name] = time.perf_counter() - start
        finally:
            gc.enable()
    return seconds, outputs


def _pin_to_one_core() -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"pinned to CPU {core}"


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>10,.0f} trajecten/s" if seconds else "n/a"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trajecten", type=int, default=100_000, help="how many trajecten (default 100000)")
    parser.add_argument("--seed", type=int, default=2026, help="seed for the generated data (default 2026)")
    parser.add_argument("--keep-gc", action="store_true",
                        help="leave the cyclic garbage collector on while timing (default: off, as timeit does)")
    args = parser.parse_args(argv)
    if args.trajecten < 1:
        parser.error("--trajecten must be at least 1")

    pinned = _pin_to_one_core()
    models = {path.stem: PaymentModel.from_file(path) for path in sorted(TEMPLATES.glob("*.json"))}
    names = list(models)

    start = time.perf_counter()
    raw = generate(args.trajecten, args.seed)
    generated_in = time.perf_counter() - start
    groups: dict[str, list[dict]] = {name: [] for name in names}
    for i, data in enumerate(raw):  # round-robin: traject i gets template i mod the number of templates
        groups[names[i % len(names)]].append(data)
    n_trajecten = len(raw)
    n_events = sum(len(data["events"]) for data in raw)
    events_in = {name: sum(len(d["events"]) for d in group) for name, group in groups.items()}
    del raw
    gc.collect()
    gc.freeze()  # the generated input is not what is measured: keep the collections from rescanning it

    for name, group in groups.items():  # warm-up, not timed: first calls, caches, the allocator's pools
        for data in group[:50]:
            evaluate(models[name], traject_from_dict(data), AS_OF)

    # Baseline: only reading the same data into memory.
    base, read = _timed(groups, lambda _name, group: [traject_from_dict(d) for d in group], args.keep_gc)
    # Engine only: evaluating what the baseline read.
    only, results = _timed(read, lambda name, group: [evaluate(models[name], t, AS_OF) for t in group],
                           args.keep_gc)
    owed = {name: (sum(len(r.entitlements) for r in rs), sum((r.total for r in rs), Decimal(0)))
            for name, rs in results.items()}
    del read, results
    # Engine: reading plus evaluating, as a real run does.
    full, results = _timed(groups, lambda name, group: [evaluate(models[name], traject_from_dict(d), AS_OF)
                                                        for d in group], args.keep_gc)
    del results

    t_base, t_full, t_only = sum(base.values()), sum(full.values()), sum(only.values())
    ratio, ratio_only = t_full / t_base, t_only / t_base
    at_target = t_full * TARGET_TRAJECTEN / n_trajecten
    n_owed = sum(count for count, _ in owed.values())
    total_owed = sum((amount for _, amount in owed.values()), Decimal(0))

    print("Entitlement engine benchmark (bench/engine.py)")
    print(f"python {platform.python_version()} ({platform.python_implementation()}) on {platform.system()} "
          f"{platform.machine()}, {pinned}")
    collector = "on" if args.keep_gc else "off"
    print(f"seed {args.seed}, as of {AS_OF.isoformat()}, {len(models)} templates round-robin, "
          f"cyclic gc {collector} while timing (collected before each section)")
    print(f"trajecten:    {n_trajecten:>10,}")
    print(f"events:       {n_events:>10,}   ({n_events / n_trajecten:.2f} per traject; generated in "
          f"{generated_in:.2f} s, not timed)")
    print(f"entitlements: {n_owed:>10,}   (net total {total_owed:,.2f} EUR)")
    print()
    print(f"baseline (read only)        {t_base:8.3f} s  {_rate(n_trajecten, t_base)}")
    print(f"engine (read + evaluate)    {t_full:8.3f} s  {_rate(n_trajecten, t_full)}   "
          f"ratio {ratio:.2f}× baseline")
    print(f"engine only (evaluate)      {t_only:8.3f} s  {_rate(n_trajecten, t_only)}   "
          f"ratio {ratio_only:.2f}× baseline")
    print()
    header = (f"{'template':<32} {'trajecten':>9} {'events':>8} {'read s':>8} {'engine s':>9} {'eval s':>8} "
              f"{'trajecten/s':>12} {'ratio':>6}")
    print("per template (engine = read + evaluate; trajecten/s and ratio of the engine):")
    print(header)
    print("-" * len(header))
    for name in names:
        count = len(groups[name])
        if not count:
            continue
        print(f"{name:<32} {count:>9,} {events_in[name]:>8,} {base[name]:>8.3f} {full[name]:>9.3f} "
              f"{only[name]:>8.3f} {count / full[name]:>12,.0f} {full[name] / base[name]:>5.2f}×")
    print()
    scaled = "" if n_trajecten == TARGET_TRAJECTEN else f", scaled from {n_trajecten:,}"
    print("aim: ≤ a few × baseline and 100,000 trajecten < 10 s on one core")
    ratio_aim = f"engine ≤ {FEW}× baseline (a few):"
    time_aim = f"{TARGET_TRAJECTEN:,} trajecten < {TARGET_SECONDS:.0f} s (one core):"
    print(f"  {ratio_aim:<40} {ratio:7.2f} ×  {_verdict(ratio <= FEW)}")
    print(f"  {time_aim:<40} {at_target:7.2f} s  {_verdict(at_target < TARGET_SECONDS)}{scaled}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
