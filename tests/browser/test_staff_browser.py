"""A staff member signs in with a one-time code and works through the day, in a real browser."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import roles
from intake.models import Flag, ReferralStatus
from intake.questionnaires import questionnaire_save_page, questionnaire_submit, request_steps
from scheduling.models import Session
from tests.browser.conftest import (
    assert_accessible,
    assert_no_console_errors,
    browser_db,
    save_screenshots,
)
from tests.factories import (
    PatientFactory,
    ReferralFactory,
    UserFactory,
    clinic_week,
    ready_course,
    sent_check,
)

pytestmark = [pytest.mark.browser, browser_db]
NY = ZoneInfo("America/New_York")
PASSWORD = "correct-horse-battery"  # UserFactory's password


def _charge_nurse():
    """A small clinic's charge nurse: coordinator, on-call clinician and scheduler at once."""
    user = UserFactory(username="charge", is_staff=True)
    for name in (roles.INTAKE_COORDINATOR, roles.ON_CALL_CLINICIAN, roles.SCHEDULER):
        user.groups.add(Group.objects.get(name=name))
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    return user, device


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def _urgent_flag() -> Flag:
    """A PHQ-9 with item 9 above 0: an urgent flag for on-call staff."""
    qreq, _url = sent_check(codes=("phq9",))
    answers = {f"phq9_{i}": 0 for i in range(1, 9)} | {"phq9_9": 1}
    for step in request_steps(qreq):
        questionnaire_save_page(qreq=qreq, step=step, answers=answers)
    questionnaire_submit(qreq=qreq)
    return Flag.objects.get(response__request=qreq)


def test_staff_sign_in_triage_acknowledge_book_and_see_the_day_board(page, settings, path_done):
    settings.OTP_REQUIRED = True
    user, device = _charge_nurse()
    referral = ReferralFactory()
    flag = _urgent_flag()
    clinic_week(chairs=3, weekdays=range(7))
    course = ready_course(
        start_after=timezone.localdate(timezone=NY) + timedelta(days=3),
        patient=PatientFactory(legal_given_name="Boardy"),
    )

    # Sign in: password and the code from the authenticator app.
    page.goto("/admin/")
    page.wait_for_url(re.compile(r"/admin/login/"))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label(re.compile("code", re.I)).fill(_code(device))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    assert page.locator("#logout-form").count() == 1

    # Triage a referral: received -> in review.
    page.goto("/admin/intake/referral/")
    page.get_by_role("link", name=referral.reference).click()
    page.get_by_role("link", name="In review", exact=True).click()
    page.wait_for_url(re.compile(r"/transition/in_review/$"))
    notes = page.locator("textarea")
    if notes.count():
        notes.first.fill("Order and labs look complete.")
    page.get_by_role("button", name=re.compile("Move to In review")).click()
    page.wait_for_load_state()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.IN_REVIEW
    path_done("staff: sign in with the one-time code, triage a referral")

    # Acknowledge the urgent flag with a note.
    page.goto(f"/admin/intake/flag/{flag.pk}/change/")
    page.get_by_role("link", name="Acknowledge with a note").click()
    page.locator("textarea").first.fill("Called the patient; safe, GP informed.")
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state()
    flag.refresh_from_db()
    assert flag.acknowledged_at is not None
    path_done("staff: acknowledge an urgent flag with a note")

    # Book the whole course from the offered plans.
    page.goto(f"/admin/scheduling/treatmentcourse/{course.pk}/change/")
    page.get_by_role("link", name="Book the course").click()
    page.wait_for_url(re.compile(r"/book/$"))
    page.get_by_role("button", name="Book this plan").click()
    page.wait_for_load_state()
    sessions = list(Session.objects.filter(course=course).order_by("start"))
    assert sessions, "no session was booked"
    path_done("staff: book a course from the offered plans")

    # The first dose is on that day's board.
    first_day = sessions[0].start.astimezone(NY).date()
    page.goto(f"/admin/scheduling/session/board/?day={first_day:%Y-%m-%d}")
    board = page.get_by_role("table", name="Chairs and sessions")
    assert board.is_visible()
    assert board.locator(f"a[href$='/session/{sessions[0].pk}/change/']").count() == 1
    assert_accessible(page, "day board")
    assert_no_console_errors(page)
    save_screenshots(page, "day-board")
    path_done("staff: see the booked course on the day board")


def test_staff_cannot_reach_the_admin_without_the_code(page, settings):
    settings.OTP_REQUIRED = True
    user, _device = _charge_nurse()
    page.goto("/admin/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/admin/login/" in page.url
    assert page.locator("#logout-form").count() == 0
