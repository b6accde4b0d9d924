"""On-call staff see stopped background jobs and failed notices, in a real browser at
1280 x 900 with the admin sidebar open: the dashboard banner, the flag page, the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from clinic.jobs import heartbeat
from clinic.models import Notice
from intake.models import FlagNotification
from tests.browser.conftest import (
    assert_accessible,
    assert_no_console_errors,
    browser_db,
    save_screenshots,
)
from tests.test_flags_notify import urgent_check

pytestmark = [pytest.mark.browser, browser_db]


def _signed_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def _fits(page, selector: str) -> None:
    """The element is on screen, beside the sidebar where there is one, not clipped by it."""
    box = page.locator(selector).bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1280
    if page.locator("#nav-sidebar").count():
        sidebar = page.locator("#nav-sidebar").bounding_box()
        assert sidebar is not None and sidebar["width"] > 100  # open
        assert box["x"] >= sidebar["x"] + sidebar["width"] - 1
    overflow = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(overflow) <= 1


def _axe_clean(page, name: str) -> None:
    """As assert_accessible, but the console is checked before axe runs: on a change form
    with an inline, axe itself injects a <style> that the page's CSP (rightly) blocks."""
    from axe_playwright_python.sync_playwright import Axe

    assert_no_console_errors(page)
    results = Axe().run(page)
    page.console_errors.clear()  # axe's own blocked <style>, see above
    bad = [
        v["id"]
        for v in results.response["violations"]
        if v.get("impact") in {"serious", "critical"}
    ]
    assert bad == [], f"axe on {name}: {bad}"


def test_on_call_staff_see_stopped_jobs_and_a_failed_flag_notice(
    page, live_server, clinician, path_done
):
    from intake.questionnaires import questionnaire_submit

    heartbeat(timezone.now() - timedelta(minutes=9))
    questionnaire_submit(qreq=urgent_check())
    link = FlagNotification.objects.select_related("notice", "flag").get(level=0)
    Notice.objects.filter(pk=link.notice_id).update(
        status="failed", attempts=5, last_error="ConnectionRefusedError: could not connect"
    )
    _signed_in(page, live_server, clinician)

    page.goto(f"{live_server.url}/admin/")
    banner = page.locator("#jobs-stale")
    assert "Background jobs have not run for 9 minutes" in banner.inner_text()
    assert page.locator("#notices-failed").get_by_text("Urgent flag (to on call): not sent")
    _fits(page, "#panel-jobs")
    assert_accessible(page, "dashboard with the background-jobs banner")
    save_screenshots(page, "dashboard-jobs-stopped")

    page.goto(f"{live_server.url}/admin/intake/flag/{link.flag_id}/change/")
    assert "could not be sent" in page.locator("#flag-notice-failed").inner_text()
    _fits(page, "#flag-notice-failed")
    _axe_clean(page, "flag page with a failed notice")
    save_screenshots(page, "flag-notice-failed")

    page.goto(f"{live_server.url}/admin/clinic/notice/")
    assert "Urgent flag (to on call)" in page.locator("#result_list").inner_text()
    _fits(page, "#result_list")
    assert_accessible(page, "the outbox")
    save_screenshots(page, "outbox")
    path_done("staff: see that background jobs stopped and a flag notice failed")
