"""A nurse keeps a whole visit's record on a tablet (820 px wide), from the day board.

On the demo data: the board's block opens the session page, which opens the visit record; the
nurse checks the patient in, records the checks, vitals (one past a hold threshold: warned and
saved), the premedications, the infusion with its lot, a rate change, the end of infusion and
observation, and discharges. axe runs on the page at each stage; the coordinator's drift page
and the visit page are checked at 1280 × 900 with the sidebar open too.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command

from clinic.clock import clinic_tz, local_day
from clinic.management.commands.seed_demo import DEMO_PASSWORD
from scheduling.models import Session, SessionStatus
from tests.browser.conftest import (
    DESKTOP,
    SCREENSHOTS,
    assert_accessible,
    browser_db,
    save_screenshots,
    watched_page,
)
from visits.models import VisitRecord

pytestmark = [pytest.mark.browser, browser_db]
TABLET = {"width": 820, "height": 1180}
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def _sign_in(new_context: Any, username: str, viewport: dict) -> Any:
    page = watched_page(new_context(viewport=viewport))
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in|Log in")).click()
    page.wait_for_url(re.compile(r"/admin/$"))
    return page


def _section(page: Any, action: str) -> Any:
    return page.locator(f"form:has(input[name='action'][value='{action}'])")


def _save(page: Any, action: str, values: dict[str, str], button: str, expect: str) -> None:
    form = _section(page, action)
    for name, value in values.items():
        form.locator(f"[name='{action}-{name}']").fill(value)
    form.get_by_role("button", name=button).click()
    page.locator(".messagelist").get_by_text(re.compile(expect)).first.wait_for()


def _fits(page: Any, name: str) -> None:
    assert page.evaluate(SIDEWAYS) <= 1, f"{name} scrolls sideways"


def _clock(session: Session, minutes: int) -> str:
    return f"{(session.start + timedelta(minutes=minutes)).astimezone(clinic_tz()):%H:%M}"


def test_a_nurse_records_a_visit_end_to_end_on_a_tablet(new_context, settings):
    settings.DEBUG = True
    call_command("seed_demo", "--quiet")
    settings.DEBUG = False
    session = (
        Session.objects.filter(status=SessionStatus.BOOKED, course__therapy__code="natalizumab")
        .select_related("course__patient")
        .order_by("start")
        .first()
    )
    assert session.checks.exists()  # natalizumab's TOUCH checklist
    page = _sign_in(new_context, "nurse", TABLET)

    page.goto(f"/admin/scheduling/session/board/?day={local_day(session.start):%Y-%m-%d}")
    page.locator(f".board-block a[href$='/session/{session.pk}/change/']").click()
    page.wait_for_url(re.compile(rf"/session/{session.pk}/change/$"))
    page.get_by_role("link", name="Open the visit record").click()
    page.wait_for_url(re.compile(rf"/visitrecord/session/{session.pk}/$"))
    if page.locator("#nav-sidebar").is_visible():
        page.locator("#toggle-nav-sidebar").click()  # at the chair: the record, not the menu
    assert page.get_by_text(session.course.patient.display_name).first.is_visible()
    assert page.get_by_role("heading", name="Open flags").is_visible()
    _fits(page, "visit page before check-in")
    assert_accessible(page, "visit page before check-in")

    _save(page, "open", {"at": _clock(session, -2)}, "Check in and open the record", "checked in")
    form = _section(page, "checks")
    for box in form.locator("input[type=checkbox]").all():
        box.check()
    form.get_by_role("button", name="Record the checks").click()
    page.locator(".messagelist").get_by_text("Per-visit checks recorded.").wait_for()
    _save(
        page,
        "vitals",
        {
            "at": _clock(session, 2),
            "systolic": "184",
            "diastolic": "88",
            "pulse": "76",
            "temperature": "36.8",
            "spo2": "97",
            "weight": "68.4",
        },
        "Save vitals",
        "hold thresholds",
    )
    assert page.locator("tr.visit-warn").first.is_visible()
    expiry = f"{local_day(session.start) + timedelta(days=120):%Y-%m-%d}"
    _save(
        page,
        "start",
        {
            "lot_number": "TAB-2041",
            "lot_expiry": expiry,
            "at": _clock(session, 15),
            "rate": "100",
        },
        "Start the infusion",
        "in the chair",
    )
    _fits(page, "visit page in chair")
    assert_accessible(page, "visit page in chair")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "staff-visit-record-tablet.png"), full_page=True)
    _save(
        page,
        "rate",
        {"at": _clock(session, 30), "rate": "120", "note": "As tolerated"},
        "Record",
        "Rate",
    )
    _save(page, "stop", {"at": _clock(session, 75)}, "Infusion stopped", "observation runs")
    _save(
        page, "observation", {"at": _clock(session, 135)}, "Observation ended", "End of observation"
    )
    _save(
        page,
        "discharge",
        {"at": _clock(session, 140)},
        "Discharge the patient",
        "Discharged: 2 h 22",
    )
    assert page.get_by_text("Completed").first.is_visible()
    assert_accessible(page, "visit page after discharge")
    save_screenshots(page, "staff-visit-record")

    session.refresh_from_db()
    record = VisitRecord.objects.get(session=session)
    assert session.status == SessionStatus.COMPLETED
    assert (record.chair_minutes, record.lot_number) == (142, "TAB-2041")
    assert record.vitals.get().warnings.startswith("Systolic 184")

    # At a laptop with the sidebar open, the same page and the coordinator's drift page.
    desk = _sign_in(new_context, "nurse", DESKTOP)
    desk.goto(f"/admin/visits/visitrecord/session/{session.pk}/")
    assert desk.locator("#nav-sidebar").is_visible()
    _fits(desk, "visit page at 1280")
    assert_accessible(desk, "visit page at 1280")
    coordinator = _sign_in(new_context, "coordinator", DESKTOP)
    coordinator.goto("/admin/visits/visitrecord/chair-times/")
    assert coordinator.get_by_text(
        re.compile(r"Natalizumab maintenance: template 2 h")
    ).is_visible()
    _fits(coordinator, "drift page")
    assert_accessible(coordinator, "drift page")
    coordinator.get_by_role("button", name=re.compile("Adopt the median")).first.click()
    coordinator.get_by_text(re.compile("new bookings now take")).first.wait_for()
    save_screenshots(coordinator, "staff-chair-times", full_page=False)
