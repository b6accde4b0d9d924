"""The Reports pages in a real browser, on the demo history: a clinic manager at 1280 × 900
with the admin sidebar open sees each report's charts beside their tables, nothing clipped
or overlapping, axe clean; the charts are images that loaded; a CSV downloads."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command

from clinic.management.commands.seed_demo import DEMO_PASSWORD
from tests.browser.conftest import (
    DESKTOP,
    assert_accessible,
    browser_db,
    save_screenshots,
    watched_page,
)
from tests.browser.test_staff_layout_browser import (
    assert_fits,
    assert_no_overlaps,
    assert_sidebar_open,
)

pytestmark = [pytest.mark.browser, browser_db]

REPORTS = {
    "utilisation": "Chair utilisation",
    "attendance": "Attendance",
    "urgent-flags": "Urgent flags",
    "referrals": "Referrals",
}
# Every chart image has loaded and drawn (an SVG that failed would have no natural size).
IMAGES_DRAWN = """() => [...document.querySelectorAll('.report-figure img')]
  .map((img) => img.complete && img.naturalWidth > 0)"""


def _sign_in(new_context: Any, username: str) -> Any:
    page = watched_page(new_context(viewport=DESKTOP))
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in|Log in")).click()
    page.wait_for_url(re.compile(r"/admin/$"))
    return page


def test_a_manager_reads_every_report_with_its_charts(new_context, settings, path_done):
    settings.DEBUG = True
    call_command("seed_demo", "--quiet", "--history-weeks", "6")
    settings.DEBUG = False
    page = _sign_in(new_context, "manager")
    page.get_by_role("link", name=re.compile("Look at chair use")).click()
    page.wait_for_url(re.compile(r"/admin/reports/$"))
    assert_accessible(page, "reports index")
    for slug, title in REPORTS.items():
        page.goto("/admin/reports/")
        page.get_by_role("link", name=title, exact=True).click()
        page.wait_for_url(re.compile(rf"/admin/reports/{slug}/\?"))
        assert page.get_by_role("heading", name=title, level=1).is_visible()
        assert_sidebar_open(page)
        drawn = page.evaluate(IMAGES_DRAWN)
        assert drawn and all(drawn), f"{slug}: a chart did not draw"
        assert page.locator("figcaption").first.inner_text().strip()
        assert_no_overlaps(page, ".report-pair > *, .report-period > *", slug)
        assert_fits(page, ".report-figure, .report-pair", slug)
        assert_accessible(page, f"{slug} report")
        save_screenshots(page, f"staff-report-{slug}", full_page=False)
    path_done("staff: a clinic manager reads each report, charts beside their tables")

    # A table's CSV downloads under its own name.
    page.goto("/admin/reports/attendance/")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV of attendance by week", exact=True).click()
    assert re.match(r"attendance-by-week-\d{8}-\d{8}\.csv", download.value.suggested_filename)

    # A wrong range is explained next to its field, and the dates stay as typed.
    page.get_by_label("From", exact=True).fill("2026-11-03")
    page.get_by_label("To", exact=True).fill("2026-11-02")
    page.get_by_role("button", name="Show").click()
    assert page.get_by_text("The end date must be on or after the start date.").is_visible()
    assert page.get_by_label("To", exact=True).input_value() == "2026-11-02"
    assert_accessible(page, "report with a wrong range")


def test_a_nurse_is_told_the_reports_are_for_other_roles(new_context, settings):
    settings.DEBUG = True
    call_command("seed_demo", "--quiet")
    settings.DEBUG = False
    page = _sign_in(new_context, "nurse")
    response = page.goto("/admin/reports/")
    assert response.status == 403
    assert page.get_by_text("Clinic manager").first.is_visible()
