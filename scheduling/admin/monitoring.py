"""Monitoring tasks (Lemtrada's 48 months of tests) for staff: what is due and overdue."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin_kit import patient_link
from clinic.clock import date_label
from scheduling.models import MonitoringTask
from scheduling.monitoring import DUE_AHEAD_DAYS, monitoring_record, monitoring_status


class MonitoringStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("open", "Due or overdue"),
            ("overdue", "Overdue"),
            ("planned", "Planned later"),
            ("done", "Done"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        today = timezone.localdate()
        soon = today + timedelta(days=DUE_AHEAD_DAYS)
        value = self.value()
        if value == "open":
            return queryset.filter(done_on__isnull=True, due__lte=soon)
        if value == "overdue":
            return queryset.filter(done_on__isnull=True, due__lt=today)
        if value == "planned":
            return queryset.filter(done_on__isnull=True, due__gt=soon)
        if value == "done":
            return queryset.filter(done_on__isnull=False)
        return queryset


class MonitoringTaskAdmin(SimpleHistoryAdmin):
    list_display = ["name", "patient_name", "course_link", "due_on", "state"]
    list_filter = [MonitoringStateFilter, "code"]
    list_select_related = ["course__patient", "course__therapy"]
    search_fields = ["course__patient__legal_family_name", "course__patient__record_number"]
    fields = ["course", "name", "due", "done_on", "note"]
    readonly_fields = ["course", "name", "due"]
    ordering = ["due"]

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # The course page links here with its own tasks.
        return lookup == "course__id__exact" or super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Planned from the course's infusions (scheduling.monitoring), never by hand.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.display(description="Patient", ordering="course__patient__legal_family_name")
    def patient_name(self, task: MonitoringTask) -> str:
        return patient_link(task.course.patient)

    @admin.display(description="Course")
    def course_link(self, task: MonitoringTask) -> str:
        return str(task.course)

    @admin.display(description="Due", ordering="due")
    def due_on(self, task: MonitoringTask) -> str:
        return date_label(task.due)

    @admin.display(description="State")
    def state(self, task: MonitoringTask) -> str:
        return monitoring_status(task, timezone.localdate())

    def save_model(
        self, request: HttpRequest, obj: MonitoringTask, form: Any, change: bool
    ) -> None:
        if obj.done_on:
            monitoring_record(task=obj, by=request.user, done_on=obj.done_on, note=obj.note)
        else:
            super().save_model(request, obj, form, change)
