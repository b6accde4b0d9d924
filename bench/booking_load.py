"""Booking under load on PostgreSQL: contention through the booking service, then HTTP.

Needs DATABASE_URL=postgres://postgres@127.0.0.1:5432/chairside_bench (the database is
dropped and re-created). The clinic is the demo shape: 12 chairs (2 beds), 07:30-18:00
Mon-Fri, nurses 1:4 with 2 on duty early and late and 3 at peak.

(a) Contention: 16 worker processes, each with its own database connection, book through
    `scheduling.booking.session_book` for 30 s; half the attempts aim at a few "hot"
    (day, time, chair) slots that everyone wants. Afterwards the database itself is asked
    for overlapping active sessions per chair and for instants over nurse capacity.
(b) HTTP: gunicorn on 127.0.0.1 (2 workers, DEBUG off) and 16 concurrent clients, each
    from its own loopback address, for at most 20 s and 150 requests each: submitting
    referrals (GET the form, POST it) and opening their private manage page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chairside_bench \\
        .venv/bin/python bench/booking_load.py [--seconds 30] [--http-seconds 20]

Prints progress on stderr and one JSON line on stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import http.client
import json
import multiprocessing
import os
import random
import re
import statistics
import subprocess
import threading
import time
import urllib.parse
from datetime import date, datetime, timedelta
from datetime import time as dtime

from bench import django_db

django_db.setup()

from django.db import connection, connections
from django.utils import timezone

from bench.clinic_model import ROOT, log
from clinic import clock
from clinic.links import link_create
from clinic.models import PrivateLink, Therapy
from scheduling import booking, selectors
from scheduling.models import ACTIVE_STATUSES, Chair, PlannedDose, Session, TreatmentCourse

WORKERS = 16
# Open days bookable in the contention part. 20 days hold only ~750 of these 2-hour
# sessions, so a fast run fills them within the 30 s and bookings/s then measures the
# schedule filling up; `--days 120` measures the booking path itself.
N_DAYS = 20
DOSES_PER_WORKER = 600
HOT_SLOTS = 6
PORT = int(os.environ.get("BENCH_HTTP_PORT", "8765"))  # gunicorn, part (b)
HTTP_CLIENTS = 16
HTTP_MAX_REQUESTS = 150
REFERRALS_PER_CLIENT = 20  # under the 30/hour per-address limit on the referral form


def bench_days(n_days: int = N_DAYS) -> list[date]:
    """Return `n_days` weekdays starting the Monday after next (always in the future)."""
    today = timezone.localdate(timezone=clock.clinic_tz())
    first = today + timedelta(days=14 - today.weekday())
    out, day = [], first
    while len(out) < n_days:
        if day.weekday() < 5:
            out.append(day)
        day += timedelta(days=1)
    return out


def make_doses(days: list[date]) -> list[list[int]]:
    """Create one natalizumab course per dose to book (prerequisites overridden: a bench)."""
    therapy = Therapy.objects.get(code="natalizumab")
    step = therapy.steps.order_by("position").first()
    patients = django_db.make_patients(WORKERS * DOSES_PER_WORKER, prefix="BL")
    courses = TreatmentCourse.objects.bulk_create(
        (
            TreatmentCourse(
                patient=p, therapy=therapy, start_after=days[0], override_reason="load bench"
            )
            for p in patients
        ),
        batch_size=2000,
    )
    doses = PlannedDose.objects.bulk_create(
        (
            PlannedDose(
                course=c,
                step=step,
                sequence=1,
                label="Infusion",
                offset_days=0,
                target=days[0],
                earliest=days[0],
                latest=days[-1],
            )
            for c in courses
        ),
        batch_size=2000,
    )
    ids = [d.pk for d in doses]
    return [ids[w::WORKERS] for w in range(WORKERS)]


def worker(
    index: int,
    dose_ids: list[int],
    days: list[date],
    seconds: float,
    hot_share: float,
    out: multiprocessing.queues.Queue,
) -> None:
    """Book for `seconds`; report (latency s, outcome) per attempt. Runs in its own process."""
    connections.close_all()  # never share the parent's connection
    rng = random.Random(index)
    tz = clock.clinic_tz()
    chairs = {c.pk: c for c in Chair.objects.all()}
    chair_ids = sorted(chairs)
    doses = {
        d.pk: d
        for d in PlannedDose.objects.select_related("course", "step").filter(pk__in=dose_ids)
    }
    pending = list(dose_ids)
    hot = [(days[k % 3], dtime(9 + k % 3, 0), chair_ids[k % 4]) for k in range(HOT_SLOTS)]
    grid = [dtime(7 + (m // 60), m % 60) for m in range(30, 16 * 60 - 420 + 1, 15)]
    now = timezone.now()
    results = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and pending:
        dose = doses[pending[-1]]
        if rng.random() < hot_share:
            day, at, chair_id = rng.choice(hot)
        else:
            day, at, chair_id = rng.choice(days), rng.choice(grid), rng.choice(chair_ids)
        started = time.perf_counter()
        try:
            booking.session_book(
                dose=dose, chair=chairs[chair_id], start=datetime.combine(day, at, tz), now=now
            )
            outcome = "booked"
            pending.pop()
        except booking.BookingError:
            outcome = "conflict"
        except Exception as exc:
            outcome = f"error: {type(exc).__name__}: {exc}"[:200]
        results.append((time.perf_counter() - started, outcome))
    connections.close_all()
    out.put(results)


def contention(seconds: float, days: list[date], doses: list[list[int]], hot_share: float) -> dict:
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=worker, args=(w, doses[w], days, seconds, hot_share, queue))
        for w in range(WORKERS)
    ]
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [r for _ in procs for r in queue.get(timeout=seconds + 120)]
    for p in procs:
        p.join(timeout=30)
    elapsed = time.perf_counter() - started
    booked = sum(1 for _, o in results if o == "booked")
    conflicts = sum(1 for _, o in results if o == "conflict")
    errors = [o for _, o in results if o.startswith("error")]
    latencies = sorted(t for t, _ in results)
    if errors:
        log(f"first error: {errors[0]}")
    return {
        "bookings_per_s": round(booked / elapsed, 1),
        "attempts_per_s": round(len(results) / elapsed, 1),
        "book_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "book_p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 1),
        "booked": booked,
        "conflicts": conflicts,
        "errors": len(errors),
    }


def overbookings() -> int:
    """Count pairs of active sessions overlapping on one chair, in SQL."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM scheduling_session a
            JOIN scheduling_session b
              ON a.chair_id = b.chair_id AND a.id < b.id
             AND a.start < b."end" AND b.start < a."end"
            WHERE a.status = ANY(%s) AND b.status = ANY(%s)
            """,
            [list(ACTIVE_STATUSES), list(ACTIVE_STATUSES)],
        )
        return cursor.fetchone()[0]


def capacity_violations(days: list[date]) -> int:
    """Count session starts at which concurrency exceeds nurse capacity or the chairs.

    Concurrency only rises at a session's start, so checking every start is enough.
    """
    n_chairs = Chair.objects.filter(is_active=True).count()
    count = 0
    for day in selectors.clinic_days(days[0], days[-1]):
        rows = list(
            Session.objects.active()
            .filter(start__lt=day.closes, end__gt=day.opens)
            .values_list("start", "end")
        )
        for start, _end in rows:
            level = sum(1 for s, e in rows if s <= start < e)
            cap = sum(c.patients for c in day.capacity if c.start <= start < c.end)
            count += level > min(cap, n_chairs)
        count += sum(
            1 for s, e in rows if not (day.opens <= s <= day.last_start and e <= day.closes)
        )
    return count


# --- (b) HTTP -------------------------------------------------------------------------------


def http_setup(days: list[date]) -> list[str]:
    """Give HTTP_CLIENTS patients one session each and a manage link; return the tokens."""
    therapy = Therapy.objects.get(code="natalizumab")
    step = therapy.steps.order_by("position").first()
    tz = clock.clinic_tz()
    day = days[-1] + timedelta(days=7)
    patients = django_db.make_patients(HTTP_CLIENTS, prefix="BH")
    tokens = []
    for k, patient in enumerate(patients):
        course = TreatmentCourse.objects.create(patient=patient, therapy=therapy, start_after=day)
        dose = PlannedDose.objects.create(
            course=course,
            step=step,
            sequence=1,
            label="Infusion",
            offset_days=0,
            target=day,
            earliest=day,
            latest=day,
        )
        start = datetime.combine(day, dtime(8 + k // 12 * 2, 0), tz)
        Session.objects.create(
            course=course,
            dose=dose,
            chair_id=Chair.objects.order_by("pk")[k % 12].pk,
            start=start,
            end=start + timedelta(hours=2),
        )
        _link, token = link_create(patient=patient, purpose=PrivateLink.Purpose.MANAGE, days=7)
        tokens.append((token, patient.date_of_birth.isoformat()))
    return tokens


def start_gunicorn(db_name: str) -> subprocess.Popen:
    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    env = {
        **os.environ,
        "DATABASE_URL": urllib.parse.urlunsplit(url._replace(path=f"/{db_name}")),
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "OTP_REQUIRED": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "clinic.wsgi",
            "-b",
            f"127.0.0.1:{PORT}",
            "-w",
            "2",
            "--timeout",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            # The home page, not /healthz: that also wants a worker's heartbeat (none here).
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("gunicorn did not start")


class Browser:
    """One client with its own loopback address (the rate limits count per address)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection(
            "127.0.0.1", PORT, timeout=10, source_address=(self.source, 0)
        )
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        text = response.read().decode("utf-8", "replace")
        conn.close()
        return response.status, text


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def http_client(k: int, token: str, dob: str, referral: dict, seconds: float, out: list) -> None:
    browser = Browser(f"127.0.0.{k + 2}")
    manage = f"/my/{token}/"
    deadline = time.monotonic() + seconds
    posted = 0

    def timed(method: str, path: str, form: dict | None, ok: tuple[int, ...]) -> str:
        started = time.perf_counter()
        try:
            status, text = browser.request(method, path, form)
        except OSError as exc:
            status, text = 0, str(exc)
        out.append((time.perf_counter() - started, status in ok, f"{method} {path[:8]} {status}"))
        return text

    page = timed("GET", manage, None, (200,))
    match = CSRF.search(page)
    timed("POST", manage, {"date_of_birth": dob, "csrfmiddlewaretoken": match and match[1]}, (302,))
    for n in range(HTTP_MAX_REQUESTS):
        if time.monotonic() > deadline:
            break
        if n % 4 == 0 and posted < REFERRALS_PER_CLIENT:
            match = CSRF.search(timed("GET", "/refer/", None, (200,)))
            data = {**referral, "submission_key": f"00000000-0000-4000-8000-{k:04d}{n:08d}"}
            data["csrfmiddlewaretoken"] = match[1] if match else ""
            timed("POST", "/refer/", data, (302,))
            posted += 1
        else:
            timed("GET", manage, None, (200,))


