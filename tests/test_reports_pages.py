"""The Reports pages: who may open them, the date range, charts with text, CSV = the table."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from clinic import plots
from clinic.reports import Chart, Series, default_period, reports
from tests.report_fixtures import MONDAY, TUESDAY, referrals, two_days_of_sessions, urgent_flags

pytestmark = pytest.mark.django_db

SLUGS = ["utilisation", "attendance", "urgent-flags", "referrals"]
RANGE = f"?start={MONDAY:%Y-%m-%d}&end={TUESDAY:%Y-%m-%d}"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_report_is_registered():
    assert [r.slug for r in reports()] == SLUGS


@pytest.mark.parametrize("role", ["manager", "oncall_lead", "coordinator"])
def test_managers_on_call_leads_and_coordinators_open_every_report(request, role):
    client = _client(request.getfixturevalue(role))
    assert client.get("/admin/reports/").status_code == 200
    for slug in SLUGS:
        assert client.get(f"/admin/reports/{slug}/").status_code == 200, slug


@pytest.mark.parametrize("role", ["nurse", "clinician", "scheduler"])
def test_other_roles_are_refused_with_the_roles_that_may(request, role):
    client = _client(request.getfixturevalue(role))
    for url in [
        "/admin/reports/",
        "/admin/reports/attendance/",
        "/admin/reports/attendance/by-week.csv",
    ]:
        response = client.get(url)
        assert response.status_code == 403, url
    assert "Clinic manager" in response.content.decode()


def test_the_default_range_is_the_last_four_weeks(manager):
    response = _client(manager).get("/admin/reports/attendance/")
    today = timezone.localdate()
    form = response.context["form"]
    assert form.is_valid()
    assert form.cleaned_data["end"] == default_period().last
    assert form.cleaned_data["end"] - form.cleaned_data["start"] == timedelta(days=27)
    assert abs((form.cleaned_data["end"] - today).days) <= 1


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("?start=2026-11-03&end=2026-11-02", "on or after the start"),
        ("?start=2025-01-01&end=2026-11-02", "at most 366 days"),
        ("?start=nonsense&end=2026-11-02", "Enter a valid date"),
    ],
)
def test_a_wrong_range_is_explained_next_to_the_field_and_kept(manager, query, error):
    response = _client(manager).get(f"/admin/reports/utilisation/{query}")
    assert response.status_code == 200
    page = response.content.decode()
    assert error in page
    assert 'class="errorlist"' in page
    assert response.context["sections"] == []
    assert _client(manager).get(f"/admin/reports/utilisation/by-day.csv{query}").status_code == 400


def test_an_unknown_report_or_table_is_not_found(manager):
    client = _client(manager)
    assert client.get("/admin/reports/nothing/").status_code == 404
    assert client.get(f"/admin/reports/attendance/nothing.csv{RANGE}").status_code == 404


def _html_tables(page: str) -> list[list[list[str]]]:
    tables = []
    content = page.split('id="content-main"', 1)[1]
    for table in re.findall(r"<table>(.*?)</table>", content, re.S):
        rows = []
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
            cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
            rows.append([html.unescape(c.strip()) for c in cells])
        tables.append(rows)
    return tables


@pytest.mark.parametrize("slug", SLUGS)
def test_each_csv_holds_exactly_its_table(manager, nurse, coordinator, slug):
    {
        "utilisation": two_days_of_sessions,
        "attendance": two_days_of_sessions,
        "urgent-flags": lambda: urgent_flags(nurse),
        "referrals": lambda: referrals(coordinator),
    }[slug]()
    client = _client(manager)
    response = client.get(f"/admin/reports/{slug}/{RANGE}")
    page = response.content.decode()
    html_tables = _html_tables(page)
    sections = response.context["sections"]
    assert len(html_tables) == len(sections) == 3
    for item, html_rows in zip(sections, html_tables, strict=True):
        got = client.get(item["csv_url"])
        assert got["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment" in got["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(got.content.decode())))
        assert rows == html_rows
        assert len(rows) > 1


def test_the_page_shows_each_chart_as_an_svg_image_with_its_key_figure(manager):
    two_days_of_sessions()
    page = _client(manager).get(f"/admin/reports/utilisation/{RANGE}").content.decode()
    assert page.count('<img src="data:image/svg+xml;base64,') == 3
    assert "<figcaption>Booked 40.6 % of 16 open chair-hours" in page
    assert "<script" not in page.split('<div id="content-main"')[1]


def test_a_chart_is_svg_with_no_script():
    chart = Chart(
        ["Mon", "Tue"],
        [Series("Booked", [3.5, 3.0]), Series("Open", [8, 8], "step")],
        "Chair-hours",
        "test chart",
    )
    svg = plots.chart_svg(chart)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<script" not in svg
    assert "Chair-hours" in svg  # text kept as text
    assert plots.chart_svg(chart) == svg  # the same numbers draw the same file


def test_reports_hold_no_patient_names(manager):
    history = two_days_of_sessions()
    name = history["A"].course.patient.legal_family_name
    client = _client(manager)
    for slug in SLUGS:
        assert name not in client.get(f"/admin/reports/{slug}/{RANGE}").content.decode()


@pytest.mark.parametrize("slug", SLUGS)
def test_a_report_page_runs_a_bounded_number_of_queries(
    manager, slug, django_assert_max_num_queries
):
    two_days_of_sessions()
    client = _client(manager)
    with django_assert_max_num_queries(15):
        assert client.get(f"/admin/reports/{slug}/{RANGE}").status_code == 200
