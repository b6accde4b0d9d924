"""Send due session reminders now, by hand: the worker does this every 15 minutes."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from clinic.notices import notices_send_due
from scheduling.reminders import reminders_send


class Command(BaseCommand):
    help = (
        "Email patients two days before each session (each reminder once) and send the "
        "notices that are due. The task queue's worker runs this every 15 minutes."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        queued = reminders_send(now=timezone.now())
        notices_send_due()
        self.stdout.write(f"Sent {queued} reminder(s).")
