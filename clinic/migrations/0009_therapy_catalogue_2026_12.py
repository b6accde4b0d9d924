"""Bring the therapy catalogue to the 2026-12 release (the clinical review of issue 14).

Values still as first shipped are updated; values a clinic changed by hand are kept. The
changes are printed ("Therapy catalogue: N change(s)", one line each) and the same lines
are in the catalogue files' history (clinic/therapies/).
"""

from django.db import migrations


def update(apps, schema_editor):
    from clinic.therapy_catalogue import catalogue_update, shipped_read

    catalogue_update(apps, previous=shipped_read("2026-11"))


class Migration(migrations.Migration):
    dependencies = [("clinic", "0008_therapy_review_fields")]

    operations = [migrations.RunPython(update, migrations.RunPython.noop)]
