"""Staff and patient pages at volume: 100,000 sessions and 20,000 patients.

Loads the volume into a throwaway test database (in-memory SQLite, or PostgreSQL when
DATABASE_URL names `chairside_bench`), then requests each page through Django's test client
as a signed-in superuser (the patient page through its private link after the date-of-birth
check), timing it and counting its SQL queries:

- session_list: the admin sessions list; board: the day board of a full day;
- flags: the urgent-flags inbox (admin); referrals: the referral queue (admin);
- patient: a patient's private manage page (upcoming sessions);
- fhir_everything: `GET /fhir/R4/Patient/<id>/$everything` with an API token (the patient's
  referral, course sessions, chairs, questionnaires: one Bundle);
- fhir_search: `GET /fhir/R4/Appointment?date=ge<today>&status=booked&_count=20`, a page of
  the upcoming sessions of every patient (total counted, next link).
- report_utilisation, report_attendance, report_urgent_flags, report_referrals: each report
  page (its queries, charts and tables) over the default four weeks.

    .venv/bin/python bench/pages.py [--runs 15]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chairside_bench .venv/bin/python bench/pages.py

Targets: the lists and pages ≤ 150 ms median and ≤ 12 queries; the reports (aggregates
over the whole period) ≤ 300 ms and ≤ 15 queries (`reports_targets_met`), charts drawn;
`report_*_cold_ms` is one first look, when the charts are drawn too.

Prints progress on stderr and one JSON line on stdout (`<page>_ms` is the median).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import json
import statistics
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime

from bench import django_db

django_db.setup()

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.clinic_model import log
from clinic import clock, plots
from clinic.links import link_create
from clinic.models import PrivateLink, Therapy
from intake.models import (
    Flag,
    Instrument,
    QuestionnaireRequest,
    QuestionnaireResponse,
    Referral,
    ReferralTransition,
)
from interop.models import RESOURCE_TYPES, ApiClient
from interop.tokens import token_issue
from scheduling.models import Chair, PlannedDose, Session, SessionStatus, TreatmentCourse

N_PATIENTS = 20_000
N_SESSIONS = 100_000
N_FLAGS = 4_000
SLOT_MINUTES = 120
SLOTS = [dtime(7, 30), dtime(9, 30), dtime(11, 30), dtime(13, 30), dtime(15, 30)]
REFERRAL_STATUSES = [
    "received",
    "in_review",
    "needs_info",
    "benefits_check",
    "prior_auth",
    "accepted",
]


def load_sessions(patients: list, today: date) -> tuple[int, object]:
    """Give each patient a course and five sessions; fill every chair and slot day by day."""
    therapy = Therapy.objects.get(code="natalizumab")
    step = therapy.steps.order_by("position").first()
    courses = TreatmentCourse.objects.bulk_create(
        (TreatmentCourse(patient=p, therapy=therapy, start_after=today) for p in patients),
        batch_size=2000,
    )
    chairs = list(Chair.objects.order_by("pk").values_list("pk", flat=True))
    tz = clock.clinic_tz()
    per_day = len(chairs) * len(SLOTS)
    n_days = -(-N_SESSIONS // per_day)
    # Centre the sessions on today so the lists hold both history and upcoming bookings.
    day = today - timedelta(days=n_days * 7 // 10)
    placements = []
    while len(placements) < N_SESSIONS:
        if day.weekday() < 5:
            for slot in SLOTS:
                start = datetime.combine(day, slot, tz)
                placements += [(day, start, c) for c in chairs]
        day += timedelta(days=1)
    placements = placements[:N_SESSIONS]
    now = timezone.now()
    doses, sessions = [], []
    for k, (d, _start, _chair) in enumerate(placements):
        course = courses[k % len(courses)]
        doses.append(
            PlannedDose(
                course=course,
                step=step,
                sequence=k // len(courses) + 1,
                label="Infusion",
                offset_days=0,
                target=d,
                earliest=d,
                latest=d,
            )
        )
    doses = PlannedDose.objects.bulk_create(doses, batch_size=5000)
    for k, (_d, start, chair) in enumerate(placements):
        past = start < now
        status = SessionStatus.BOOKED
        end = start + timedelta(minutes=SLOT_MINUTES)
        stamps: dict = {}
        if past:
            status = SessionStatus.NO_SHOW if k % 37 == 0 else SessionStatus.COMPLETED
            if k % 53 == 0:  # a late cancellation, for the attendance report
                status = SessionStatus.CANCELLED
                stamps = {"cancelled_at": start - timedelta(hours=k % 30)}
            elif status == SessionStatus.COMPLETED:
                stamps = {
                    "checked_in_at": start + timedelta(minutes=k % 11 - 5),
                    "completed_at": end + timedelta(minutes=k % 23 - 6),
                }
        sessions.append(
            Session(
                course=courses[k % len(courses)],
                dose=doses[k],
                chair_id=chair,
                start=start,
                end=end,
                status=status,
                **stamps,
            )
        )
    Session.objects.bulk_create(sessions, batch_size=5000)
    return len(sessions), courses[0].patient


def load_referrals(patients: list) -> int:
    therapy = Therapy.objects.get(code="ocrelizumab")
    now = timezone.now()
    rows = [
        Referral(
            status=REFERRAL_STATUSES[k % len(REFERRAL_STATUSES)],
            received_at=now - timedelta(hours=k),
            status_changed_at=now - timedelta(hours=k),
            patient=p if k % 6 == 5 else None,
            submitter_kind="provider",
            submitter_name="Demo Office",
            submitter_email="office@example.test",
            given_name=p.legal_given_name,
            family_name=p.legal_family_name,
            date_of_birth=p.date_of_birth,
            sex="female",
            phone="(555) 010-0123",
            address_line1="1 Example Street",
            city="Springfield",
            region="ST",
            postal_code="00000",
            payer="Demo Health Plan",
            member_id="DEMO0001",
            provider_name="Dr. Demo",
            provider_practice="Example Neurology",
            provider_npi="1234567893",
            provider_phone="(555) 010-0200",
            diagnosis_code="G35.A",
            no_known_drug_allergies=True,
            therapy=therapy,
            consent_to_contact=True,
        )
        for k, p in enumerate(patients)
    ]
    created = Referral.objects.bulk_create(rows, batch_size=2000)
    # The accepted ones were accepted some days after they arrived (the referrals report).
    staff = get_user_model().objects.get(username="bench")
    ReferralTransition.objects.bulk_create(
        (
            ReferralTransition(
                referral=r,
                from_status="benefits_check",
                to_status="accepted",
                by=staff,
                at=r.received_at + timedelta(days=1 + r.pk % 20),
            )
            for r in created
            if r.status == "accepted"
        ),
        batch_size=2000,
    )
    return len(created)


def load_flags(patients: list, staff: AbstractBaseUser) -> int:
    """One PHQ-9 response with a flag for each of the first patients; half acknowledged."""
    phq9 = Instrument.objects.get(code="phq9", is_current=True)
    now = timezone.now()
    chosen = patients[:N_FLAGS]
    requests = QuestionnaireRequest.objects.bulk_create(
        (QuestionnaireRequest(patient=p, sent_at=now) for p in chosen), batch_size=2000
    )
    responses = QuestionnaireResponse.objects.bulk_create(
        (
            QuestionnaireResponse(request=r, patient=p, instrument=phq9, main_score=21)
            for r, p in zip(requests, chosen, strict=True)
        ),
        batch_size=2000,
    )
    flags = [
        Flag(
            response=resp,
            patient=p,
            rule="phq9_total",
            label="PHQ-9 total 20 or more",
            level="urgent" if k % 3 else "review",
            priority=0 if k % 3 else 1,  # as intake.flags.flag_raise sets it: urgent first
            raised_at=now - timedelta(minutes=k),
            acknowledged_at=min(now, now - timedelta(minutes=k - k % 90 - 1)) if k % 2 else None,
            escalation_level=1 if k % 2 == 0 and k % 3 else 0,
            acknowledged_by=staff if k % 2 else None,
            acknowledgement_note="Called the patient." if k % 2 else "",
        )
        for k, (resp, p) in enumerate(zip(responses, chosen, strict=True))
    ]
    return len(Flag.objects.bulk_create(flags, batch_size=2000))


def timed(client: Client, url: str, runs: int) -> tuple[float, int, int]:
    """Return (median ms, queries of one request, status) for GET url."""
    response = client.get(url)  # warm caches, templates, the session
    # The query log also holds the loading's queries; start the count from zero.
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    # Count now: the captured list reads the connection's log, which the next request resets.
    n_queries = len(queries)
    slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:2]
    for q in slowest:
        log(f"  slowest query {float(q['time']) * 1000:.0f} ms: {q['sql'][:160]}")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 1), n_queries, response.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--only", default="", help="comma-separated pages to time (default all)")
    args = parser.parse_args()

    original_db = django_db.create()
    settings.OTP_REQUIRED = False
    log(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    started = time.perf_counter()
    django_db.make_clinic(chairs=24, beds=2, peak_nurses=6, edge_nurses=4)
    patients = django_db.make_patients(N_PATIENTS)
    today = timezone.localdate(timezone=clock.clinic_tz())
    while today.weekday() >= 5:
        today += timedelta(days=1)
    n_sessions, patient = load_sessions(patients, today)
    log(f"{n_sessions} sessions for {len(patients)} patients")
    staff = get_user_model().objects.create_superuser("bench", "bench@example.test", "x")
    n_referrals = load_referrals(patients)
    n_flags = load_flags(patients, staff)
    log(f"{n_referrals} referrals, {n_flags} flags; loaded in {time.perf_counter() - started:.0f}s")

    # Production settings for timing: no per-query logging (DEBUG off).
    settings.DEBUG = False
    staff_client = Client(raise_request_exception=False)
    staff_client.force_login(staff)
    _link, token = link_create(patient=patient, purpose=PrivateLink.Purpose.MANAGE, days=30)
    patient_client = Client(raise_request_exception=False)
    manage = reverse("scheduling:manage", args=[token])
    patient_client.post(manage, {"date_of_birth": patient.date_of_birth.isoformat()})

    _token, raw = token_issue(
        client=ApiClient.objects.create(name="Bench EHR", notify_email="ehr@example.test"),
        scopes=RESOURCE_TYPES,
        days=1,
    )
    api_client = Client(raise_request_exception=False, headers={"Authorization": f"Bearer {raw}"})
    referral = Referral.objects.filter(patient__isnull=True).first()
    Referral.objects.filter(pk=referral.pk).update(patient=patient)

    pages = {
        "session_list": (staff_client, reverse("admin:scheduling_session_changelist")),
        "board": (staff_client, reverse("admin:scheduling_session_board") + f"?day={today}"),
        "flags": (staff_client, reverse("admin:intake_flag_changelist")),
        "referrals": (staff_client, reverse("admin:intake_referral_changelist")),
        "patient": (patient_client, manage),
        "fhir_everything": (api_client, f"/fhir/R4/Patient/{patient.pk}/$everything"),
        "fhir_search": (
            api_client,
            f"/fhir/R4/Appointment?date=ge{today.isoformat()}&status=booked&_count=20",
        ),
    }
    reports = {
        f"report_{slug.replace('-', '_')}": (
            staff_client,
            reverse("admin:clinic_report", args=[slug]),
        )
        for slug in ("utilisation", "attendance", "urgent-flags", "referrals")
    }
    if args.only:
        pages = {name: page for name, page in pages.items() if name in args.only.split(",")}
        reports = {name: page for name, page in reports.items() if name in args.only.split(",")}
    result: dict = {}
    for name, (client, url) in reports.items():
        # Cold: the first look at these figures draws the charts (later looks reuse them).
        plots.CACHE_VERSION += 1
        started = time.perf_counter()
        client.get(url)
        result[f"{name}_cold_ms"] = round((time.perf_counter() - started) * 1000, 1)
    for name, (client, url) in {**pages, **reports}.items():
        ms, queries, status = timed(client, url, args.runs)
        log(f"{name}: {ms} ms, {queries} queries, HTTP {status}")
        result[f"{name}_ms"] = ms
        result[f"{name}_queries"] = queries
        if status != 200:
            result[f"{name}_status"] = status
    result.update(
        sessions=n_sessions,
        patients=len(patients),
        referrals=n_referrals,
        flags=n_flags,
        database=connection.vendor,
        runs=args.runs,
    )
    result["targets_met"] = all(
        result[f"{p}_ms"] <= 150 and result[f"{p}_queries"] <= 12 for p in pages
    ) and not any(k.endswith("_status") for k in result)
    result["reports_targets_met"] = all(
        result[f"{p}_ms"] <= 300 and result[f"{p}_queries"] <= 15 for p in reports
    ) and not any(k.endswith("_status") for k in result)
    django_db.drop(original_db)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
