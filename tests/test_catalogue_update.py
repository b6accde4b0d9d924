"""Must-show 3: the catalogue update migration, run on a copy of the demo data, changes
exactly the corrected fields, keeps a clinic's own edits, and prints what it changed."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.management import call_command

from clinic.models import Therapy, TherapyMonitoring, TherapyRequirement, TherapyStep
from clinic.therapy_catalogue import (
    MONITORING_FIELDS,
    REQUIREMENT_FIELDS,
    STEP_FIELDS,
    THERAPY_FIELDS,
    catalogue_load,
    shipped_read,
)
from scheduling.models import PlannedDose, Session

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("clinic.migrations.0009_therapy_catalogue_2026_12")

# The review's corrections (issue 14), as (where, field). "+" marks rows added.
CORRECTED = {
    ("alemtuzumab", "notes"),
    ("alemtuzumab step course1", "label"),
    ("alemtuzumab step course1", "repeats"),
    ("alemtuzumab step course1", "premedication"),
    ("alemtuzumab step course2", "label"),
    ("alemtuzumab step course2", "premedication"),
    ("alemtuzumab step course1_late", "+"),
    ("alemtuzumab requirement thyroid", "+"),
    ("alemtuzumab requirement skin_exam", "+"),
    ("alemtuzumab requirement antiviral", "+"),
    ("alemtuzumab monitoring blood_urine", "+"),
    ("alemtuzumab monitoring thyroid", "+"),
    ("alemtuzumab monitoring skin_exam", "+"),
    ("methylprednisolone", "notes"),
    ("methylprednisolone step pulse", "label"),
    ("methylprednisolone step pulse", "repeats_max"),
    ("natalizumab", "reauthorise_every_months"),
    ("natalizumab", "notes"),
    ("natalizumab step infusion_13_on", "observation_optional"),
    ("ocrelizumab", "dose_clock"),
    ("ocrelizumab", "notes"),
    ("ocrelizumab step dose1", "premedication"),
    ("ocrelizumab step dose2", "premedication"),
    ("ocrelizumab step maintenance", "premedication"),
    ("ocrelizumab step maintenance", "min_gap_days"),
    ("ocrelizumab step maintenance", "min_gap_months"),
    ("rituximab", "notes"),
    ("rituximab step dose1", "premedication"),
    ("rituximab step dose1", "infusion_minutes"),
    ("rituximab step dose1", "observation_minutes"),
    ("rituximab step dose2", "premedication"),
    ("rituximab step dose2", "infusion_minutes"),
    ("rituximab step dose2", "observation_minutes"),
    ("rituximab step maintenance", "premedication"),
    ("rituximab step maintenance", "infusion_minutes"),
    ("rituximab step maintenance", "observation_minutes"),
    ("ublituximab", "notes"),
    ("ublituximab step dose1", "premedication"),
    ("ublituximab step dose2", "premedication"),
    ("ublituximab step maintenance", "premedication"),
    ("ublituximab step maintenance", "min_gap_days"),
    ("ublituximab step maintenance", "min_gap_months"),
}
# Changed by the clinic by hand before the update: kept.
HAND_EDITS = {
    ("natalizumab step infusion_13_on", "observation_minutes"): 30,
    ("ocrelizumab step maintenance", "window_before_days"): 21,
}


def _catalogue() -> dict[tuple[str, int, str], tuple[str, object]]:
    """Every catalogue value by (model, row, field): (where, value), where named as the
    update's report names it."""
    values: dict[tuple[str, int, str], tuple[str, object]] = {}
    rows = [
        (Therapy.objects.all(), THERAPY_FIELDS, lambda r: r.code),
        (
            TherapyStep.objects.select_related("therapy"),
            STEP_FIELDS,
            lambda r: f"{r.therapy.code} step {r.key}",
        ),
        (
            TherapyRequirement.objects.select_related("therapy"),
            REQUIREMENT_FIELDS,
            lambda r: f"{r.therapy.code} requirement {r.code}",
        ),
        (
            TherapyMonitoring.objects.select_related("therapy"),
            MONITORING_FIELDS,
            lambda r: f"{r.therapy.code} monitoring {r.code}",
        ),
    ]
    for queryset, fields, name in rows:
        for row in queryset:
            model = type(row).__name__
            values |= {(model, row.pk, f): (name(row), getattr(row, f)) for f in fields}
    return values


@pytest.fixture
def demo_before_the_review(settings):
    """The demo data as an install made it before the review: the 2026-11 catalogue
    (steps without keys), then seed_demo, then a clinic's own edits."""
    Therapy.objects.all().delete()
    catalogue_load(therapies=shipped_read("2026-11"))
    TherapyStep.objects.update(key="")
    settings.DEBUG = True
    call_command("seed_demo", "--quiet")
    settings.DEBUG = False
    therapies = {t.code: t for t in Therapy.objects.all()}
    rows = list(therapies["natalizumab"].steps.order_by("position"))
    rows[1].observation_minutes = 30
    rows[1].save()
    rows = list(therapies["ocrelizumab"].steps.order_by("position"))
    rows[2].window_before_days = 21
    rows[2].save()


def test_the_update_changes_exactly_the_corrected_fields_and_prints_them(
    demo_before_the_review, capsys
):
    sessions, doses = Session.objects.count(), PlannedDose.objects.count()
    capsys.readouterr()
    before = _catalogue()
    MIGRATION.update(apps, None)
    printed = capsys.readouterr().out.splitlines()
    after = _catalogue()

    changed = {
        (after[key][0], key[2])
        for key in after
        if key in before and after[key][1] != before[key][1]
    }
    added = {(after[key][0], "+") for key in after if key not in before}
    assert changed | added == CORRECTED
    assert not [key for key in before if key not in after]  # nothing removed
    assert printed[0] == f"Therapy catalogue: {len(CORRECTED)} change(s)"
    for where, field in CORRECTED:
        assert any(
            line.strip().startswith(f"{where}: {field if field != '+' else ''}") for line in printed
        ), (where, field)
    named = {(where, key[2]): value for key, (where, value) in after.items()}
    for (where, field), value in HAND_EDITS.items():
        assert named[(where, field)] == value
        assert any(f"{where}: {field} kept at {value!r}" in line for line in printed)
    # The demo's courses and sessions are the clinic's records: untouched.
    assert (Session.objects.count(), PlannedDose.objects.count()) == (sessions, doses)


def test_running_the_update_twice_changes_nothing_more(demo_before_the_review, capsys):
    MIGRATION.update(apps, None)
    capsys.readouterr()
    MIGRATION.update(apps, None)
    assert capsys.readouterr().out.splitlines()[0] == "Therapy catalogue: 0 change(s)"