def http_load(tokens: list, seconds: float) -> dict:
    from tests.factories import referral_form_data

    referral = referral_form_data()
    out: list = []
    threads = [
        threading.Thread(target=http_client, args=(k, t, dob, referral, seconds, out))
        for k, (t, dob) in enumerate(tokens)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 60)
    elapsed = time.perf_counter() - started
    latencies = sorted(t for t, _, _ in out)
    failed = [what for _, ok, what in out if not ok]
    if failed:
        log(f"HTTP failures (first 5): {failed[:5]}")
    return {
        "http_rps": round(len(out) / elapsed, 1),
        "http_p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 1),
        "http_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "http_requests": len(out),
        "http_errors": len(failed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--http-seconds", type=float, default=20)
    parser.add_argument(
        "--hot-share", type=float, default=0.5, help="share of attempts aimed at the hot slots"
    )
    parser.add_argument("--no-http", action="store_true", help="skip part (b)")
    parser.add_argument(
        "--days", type=int, default=N_DAYS, help="open days to book into (see N_DAYS)"
    )
    args = parser.parse_args()

    original_db = django_db.create(require_postgres=True)
    db_name = connection.settings_dict["NAME"]
    log(f"database: {connection.vendor} {db_name}")
    django_db.make_clinic(chairs=12, beds=2, peak_nurses=3, edge_nurses=2)
    days = bench_days(args.days)
    doses = make_doses(days)
    log(f"{WORKERS} workers booking for {args.seconds:.0f}s over {days[0]}..{days[-1]}")
    result = contention(args.seconds, days, doses, args.hot_share)
    result["hot_share"] = args.hot_share
    result["days"] = args.days
    result["overbookings"] = overbookings()
    result["capacity_violations"] = capacity_violations(days)
    log(f"contention: {result}")

    if not args.no_http:
        tokens = http_setup(days)
        connections.close_all()
        server = start_gunicorn(db_name)
        try:
            log(f"gunicorn up; {HTTP_CLIENTS} clients for at most {args.http_seconds:.0f}s")
            result.update(http_load(tokens, args.http_seconds))
        finally:
            server.terminate()
            server.wait(timeout=30)
        log(f"http: rps {result['http_rps']}, p95 {result['http_p95_ms']} ms")
    result["database"] = connection.vendor
    result["workers"] = WORKERS
    result["targets_met"] = not args.no_http and (
        result["bookings_per_s"] >= 150
        and result["book_p95_ms"] <= 100
        and result["http_p95_ms"] <= 100
        and result["http_errors"] == 0
        and result["overbookings"] == 0
        and result["capacity_violations"] == 0
    )
    connections.close_all()
    django_db.drop(original_db)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
