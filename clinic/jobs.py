"""Clinic-wide jobs the worker's scheduler runs (see clinic.tasks.SCHEDULES)."""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.models import Heartbeat, PrivateLink
from clinic.notices import notices_send_due

SCHEDULER = "scheduler"


def heartbeat(now: datetime | None = None) -> str:
    """Record that the scheduler ran a job just now. Two at once: the later time wins."""
    now = now or timezone.now()
    if not Heartbeat.objects.filter(name=SCHEDULER).update(at=now):
        try:
            with transaction.atomic():
                Heartbeat.objects.create(name=SCHEDULER, at=now)
        except IntegrityError:
            Heartbeat.objects.filter(name=SCHEDULER).update(at=now)
    return "beat"


def last_beat() -> datetime | None:
    return Heartbeat.objects.filter(name=SCHEDULER).values_list("at", flat=True).first()


def send_due_notices() -> str:
    """The outbox sweep. Two at once skip each other's notices (clinic.notices._claim)."""
    return f"{notices_send_due()} sent"


def purge_expired(now: datetime | None = None) -> str:
    """Delete private links expired for a while, and expired sessions. Deleting twice is a no-op.

    Links are kept PRIVATE_LINK_PURGE_AFTER_DAYS after expiry so an old link still says
    "expired" rather than "unknown"; their history rows stay.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PRIVATE_LINK_PURGE_AFTER_DAYS)
    links, _ = PrivateLink.objects.filter(expires_at__lt=cutoff).delete()
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return f"{links} link rows deleted"
