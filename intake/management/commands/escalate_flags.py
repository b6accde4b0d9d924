"""Escalate unacknowledged urgent flags now, by hand: the worker does this every minute."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from clinic.notices import notices_send_due
from intake.flags import flags_escalate


class Command(BaseCommand):
    help = (
        "Escalate unacknowledged urgent flags and send the notices that are due. The task "
        "queue's worker runs this every minute; use it only when no worker is running."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        escalated = flags_escalate(now=timezone.now())
        notices_send_due()
        self.stdout.write(f"Escalation notices sent: {escalated}")
