"""The reports' permission and the two roles that read them (their permissions are synced
from clinic.roles after every migrate; see clinic.roles.sync_roles)."""

from django.db import migrations

NEW_ROLES = ("Clinic manager", "On-call lead")


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in NEW_ROLES:
        Group.objects.get_or_create(name=name)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=NEW_ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0009_therapy_catalogue_2026_12"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="clinicsettings",
            options={
                "permissions": [
                    ("view_reports", "Can see the clinic's reports (aggregates only)")
                ],
                "verbose_name": "clinic settings",
                "verbose_name_plural": "clinic settings",
            },
        ),
        migrations.RunPython(create_groups, remove_groups),
    ]
