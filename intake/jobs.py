"""Intake's jobs for the worker's scheduler (see clinic.tasks.SCHEDULES)."""

from __future__ import annotations

from django.utils import timezone


def escalate_flags() -> str:
    """Escalate unacknowledged urgent flags; safe with two workers (see flags_escalate)."""
    from intake.flags import flags_escalate

    return f"{flags_escalate(now=timezone.now())} escalated"
