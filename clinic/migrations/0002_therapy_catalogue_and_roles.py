from django.db import migrations


def load(apps, schema_editor):
    from clinic.therapy_catalogue import catalogue_load, shipped_read

    # The catalogue as first shipped; 0008 brings it to the current release.
    catalogue_load(apps, shipped_read("2026-11"))
    ClinicSettings = apps.get_model("clinic", "ClinicSettings")
    ClinicSettings.objects.get_or_create(pk=1)


def create_groups(apps, schema_editor):
    from clinic.roles import ROLES

    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
        migrations.RunPython(create_groups, migrations.RunPython.noop),
    ]
