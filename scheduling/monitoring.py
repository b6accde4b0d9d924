"""Monitoring after a course's infusions (Lemtrada: monthly blood and urine tests, thyroid
every 3 months, a yearly skin exam, until 48 months after the last infusion).

The therapy's `monitoring` rows say what and how often; these services plan one task per due
date on the course, counted from the course's last completed infusion, and record them done.
They are lab orders, not chair bookings: no session is written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from clinic.clock import local_day
from scheduling.models import MonitoringTask, SessionStatus, TreatmentCourse
from scheduling.series import months_after

# A task is "due" from this many days before its date; "overdue" after it.
DUE_AHEAD_DAYS = 14


@dataclass(frozen=True)
class PlannedTest:
    code: str
    name: str
    due: date


def monitoring_dates(
    *, last_infusion: date, rules: list[tuple[str, str, int, int]]
) -> list[PlannedTest]:
    """Return every test due after `last_infusion`: (code, name, every, until) months."""
    planned = []
    for code, name, every, until in rules:
        for k in range(1, until // every + 1):
            planned.append(PlannedTest(code, name, months_after(last_infusion, k * every)))
    return sorted(planned, key=lambda p: (p.due, p.code))


def last_infusion(course: TreatmentCourse) -> date | None:
    """Return the local day of the course's last completed infusion, or None."""
    last = (
        course.sessions.filter(status=SessionStatus.COMPLETED)
        .order_by("-start")
        .values_list("start", flat=True)
        .first()
    )
    return local_day(last) if last else None


def monitoring_plan(*, course: TreatmentCourse, last: date | None = None) -> int:
    """Plan the course's monitoring from its last infusion; return how many tasks it has open.

    Open tasks planned from an earlier infusion are replaced (a new course of infusions moves
    the 48 months on); tasks already done stay as the record.
    """
    rules = [
        (m.code, m.name, m.every_months, m.months_after_last)
        for m in course.therapy.monitoring.all()
    ]
    last = last or last_infusion(course)
    if not rules or last is None:
        return 0
    wanted = monitoring_dates(last_infusion=last, rules=rules)
    with transaction.atomic():
        TreatmentCourse.objects.select_for_update().get(pk=course.pk)
        existing = {(t.code, t.due): t for t in course.monitoring_tasks.all()}
        keep = {(p.code, p.due) for p in wanted}
        stale = [t.pk for key, t in existing.items() if key not in keep and t.done_on is None]
        MonitoringTask.objects.filter(pk__in=stale).delete()
        MonitoringTask.objects.bulk_create(
            MonitoringTask(course=course, code=p.code, name=p.name, due=p.due)
            for p in wanted
            if (p.code, p.due) not in existing
        )
    return course.monitoring_tasks.filter(done_on__isnull=True).count()


def monitoring_record(
    *, task: MonitoringTask, by: Any, done_on: date | None = None, note: str = ""
) -> MonitoringTask:
    """Record a monitoring test as done (the result lives in the lab system)."""
    task.done_on = done_on or timezone.localdate()
    task.recorded_by = by
    task.note = note
    task.save(update_fields=["done_on", "recorded_by", "note"])
    return task


def monitoring_status(task: MonitoringTask, today: date) -> str:
    """Return "done", "overdue", "due" (within DUE_AHEAD_DAYS) or "planned"."""
    if task.done_on:
        return "done"
    if task.due < today:
        return "overdue"
    if task.due <= today + timedelta(days=DUE_AHEAD_DAYS):
        return "due"
    return "planned"
