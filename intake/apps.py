from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = "Intake"

    def ready(self) -> None:
        from intake import notices  # noqa: F401  (registers intake's kinds of notice)
        from intake.instruments.loader import load_after_migrate

        post_migrate.connect(load_after_migrate, sender=self, dispatch_uid="intake.instruments")
