from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from intake.signals import referral_accepted
        from scheduling import backfill, reminders  # noqa: F401  (register their kinds of notice)
        from scheduling.courses import on_referral_accepted

        referral_accepted.connect(on_referral_accepted, dispatch_uid="scheduling.course_create")
