"""Every staff page a role works on fits a 1280 x 900 laptop with the sidebar open, and passes axe.

Run against the demo data (`seed_demo`), signed in as each demo role. Layout is checked by
bounding boxes: the day board shows the whole opening day (every block's right edge inside the
window), dashboards and the referral list have no element over another, and wide tables
scroll inside their own panel.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils.timezone import now as django_now

from clinic.clock import local_day
from clinic.management.commands.seed_demo import DEMO_PASSWORD
from clinic.models import Patient, Therapy
from intake.models import Flag, Referral
from scheduling.courses import course_create
from scheduling.models import Session, TreatmentCourse
from tests.browser.conftest import (
    DESKTOP,
    assert_accessible,
    browser_db,
    save_screenshots,
    watched_page,
)

pytestmark = [pytest.mark.browser, browser_db]
WIDE = {"width": 1440, "height": 900}

# Pairs of boxes that overlap (neither inside the other), among the elements a selector finds.
OVERLAPS = """(selector) => {
  const seen = [...document.querySelectorAll(selector)].filter((el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== "hidden";
  });
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (typeof el.className === "string" && el.className ? "." + el.className.trim() : "") +
    " '" + (el.textContent || "").trim().slice(0, 30) + "'";
  const found = [];
  for (let i = 0; i < seen.length; i++) {
    for (let j = i + 1; j < seen.length; j++) {
      const a = seen[i], b = seen[j];
      if (a.contains(b) || b.contains(a)) continue;
      const r = a.getBoundingClientRect(), s = b.getBoundingClientRect();
      const w = Math.min(r.right, s.right) - Math.max(r.left, s.left);
      const h = Math.min(r.bottom, s.bottom) - Math.max(r.top, s.top);
      if (w > 1 && h > 1) found.push(name(a) + " over " + name(b));
    }
  }
  return found;
}"""
# Elements wider than their box: content that would spill out of a panel or need scrolling.
SPILLS = """(selector) => [...document.querySelectorAll(selector)]
  .filter((el) => el.scrollWidth > el.clientWidth + 1)
  .map((el) => (el.id || el.className) + ": " + el.scrollWidth + " > " + el.clientWidth)"""
# Header cells taller than two lines: squeezed into a column of letters ("C H AI R").
SQUEEZED = """(selector) => [...document.querySelectorAll(selector)].filter((el) => {
  const style = getComputedStyle(el);
  const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.25;
  return el.getBoundingClientRect().height > 2.6 * line + parseFloat(style.paddingTop) +
    parseFloat(style.paddingBottom);
}).map((el) => el.textContent.trim())"""


def _seed(settings) -> None:
    settings.DEBUG = True  # seed_demo refuses to run otherwise (development data only)
    call_command("seed_demo", "--quiet")
    settings.DEBUG = False


def _sign_in(new_context: Any, username: str, viewport: dict | None = None) -> Any:
    page = watched_page(new_context(viewport=viewport or DESKTOP))
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in|Log in")).click()
    page.wait_for_url(re.compile(r"/admin/$"))
    return page


def assert_no_overlaps(page: Any, selector: str, name: str) -> None:
    overlaps = page.evaluate(OVERLAPS, selector)
    assert not overlaps, f"{name}: overlapping boxes:\n" + "\n".join(overlaps[:10])


def assert_fits(page: Any, selector: str, name: str) -> None:
    spills = page.evaluate(SPILLS, selector)
    assert not spills, f"{name}: wider than its box: {spills}"


def assert_sidebar_open(page: Any) -> None:
    assert page.locator("#nav-sidebar").is_visible(), "the admin sidebar should be open"


def check_dashboard(page: Any, role: str) -> None:
    page.goto("/admin/")
    assert page.locator("#panel-your-work").is_visible()
    assert_no_overlaps(
        page,
        "#header, .dashboard-grid > section, .dashboard-apps > .module, "
        ".dashboard-panel th, .dashboard-panel td, .dashboard-panel .panel-body > p",
        f"{role} dashboard",
    )
    assert_fits(page, ".dashboard-panel .panel-body", f"{role} dashboard")
    squeezed = page.evaluate(SQUEEZED, ".dashboard-panel th")
    assert not squeezed, f"{role} dashboard: squeezed headers {squeezed}"
    assert_accessible(page, f"{role} dashboard")


def check_referral_list(page: Any, role: str) -> None:
    page.goto("/admin/intake/referral/")
    assert_sidebar_open(page)
    assert_no_overlaps(
        page,
        "#nav-sidebar, #changelist-filter, #toolbar, .results, #result_list thead th",
        f"{role} referral list",
    )
    assert_fits(page, ".results", f"{role} referral list")
    width = page.viewport_size["width"]
    for column in ("provider_practice", "provider_npi", "received"):
        box = page.locator(f"#result_list th.column-{column}").bounding_box()
        assert box and box["x"] + box["width"] <= width, f"{column} is off the screen"
    assert_accessible(page, f"{role} referral list")


def check_board(page: Any, role: str, day: str) -> None:
    page.goto(f"/admin/scheduling/session/board/?day={day}")
    assert_sidebar_open(page)
    board = page.locator(".board").bounding_box()
    right = min(page.viewport_size["width"], board["x"] + board["width"])
    blocks = page.locator(".board-block")
    assert blocks.count() > 0
    for index in range(blocks.count()):
        box = blocks.nth(index).bounding_box()
        assert box["x"] + box["width"] <= right + 0.5, f"block {index} is clipped"
    last_hour = page.locator(".board-hour").last.bounding_box()
    assert last_hour["x"] + last_hour["width"] <= right + 0.5
    assert_fits(page, ".board", f"{role} day board")
    assert_accessible(page, f"{role} day board")


def test_a_coordinators_pages_fit_and_pass_axe(new_context, settings):
    _seed(settings)
    page = _sign_in(new_context, "coordinator")
    check_dashboard(page, "coordinator")
    save_screenshots(page, "staff-dashboard")
    check_referral_list(page, "coordinator")
    save_screenshots(page, "staff-referral-list", full_page=False)
    referral = Referral.objects.filter(status="benefits_check").first()
    page.goto(f"/admin/intake/referral/{referral.pk}/change/")
    assert_accessible(page, "referral page")
    course = course_create(
        patient=referral.patient or Patient.objects.first(),
        therapy=Therapy.objects.get(code="ocrelizumab"),
        start_after=local_day(django_now()) + timedelta(days=1),
    )
    page.goto(f"/admin/clinic/patient/{course.patient.pk}/change/")
    assert_accessible(page, "patient hub")
    page.goto(f"/admin/scheduling/treatmentcourse/{course.pk}/book/")
    assert page.get_by_text("Before the first dose can be booked").is_visible()
    assert_accessible(page, "course booking (prerequisites outstanding)")
    page.goto("/admin/intake/questionnairerequest/add/")
    assert_accessible(page, "pre-visit check form")


def test_a_nurses_pages_fit_and_pass_axe(new_context, settings):
    _seed(settings)
    page = _sign_in(new_context, "nurse")
    check_dashboard(page, "nurse")
    check_referral_list(page, "nurse")
    session = Session.objects.filter(status="booked").order_by("start").first()
    day = local_day(session.start).isoformat()
    check_board(page, "nurse", day)
    save_screenshots(page, "staff-day-board", full_page=False)
    page.locator(f".board-block a[href$='/session/{session.pk}/change/']").click()
    page.wait_for_url(re.compile(rf"/session/{session.pk}/change/$"))
    assert page.get_by_role("button", name="Check in").is_visible()
    assert_accessible(page, "session page")
    save_screenshots(page, "staff-session-page", full_page=False)
    flag = Flag.objects.order_by("pk").first()
    page.goto(f"/admin/intake/flag/{flag.pk}/change/")
    assert_accessible(page, "flag page")
    page.goto(f"/admin/clinic/patient/{flag.patient.pk}/change/")
    assert_accessible(page, "patient hub")
    save_screenshots(page, "staff-patient-hub")


def test_an_on_call_clinicians_pages_fit_and_pass_axe(new_context, settings):
    _seed(settings)
    page = _sign_in(new_context, "oncall")
    check_dashboard(page, "on-call")
    check_referral_list(page, "on-call")
    flag = Flag.objects.filter(rule="phq9_item9").first()
    page.goto(f"/admin/intake/flag/{flag.pk}/change/")
    assert page.get_by_text(flag.patient.phone).first.is_visible()
    assert_accessible(page, "flag page")
    save_screenshots(page, "staff-flag-page", full_page=False)
    page.goto(f"/admin/clinic/patient/{flag.patient.pk}/change/")
    assert_accessible(page, "patient hub")


def test_a_schedulers_pages_fit_and_pass_axe(new_context, settings):
    _seed(settings)
    page = _sign_in(new_context, "scheduler")
    check_dashboard(page, "scheduler")
    session = Session.objects.filter(status="booked").order_by("start").first()
    check_board(page, "scheduler", local_day(session.start).isoformat())
    course = TreatmentCourse.objects.filter(sessions__status="booked").distinct().first()
    page.goto(f"/admin/scheduling/treatmentcourse/{course.pk}/book/")
    assert page.get_by_role("button", name="Book this plan").is_visible()
    assert_accessible(page, "course booking")
    save_screenshots(page, "staff-course-booking", full_page=False)
    page.goto(f"/admin/scheduling/session/{session.pk}/change/")
    assert_accessible(page, "session page")
    page.goto(f"/admin/clinic/patient/{session.course.patient.pk}/change/")
    assert_accessible(page, "patient hub")


def test_the_board_and_the_referral_list_fit_a_wider_screen_too(new_context, settings):
    _seed(settings)
    page = _sign_in(new_context, "coordinator", viewport=WIDE)
    check_referral_list(page, "coordinator at 1440")
    session = Session.objects.filter(status="booked").order_by("start").first()
    check_board(page, "coordinator at 1440", local_day(session.start).isoformat())


def test_the_day_board_prints_on_one_landscape_page(new_context, settings):
    _seed(settings)
    page = _sign_in(new_context, "nurse")
    session = Session.objects.filter(status="booked").order_by("start").first()
    page.goto(f"/admin/scheduling/session/board/?day={local_day(session.start).isoformat()}")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    assert pages == 1, f"the board printed on {pages} pages"
