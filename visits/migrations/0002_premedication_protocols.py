"""The vitals hold thresholds' one row, and the therapies' premedications, pre-filled on each visit record; clinicians review them in
admin. Those not stated in DOMAIN.md come from the products' labels and say "(confirm)"."""

from django.db import migrations

# therapy code: [(medicine, dose, route, minutes before, only the first N days of a block, note)]
PREMEDICATIONS = {
    "ocrelizumab": [
        ("Methylprednisolone", "100 mg", "IV", 30, None, "Label premedication (confirm)"),
        ("Antihistamine (e.g. diphenhydramine)", "", "", 30, None, "Label (confirm)"),
        ("Antipyretic (e.g. acetaminophen)", "", "oral", 30, None, "Optional, label (confirm)"),
    ],
    "ocrelizumab_sc": [
        ("Dexamethasone (or equivalent)", "", "oral", 30, None, "DOMAIN.md section 1"),
        ("Antihistamine", "", "oral", 30, None, "DOMAIN.md section 1"),
    ],
    "ublituximab": [
        ("Corticosteroid (e.g. methylprednisolone)", "", "IV", 30, None, "Label (confirm)"),
        ("Antihistamine (e.g. diphenhydramine)", "", "", 30, None, "Label (confirm)"),
    ],
    "alemtuzumab": [
        ("Methylprednisolone", "1 g", "IV", 30, 3, "Days 1–3 of each course: DOMAIN.md"),
        ("Antihistamine", "", "", 30, None, "Per clinic protocol: DOMAIN.md"),
        ("Antipyretic", "", "oral", 30, None, "Per clinic protocol: DOMAIN.md"),
    ],
    "rituximab": [
        ("Antihistamine", "", "", 30, None, "Premedication per order (confirm)"),
        ("Antipyretic (e.g. acetaminophen)", "", "oral", 30, None, "Per order (confirm)"),
    ],
}


def load(apps, schema_editor):
    Therapy = apps.get_model("clinic", "Therapy")
    Protocol = apps.get_model("visits", "PremedicationProtocol")
    apps.get_model("visits", "VisitSettings").objects.get_or_create(pk=1)
    for code, rows in PREMEDICATIONS.items():
        therapy = Therapy.objects.filter(code=code).first()
        if therapy is None:
            continue
        for position, (medicine, dose, route, before, days, note) in enumerate(rows):
            Protocol.objects.get_or_create(
                therapy=therapy,
                medicine=medicine,
                defaults={
                    "position": position,
                    "dose": dose,
                    "route": route,
                    "minutes_before": before,
                    "first_block_days": days,
                    "note": note,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_initial"), ("clinic", "0009_therapy_catalogue_2026_12")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
