"""Doses not yet booked take the reviewed catalogue's windows and minimum gaps.

Booked and given doses keep theirs (they are history or already agreed with the patient).
"""

from datetime import timedelta

from django.db import migrations

ACTIVE = ("booked", "checked_in", "in_chair", "completed")


def replan(apps, schema_editor):
    PlannedDose = apps.get_model("scheduling", "PlannedDose")
    Session = apps.get_model("scheduling", "Session")
    booked = set(Session.objects.filter(status__in=ACTIVE).values_list("dose_id", flat=True))
    changed = []
    doses = PlannedDose.objects.select_related("step").filter(sequence__gt=1)
    for dose in doses.exclude(pk__in=booked):
        step = dose.step
        if dose.block is not None and dose.earliest == dose.latest == dose.target:
            continue  # a later day of a consecutive block follows its first day
        earliest = dose.target - timedelta(days=step.window_before_days)
        latest = dose.target + timedelta(days=step.window_after_days)
        new = (earliest, latest, step.min_gap_days, step.min_gap_months)
        if new != (dose.earliest, dose.latest, dose.min_gap_days, dose.min_gap_months):
            dose.earliest, dose.latest, dose.min_gap_days, dose.min_gap_months = new
            changed.append(dose)
    PlannedDose.objects.bulk_update(
        changed, ["earliest", "latest", "min_gap_days", "min_gap_months"]
    )
    if changed:
        print(f"Planned doses: {len(changed)} open dose(s) take the reviewed windows and gaps")


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0006_course_clinical_settings"),
        ("clinic", "0009_therapy_catalogue_2026_12"),
    ]

    operations = [migrations.RunPython(replan, migrations.RunPython.noop)]
