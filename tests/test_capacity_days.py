"""The database's hours, closures and nurse shifts become the engine's clinic days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from clinic.models import ClinicSettings
from scheduling.models import ClosedDate, NurseOverride, NurseShift
from scheduling.selectors import clinic_days
from tests.factories import clinic_week

pytestmark = pytest.mark.django_db


def test_weekends_and_closed_dates_are_absent():
    clinic_week()
    ClosedDate.objects.create(day=date(2027, 1, 6), reason="Staff training")
    days = [d.day for d in clinic_days(date(2027, 1, 4), date(2027, 1, 10))]
    assert days == [date(2027, 1, 4), date(2027, 1, 5), date(2027, 1, 7), date(2027, 1, 8)]


def test_local_opening_hours_keep_their_wall_clock_across_spring_forward():
    clinic_week()
    before, after = clinic_days(date(2027, 3, 12), date(2027, 3, 15))  # DST starts 14 March
    assert before.opens.astimezone(UTC).time() == time(12, 30)  # 07:30 EST = UTC-5
    assert after.opens.astimezone(UTC).time() == time(11, 30)  # 07:30 EDT = UTC-4
    assert after.last_start.astimezone(UTC) == datetime(2027, 3, 15, 20, 0, tzinfo=UTC)


def test_local_opening_hours_keep_their_wall_clock_across_fall_back():
    clinic_week(weekdays=range(7))
    (sunday,) = clinic_days(date(2027, 11, 7), date(2027, 11, 7))  # DST ends 7 November
    assert sunday.opens.astimezone(UTC).time() == time(12, 30)
    assert (sunday.closes - sunday.opens).total_seconds() == 10.5 * 3600


def test_overlapping_shifts_add_up_and_use_the_clinic_ratio():
    clinic_week(nurses=2)
    NurseShift.objects.create(weekday=0, starts=time(10), ends=time(14), nurses=1)
    settings = ClinicSettings.load()
    settings.patients_per_nurse = 5
    settings.save()
    (monday,) = clinic_days(date(2027, 1, 4), date(2027, 1, 4))
    assert [s.patients for s in monday.capacity] == [10, 15, 10]
    assert monday.capacity[1].start.astimezone(UTC).time() == time(15)


def test_a_date_override_replaces_that_days_shifts():
    clinic_week(nurses=3)
    NurseOverride.objects.create(day=date(2027, 1, 4), starts=time(8), ends=time(12), nurses=1)
    (monday,) = clinic_days(date(2027, 1, 4), date(2027, 1, 4))
    assert [(s.patients, s.end - s.start) for s in monday.capacity] == [
        (4, datetime(2027, 1, 1, 12) - datetime(2027, 1, 1, 8))
    ]
