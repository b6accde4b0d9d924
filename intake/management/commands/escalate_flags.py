"""Re-send urgent flags still unacknowledged after 30 minutes (cron: every 5 minutes)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from intake.flags import flags_escalate


class Command(BaseCommand):
    help = "Escalate unacknowledged urgent flags to the fallback address and the next on call."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = flags_escalate(now=timezone.now())
        self.stdout.write(f"Escalation notices sent: {sent}")
