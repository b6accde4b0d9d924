"""A throwaway database for the benchmarks that need Django, made with its test utilities.

In-memory SQLite by default; PostgreSQL only when DATABASE_URL names a database whose name
ends in `_bench`, e.g. `chairside_bench` (anything else is refused, so a bench can never
wipe a real database).
Bench scripts call `setup()` after putting the project root on sys.path.
"""

from __future__ import annotations

import os
import sys
from datetime import date, time

BENCH_DB = "chairside_bench"


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    import django

    django.setup()


def create(*, require_postgres: bool = False) -> str:
    """Create the test database (migrated); return the name to restore when dropping it."""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    db = settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        if not db["NAME"].endswith("_bench"):
            sys.exit(
                f"On PostgreSQL the benches only run against a database named *_bench, "
                f"e.g. {BENCH_DB}."
            )
        db.setdefault("TEST", {})["NAME"] = db["NAME"]
    elif require_postgres:
        sys.exit(f"This bench needs DATABASE_URL=postgres://postgres@127.0.0.1:5432/{BENCH_DB}")
    original = db["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    return original


def drop(original: str) -> None:
    from django.db import connection

    connection.creation.destroy_test_db(original, verbosity=0)


def make_clinic(*, chairs: int, beds: int, peak_nurses: int, edge_nurses: int) -> None:
    """Open Mon-Fri 07:30-18:00 (last start 17:00); nurses: `edge_nurses` all day plus
    enough from 09:00 to 16:30 to reach `peak_nurses`; ratio 1:4 (the default)."""
    from clinic.models import ClinicSettings
    from scheduling.models import Chair, NurseShift, OpeningHours

    ClinicSettings.load()
    for weekday in range(5):
        OpeningHours.objects.create(
            weekday=weekday, opens=time(7, 30), closes=time(18, 0), last_start=time(17, 0)
        )
        NurseShift.objects.create(
            weekday=weekday, starts=time(7, 30), ends=time(18, 0), nurses=edge_nurses
        )
        NurseShift.objects.create(
            weekday=weekday, starts=time(9, 0), ends=time(16, 30), nurses=peak_nurses - edge_nurses
        )
    Chair.objects.bulk_create(
        Chair(name=f"Chair {i:02d}", kind="bed" if i > chairs - beds else "chair", position=i)
        for i in range(1, chairs + 1)
    )


def make_patients(n: int, *, prefix: str = "BN") -> list:
    """Bulk-create `n` fake patients (no history rows: this is bench data)."""
    from datetime import timedelta

    from clinic.models import Patient

    return Patient.objects.bulk_create(
        (
            Patient(
                record_number=f"{prefix}{k:07d}",
                legal_given_name=f"Given{k}",
                legal_family_name=f"Family{k}",
                date_of_birth=date(1950, 1, 1) + timedelta(days=k % 18000),
                match_key=f"family{k}|given{k}",
                email=f"patient{k}@example.test",
            )
            for k in range(n)
        ),
        batch_size=2000,
    )
