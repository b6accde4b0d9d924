"""Accepting a referral creates a treatment course with planned doses and prerequisites."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from intake.models import ReferralStatus as S
from intake.referrals import referral_transition
from scheduling.courses import CourseError, course_create, course_override, course_replan
from scheduling.models import PlannedDose, TreatmentCourse
from tests.factories import PatientFactory, ReferralFactory, therapy

pytestmark = pytest.mark.django_db


def _course(code: str, start: date = date(2027, 1, 4)) -> TreatmentCourse:
    return course_create(patient=PatientFactory(), therapy=therapy(code), start_after=start)


def test_accepting_a_referral_creates_its_course_with_doses(coordinator):
    referral = ReferralFactory(status=S.PRIOR_AUTH, therapy=therapy("ocrelizumab"))
    referral_transition(referral=referral, to_status=S.ACCEPTED, by=coordinator, note="Test move")
    course = TreatmentCourse.objects.get(referral=referral)
    assert course.patient == referral.patient
    assert course.doses.count() == 4  # two loading doses, then the next two maintenance
    assert course.prerequisites.count() == 4
    assert not course.prerequisites_ready()


def test_ocrelizumab_doses_are_day_1_day_15_then_every_24_weeks():
    course = _course("ocrelizumab")
    offsets = list(course.doses.values_list("offset_days", flat=True))
    assert offsets == [0, 14, 168, 336]
    dose2 = course.doses.get(sequence=2)
    assert (dose2.earliest, dose2.latest) == (date(2027, 1, 18), date(2027, 1, 21))
    assert dose2.min_gap_days == 13
    assert dose2.minutes == 30 + 150 + 60


def test_the_short_infusion_flag_shortens_ocrelizumab_maintenance():
    course = _course("ocrelizumab")
    course.short_infusion = True
    maintenance = course.doses.select_related("step").get(sequence=3)
    maintenance.course = course
    assert maintenance.minutes == 30 + 120 + 60


def test_lemtrada_plans_two_blocks_of_consecutive_days():
    course = _course("alemtuzumab")
    doses = list(course.doses.order_by("sequence"))
    assert [d.block for d in doses] == [1, 1, 1, 1, 1, 2, 2, 2]
    assert [d.offset_days for d in doses[:5]] == [0, 1, 2, 3, 4]
    assert doses[1].earliest == doses[1].latest == doses[0].target + timedelta(days=1)
    assert doses[5].offset_days == 365 and doses[5].min_gap_days == 361


def test_natalizumab_plans_twelve_then_ongoing_doses_keeping_the_hour_of_observation():
    course = _course("natalizumab")
    doses = list(course.doses.select_related("step", "course").order_by("sequence"))
    assert len(doses) == 14
    # The label lets the clinician drop it from the 13th; until then the hour stays.
    assert doses[0].minutes == 120 and doses[12].minutes == 120


def test_a_late_dose_replans_the_following_ones():
    course = _course("ocrelizumab")
    dose2 = course.doses.get(sequence=2)
    course_replan(dose=dose2, actual=dose2.target + timedelta(days=10))
    dose3 = course.doses.get(sequence=3)
    assert dose3.target == date(2027, 1, 4) + timedelta(days=168 + 10)
    assert dose3.earliest == dose3.target - timedelta(days=14)


def test_a_clinician_overrides_prerequisites_with_a_reason(clinician):
    course = _course("ocrelizumab")
    course_override(course=course, by=clinician, reason="HBV result phoned through by lab")
    course.refresh_from_db()
    assert course.prerequisites_ready()
    assert course.override_by == clinician


def test_a_scheduler_cannot_override_prerequisites(scheduler):
    course = _course("ocrelizumab")
    with pytest.raises(CourseError):
        course_override(course=course, by=scheduler, reason="because")


def test_an_override_needs_a_reason(clinician):
    with pytest.raises(CourseError):
        course_override(course=_course("ocrelizumab"), by=clinician, reason="  ")


def test_every_planned_dose_has_a_window_around_its_target():
    for dose in PlannedDose.objects.filter(course=_course("ublituximab")):
        assert dose.earliest <= dose.target <= dose.latest


def test_natalizumab_observation_from_the_13th_infusion_is_the_clinicians_call():
    course = _course("natalizumab")
    course.observation_minutes = 0
    course.save()
    doses = list(course.doses.select_related("step", "course").order_by("sequence"))
    assert doses[0].minutes == 120  # infusions 1-12 keep the protocol's hour
    assert doses[12].minutes == 60


def test_natalizumab_observation_stays_when_a_reaction_is_on_record():
    course = _course("natalizumab")
    course.observation_minutes = 0
    course.reaction_on_record = True
    course.save()
    dose13 = course.doses.select_related("step", "course").get(sequence=13)
    assert dose13.minutes == 120
