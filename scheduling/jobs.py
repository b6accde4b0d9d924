"""Scheduling's jobs for the worker's scheduler (see clinic.tasks.SCHEDULES)."""

from __future__ import annotations

from django.utils import timezone


def send_reminders() -> str:
    """Queue due session reminders; safe with two workers (see reminders_send)."""
    from scheduling.reminders import reminders_send

    return f"{reminders_send(now=timezone.now())} reminders queued"
