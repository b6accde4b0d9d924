"""Demo visits: four weeks of completed chairside records with realistic variation, two mild
reactions, so the drift page and visit records show under `make run`. Fake people only.

The booking service refuses times in the past, so these past sessions are written here
directly (demo data only); each visit is then recorded through `visits.records`, as a nurse
would, which moves the session through check-in, in chair and completed.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import OutputWrapper
from django.utils import timezone

from clinic.clock import clinic_tz, instant_after, local_dt
from clinic.models import Patient, Therapy
from scheduling.courses import course_create
from scheduling.models import Chair, ClosedDate, Session, SessionStatus, VisitCheck
from visits import records
from visits.models import Reaction, VisitRecord

EMAIL_DOMAIN = "@visit.demo.chairside.example"
WEEKDAYS = 20
# (therapy, dose sequence, chair-time drift in minutes beyond the template: mean, spread)
PLAN = [
    ("natalizumab", 2, 14, 8),
    ("ocrelizumab", 3, 22, 15),
    ("natalizumab", 2, 10, 6),
    ("ocrelizumab", 1, 18, 12),
]
REACTIONS = {
    5: ("Flushing and warmth", "Rate halved for 30 minutes", "Resolved; infusion completed"),
    17: ("Throat itch", "Cetirizine 10 mg oral", "Resolved in 20 minutes"),
}


def _past_weekdays(count: int) -> list[date]:
    closed = set(ClosedDate.objects.values_list("day", flat=True))
    day, found = timezone.localdate(timezone=clinic_tz()), []
    while len(found) < count:
        day -= timedelta(days=1)
        if day.weekday() < 5 and day not in closed:
            found.append(day)
    return found


def _visit(index: int, day: date, slot: int, nurse: object, rng: random.Random) -> None:
    code, sequence, drift, spread = PLAN[slot % len(PLAN)]
    patient = Patient.objects.create(
        legal_given_name=f"Visit{index:02d}",
        legal_family_name="Pastperson",
        date_of_birth=date(1965 + index % 30, 1 + index % 12, 1 + index % 27),
        email=f"visit{index:02d}{EMAIL_DOMAIN}",
        phone=f"(555) 010-03{index:02d}",
    )
    course = course_create(
        patient=patient,
        therapy=Therapy.objects.get(code=code),
        start_after=day - timedelta(days=200),
    )
    course.prerequisites.update(met=True, met_on=day - timedelta(days=200))
    if course.therapy.safety_programme:  # natalizumab's TOUCH: authorised for 6 months
        course.safety_authorised_until = day + timedelta(days=180)
        course.save(update_fields=["safety_authorised_until"])
    dose = course.doses.select_related("step", "course").get(sequence=sequence)
    chair = Chair.objects.filter(is_active=True, kind=Chair.Kind.CHAIR).order_by("position")[slot]
    start = local_dt(day, time(8 + (slot % 2), 0))
    session = Session.objects.create(
        course=course,
        dose=dose,
        chair=chair,
        start=start,
        end=instant_after(start, dose.minutes),
        status=SessionStatus.BOOKED,
    )
    VisitCheck.objects.bulk_create(
        VisitCheck(session=session, requirement=r)
        for r in course.therapy.requirements.filter(kind="visit_check")
    )
    premed, infusion, observation = dose.chair_parts
    extra = max(-10, round(rng.gauss(drift, spread)))

    def at(minutes: int) -> datetime:
        return start + timedelta(minutes=minutes)

    record = records.visit_open(session=session, by=nurse, now=at(-5))
    records.visit_check_in(record=record, at=at(0))
    records.visit_checks_record(
        record=record, done={c.pk: True for c in session.checks.all()}, by=nurse
    )
    records.vitals_record(
        record=record,
        phase="before",
        taken_at=at(5),
        values={
            "systolic": rng.randint(108, 142),
            "diastolic": rng.randint(66, 88),
            "pulse": rng.randint(58, 92),
            "temperature": Decimal(str(round(rng.uniform(36.2, 37.3), 1))),
            "spo2": rng.randint(95, 99),
            "weight": Decimal(str(round(rng.uniform(52, 98), 1))),
        },
        by=nurse,
    )
    for item in record.premeds.all():
        records.premedication_give(premed=item, given_at=at(10), by=nurse)
    started = premed + max(0, extra // 3) + 5
    records.administration_start(
        record=record,
        product=course.therapy.name,
        dose=dose.step.dose,
        lot_number=f"DEMO-{rng.randint(10000, 99999)}",
        lot_expiry=day + timedelta(days=rng.randint(60, 400)),
        started_at=at(started),
        rate_ml_per_hour=Decimal("100") if code == "natalizumab" else Decimal("40"),
        by=nurse,
    )
    stopped = started + infusion + max(0, extra - extra // 3 - 5)
    if index in REACTIONS:
        symptoms, medicines, outcome = REACTIONS[index]
        records.reaction_record(
            record=record,
            at=at(started + 40),
            symptoms=symptoms,
            grade=1,
            action=Reaction.Action.SLOWED,
            medicines=medicines,
            outcome=outcome,
            by=nurse,
        )
    records.vitals_record(
        record=record,
        phase="after",
        taken_at=at(stopped + 5),
        values={"systolic": rng.randint(108, 140), "pulse": rng.randint(60, 90)},
        by=nurse,
    )
    records.administration_stop(record=record, at=at(stopped), by=nurse)
    records.observation_end(record=record, at=at(stopped + observation), by=nurse)
    records.visit_discharge(record=record, at=at(stopped + observation + 5), by=nurse)


def seed(stdout: OutputWrapper) -> None:
    if VisitRecord.objects.exists() or not Chair.objects.exists():
        return
    nurse = get_user_model().objects.filter(username="nurse").first()
    rng = random.Random(18)  # the same demo every time
    index = 0
    for day in _past_weekdays(WEEKDAYS):
        for slot in range(2):
            _visit(index, day, slot + 2 * (index // 2 % 2), nurse, rng)
            index += 1
    stdout.write(f"Recorded {index} demo visits over the past {WEEKDAYS} open days.")
