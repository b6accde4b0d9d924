"""A whole staff day in a real browser, on the demo data, each role in its own browser.

The coordinator accepts a referral and books the course it creates (recording the
prerequisites first, as the booking page says); the nurse runs the first visit from its
session page; the on-call clinician opens a flag from its email's one link, reads the answer
and the phone number, and acknowledges it.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.management import call_command

from clinic.clock import local_day
from clinic.management.commands.seed_demo import DEMO_PASSWORD
from intake.models import Flag, Referral, ReferralStatus
from intake.questionnaires import questionnaire_save_page, questionnaire_submit, request_steps
from scheduling.models import Session, SessionStatus, TreatmentCourse
from tests.browser.conftest import (
    assert_accessible,
    browser_db,
    live_path,
    save_screenshots,
    watched_page,
)
from tests.factories import PatientFactory, sent_check

pytestmark = [pytest.mark.browser, browser_db]


def _sign_in(new_context, username: str, path: str = "/admin/"):
    page = watched_page(new_context())
    page.goto(path)
    page.wait_for_url(re.compile(r"/admin/login/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in|Log in")).click()
    page.wait_for_load_state()
    return page


def test_a_coordinator_books_a_nurse_runs_the_visit_and_on_call_answers_a_flag(
    new_context, settings, path_done
):
    settings.DEBUG = True
    call_command("seed_demo", "--quiet")
    settings.DEBUG = False
    referral = Referral.objects.get(status=ReferralStatus.PRIOR_AUTH)

    # The coordinator accepts the referral; the message links to booking its new course.
    page = _sign_in(new_context, "coordinator")
    page.get_by_role("link", name=re.compile("Triage new referrals")).click()
    page.get_by_role("link", name=referral.reference).click()
    page.get_by_role("link", name="Accepted", exact=True).click()
    page.locator("textarea").fill("Prior authorisation approved; order and labs complete.")
    page.get_by_role("button", name="Move to Accepted").click()
    page.get_by_text("moved to Accepted").first.wait_for()
    message = page.locator(".messagelist").inner_text()
    assert "moved to Accepted" in message and "book it now" in message
    page.get_by_role("link", name="book it now").click()
    page.wait_for_url(re.compile(r"/book/$"))

    # The booking page lists what is missing before any plan; record it on the course page.
    assert page.get_by_text("Before the first dose can be booked").is_visible()
    page.get_by_role("link", name="the course page").click()
    page.wait_for_url(re.compile(r"/treatmentcourse/\d+/change/$"))
    page.get_by_label("Met").first.wait_for()
    boxes = page.get_by_label("Met").all()
    assert boxes
    for box in boxes:
        box.check()
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("The course is saved.").first.wait_for()
    course = TreatmentCourse.objects.get(referral=referral)
    assert not course.prerequisites.filter(met=False).exists()
    page.get_by_role("link", name="Book the course").click()
    page.get_by_role("button", name="Book this plan").click()
    page.get_by_text(re.compile(r"Booked \d+ session")).first.wait_for()
    sessions = list(course.sessions.order_by("start"))
    assert sessions and "Booked" in page.locator(".messagelist").inner_text()
    path_done("staff: a coordinator accepts a referral and books its course")

    # The nurse opens the first visit from the day board and runs it from the session page.
    first = sessions[0]
    page = _sign_in(new_context, "nurse")
    page.goto(f"/admin/scheduling/session/board/?day={local_day(first.start):%Y-%m-%d}")
    page.locator(f".board-block a[href$='/session/{first.pk}/change/']").click()
    page.wait_for_url(re.compile(rf"/session/{first.pk}/change/$"))
    assert page.get_by_text(course.patient.display_name).first.is_visible()
    page.get_by_role("button", name="Check in").click()
    page.get_by_text(re.compile("checked in at")).first.wait_for()
    page.get_by_label("Done").first.wait_for()
    for box in page.get_by_label("Done").all():
        box.check()
    page.get_by_role("button", name="Record the per-visit checks").click()
    page.get_by_text("Per-visit checks recorded.").first.wait_for()
    page.get_by_role("button", name="In chair: infusion starts").click()
    page.get_by_text(re.compile("in the chair at")).first.wait_for()
    save_screenshots(page, "staff-session-in-chair", full_page=False)
    page.get_by_role("button", name="Complete the visit").click()
    page.get_by_text("This visit is completed.").first.wait_for()
    first.refresh_from_db()
    assert first.status == SessionStatus.COMPLETED
    assert first.checked_in_at and first.in_chair_at and first.completed_at
    assert_accessible(page, "completed session page")
    path_done("staff: a nurse checks a patient in, seats them and completes the visit")

    # A patient's answers raise an urgent flag; on call, its email's one link opens it.
    mail.outbox.clear()
    patient = PatientFactory(phone="(555) 010-0177")
    qreq, _url = sent_check(patient=patient, codes=("phq9",))
    for step in request_steps(qreq):
        answers = {f"phq9_{i}": 0 for i in range(1, 9)} | {"phq9_9": 1}
        questionnaire_save_page(qreq=qreq, step=step, answers=answers)
    questionnaire_submit(qreq=qreq)
    (notice,) = [m for m in mail.outbox if "flag" in m.subject]
    (link,) = re.findall(r"https?://\S+", notice.body)
    page = _sign_in(new_context, "oncall", path=live_path(link))
    flag = Flag.objects.get(patient=patient)
    page.wait_for_url(re.compile(rf"/flag/{flag.pk}/change/$"))
    assert page.get_by_text("Thoughts that you would be better off dead").is_visible()
    assert page.get_by_text("(555) 010-0177").first.is_visible()
    page.get_by_role("link", name="Acknowledge with a note").click()
    page.locator("textarea").fill("Called the patient: safe, seen by their GP today.")
    page.get_by_role("button", name="Acknowledge").click()
    page.get_by_text("acknowledged.").first.wait_for()
    flag.refresh_from_db()
    assert flag.acknowledged_at is not None
    assert Session.objects.filter(pk=first.pk, status=SessionStatus.COMPLETED).exists()
    path_done("staff: on call opens a flag from its email, sees the answer and phone, acknowledges")
