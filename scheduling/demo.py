"""Demo clinic: 12 chairs (2 beds), 07:30–18:00 Mon–Fri, 3 nurses at peak, booked courses.

Fake people only. Safe to run twice: each part checks whether it is already there.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import OutputWrapper
from django.utils import timezone

from clinic.clock import clinic_tz
from clinic.models import Patient, Therapy
from clinic.therapy_catalogue import catalogue_load
from scheduling import booking, planning
from scheduling.courses import CourseError, course_create, course_order_days_set
from scheduling.models import (
    Chair,
    ClosedDate,
    NurseShift,
    OpeningHours,
    PlannedDose,
    Session,
    TreatmentCourse,
)
from scheduling.monitoring import monitoring_plan

# Extra fake patients so the day board has a realistic load (not from referrals).
_GIVEN = [
    "Alpha",
    "Bravo",
    "Charlie",
    "Delta",
    "Echo",
    "Foxtrot",
    "Golf",
    "Hotel",
    "India",
    "Juliet",
    "Kilo",
    "Lima",
    "Mike",
    "November",
    "Oscar",
    "Papa",
    "Quebec",
    "Romeo",
]
_FAMILY = ["Sampleperson", "Testcase", "Fakerson", "Mockdata", "Placeholder", "Dummyname"]
_THERAPIES = [
    "natalizumab",
    "natalizumab",
    "ocrelizumab",
    "natalizumab",
    "ublituximab",
    "ocrelizumab",
]
DEMO_COURSES = [
    (given, _FAMILY[i % len(_FAMILY)], _THERAPIES[i % len(_THERAPIES)])
    for i, given in enumerate(_GIVEN)
]


def _setup_clinic(stdout: OutputWrapper) -> None:
    if Chair.objects.exists():
        return
    for number in range(1, 11):
        Chair.objects.create(name=f"Chair {number}", kind=Chair.Kind.CHAIR, position=number)
    for number in (1, 2):
        Chair.objects.create(name=f"Bed {number}", kind=Chair.Kind.BED, position=10 + number)
    for weekday in range(5):
        # Last start 16:30: a one-hour visit still ends well before 18:00 closing; the
        # engine also refuses any session that would end after closing.
        OpeningHours.objects.create(
            weekday=weekday, opens=time(7, 30), closes=time(18), last_start=time(16, 30)
        )
        NurseShift.objects.create(weekday=weekday, starts=time(7, 30), ends=time(18), nurses=2)
        NurseShift.objects.create(weekday=weekday, starts=time(9), ends=time(15), nurses=1)
    today = timezone.localdate()
    for month, day, reason in [
        (1, 1, "New Year's Day"),
        (7, 4, "Independence Day"),
        (12, 25, "Christmas Day"),
    ]:
        for year in (today.year, today.year + 1):
            ClosedDate.objects.get_or_create(
                day=date(year, month, day), defaults={"reason": reason}
            )
    stdout.write("Created the demo clinic: 12 chairs (2 beds), Mon–Fri 07:30–18:00.")


def _demo_courses() -> None:
    if Patient.objects.filter(email__endswith="@course.demo.chairside.example").exists():
        return
    start = timezone.localdate() + timedelta(days=1)
    while start.weekday() >= 5:
        start += timedelta(days=1)
    for index, (given, family, code) in enumerate(DEMO_COURSES):
        patient = Patient.objects.create(
            legal_given_name=given,
            legal_family_name=family,
            date_of_birth=date(1960 + index * 2, 1 + index % 12, 1 + index),
            email=f"{given.lower()}@course.demo.chairside.example",
            phone=f"(555) 010-02{index:02d}",
        )
        course = course_create(
            patient=patient, therapy=Therapy.objects.get(code=code), start_after=start
        )
        # First doses on the next open day or the one after, so the day board looks busy.
        course.doses.filter(sequence=1).update(latest=start + timedelta(days=1))


def _book(stdout: OutputWrapper) -> None:
    if Session.objects.exists():
        return
    scheduler = get_user_model().objects.filter(username="scheduler").first()
    courses = TreatmentCourse.objects.select_related("therapy").order_by("pk")
    booked = 0
    for index, course in enumerate(courses):
        if index == 0:
            continue  # left with prerequisites outstanding, to show the override
        course.prerequisites.update(met=True, met_on=timezone.localdate())
        planned = list(
            PlannedDose.objects.filter(course=course)
            .select_related("step", "course")
            .order_by("sequence")
        )
        doses = planned[:2]
        # Keep a block of consecutive days whole (IV methylprednisolone, Lemtrada).
        while (
            len(doses) < len(planned)
            and doses[-1].block is not None
            and (planned[len(doses)].block == doses[-1].block)
        ):
            doses.append(planned[len(doses)])
        plans = planning.course_plans(doses=doses)
        if not plans:
            continue
        try:
            booked += len(booking.course_book(choices=plans[0], by=scheduler, notify=False))
        except booking.BookingError as exc:  # pragma: no cover - demo only
            stdout.write(f"demo course {course.pk}: {exc}")
    stdout.write(f"Booked {booked} demo sessions (clinic time zone {clinic_tz()}).")


def _clinical_demo(stdout: OutputWrapper) -> None:
    """Show issue 14's rules: TOUCH authorisation (one lapsed), Lemtrada monitoring, a
    subcutaneous ocrelizumab course, and a 5-day methylprednisolone order."""
    if Patient.objects.filter(email__endswith="@clinical.demo.chairside.example").exists():
        return
    today = timezone.localdate()
    natalizumab = TreatmentCourse.objects.filter(therapy__code="natalizumab").order_by("pk")
    for index, course in enumerate(natalizumab):
        # The prescriber re-authorises every 6 months; the third course has lapsed.
        until = today - timedelta(days=3) if index == 2 else today + timedelta(days=40 + index * 9)
        course.safety_authorised_until = until
        course.save(update_fields=["safety_authorised_until"])
    people = [
        ("Tango", "Monitorcase", "alemtuzumab"),
        ("Uniform", "Subcutane", "ocrelizumab_sc"),
    ]
    for index, (given, family, code) in enumerate(people):
        patient = Patient.objects.create(
            legal_given_name=given,
            legal_family_name=family,
            date_of_birth=date(1975 + index, 3, 10 + index),
            email=f"{given.lower()}@clinical.demo.chairside.example",
            phone=f"(555) 010-03{index:02d}",
        )
        course = course_create(
            patient=patient,
            therapy=Therapy.objects.get(code=code),
            start_after=today + timedelta(days=7),
        )
        if code == "alemtuzumab":
            # Course 1 given about 7 months ago (before the app): its tests are planned.
            monitoring_plan(course=course, last=today - timedelta(days=214))
    urgent = TreatmentCourse.objects.filter(therapy__code="methylprednisolone").first()
    if urgent is not None:
        try:
            course_order_days_set(course=urgent, days=5)
        except CourseError as exc:  # pragma: no cover - demo only
            stdout.write(f"demo methylprednisolone course: {exc}")
    stdout.write("Added the clinical demo: TOUCH dates, Lemtrada monitoring, Ocrevus Zunovo.")


def seed(stdout: OutputWrapper) -> None:
    # The reviewed catalogue (clinic/therapies/), for any therapy an install lacks.
    catalogue_load()
    _setup_clinic(stdout)
    _demo_courses()
    _book(stdout)
    _clinical_demo(stdout)
