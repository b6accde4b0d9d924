"""One process books 300 doses in a row, no contention: CPU and wall time and queries per booking.

CPU time in the booking process is the figure that holds on a busy, shared machine (wall
time there is mostly waiting for a core). Needs DATABASE_URL naming a PostgreSQL database
whose name ends in `_bench` (it is dropped and re-created):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chairside_bench \\
        .venv/bin/python bench/booking_cpu.py

Prints progress on stderr and one JSON line on stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import json
import statistics
import time
from datetime import datetime
from datetime import time as dtime

from bench import django_db

django_db.setup()

from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.booking_load import bench_days, make_doses
from bench.clinic_model import log
from scheduling import booking, selectors
from scheduling.models import Chair, PlannedDose

BOOKINGS = 300
WARM_UP = 20


def main() -> None:
    original = django_db.create(require_postgres=True)
    try:
        django_db.make_clinic(chairs=12, beds=2, peak_nurses=3, edge_nurses=2)
        days = bench_days(120)
        doses = make_doses(days)[0][:BOOKINGS]
        tz = selectors.clinic_tz()
        chairs = list(Chair.objects.order_by("pk"))[:4]
        slots = iter([(d, dtime(h), c) for d in days for h in (8, 10, 12, 14) for c in chairs])
        now = timezone.now()
        log(f"booking {len(doses)} doses one after another")
        wall, cpu, queries = [], [], []
        for pk in doses:
            dose = PlannedDose.objects.select_related("course", "step").get(pk=pk)
            for day, at, chair in slots:
                start = datetime.combine(day, at, tz)
                try:
                    with CaptureQueriesContext(connection) as captured:
                        w0, c0 = time.perf_counter(), time.process_time()
                        booking.session_book(dose=dose, chair=chair, start=start, now=now)
                        w1, c1 = time.perf_counter(), time.process_time()
                except booking.BookingError:
                    continue
                break
            wall.append((w1 - w0) * 1000)
            cpu.append((c1 - c0) * 1000)
            queries.append(len(captured))
        result = {
            "bookings": len(cpu),
            "cpu_ms_median": round(statistics.median(cpu[WARM_UP:]), 1),
            "wall_ms_median": round(statistics.median(wall[WARM_UP:]), 1),
            "queries_median": statistics.median(queries[WARM_UP:]),
            "load_average": Path("/proc/loadavg").read_text().split()[:3],
        }
    finally:
        connections.close_all()
        django_db.drop(original)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
