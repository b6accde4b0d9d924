"""No time limit a patient cannot extend (WCAG 2.2.1): the private-link session warns first."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import assert_accessible, browser_db, watched_page
from tests.factories import PatientFactory, sent_check

pytestmark = [pytest.mark.browser, browser_db]
DOB = "1980-03-27"  # PatientFactory's date of birth


def test_a_patient_is_warned_before_the_link_session_ends_and_can_carry_on(new_context, settings):
    settings.SESSION_COOKIE_AGE = 150  # the warning comes 2 minutes before: after 30 s
    _qreq, url = sent_check(patient=PatientFactory(), codes=("safety_check",))
    link = url.replace("https://chairside.test", "")
    page = watched_page(new_context())
    page.clock.install()
    page.goto(link)
    page.get_by_label("Your date of birth").fill(DOB)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Start").click()
    page.wait_for_url(re.compile(r"/step/1/$"))
    warning = page.get_by_role("alertdialog")
    assert not warning.is_visible()

    page.clock.fast_forward(31_000)
    warning.wait_for(state="visible")
    assert page.evaluate("document.activeElement.hasAttribute('data-session-extend')")
    assert_accessible(page, "session warning")

    with page.expect_response(lambda response: response.url.endswith("/step/1/")) as answer:
        page.get_by_role("button", name="I need more time").click()
    assert answer.value.status == 200
    warning.wait_for(state="hidden")


def test_public_pages_have_no_session_warning(page):
    page.goto("/refer/")
    assert page.locator("body").get_attribute("data-session-seconds") is None
    assert page.locator("#session-warning").count() == 0
