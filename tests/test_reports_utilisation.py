"""Chair utilisation and attendance, on two days worked out by hand (tests/report_fixtures.py).

Open chair-hours: 2 chairs × 4 h × 2 days = 16 (8 a day, 8 a chair). Booked: A 2 h, B 1.5 h
(a no-show held its chair), D 3 h; cancelled C and E hold nothing. Actual (check-in to
discharge): A 2.5 h, D 2.5 h.
"""

from __future__ import annotations

import pytest

from clinic.reports import Period
from scheduling.reports import attendance_tables, utilisation_report
from tests.report_fixtures import MONDAY, TUESDAY, two_days_of_sessions

pytestmark = pytest.mark.django_db
PERIOD = Period(MONDAY, TUESDAY)


@pytest.fixture
def history() -> dict:
    return two_days_of_sessions()


def _tables(period: Period = PERIOD) -> dict:
    return {s.table.slug: s for s in utilisation_report(period)}


def test_booked_and_actual_chair_hours_per_day_against_open_hours(history):
    by_day = _tables()["by-day"]
    assert list(by_day.table.rows) == [
        ("Mon 2026-11-02", 8.0, 3.5, 2.5, 43.8, 31.2),
        ("Tue 2026-11-03", 8.0, 3.0, 2.5, 37.5, 31.2),
    ]
    assert by_day.caption.startswith("Booked 40.6 % of 16 open chair-hours, used 31.2 %")


def test_the_load_curve_per_hour_of_day_against_the_nurse_cap(history):
    # Chair-minutes per hour over both days: 08 A 60 + D 30; 09 A 60 + B 60 + D 60;
    # 10 B 30 + D 60; 11 D 30. Divided by 60 and by 2 days. One nurse × 4 patients.
    by_hour = _tables()["by-hour"]
    assert list(by_hour.table.rows) == [
        ("08:00", 0.8, 4.0, 2, 20.0),
        ("09:00", 1.5, 4.0, 2, 37.5),
        ("10:00", 0.8, 4.0, 2, 20.0),
        ("11:00", 0.2, 4.0, 2, 5.0),
    ]
    assert by_hour.caption.startswith("Peak hour 09:00: 1.5 patients in chairs")


def test_chair_hours_per_chair(history):
    by_chair = _tables()["by-chair"]
    assert list(by_chair.table.rows) == [
        ("Chair 1", 8.0, 2.0, 2.5, 25.0, 31.2),
        ("Chair 2", 8.0, 4.5, 2.5, 56.2, 31.2),
    ]
    assert by_chair.caption == "Busiest: Chair 2 (56.2 % booked); quietest: Chair 1 (25.0 %)."


def test_a_day_outside_the_period_counts_nothing(history):
    sections = _tables(Period(TUESDAY, TUESDAY))
    assert [r[2] for r in sections["by-day"].table.rows] == [3.0]


def test_attendance_by_week_therapy_and_weekday(history):
    weeks, therapies, weekdays = attendance_tables(PERIOD)
    # Sessions, completed, no-shows, late cancellations, earlier cancellations, missed %:
    # missed = (1 no-show + 1 late) ÷ (5 − 1 earlier) = 50 %.
    assert list(weeks.rows) == [("2026-11-02", 5, 2, 1, 1, 1, 50.0)]
    assert list(therapies.rows) == [
        ("Natalizumab", 2, 1, 0, 0, 1, 0.0),
        ("Ocrelizumab", 3, 1, 1, 1, 0, 66.7),
    ]
    assert list(weekdays.rows) == [("Mon", 3, 1, 1, 1, 0, 66.7), ("Tue", 2, 1, 0, 0, 1, 0.0)]


def test_a_cancellation_exactly_24_hours_before_is_not_late(history):
    from datetime import timedelta

    e = history["E"]
    e.cancelled_at = e.start - timedelta(hours=24)
    e.save()
    weeks, _, _ = attendance_tables(PERIOD)
    assert weeks.rows[0][4:6] == (1, 1)
