"""Scheduling's jobs for the worker's scheduler (see clinic.tasks.SCHEDULES)."""

from __future__ import annotations

from django.utils import timezone


def send_reminders() -> str:
    """Queue due session reminders; safe with two workers (see reminders_send)."""
    from scheduling.reminders import reminders_send

    return f"{reminders_send(now=timezone.now())} reminders queued"


def expire_offers() -> str:
    """Close waitlist offers past their time and offer those times again (skip_locked: two
    runs at once take different rows)."""
    from scheduling.backfill import offers_expire

    return offers_expire(now=timezone.now())


def expire_authorisations() -> str:
    """Mark approved authorisations past their end date expired (each row saved once)."""
    from scheduling.authorisations import authorisations_expire

    return f"{authorisations_expire()} authorisation(s) expired"
