"""Staff see what the hardening adds, at 1280 x 900 with the admin sidebar open, axe clean:
a locked private link on the patient's page, and a sign-in alarm on the dashboard."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from clinic.models import PrivateLink, SignInAlarm
from tests.browser.conftest import DESKTOP, assert_accessible, browser_db, save_screenshots
from tests.factories import PatientFactory, UserFactory, sent_check

pytestmark = [pytest.mark.browser, browser_db]
PASSWORD = "correct-horse-battery"  # UserFactory's password


def _sign_in(page, username: str) -> None:
    page.set_viewport_size(DESKTOP)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/admin/$"))


def _assert_fits(page, selector: str, name: str) -> None:
    """Nothing scrolls sideways at 1280 px, and `selector` lies inside the window, unclipped."""
    sideways = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert sideways <= 1, f"{name} scrolls sideways by {sideways}px"
    box = page.locator(selector).first.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= DESKTOP["width"]
    sidebar = page.locator("#nav-sidebar")
    if sidebar.count() and sidebar.is_visible():
        side = sidebar.bounding_box()
        assert side["x"] + side["width"] <= box["x"] + 1, f"{name}: the sidebar covers it"


def test_a_locked_link_shows_on_the_patients_page_and_can_be_reissued(page):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    patient = PatientFactory(legal_given_name="Lockie")
    qreq, _url = sent_check(patient=patient, codes=("phq9",))
    PrivateLink.objects.filter(pk=qreq.link_id).update(failed_attempts=10, locked_at=timezone.now())
    _sign_in(page, "root")
    page.goto(f"/admin/clinic/patient/{patient.pk}/change/")
    assert page.locator("#nav-sidebar").is_visible()
    locked = page.locator(".locked-links")
    assert "locked" in locked.inner_text()
    _assert_fits(page, ".locked-links", "patient page")
    assert_accessible(page, "patient page with a locked link")
    save_screenshots(page, "patient-locked-link", full_page=False)

    page.get_by_role("link", name="Re-issue from the list of links").click()
    page.wait_for_load_state()
    page.locator(f"input[name='_selected_action'][value='{qreq.link_id}']").check()
    page.locator("select[name='action']").select_option("reissue")
    page.get_by_role("button", name="Go").click()
    page.wait_for_load_state()
    assert "re-issued" in page.locator(".messagelist").inner_text()
    assert_accessible(page, "links list after re-issue")


def test_a_sign_in_alarm_shows_on_the_dashboard(page):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    SignInAlarm.objects.create(username="nurse", failures=23, addresses=5)
    _sign_in(page, "root")
    panel = page.locator("#panel-sign-in-alarms")
    assert panel.is_visible()
    assert "nurse" in panel.inner_text() and "23" in panel.inner_text()
    _assert_fits(page, "#panel-sign-in-alarms", "dashboard")
    assert_accessible(page, "dashboard with a sign-in alarm")
    panel.get_by_role("link", name="nurse").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="Every failed sign-in for this username").is_visible()
    assert_accessible(page, "sign-in alarm page")
