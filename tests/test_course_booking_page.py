"""Booking a course from its page: prerequisites first, plans in date order, a wished-for day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from intake.referrals import referral_transition
from scheduling.courses import course_create
from scheduling.models import Session
from tests.factories import PatientFactory, ReferralFactory, clinic_week, ready_course, therapy

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")


def _saturday_ahead(weeks: int = 2) -> date:
    day = timezone.localdate(timezone=NY) + timedelta(days=7 * weeks)
    return day + timedelta(days=(5 - day.weekday()) % 7)


def _book_page(client, course, **params):
    response = client.get(f"/admin/scheduling/treatmentcourse/{course.pk}/book/", params)
    assert response.status_code == 200
    return response


def test_outstanding_prerequisites_are_listed_before_any_plan_with_who_may_override(
    client, scheduler
):
    clinic_week(weekdays=range(7))
    course = course_create(
        patient=PatientFactory(), therapy=therapy("ocrelizumab"), start_after=_saturday_ahead()
    )
    client.force_login(scheduler)
    response = _book_page(client, course)
    html = response.content.decode()
    assert "Before the first dose can be booked" in html
    for prerequisite in course.prerequisites.select_related("requirement"):
        assert prerequisite.requirement.name in html
    assert "Only On-call clinician may" in html
    assert response.context["plans"] == [] and "Book this plan" not in html
    dose = course.doses.get(sequence=1)
    single = client.get(f"/admin/scheduling/treatmentcourse/{course.pk}/dose/{dose.pk}/book/")
    assert "Before the first dose can be booked" in single.content.decode()


def test_plans_are_in_date_order_each_on_a_different_day_when_there_is_one(client, scheduler):
    """Alemtuzumab's 5-day block fits only on Mondays; the first Monday is the busier one."""
    chairs = clinic_week(chairs=3, nurses=2)  # Monday to Friday
    saturday = _saturday_ahead()
    first_monday, second_monday = saturday + timedelta(days=2), saturday + timedelta(days=9)
    course = ready_course("alemtuzumab", start_after=saturday)
    course.doses.filter(sequence=1).update(latest=second_monday)
    other = ready_course("natalizumab", start_after=first_monday)
    start = datetime.combine(first_monday, time(9), tzinfo=NY)
    Session.objects.bulk_create(
        Session(
            course=other,
            dose=other.doses.get(sequence=1),
            chair=chair,
            start=start,
            end=start + timedelta(hours=4),
        )
        for chair in chairs[:2]
    )
    client.force_login(scheduler)
    plans = _book_page(client, course).context["plans"]
    firsts = [rows[0][0].start for _value, rows in plans]
    assert len(firsts) == 3
    assert firsts == sorted(firsts)
    assert firsts[0].astimezone(NY).date() == first_monday
    assert {f.astimezone(NY).date() for f in firsts} == {first_monday, second_monday}


def test_the_scheduler_asks_for_a_start_day_and_an_afternoon(client, scheduler):
    clinic_week(chairs=3, weekdays=range(7))
    course = ready_course("ocrelizumab", start_after=_saturday_ahead())
    wanted = _saturday_ahead() + timedelta(days=10)
    client.force_login(scheduler)
    page = _book_page(client, course, start=wanted.isoformat(), part="afternoon")
    plans = page.context["plans"]
    assert plans
    starts = [rows[0][0].start.astimezone(NY) for _value, rows in plans]
    assert starts[0].date() == wanted
    assert all(s.date() >= wanted and s.hour >= 12 for s in starts)
    assert len({s.date() for s in starts}) == len(starts)
    # Booking the chosen plan posts back to the same search and books it.
    (value, _rows), *_ = plans
    url = f"/admin/scheduling/treatmentcourse/{course.pk}/book/?start={wanted}&part=afternoon"
    assert client.post(url, {"pick": value}).status_code == 302
    assert course.sessions.order_by("start").first().start.astimezone(NY).date() == wanted


def test_doses_not_yet_booked_never_show_a_day_the_clinic_is_closed(client, scheduler):
    clinic_week(chairs=2)  # Monday to Friday
    saturday = _saturday_ahead()
    course = ready_course("alemtuzumab", start_after=saturday)
    client.force_login(scheduler)
    html = client.get(f"/admin/scheduling/treatmentcourse/{course.pk}/change/").content.decode()
    doses = html.split('id="doses-group"')[1]
    assert "Not yet placed" in doses
    for closed in (saturday, saturday + timedelta(days=1)):
        assert date_format(closed) not in doses, closed
    assert "Saturday" not in doses and "Sunday" not in doses


def test_the_course_page_links_the_referral_only_for_roles_that_may_open_it(
    client, coordinator, scheduler
):
    clinic_week(weekdays=range(7))
    referral = ReferralFactory()
    for target in ("in_review", "benefits_check", "prior_auth", "accepted"):
        referral_transition(referral=referral, to_status=target, by=coordinator, note="Test move")
    course = referral.course
    url = f"/admin/scheduling/treatmentcourse/{course.pk}/change/"
    link = f'href="/admin/intake/referral/{referral.pk}/change/"'
    client.force_login(scheduler)
    html = client.get(url).content.decode()
    assert referral.reference in html and link not in html
    refused = client.get(f"/admin/intake/referral/{referral.pk}/change/")
    assert refused.status_code == 403
    assert "Intake coordinator" in refused.content.decode()
    client.force_login(coordinator)
    assert link in client.get(url).content.decode()


def test_a_coordinator_records_prerequisites_then_books_but_cannot_change_the_course(
    client, coordinator
):
    clinic_week(weekdays=range(7))
    course = course_create(
        patient=PatientFactory(), therapy=therapy("ocrelizumab"), start_after=_saturday_ahead()
    )
    client.force_login(coordinator)
    url = f"/admin/scheduling/treatmentcourse/{course.pk}/change/"
    page = client.get(url)
    assert "short_infusion" not in page.context["adminform"].form.fields
    items = list(course.prerequisites.order_by("pk"))
    data = {
        "prerequisites-TOTAL_FORMS": str(len(items)),
        "prerequisites-INITIAL_FORMS": str(len(items)),
        "prerequisites-MIN_NUM_FORMS": "0",
        "prerequisites-MAX_NUM_FORMS": "1000",
        "doses-TOTAL_FORMS": "0",
        "doses-INITIAL_FORMS": "0",
        "doses-MIN_NUM_FORMS": "0",
        "doses-MAX_NUM_FORMS": "0",
    }
    for index, item in enumerate(items):
        data |= {
            f"prerequisites-{index}-id": str(item.pk),
            f"prerequisites-{index}-course": str(course.pk),
            f"prerequisites-{index}-met": "on",
            f"prerequisites-{index}-note": "Faxed by the neurologist",
        }
    assert client.post(url, data).status_code == 302
    assert not course.prerequisites.filter(met=False).exists()
    assert course.prerequisites.first().recorded_by == coordinator
    plans = _book_page(client, course).context["plans"]
    assert plans
