"""Staff book and run sessions from the admin, always through the booking service."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from clinic.models import AccessLog
from scheduling.booking import session_book
from scheduling.courses import visit_check_record
from scheduling.models import Session, TreatmentCourse, VisitCheck
from tests.factories import clinic_week, ready_course

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")


def _soon():
    return timezone.localdate(timezone=NY) + timedelta(days=3)


def _booked(chairs, code: str = "ocrelizumab", hhmm: str = "09:00") -> Session:
    course = ready_course(code, start_after=_soon())
    start = datetime.combine(_soon(), time.fromisoformat(hhmm), tzinfo=NY)
    return session_book(dose=course.doses.get(sequence=1), chair=chairs[0], start=start)


def test_opening_a_course_is_recorded_in_the_access_log(client, scheduler):
    clinic_week(weekdays=range(7))
    course = ready_course(start_after=_soon())
    client.force_login(scheduler)
    assert client.get(f"/admin/scheduling/treatmentcourse/{course.pk}/change/").status_code == 200
    assert AccessLog.objects.filter(object_id=str(course.pk), user=scheduler).exists()


def test_a_scheduler_books_a_single_dose_from_the_top_options(client, scheduler):
    clinic_week(chairs=3, weekdays=range(7))
    course = ready_course(start_after=_soon())
    dose = course.doses.get(sequence=1)
    client.force_login(scheduler)
    url = f"/admin/scheduling/treatmentcourse/{course.pk}/dose/{dose.pk}/book/"
    page = client.get(url)
    assert page.status_code == 200
    options = page.context["options"]
    assert 1 <= len(options) <= 6
    response = client.post(url, {"pick": options[0][0]})
    assert response.status_code == 302
    session = Session.objects.get(dose=dose)
    assert session.start == options[0][1].start and session.booked_by == scheduler


def test_a_scheduler_books_the_whole_course_plan(client, scheduler):
    clinic_week(chairs=3, weekdays=range(7))
    course = ready_course(start_after=_soon())
    client.force_login(scheduler)
    url = f"/admin/scheduling/treatmentcourse/{course.pk}/book/"
    page = client.get(url)
    (value, rows), *_ = page.context["plans"]
    assert len(rows) == 4
    assert client.post(url, {"pick": value}).status_code == 302
    assert Session.objects.filter(course=course).count() == 4


def test_a_tampered_pick_is_refused_by_the_service(client, scheduler):
    chairs = clinic_week(chairs=1, weekdays=range(7))
    taken = _booked(chairs)
    course = ready_course(start_after=_soon())
    dose = course.doses.get(sequence=1)
    client.force_login(scheduler)
    url = f"/admin/scheduling/treatmentcourse/{course.pk}/dose/{dose.pk}/book/"
    pick = f"{dose.pk}:{chairs[0].pk}:{taken.start.isoformat()}"
    client.get(url)
    response = client.post(url, {"pick": pick})
    assert response.status_code == 200  # not among the offered choices: form error
    assert not Session.objects.filter(dose=dose).exists()


def test_a_nurse_cannot_book(client, nurse):
    clinic_week(weekdays=range(7))
    course = ready_course(start_after=_soon())
    client.force_login(nurse)
    assert client.get(f"/admin/scheduling/treatmentcourse/{course.pk}/book/").status_code == 403


def test_a_clinician_overrides_prerequisites_from_the_course_page(client, clinician):
    course = ready_course(start_after=_soon())
    course.prerequisites.update(met=False)
    client.force_login(clinician)
    url = f"/admin/scheduling/treatmentcourse/{course.pk}/override/"
    assert client.post(url, {"reason": "Labs faxed, in the chart"}).status_code == 302
    course.refresh_from_db()
    assert course.override_reason == "Labs faxed, in the chart" and course.override_by == clinician


def _act(client, action: str, session: Session, **extra):
    return client.post(
        "/admin/scheduling/session/", {"action": action, "_selected_action": [session.pk], **extra}
    )


def test_nurses_move_a_session_through_the_day(client, nurse):
    chairs = clinic_week(weekdays=range(7))
    session = _booked(chairs)
    for check in session.checks.all():
        visit_check_record(check=check, done=True, by=nurse)
    client.force_login(nurse)
    for action, status in [
        ("check_in", "checked_in"),
        ("seat", "in_chair"),
        ("complete", "completed"),
    ]:
        _act(client, action, session)
        session.refresh_from_db()
        assert session.status == status


def test_in_chair_is_refused_until_the_touch_checklist_is_recorded(client, nurse):
    chairs = clinic_week(weekdays=range(7))
    session = _booked(chairs, "natalizumab")
    # Authorised in TOUCH (a lapsed authorisation is refused: test_course_clinical_rules.py).
    TreatmentCourse.objects.filter(pk=session.course_id).update(
        safety_authorised_until=_soon() + timedelta(days=180)
    )
    client.force_login(nurse)
    _act(client, "check_in", session)
    _act(client, "seat", session)
    session.refresh_from_db()
    assert session.status == "checked_in"
    check = session.checks.get()
    response = client.post(
        f"/admin/scheduling/session/{session.pk}/change/",
        {
            "checks-TOTAL_FORMS": "1",
            "checks-INITIAL_FORMS": "1",
            "checks-MIN_NUM_FORMS": "0",
            "checks-MAX_NUM_FORMS": "1000",
            "checks-0-id": str(check.pk),
            "checks-0-session": str(session.pk),
            "checks-0-done": "on",
            "checks-0-note": "",
        },
    )
    assert response.status_code == 302
    check = VisitCheck.objects.get(pk=check.pk)
    assert check.done and check.recorded_by == nurse
    _act(client, "seat", session)
    session.refresh_from_db()
    assert session.status == "in_chair"


def test_a_scheduler_cancels_with_a_reason(client, scheduler):
    chairs = clinic_week(weekdays=range(7))
    session = _booked(chairs)
    client.force_login(scheduler)
    page = _act(client, "cancel", session)
    assert b"Cancel the sessions" in page.content
    _act(client, "cancel", session, reason="Patient has a cold")
    session.refresh_from_db()
    assert session.status == "cancelled" and session.cancel_reason == "Patient has a cold"


def test_a_nurse_marks_a_no_show(client, nurse):
    chairs = clinic_week(weekdays=range(7))
    session = _booked(chairs)
    client.force_login(nurse)
    _act(client, "no_show", session)
    session.refresh_from_db()
    assert session.status == "no_show"


@pytest.mark.parametrize("count", [3, 30])
def test_the_session_list_renders_in_a_fixed_number_of_queries(
    client, scheduler, count, django_assert_max_num_queries
):
    chairs = clinic_week(chairs=12, nurses=3, weekdays=range(7))
    rows = []
    for index in range(count):
        course = ready_course(start_after=_soon())
        start = datetime.combine(_soon(), time(8), tzinfo=NY) + timedelta(minutes=15 * index)
        rows.append(
            Session(
                course=course,
                dose=course.doses.get(sequence=1),
                chair=chairs[index % 12],
                start=start,
                end=start + timedelta(minutes=30),
            )
        )
    Session.objects.bulk_create(rows)
    client.force_login(scheduler)
    # 14 = 7 for the request itself (session, user, two permission reads, the session save
    # in three), the menu's settings check, and 6 for the list: two filters' choices, the
    # count, the page, the date range and the days of the one month the sessions fall in.
    with django_assert_max_num_queries(14):
        response = client.get("/admin/scheduling/session/")
    assert response.status_code == 200
    assert response.content.count(b'class="action-select"') == count


def test_a_scheduler_moves_a_session_to_an_offered_time(client, scheduler):
    chairs = clinic_week(chairs=2, weekdays=range(7))
    session = _booked(chairs, "natalizumab")
    client.force_login(scheduler)
    url = f"/admin/scheduling/session/{session.pk}/move/"
    page = client.get(url)
    assert page.status_code == 200
    value, option, _chair = page.context["options"][-1]
    assert client.post(url, {"pick": value}).status_code == 302
    session.refresh_from_db()
    assert session.start == option.start and session.status == "booked"


def test_a_nurse_cannot_move_a_session(client, nurse):
    chairs = clinic_week(weekdays=range(7))
    session = _booked(chairs)
    client.force_login(nurse)
    assert client.get(f"/admin/scheduling/session/{session.pk}/move/").status_code == 403


@pytest.mark.parametrize("count", [2, 20])
def test_the_course_list_shows_outstanding_prerequisites_in_fixed_queries(
    client, scheduler, count, django_assert_max_num_queries
):
    for _ in range(count):
        course = ready_course(start_after=_soon())
    course.prerequisites.filter(requirement__code="hbv").update(met=False)
    client.force_login(scheduler)
    with django_assert_max_num_queries(12):
        html = client.get("/admin/scheduling/treatmentcourse/").content.decode()
    assert html.count("all met") == count - 1 and "1 outstanding" in html
