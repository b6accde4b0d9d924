"""Every patient page, in English and Spanish: axe finds nothing serious, it reflows at 320 px.

The path tests check the pages they pass through; this sweep adds the pages a path does not
reach (link errors, the lock-out, every questionnaire page, cancelling) and the Spanish ones.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from clinic.links import link_create
from clinic.models import PrivateLink
from intake.questionnaires import request_steps
from scheduling.booking import session_book
from tests.browser.conftest import (
    assert_accessible,
    assert_fits_narrow_screen,
    browser_db,
    save_screenshots,
    watched_page,
)
from tests.factories import PatientFactory, clinic_week, ready_course, sent_check

pytestmark = [pytest.mark.browser, browser_db]
NY = ZoneInfo("America/New_York")
DOB = "1980-03-27"  # PatientFactory's date of birth


def _check(page, name: str) -> None:
    assert_accessible(page, name)
    assert_fits_narrow_screen(page, name)


def _verify(page, link: str) -> None:
    page.goto(link)
    page.locator("input[name='date_of_birth']").fill(DOB)
    page.locator("main form button[type='submit']").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("locale", ["en-US", "es-US"])
def test_every_questionnaire_page_is_accessible(new_context, locale):
    patient = PatientFactory(preferred_language=locale[:2])
    qreq, url = sent_check(patient=patient)  # all four instruments
    link = url.replace("https://chairside.test", "")
    page = watched_page(new_context(locale=locale))
    page.goto(link)
    _check(page, f"date of birth check ({locale})")
    _verify(page, link)
    _check(page, f"questionnaire start ({locale})")
    for step in request_steps(qreq):
        page.goto(f"{link}step/{step.number}/")
        _check(page, f"questionnaire step {step.number} ({locale})")
        if step.page["id"] == "symptoms_body" and locale == "en-US":
            save_screenshots(page, "questionnaire-scales", full_page=False)
    page.goto(f"{link}review/")
    _check(page, f"questionnaire review ({locale})")
    page.goto(f"{link}saved/")
    _check(page, f"questionnaire saved ({locale})")


@pytest.mark.parametrize("locale", ["en-US", "es-US"])
def test_every_manage_page_is_accessible(new_context, locale):
    chairs = clinic_week(chairs=2, weekdays=range(7))
    day = timezone.localdate(timezone=NY) + timedelta(days=5)
    course = ready_course("natalizumab", start_after=day, patient=PatientFactory())
    session = session_book(
        dose=course.doses.get(sequence=1),
        chair=chairs[0],
        start=datetime.combine(day, time(10, 0), tzinfo=NY),
        notify=False,
    )
    _row, token = link_create(patient=course.patient, purpose=PrivateLink.Purpose.MANAGE, days=9)
    link = f"/my/{token}/"
    page = watched_page(new_context(locale=locale))
    _verify(page, link)
    _check(page, f"manage ({locale})")
    page.goto(f"{link}{session.pk}/cancel/")
    _check(page, f"cancel ({locale})")
    if locale == "en-US":
        save_screenshots(page, "manage-cancel")
    page.goto(f"{link}{session.pk}/reschedule/")
    _check(page, f"reschedule ({locale})")


def test_link_problem_pages_are_accessible(new_context):
    patient = PatientFactory()
    page = watched_page(new_context())
    page.goto("/q/not-a-real-token/")
    _check(page, "unknown link")

    expired, token = link_create(patient=patient, purpose=PrivateLink.Purpose.MANAGE, days=1)
    PrivateLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    page.goto(f"/my/{token}/")
    _check(page, "expired link")

    _row, token = link_create(patient=patient, purpose=PrivateLink.Purpose.MANAGE, days=1)
    for _ in range(11):
        page.goto(f"/my/{token}/")
        if page.locator("input[name='date_of_birth']").count() == 0:
            break
        page.locator("input[name='date_of_birth']").fill("1999-01-01")
        page.locator("main form button[type='submit']").click()
        page.wait_for_load_state()
    assert page.locator("input[name='date_of_birth']").count() == 0
    assert page.get_by_role("heading", name="This link is locked").is_visible()
    _check(page, "locked link")
    save_screenshots(page, "link-locked")


@pytest.mark.parametrize("locale", ["en-US", "es-US"])
def test_the_public_pages_are_accessible(new_context, locale):
    page = watched_page(new_context(locale=locale))
    for path in ("/", "/refer/", "/no-such-page/"):
        page.goto(path)
        _check(page, f"{path} ({locale})")
    page.goto("/refer/")
    page.locator("main form button[type='submit']").click()
    page.wait_for_load_state()
    _check(page, f"referral form with errors ({locale})")
