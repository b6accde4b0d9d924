"""The date drill-down on big admin lists: years, months, days, without a full DISTINCT."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.admin_dates import _months
from scheduling.models import Session
from tests.factories import ReferralFactory, clinic_week, ready_course

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
SESSIONS = "/admin/scheduling/session/"


def _sessions_on(*days: date) -> None:
    (chair,) = clinic_week(chairs=1, weekdays=range(7))
    rows = []
    for day in days:
        course = ready_course(start_after=day)
        start = datetime.combine(day, time(9), tzinfo=NY)
        rows.append(
            Session(
                course=course,
                dose=course.doses.get(sequence=1),
                chair=chair,
                start=start,
                end=start + timedelta(hours=1),
            )
        )
    Session.objects.bulk_create(rows)


def _hierarchy(response) -> dict:
    from django.contrib.admin.templatetags.admin_list import date_hierarchy

    return date_hierarchy(response.context["cl"])


def test_the_session_list_offers_every_year_from_the_first_to_the_last_session(client, scheduler):
    _sessions_on(date(2025, 3, 3), date(2027, 6, 7))
    client.force_login(scheduler)
    response = client.get(SESSIONS)
    assert [c["title"] for c in _hierarchy(response)["choices"]] == ["2025", "2026", "2027"]


def test_a_year_offers_its_months_from_the_first_to_the_last_session(client, scheduler):
    _sessions_on(date(2026, 2, 2), date(2026, 4, 6), date(2027, 1, 4))
    client.force_login(scheduler)
    response = client.get(SESSIONS, {"start__year": 2026})
    titles = [c["title"] for c in _hierarchy(response)["choices"]]
    assert titles == ["February 2026", "March 2026", "April 2026"]


def test_a_month_offers_only_the_days_that_have_sessions(client, scheduler):
    _sessions_on(date(2026, 2, 2), date(2026, 2, 9), date(2027, 1, 4))
    client.force_login(scheduler)
    response = client.get(SESSIONS, {"start__year": 2026, "start__month": 2})
    assert [c["title"] for c in _hierarchy(response)["choices"]] == ["February 2", "February 9"]


def test_the_year_list_reads_no_distinct_over_the_table(client, scheduler):
    _sessions_on(date(2025, 3, 3), date(2026, 5, 4), date(2027, 6, 7))
    client.force_login(scheduler)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(SESSIONS).status_code == 200
    assert not [q for q in captured.captured_queries if "DISTINCT" in q["sql"]]


def test_the_referral_queue_keeps_its_date_drill_down_without_distinct(client, coordinator):
    for year, referral in zip((2025, 2026, 2027), ReferralFactory.create_batch(3), strict=True):
        referral.received_at = datetime(year, 5, 4, 12, tzinfo=NY)
        referral.save(update_fields=["received_at"])
    client.force_login(coordinator)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/admin/intake/referral/")
    assert response.status_code == 200
    assert _hierarchy(response)["show"]
    assert not [q for q in captured.captured_queries if "DISTINCT" in q["sql"]]


@pytest.mark.parametrize(
    ("first", "last", "kind", "order", "expected"),
    [
        (
            date(2025, 11, 5),
            date(2026, 2, 1),
            "month",
            "ASC",
            [(2025, 11), (2025, 12), (2026, 1), (2026, 2)],
        ),
        (date(2025, 11, 5), date(2026, 2, 1), "year", "ASC", [(2025, 1), (2026, 1)]),
        (date(2026, 1, 5), date(2026, 2, 1), "month", "DESC", [(2026, 2), (2026, 1)]),
    ],
)
def test_months_and_years_between_two_dates(first, last, kind, order, expected):
    assert _months(first, last, kind, order) == expected
