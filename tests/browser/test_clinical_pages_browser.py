"""Issue 14's staff pages at 1280 x 900 with the sidebar open: the monitoring list (due and
overdue Lemtrada tests), a Lemtrada course page with its monitoring, a natalizumab course
page with its TOUCH authorisation, and the therapy page with its stacked steps. Nothing
overlaps or spills, and axe passes."""

from __future__ import annotations

import pytest

from scheduling.models import TreatmentCourse
from tests.browser.conftest import assert_accessible, browser_db, save_screenshots
from tests.browser.test_staff_layout_browser import (
    _seed,
    _sign_in,
    assert_fits,
    assert_no_overlaps,
    assert_sidebar_open,
)

pytestmark = [pytest.mark.browser, browser_db]


def test_a_nurse_sees_monitoring_due_and_course_safety_state(new_context, settings):
    _seed(settings)
    page = _sign_in(new_context, "nurse")
    page.goto("/admin/scheduling/monitoringtask/?state=open")
    assert_sidebar_open(page)
    assert page.get_by_text("overdue").first.is_visible()
    assert_no_overlaps(page, "#nav-sidebar, #changelist-filter, .results", "monitoring list")
    assert_fits(page, ".results", "monitoring list")
    assert_accessible(page, "monitoring list")
    save_screenshots(page, "staff-monitoring-list", full_page=False)

    lemtrada = TreatmentCourse.objects.get(therapy__code="alemtuzumab")
    page.goto(f"/admin/scheduling/treatmentcourse/{lemtrada.pk}/change/")
    assert page.get_by_text("open test(s)").first.is_visible()
    assert_no_overlaps(page, "#nav-sidebar, #content-main fieldset", "Lemtrada course")
    assert_accessible(page, "Lemtrada course page")

    lapsed = next(
        c
        for c in TreatmentCourse.objects.filter(therapy__code="natalizumab")
        if c.safety_authorised_until
        and c.safety_lapsed(c.safety_authorised_until.replace(day=1)) is False
        and c.safety_lapsed(c.safety_authorised_until.__class__.today())
    )
    page.goto(f"/admin/scheduling/treatmentcourse/{lapsed.pk}/change/")
    assert page.get_by_text("LAPSED").first.is_visible()
    assert_accessible(page, "natalizumab course page")


def test_an_on_call_clinician_reviews_a_therapy_with_stacked_steps(new_context, settings):
    _seed(settings)
    page = _sign_in(new_context, "oncall")
    lemtrada = TreatmentCourse.objects.get(therapy__code="alemtuzumab").therapy
    page.goto(f"/admin/clinic/therapy/{lemtrada.pk}/change/")
    assert_sidebar_open(page)
    assert page.get_by_text("Course 1, days 4–5").first.is_visible()
    assert_fits(page, "#content-main .inline-group", "therapy page")
    assert_no_overlaps(page, "#nav-sidebar, #content-main .inline-related", "therapy page")
    assert_accessible(page, "therapy page")
    save_screenshots(page, "staff-therapy-page", full_page=False)
