"""Load the questionnaire definition files (also done after every `migrate`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from intake.instruments import DefinitionError
from intake.instruments.loader import instruments_load


class Command(BaseCommand):
    help = "Load questionnaire instruments from intake/instruments/*.json as new versions."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            changed = instruments_load()
        except DefinitionError as exc:
            raise CommandError(str(exc)) from exc
        if changed:
            self.stdout.write("Loaded: " + ", ".join(changed))
        else:
            self.stdout.write("Instruments are up to date.")
