"""Load demo data: staff in each role and obviously fake patients. Safe to run twice."""

from __future__ import annotations

import importlib
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from clinic import roles

DEMO_PASSWORD = "chairside-demo-only"  # noqa: S105 - development only, refused when DEBUG is off

DEMO_STAFF = [
    ("admin", "Ada", "Admin", None, True),
    ("coordinator", "Cory", "Coordinator", roles.INTAKE_COORDINATOR, False),
    ("nurse", "Nina", "Nurse", roles.NURSE, False),
    ("oncall", "Oscar", "Oncall", roles.ON_CALL_CLINICIAN, False),
    ("scheduler", "Sky", "Scheduler", roles.SCHEDULER, False),
    ("manager", "Mona", "Manager", roles.CLINIC_MANAGER, False),
    ("lead", "Lee", "Lead", roles.ON_CALL_LEAD, False),
]

# Each app with demo data has a `demo` module with `seed(stdout) -> None`.
DEMO_MODULES = [
    "intake.demo",
    "scheduling.demo",
    "scheduling.waitlist_demo",
    "visits.demo",
    "interop.demo",
]
# Past visits, flags and referrals for the reports (`--history-weeks`), once the clinic is set up.
HISTORY_MODULE = "scheduling.demo_history"


class Command(BaseCommand):
    help = "Create demo staff, clinic set-up and fake referrals (development only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")
        parser.add_argument(
            "--history-weeks",
            type=int,
            default=0,
            help="Also replay this many weeks of past visits, flags and referrals (make run: 12).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo is for development only (DEBUG is off).")
        User = get_user_model()
        with transaction.atomic():
            for username, first, last, group, is_super in DEMO_STAFF:
                user, created = User.objects.get_or_create(
                    username=username,
                    defaults={
                        "first_name": first,
                        "last_name": last,
                        "is_staff": True,
                        "is_superuser": is_super,
                        "email": f"{username}@chairside.example",
                    },
                )
                if created:
                    user.set_password(DEMO_PASSWORD)
                    user.save()
                if group:
                    user.groups.add(Group.objects.get(name=group))
            for path in DEMO_MODULES:
                try:
                    module = importlib.import_module(path)
                except ModuleNotFoundError:
                    continue
                module.seed(self.stdout)
            if options["history_weeks"] > 0:
                importlib.import_module(HISTORY_MODULE).seed(
                    self.stdout, weeks=options["history_weeks"]
                )
        if not options["quiet"]:
            self.stdout.write(self.style.SUCCESS("Demo data ready. Staff sign-in at /admin/:"))
            for username, _first, _last, group, _ in DEMO_STAFF:
                self.stdout.write(f"  {username:<12} / {DEMO_PASSWORD}   ({group or 'superuser'})")
