"""Availability speed: the pure engine against a per-candidate ORM search.

A 24-chair clinic (2 beds), nurses 1:4 (4 on duty all day, 6 from 09:00 to 16:30), open
07:30-18:00 Mon-Fri, with 20,000 existing sessions over a year in the real scheduling
models. Searches 4 weeks for a 4-hour and a 1-hour infusion:

- engine: `find_options` on the plain values the booking service reads (days, chairs,
  active sessions of those 4 weeks), timed many times; `adapter_*` also times reading
  those values from the database (what `planning.dose_options` does);
- baseline: what a typical Django appointment app does: for every candidate start on the
  15-minute grid, one ORM query per chair for overlapping active sessions.

The database is a throwaway test database made with Django's test utilities: in-memory
SQLite by default, or PostgreSQL when DATABASE_URL names the database `chairside_bench`.

    .venv/bin/python bench/availability.py [--runs 200] [--baseline-runs 3] [--seed 7]

Prints progress on stderr and one JSON line on stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import gc
import json
import random
import statistics
import time
from datetime import date, timedelta

from bench import django_db

django_db.setup()

from django.db import connection

from bench.clinic_model import log
from clinic import clock
from clinic.models import Therapy
from scheduling import availability as engine
from scheduling import selectors
from scheduling.models import Chair, PlannedDose, Session, TreatmentCourse

N_CHAIRS, N_BEDS = 24, 2
YEAR_FIRST, YEAR_LAST = date(2026, 1, 5), date(2026, 12, 31)
N_SESSIONS = 20_000
SEARCH_FIRST = date(2026, 6, 1)
SEARCH_DAYS = 28
# Chair minutes of the existing sessions (catalogue chair times, natalizumab-heavy), about
# 2.2 h on average: 20,000 a year fill ~67% of open chair-hours, a typical centre's 65-72%.
DURATIONS = [(60, 25), (120, 35), (90, 15), (240, 10), (150, 7), (300, 5), (390, 3)]


def make_sessions(rng: random.Random) -> int:
    """Fill the year with sessions placed by the engine itself, so every day is feasible."""
    therapy = Therapy.objects.get(code="natalizumab")
    step = therapy.steps.order_by("position").first()
    patients = django_db.make_patients(2000)
    courses = TreatmentCourse.objects.bulk_create(
        TreatmentCourse(patient=p, therapy=therapy, start_after=YEAR_FIRST) for p in patients
    )
    days = selectors.clinic_days(YEAR_FIRST, YEAR_LAST)
    chairs = selectors.engine_chairs()
    per_day = -(-N_SESSIONS // len(days))
    weights = [w for _, w in DURATIONS]
    minutes_pool = [m for m, _ in DURATIONS]
    placed: list[tuple[int, engine.Option]] = []
    for n, day in enumerate(days):
        booked: list[engine.Booked] = []
        for _ in range(per_day * 3):
            if len(booked) >= per_day or len(placed) >= N_SESSIONS:
                break
            minutes = rng.choices(minutes_pool, weights)[0]
            request = engine.SlotRequest(minutes=minutes, earliest=day.day, latest=day.day)
            options = engine.find_options(
                days=[day],
                chairs=chairs,
                booked=booked,
                request=request,
                tz=clock.clinic_tz(),
                limit=3,
            )
            if options:
                o = rng.choice(options)
                booked.append(engine.Booked(o.chair_id, o.start, o.end))
                placed.append((minutes, o))
        if n % 50 == 0:
            log(f"placing sessions: day {n}/{len(days)}, {len(placed)} so far")
    doses, sessions = [], []
    for k, (_minutes, o) in enumerate(placed):
        course = courses[k % len(courses)]
        doses.append(
            PlannedDose(
                course=course,
                step=step,
                sequence=k // len(courses) + 1,
                label="Infusion",
                offset_days=0,
                target=o.day,
                earliest=o.day,
                latest=o.day,
            )
        )
    doses = PlannedDose.objects.bulk_create(doses, batch_size=2000)
    for k, (_minutes, o) in enumerate(placed):
        sessions.append(
            Session(
                course=courses[k % len(courses)],
                dose=doses[k],
                chair_id=o.chair_id,
                start=o.start,
                end=o.end,
            )
        )
    Session.objects.bulk_create(sessions, batch_size=2000)
    return len(sessions)


def engine_inputs(first: date, last: date) -> tuple:
    return (
        selectors.clinic_days(first, last),
        selectors.engine_chairs(),
        selectors.engine_booked(first, last),
    )


def engine_search(inputs: tuple, minutes: int, first: date, last: date) -> list[engine.Option]:
    days, chairs, booked = inputs
    request = engine.SlotRequest(minutes=minutes, earliest=first, latest=last)
    return engine.find_options(
        days=days, chairs=chairs, booked=booked, request=request, tz=clock.clinic_tz()
    )


def baseline_search(minutes: int, first: date, last: date) -> list[tuple]:
    """For every grid start of every open day, ask the ORM about each chair in turn."""
    free = []
    chair_ids = list(Chair.objects.filter(is_active=True).values_list("pk", flat=True))
    for day in selectors.clinic_days(first, last):
        start = day.opens
        while start <= day.last_start:
            end = start + timedelta(minutes=minutes)
            if end <= day.closes:
                for chair_id in chair_ids:
                    taken = (
                        Session.objects.active()
                        .filter(chair_id=chair_id, start__lt=end, end__gt=start)
                        .exists()
                    )
                    if not taken:
                        free.append((start, chair_id))
            start += timedelta(minutes=engine.GRID_MINUTES)
    return free


def ms(seconds: list[float], q: float = 0.5) -> float:
    ordered = sorted(seconds)
    return round(ordered[min(int(q * len(ordered)), len(ordered) - 1)] * 1000, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="engine runs per request size")
    parser.add_argument("--baseline-runs", type=int, default=3, help="baseline runs per size")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    original_db = django_db.create()
    log(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    django_db.make_clinic(chairs=N_CHAIRS, beds=N_BEDS, peak_nurses=6, edge_nurses=4)
    started = time.perf_counter()
    n_sessions = make_sessions(rng)
    log(f"{n_sessions} sessions in {time.perf_counter() - started:.1f}s")

    first, last = SEARCH_FIRST, SEARCH_FIRST + timedelta(SEARCH_DAYS - 1)
    inputs = engine_inputs(first, last)
    log(f"searching {first}..{last}: {len(inputs[0])} open days, {len(inputs[2])} sessions")

    # Start the timing from a collected heap (loading left ~100k objects to collect).
    gc.collect()
    engine_times: dict[int, list[float]] = {240: [], 60: []}
    adapter_times: list[float] = []
    for run in range(args.runs):
        for minutes in (240, 60):
            t = time.perf_counter()
            engine_search(inputs, minutes, first, last)
            engine_times[minutes].append(time.perf_counter() - t)
        if run % 20 == 0:
            t = time.perf_counter()
            engine_search(engine_inputs(first, last), 240, first, last)
            adapter_times.append(time.perf_counter() - t)
    all_engine = engine_times[240] + engine_times[60]
    log(f"engine median {ms(all_engine)} ms, p95 {ms(all_engine, 0.95)} ms")

    baseline_times: list[float] = []
    agree = True
    for run in range(args.baseline_runs):
        for minutes in (240, 60):
            t = time.perf_counter()
            free = baseline_search(minutes, first, last)
            baseline_times.append(time.perf_counter() - t)
            # Sanity: every engine start must be free on some chair by the baseline too.
            starts = {s for s, _ in free}
            options = engine_search(inputs, minutes, first, last)
            agree = agree and all(o.start in starts for o in options)
            log(
                f"baseline run {run + 1} ({minutes} min): {baseline_times[-1]:.2f}s, "
                f"{len(free)} free (start, chair) pairs"
            )
    engine_median = statistics.median(all_engine) * 1000
    baseline_median = statistics.median(baseline_times) * 1000
    result = {
        "engine_median_ms": round(engine_median, 3),
        "engine_p95_ms": ms(all_engine, 0.95),
        "baseline_median_ms": round(baseline_median, 1),
        "speedup": round(baseline_median / engine_median, 1),
        "engine_4h_median_ms": round(statistics.median(engine_times[240]) * 1000, 3),
        "engine_1h_median_ms": round(statistics.median(engine_times[60]) * 1000, 3),
        "adapter_median_ms": round(statistics.median(adapter_times) * 1000, 3),
        "engine_runs": len(all_engine),
        "baseline_runs": len(baseline_times),
        "sessions_total": n_sessions,
        "sessions_in_window": len(inputs[2]),
        "open_days_searched": len(inputs[0]),
        "chairs": N_CHAIRS,
        "database": connection.vendor,
        "engine_options_confirmed_by_baseline": agree,
        "seed": args.seed,
    }
    result["targets_met"] = result["engine_median_ms"] <= 10 and result["speedup"] >= 50
    django_db.drop(original_db)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
