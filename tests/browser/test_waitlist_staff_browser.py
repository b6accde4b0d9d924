"""The authorisation and waitlist pages fit a 1280 x 900 laptop with the sidebar open, pass
axe, and show what they promise (the renewal list, the board's marker), on the demo data."""

from __future__ import annotations

from typing import Any

import pytest

from clinic.clock import local_day
from scheduling.models import Authorisation, Session, WaitlistEntry
from tests.browser.conftest import assert_accessible, browser_db, save_screenshots
from tests.browser.test_staff_layout_browser import (
    _seed,
    _sign_in,
    assert_fits,
    assert_no_overlaps,
    assert_sidebar_open,
)

pytestmark = [pytest.mark.browser, browser_db]


def _check(page: Any, url: str, name: str) -> None:
    page.goto(url)
    assert_sidebar_open(page)
    assert_no_overlaps(page, "#nav-sidebar, #content, #changelist-filter", name)
    assert_fits(page, "#content", name)
    assert_accessible(page, name)


def test_a_coordinators_authorisation_and_waitlist_pages(new_context, settings):
    _seed(settings)
    page = _sign_in(new_context, "coordinator")
    _check(page, "/admin/scheduling/authorisation/", "authorisation list")
    _check(page, "/admin/scheduling/authorisation/add/", "authorisation add")
    _check(page, "/admin/scheduling/authorisation/attention/", "authorisations to renew")
    rows = page.locator("#content tbody tr")
    assert rows.count() == 2
    assert "DEMO-PA-1000" in rows.first.inner_text()
    save_screenshots(page, "authorisations-to-renew", full_page=False)
    auth = Authorisation.objects.order_by("pk").first()
    _check(page, f"/admin/scheduling/authorisation/{auth.pk}/change/", "authorisation page")
    dose = auth.course.doses.order_by("sequence").first()
    _check(page, f"/admin/scheduling/authorisation/override/{dose.pk}/", "authorisation override")
    _check(page, f"/admin/scheduling/treatmentcourse/{auth.course_id}/change/", "course page")
    _check(page, "/admin/scheduling/waitlistentry/", "waitlist")
    _check(page, "/admin/scheduling/waitlistentry/add/", "waitlist add")
    entry = WaitlistEntry.objects.order_by("pk").first()
    _check(page, f"/admin/scheduling/waitlistentry/{entry.pk}/change/", "waitlist entry")
    _check(page, f"/admin/scheduling/waitlistentry/{entry.pk}/offer/", "waitlist offer by hand")
    _check(page, "/admin/scheduling/waitlistoffer/", "waitlist offers")


def test_the_day_board_marks_sessions_without_an_authorisation(new_context, settings):
    _seed(settings)
    pending = Authorisation.objects.get(status=Authorisation.Status.PENDING)
    session = Session.objects.filter(course=pending.course).order_by("start").first()
    page = _sign_in(new_context, "nurse")
    page.goto(f"/admin/scheduling/session/board/?day={local_day(session.start).isoformat()}")
    assert_sidebar_open(page)
    marked = page.locator(".board-block-noauth")
    assert marked.count() >= 1
    assert "No authorisation" in marked.first.inner_text()
    assert_accessible(page, "day board with a missing authorisation")
    save_screenshots(page, "board-missing-authorisation", full_page=False)
