"""Shared set-up for the visit record tests: a booked session and a full visit through it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from scheduling.booking import session_book
from scheduling.models import Session
from tests.factories import PatientFactory, clinic_week, ready_course
from visits import records
from visits.models import VisitRecord

NY = ZoneInfo("America/New_York")


def visit_day() -> date:
    return timezone.localdate(timezone=NY) + timedelta(days=3)


def at(hour: int, minute: int = 0, day: date | None = None) -> datetime:
    return datetime.combine(day or visit_day(), time(hour, minute), tzinfo=NY)


def booked_session(
    code: str = "ocrelizumab", *, chairs: list | None = None, chair: int = 0, **patient
) -> Session:
    chairs = chairs or clinic_week(chairs=2, weekdays=range(7))
    course = ready_course(code, start_after=visit_day(), patient=PatientFactory(**patient))
    return session_book(dose=course.doses.get(sequence=1), chair=chairs[chair], start=at(9))


def full_visit(session: Session, nurse, *, discharge: datetime | None = None) -> VisitRecord:
    """Run a visit from check-in to discharge through the service, as a nurse would."""
    record = records.visit_open(session=session, by=nurse, now=at(8, 55))
    records.visit_check_in(record=record, at=at(9))
    records.visit_checks_record(
        record=record, done={c.pk: True for c in session.checks.all()}, by=nurse
    )
    records.vitals_record(
        record=record,
        phase="before",
        taken_at=at(9, 5),
        values={"systolic": 124, "diastolic": 78, "pulse": 72, "temperature": Decimal("36.8")},
        by=nurse,
    )
    for premed in record.premeds.all():
        records.premedication_give(premed=premed, given_at=at(9, 10), by=nurse)
    records.administration_start(
        record=record,
        product="Ocrelizumab",
        dose="300 mg",
        lot_number="LOT-DEMO-1",
        lot_expiry=visit_day() + timedelta(days=90),
        started_at=at(9, 40),
        rate_ml_per_hour=Decimal("30"),
        by=nurse,
    )
    records.rate_change(
        record=record, at=at(10, 10), rate_ml_per_hour=Decimal("60"), note="", by=nurse
    )
    records.administration_stop(record=record, at=at(12, 10), by=nurse)
    records.observation_end(record=record, at=at(13, 10), by=nurse)
    return records.visit_discharge(record=record, at=discharge or at(13, 20), by=nurse)


def completed_records(
    minutes: list[int],
    *,
    code: str = "ocrelizumab",
    kind: str = "first",
    chairs: list | None = None,
    days_ago: int = 10,
) -> list[VisitRecord]:
    """Completed visits that took `minutes` in the chair, one patient each (test data: the
    learned figures read records, so these are written directly, not through the service)."""
    from datetime import timedelta as td

    from scheduling.models import SessionStatus

    chairs = chairs or clinic_week(chairs=2, weekdays=range(7))
    made = []
    for index, taken in enumerate(minutes):
        day = timezone.localdate(timezone=NY) - td(days=days_ago + index)
        course = ready_course(code, start_after=day)
        dose = course.doses.get(sequence=1 if kind == "first" else 3)
        start = at(9, day=day)
        session = Session.objects.create(
            course=course,
            dose=dose,
            chair=chairs[0],
            start=start,
            end=start + td(minutes=dose.minutes),
            status=SessionStatus.COMPLETED,
            checked_in_at=start,
            completed_at=start + td(minutes=taken),
        )
        made.append(
            VisitRecord.objects.create(
                session=session,
                therapy=course.therapy,
                dose_kind=kind,
                template_minutes=sum(dose.chair_parts),
                opened_at=start,
                infusion_started_at=start + td(minutes=40),
                observation_ended_at=start + td(minutes=taken - 10),
                discharged_at=start + td(minutes=taken),
                chair_minutes=taken,
                infusion_minutes=taken - 50,
            )
        )
    return made
