"""A patient moving one day of a consecutive-day series moves the whole block, or calls.

Alemtuzumab's course and a steroid pulse are given on consecutive days in one chair at one
time: one day alone can't move. The page says so, offers whole blocks (never the block's
own current days), and the booking service moves every day at once.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from clinic.links import link_create
from clinic.models import ClinicSettings, PrivateLink
from scheduling import planning
from scheduling.booking import BookingError, block_move, course_book
from scheduling.models import Session
from scheduling.workflow import session_check_in
from tests.factories import clinic_week, ready_course

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
DOB = "1980-03-27"  # PatientFactory's date of birth


def _block(code: str = "alemtuzumab", days_ahead: int = 5) -> list[Session]:
    clinic_week(chairs=2, nurses=2, weekdays=range(7))
    start_after = timezone.localdate(timezone=NY) + timedelta(days=days_ahead)
    course = ready_course(code, start_after=start_after)
    doses = planning.block_doses(course.doses.get(sequence=1))
    (plan, *_) = planning.course_plans(doses=doses)
    return course_book(choices=plan, notify=False)


def _client(session: Session) -> tuple[Client, str]:
    _row, token = link_create(
        patient=session.course.patient, purpose=PrivateLink.Purpose.MANAGE, days=30
    )
    client = Client()
    assert client.post(f"/my/{token}/", {"date_of_birth": DOB}).status_code == 302
    return client, f"/my/{token}/"


def _start(value: str) -> datetime:
    return datetime.fromisoformat(value.split(":", 2)[2])


def _local_days(sessions: list[Session]) -> list[date]:
    return [s.start.astimezone(NY).date() for s in sessions]


def test_the_page_says_the_days_stay_together_and_why_others_are_not_offered():
    sessions = _block()
    client, url = _client(sessions[1])
    html = client.get(f"{url}{sessions[1].pk}/reschedule/").content.decode()
    assert "day 2 of 5 of a treatment given on consecutive days" in html
    assert "The days stay together, so one day can't be moved on its own" in html
    assert "only dates that keep your treatment on schedule" in html
    assert ClinicSettings.load().phone in html


def test_every_offer_is_a_whole_block_and_never_the_current_days():
    sessions = _block()
    client, url = _client(sessions[1])
    page = client.get(f"{url}{sessions[1].pk}/reschedule/")
    choices = page.context["form"].fields["pick"].choices
    assert choices
    current_first = sessions[0].start
    for value, label in choices:
        assert _start(value) != current_first
        assert "and the next 4 days at the same time" in label
    # Before: only that one day's other times were offered, the patient's own slot among them.
    assert len({_start(value).astimezone(NY).date() for value, _label in choices}) > 1


def test_choosing_a_block_moves_all_five_days_together_in_one_chair():
    sessions = _block()
    client, url = _client(sessions[2])
    page = client.get(f"{url}{sessions[2].pk}/reschedule/")
    value = page.context["form"].fields["pick"].choices[0][0]
    response = client.post(f"{url}{sessions[2].pk}/reschedule/", {"pick": value}, follow=True)
    assert "All 5 days are moved: the first is now on" in response.content.decode()
    moved = list(Session.objects.filter(pk__in=[s.pk for s in sessions]).order_by("start"))
    first = _start(value)
    assert moved[0].start == first
    days = _local_days(moved)
    assert days == [days[0] + timedelta(days=i) for i in range(5)]
    assert {s.start.astimezone(NY).time() for s in moved} == {first.astimezone(NY).time()}
    assert len({s.chair_id for s in moved}) == 1
    assert all(s.status == "booked" and s.calendar_sequence == 1 for s in moved)


def test_a_steroid_pulse_day_explains_the_block_too():
    sessions = _block("methylprednisolone")
    client, url = _client(sessions[0])
    html = client.get(f"{url}{sessions[0].pk}/reschedule/").content.decode()
    assert "day 1 of 3 of a treatment given on consecutive days" in html
    assert "The days stay together" in html


def test_a_block_that_has_begun_is_for_the_clinic_to_move():
    sessions = _block()
    Session.objects.filter(pk=sessions[0].pk).update(
        start=timezone.now() + timedelta(hours=1), end=timezone.now() + timedelta(hours=7)
    )
    session_check_in(session=Session.objects.get(pk=sessions[0].pk))
    client, url = _client(sessions[3])
    page = client.get(f"{url}{sessions[3].pk}/reschedule/")
    assert "Part of this treatment has begun" in page.content.decode()
    assert page.context["form"].fields["pick"].choices == []


def test_the_service_moves_the_block_later_in_the_same_chair_day_by_day():
    # Each day lands where the next day sat: the last day must move first (exclusion
    # constraint on PostgreSQL), and the block's own sessions must not block themselves.
    sessions = _block()
    chair = sessions[0].chair
    moved = block_move(
        session=sessions[4], chair=chair, start=sessions[0].start + timedelta(days=1)
    )
    assert _local_days(moved) == [d + timedelta(days=1) for d in _local_days(sessions)]
    assert {s.chair_id for s in moved} == {chair.pk}
    assert [s.calendar_sequence for s in moved] == [1] * 5


def test_the_later_doses_of_the_course_follow_the_moved_block():
    sessions = _block()
    course = sessions[0].course
    second_course = course.doses.get(sequence=6)
    moved = block_move(
        session=sessions[0], chair=sessions[0].chair, start=sessions[0].start + timedelta(days=2)
    )
    second_course_after = course.doses.get(sequence=6)
    assert second_course_after.target - second_course.target == timedelta(days=2)
    assert _local_days(moved)[0] == _local_days(sessions)[0] + timedelta(days=2)


def test_a_patient_cannot_move_a_block_starting_within_24_hours():
    sessions = _block(days_ahead=1)
    soon = timezone.now() + timedelta(hours=20)
    Session.objects.filter(pk=sessions[0].pk).update(start=soon, end=soon + timedelta(hours=6))
    with pytest.raises(BookingError, match="less than 24 hours"):
        block_move(
            session=sessions[1],
            chair=sessions[0].chair,
            start=sessions[0].start + timedelta(days=7),
            by_patient=True,
        )


def test_a_block_move_onto_a_closed_day_moves_nothing():
    sessions = _block()
    from scheduling.models import ClosedDate

    closed = _local_days(sessions)[-1] + timedelta(days=3)
    ClosedDate.objects.create(day=closed, reason="Holiday")
    with pytest.raises(BookingError):
        block_move(
            session=sessions[0],
            chair=sessions[0].chair,
            start=datetime.combine(closed - timedelta(days=1), time(9), tzinfo=NY),
        )
    assert [s.start for s in Session.objects.filter(pk__in=[s.pk for s in sessions])] == [
        s.start for s in sessions
    ]


def test_a_single_dose_reschedule_never_offers_the_patients_own_slot():
    clinic_week(chairs=3, weekdays=range(7))
    day = timezone.localdate(timezone=NY) + timedelta(days=5)
    course = ready_course("natalizumab", start_after=day)
    from scheduling.booking import session_book

    session = session_book(
        dose=course.doses.get(sequence=1),
        chair=planning.Chair.objects.first(),
        start=datetime.combine(day, time(7, 30), tzinfo=NY),
        notify=False,
    )
    client, url = _client(session)
    page = client.get(f"{url}{session.pk}/reschedule/")
    starts = [_start(value) for value, _label in page.context["form"].fields["pick"].choices]
    assert starts
    assert session.start not in starts
    assert "so that your doses stay the right distance apart" in page.content.decode()
