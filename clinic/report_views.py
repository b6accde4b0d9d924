"""The Reports section of the staff site: an index, one page per report, CSV of each table.

Thin views: parse the date range, run the registered report (`clinic.reports`), draw its
charts (`clinic.plots`), render. Only roles holding `clinic.view_reports` open them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from clinic import plots
from clinic.reports import (
    Period,
    PeriodForm,
    ReportDef,
    cell_text,
    period_form,
    report_get,
    reports,
)
from clinic.roles import NeedsPermission

PERMISSION = "clinic.view_reports"


def _report_for_staff(request: HttpRequest, slug: str | None = None) -> ReportDef | None:
    """Refuse users without the reports permission; return the report named, or 404."""
    if not request.user.has_perm(PERMISSION):
        raise NeedsPermission(PERMISSION)
    if slug is None:
        return None
    found = report_get(slug)
    if found is None:
        raise Http404("No such report.")
    return found


def _page(request: HttpRequest, template: str, title: str, **context: Any) -> TemplateResponse:
    return TemplateResponse(
        request, template, {**admin.site.each_context(request), "title": title, **context}
    )


def reports_index_view(request: HttpRequest) -> TemplateResponse:
    _report_for_staff(request)
    form = period_form(request.GET)
    query = f"?{_range_query(form.period())}" if form.is_valid() else ""
    return _page(
        request,
        "admin/clinic/reports/index.html",
        "Reports",
        reports=[(r, f"{reverse('admin:clinic_report', args=[r.slug])}{query}") for r in reports()],
        form=form,
    )


def _range_query(period: Period) -> str:
    return f"start={period.first:%Y-%m-%d}&end={period.last:%Y-%m-%d}"


def report_view(request: HttpRequest, slug: str) -> TemplateResponse:
    found = _report_for_staff(request, slug)
    form = period_form(request.GET)
    sections = []
    if form.is_valid():
        period = form.period()
        query = _range_query(period)
        for section in found.build(period):
            sections.append(
                {
                    "section": section,
                    "image": plots.chart_data_url(section.chart) if section.chart else "",
                    "rows": [[cell_text(c) for c in row] for row in section.table.rows],
                    "csv_url": reverse("admin:clinic_report_csv", args=[slug, section.table.slug])
                    + f"?{query}",
                }
            )
    return _page(
        request,
        "admin/clinic/reports/report.html",
        found.title,
        report=found,
        form=form,
        sections=sections,
        others=[r for r in reports() if r.slug != slug],
    )


def report_csv_view(request: HttpRequest, slug: str, table: str) -> HttpResponse:
    found = _report_for_staff(request, slug)
    form: PeriodForm = period_form(request.GET)
    if not form.is_valid():
        return HttpResponse(
            "Give a valid date range (start and end, at most a year).",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    period = form.period()
    for section in found.build(period):
        if section.table.slug == table:
            response = HttpResponse(
                section.table.csv_text(), content_type="text/csv; charset=utf-8"
            )
            name = f"{slug}-{table}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
    raise Http404("No such table.")
