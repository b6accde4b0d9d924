"""Issue 14's course rules, from DOMAIN.md section 1: calendar-month gaps, Ocrevus Zunovo
and the IV-to-SC switch, natalizumab's observation and TOUCH lapse, Lemtrada's split days
and monitoring, IV methylprednisolone's 3 to 5 days within 48 hours, and no past times."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling import planning
from scheduling.booking import BookingError, session_book
from scheduling.courses import CourseError, course_order_days_set, course_switch
from scheduling.models import MonitoringTask, PlannedDose, Session, SessionStatus, TreatmentCourse
from scheduling.monitoring import monitoring_plan, monitoring_status
from scheduling.series import gap_earliest, gap_latest, months_after
from scheduling.workflow import session_check_in, session_complete, session_seat
from tests.factories import PatientFactory, clinic_week, ready_course, therapy

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 1, 9, 0, tzinfo=NY)
MONDAY = date(2027, 1, 4)


def at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=NY)


def _doses(course: TreatmentCourse) -> list[PlannedDose]:
    return list(course.doses.select_related("step", "course__therapy").order_by("sequence"))


# --- calendar months ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2027, 1, 18), 5, date(2027, 6, 18)),
        (date(2027, 3, 31), 5, date(2027, 8, 31)),
        (date(2026, 9, 30), 5, date(2027, 2, 28)),  # the month's last day when shorter
        (date(2027, 10, 31), 4, date(2028, 2, 29)),  # leap year
        (date(2027, 8, 31), -5, date(2027, 3, 31)),
    ],
)
def test_months_after_counts_calendar_months(day, months, expected):
    assert months_after(day, months) == expected


def test_five_calendar_months_is_more_than_150_days_after_a_summer_dose():
    # Ublituximab's old 150-day gap allowed 27 December after 30 July: under 5 months.
    assert gap_earliest(date(2027, 7, 30), 0, 5) == date(2027, 12, 30)
    assert gap_earliest(date(2027, 7, 30), 150, 0) == date(2027, 12, 27)


def test_the_latest_day_before_a_dose_keeps_five_months_too():
    latest = gap_latest(date(2027, 7, 31), 0, 5)
    assert latest == date(2027, 2, 28)
    assert months_after(latest, 5) <= date(2027, 7, 31)
    assert gap_latest(date(2027, 9, 30), 0, 7) == date(2027, 2, 28)


def test_ocrelizumab_maintenance_is_at_least_five_calendar_months_after_dose_2():
    chairs = clinic_week(chairs=2, weekdays=range(7))
    course = ready_course("ocrelizumab")
    d1, d2, d3 = _doses(course)[:3]
    session_book(dose=d1, chair=chairs[0], start=at(MONDAY, "08:00"), now=NOW)
    session_book(dose=d2, chair=chairs[0], start=at(MONDAY + timedelta(14), "08:00"), now=NOW)
    d3.refresh_from_db()
    earliest, _latest = planning.dose_bounds(d3)
    # Dose 2 on 18 January: not before 18 June (the label's "at least 5 months").
    assert earliest == date(2027, 6, 18)
    with pytest.raises(BookingError):
        session_book(dose=d3, chair=chairs[0], start=at(date(2027, 6, 17), "08:00"), now=NOW)


def test_ublituximab_maintenance_doses_keep_five_calendar_months_apart():
    doses = _doses(ready_course("ublituximab"))
    assert [(d.min_gap_days, d.min_gap_months) for d in doses[2:]] == [(0, 5), (0, 5)]


# --- Ocrevus Zunovo ---------------------------------------------------------------------


def test_ocrevus_zunovo_has_its_own_short_chair_time():
    doses = _doses(ready_course("ocrelizumab_sc"))
    assert [d.chair_parts for d in doses] == [(30, 10, 60), (30, 10, 15), (30, 10, 15)]
    assert [d.offset_days for d in doses] == [0, 182, 364]


def test_switching_from_iv_to_sc_keeps_the_dose_clock():
    chairs = clinic_week(chairs=2, weekdays=range(7))
    course = ready_course("ocrelizumab")
    d1, d2 = _doses(course)[:2]
    session_book(dose=d1, chair=chairs[0], start=at(MONDAY, "08:00"), now=NOW)
    session_book(dose=d2, chair=chairs[0], start=at(MONDAY + timedelta(14), "08:00"), now=NOW)
    before = [(d.sequence, d.target, d.earliest, d.latest) for d in _doses(course)]
    course_switch(course=course, therapy=therapy("ocrelizumab_sc"), reason="Patient prefers SC")
    course.refresh_from_db()
    after = _doses(course)
    assert course.therapy.code == "ocrelizumab_sc"
    assert [(d.sequence, d.target, d.earliest, d.latest) for d in after] == before
    # Given doses stay IV; the next is the first injection (60 min), then 15 min.
    assert [d.step.therapy.code for d in after] == [
        "ocrelizumab",
        "ocrelizumab",
        "ocrelizumab_sc",
        "ocrelizumab_sc",
    ]
    assert [d.chair_parts[2] for d in after[2:]] == [60, 15]
    assert all(d.min_gap_months == 5 for d in after[2:])


def test_a_clinician_switches_a_course_to_sc_from_its_page(client, clinician):
    course = ready_course("ocrelizumab")
    client.force_login(clinician)
    page = client.get(f"/admin/scheduling/treatmentcourse/{course.pk}/change/").content.decode()
    assert f"/admin/scheduling/treatmentcourse/{course.pk}/switch/" in page
    url = f"/admin/scheduling/treatmentcourse/{course.pk}/switch/"
    assert "Switch to Ocrelizumab SC" in client.get(url).content.decode()
    assert client.post(url, {"reason": "Prefers the injection"}).status_code == 302
    course.refresh_from_db()
    assert course.therapy.code == "ocrelizumab_sc"
    assert course.history.first().history_change_reason == "Prefers the injection"


def test_a_switch_needs_the_same_drug_and_a_reason():
    course = ready_course("ocrelizumab")
    with pytest.raises(CourseError):
        course_switch(course=course, therapy=therapy("natalizumab"), reason="x")
    with pytest.raises(CourseError):
        course_switch(course=course, therapy=therapy("ocrelizumab_sc"), reason=" ")


# --- natalizumab: observation and TOUCH ------------------------------------------------


def test_the_observation_override_applies_only_to_natalizumab_steps():
    course = ready_course("ublituximab", observation_minutes=45)
    maintenance = _doses(course)[2]
    assert maintenance.chair_parts == (30, 60, 0)  # not 30 + 60 + 45


def test_the_shorter_ocrelizumab_infusion_is_not_used_once_a_reaction_is_on_record():
    course = ready_course("ocrelizumab", short_infusion=True)
    assert _doses(course)[2].chair_parts == (30, 120, 60)
    course.reaction_on_record = True
    course.save()
    assert _doses(course)[2].chair_parts == (30, 210, 60)


def _seated_ready(course: TreatmentCourse, chairs: list, now: datetime) -> Session:
    dose = _doses(course)[0]
    session = session_book(dose=dose, chair=chairs[0], start=at(MONDAY, "08:00"), now=NOW)
    session.checks.update(done=True)
    return session_check_in(session=session, now=now)


def test_a_natalizumab_infusion_is_refused_once_the_touch_authorisation_lapsed(monkeypatch):
    chairs = clinic_week(chairs=2, weekdays=range(7))
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: MONDAY)
    course = ready_course("natalizumab", safety_authorised_until=MONDAY - timedelta(days=1))
    session = _seated_ready(course, chairs, at(MONDAY, "07:55"))
    with pytest.raises(BookingError, match="authorisation has lapsed"):
        session_seat(session=session, now=at(MONDAY, "08:00"))
    course.safety_authorised_until = MONDAY + timedelta(days=180)
    course.save()
    assert session_seat(session=session, now=at(MONDAY, "08:00")).status == "in_chair"


def test_a_natalizumab_course_without_an_authorisation_date_counts_as_lapsed():
    course = ready_course("natalizumab")
    assert course.safety_lapsed(MONDAY)
    assert not ready_course("ocrelizumab").safety_lapsed(MONDAY)


# --- Lemtrada -----------------------------------------------------------------------------


def test_lemtrada_days_1_to_3_have_the_steroid_and_days_4_5_do_not_in_one_block():
    doses = _doses(ready_course("alemtuzumab"))
    assert [d.block for d in doses] == [1, 1, 1, 1, 1, 2, 2, 2]
    steroid = ["methylprednisolone" in d.step.premedication for d in doses]
    assert steroid == [True, True, True, False, False, True, True, True]
    assert doses[3].earliest == doses[3].latest == doses[0].target + timedelta(days=3)


def test_lemtrada_prerequisites_include_thyroid_and_skin_exam():
    course = ready_course("alemtuzumab")
    codes = set(course.prerequisites.values_list("requirement__code", flat=True))
    assert {"thyroid", "skin_exam", "tb", "varicella", "baseline_labs"} <= codes


def test_lemtrada_monitoring_is_planned_for_48_months_after_the_last_infusion():
    course = ready_course("alemtuzumab")
    last = date(2027, 1, 8)
    assert monitoring_plan(course=course, last=last) == 48 + 16 + 4
    tasks = MonitoringTask.objects.filter(course=course)
    monthly = sorted(tasks.filter(code="blood_urine").values_list("due", flat=True))
    assert (monthly[0], monthly[-1]) == (date(2027, 2, 8), date(2031, 1, 8))
    thyroid = sorted(tasks.filter(code="thyroid").values_list("due", flat=True))
    assert thyroid[:2] == [date(2027, 4, 8), date(2027, 7, 8)]
    # A later course moves the 48 months on; done tests stay as the record.
    first = tasks.get(code="blood_urine", due=date(2027, 2, 8))
    first.done_on = date(2027, 2, 9)
    first.save()
    monitoring_plan(course=course, last=date(2028, 1, 10))
    assert tasks.filter(done_on__isnull=True).order_by("due").first().due == date(2028, 2, 10)
    assert tasks.filter(pk=first.pk).exists()


def test_monitoring_tasks_read_as_due_or_overdue():
    course = ready_course("alemtuzumab")
    monitoring_plan(course=course, last=date(2027, 1, 8))
    task = MonitoringTask.objects.filter(course=course).order_by("due").first()
    assert monitoring_status(task, date(2027, 1, 20)) == "planned"
    assert monitoring_status(task, date(2027, 2, 1)) == "due"
    assert monitoring_status(task, date(2027, 2, 9)) == "overdue"


def test_completing_a_lemtrada_infusion_plans_its_monitoring():
    chairs = clinic_week(chairs=2, weekdays=range(7))
    course = ready_course("alemtuzumab")
    session = session_book(
        dose=_doses(course)[0], chair=chairs[0], start=at(MONDAY, "08:00"), now=NOW
    )
    session.checks.update(done=True)
    Session.objects.filter(pk=session.pk).update(status=SessionStatus.IN_CHAIR)
    session_complete(session=session, now=at(MONDAY, "14:00"))
    assert MonitoringTask.objects.filter(course=course, code="thyroid").count() == 16


# --- IV methylprednisolone ------------------------------------------------------------------


def test_methylprednisolone_takes_3_to_5_days_from_the_order():
    course = ready_course("methylprednisolone")
    assert len(_doses(course)) == 3
    course_order_days_set(course=course, days=5)
    doses = _doses(course)
    assert [d.offset_days for d in doses] == [0, 1, 2, 3, 4]
    assert {d.block for d in doses} == {1}
    with pytest.raises(CourseError):
        course_order_days_set(course=course, days=6)
    course_order_days_set(course=course, days=3)
    assert len(_doses(course)) == 3


def test_an_urgent_first_dose_is_offered_today_and_within_48_hours_never_in_the_past(
    monkeypatch,
):
    clinic_week(chairs=2, weekdays=range(7))
    now = at(MONDAY, "10:07")
    course = TreatmentCourse.objects.create(
        patient=PatientFactory(), therapy=therapy("methylprednisolone"), start_after=MONDAY
    )
    TreatmentCourse.objects.filter(pk=course.pk).update(created_at=now)
    from scheduling.courses import _dose_rows

    course.refresh_from_db()
    PlannedDose.objects.bulk_create(_dose_rows(course, list(course.therapy.steps.all()), MONDAY))
    first = _doses(course)[0]
    options = planning.dose_options(dose=first, now=now, limit=200)
    starts = [o.start for o in options]
    assert starts and min(starts) >= at(MONDAY, "10:15")
    assert min(starts).astimezone(NY).date() == MONDAY  # today, not from tomorrow
    assert max(starts) <= now + timedelta(hours=48)
    plans = planning.course_plans(doses=_doses(course), now=now)
    assert plans and all(plan[0].start > now for plan in plans)
    assert all(plan[0].start <= now + timedelta(hours=48) for plan in plans)


def test_accepting_an_urgent_referral_starts_its_course_today(coordinator):
    from django.utils import timezone

    from intake.models import ReferralStatus
    from intake.referrals import referral_transition
    from tests.factories import ReferralFactory

    referral = ReferralFactory(
        status=ReferralStatus.PRIOR_AUTH, therapy=therapy("methylprednisolone")
    )
    referral_transition(referral=referral, to_status="accepted", by=coordinator, note="Urgent")
    course = TreatmentCourse.objects.get(referral=referral)
    first = _doses(course)[0]
    today = timezone.localdate()
    assert (first.earliest, first.latest) == (today, today + timedelta(days=2))


def test_block_moves_never_offer_a_time_already_past():
    clinic_week(chairs=2, weekdays=range(7))
    course = ready_course("methylprednisolone", start_after=MONDAY)
    plans = planning.course_plans(doses=_doses(course), now=NOW)
    from scheduling.booking import course_book

    sessions = course_book(choices=plans[0], now=NOW)
    late_now = sessions[0].start + timedelta(hours=30)
    options = planning.block_move_options(
        doses=_doses(course)[:3], sessions=sessions, now=late_now, limit=20
    )
    assert all(plan[0].start > late_now for plan in options)
