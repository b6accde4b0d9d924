from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class ChairsideAdminConfig(admin_apps.AdminConfig):
    """Make the staff site the default, so every app's `admin.register` lands on it."""

    default = False
    default_site = "clinic.sites.ChairsideAdminSite"


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"
    default = True

    def ready(self) -> None:
        # Registered on import: system checks, the lockout admin action, the sign-in alarm,
        # kinds of notice (a worker loads no URLs or admin, so they are imported here), and the
        # percentile aggregate on SQLite connections.
        from clinic import aggregates, checks, links, lockouts, signin_alarm  # noqa: F401
        from clinic.roles import sync_roles_after_migrate
        from clinic.tasks import schedules_sync_after_migrate
        from clinic.twofactor import register_panel

        register_panel()
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="clinic.sync_roles")
        post_migrate.connect(
            schedules_sync_after_migrate, sender=self, dispatch_uid="clinic.sync_schedules"
        )
