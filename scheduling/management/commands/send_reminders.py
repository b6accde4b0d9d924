"""Send session reminders; cron runs this every 15 minutes. Safe to run twice."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from scheduling.reminders import reminders_send


class Command(BaseCommand):
    help = "Email patients two days before each session (each reminder once)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = reminders_send(now=timezone.now())
        self.stdout.write(f"Sent {sent} reminder(s).")
