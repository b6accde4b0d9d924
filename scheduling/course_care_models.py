"""Dose kinds, and two records kept beside a course's doses (not sessions): the chair times
a coordinator adopted from real visits (issue 18) and Lemtrada's monitoring tasks (issue 14).
Part of `scheduling.models` (which imports them), kept here so that module stays readable."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords


class DoseKind(models.TextChoices):
    FIRST = "first", "First infusion"
    LOADING = "loading", "Loading"
    MAINTENANCE = "maintenance", "Maintenance"
    SINGLE = "single", "Single visit"


class ChairTimeAdoption(models.Model):
    """A chair time a coordinator adopted for one therapy and dose kind, from real visits.

    The booking engine uses it for sessions booked (or moved) after the adoption; sessions
    already booked keep their times. Never written automatically: see
    `scheduling.chair_times.chair_time_adopt`. Deleting the row returns to the template.
    """

    therapy = models.ForeignKey("clinic.Therapy", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=DoseKind.choices)
    short_infusion = models.BooleanField(
        default=False, help_text="For courses on the therapy's shorter infusion option."
    )
    minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(12 * 60)],
        help_text="Whole chair time, check-in to discharge.",
    )
    basis = models.CharField(
        max_length=200, blank=True, help_text="What the value was learned from."
    )
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    adopted_at = models.DateTimeField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["therapy", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["therapy", "kind", "short_infusion"], name="one_adopted_chair_time"
            )
        ]

    def __str__(self) -> str:
        return f"{self.therapy.name} {self.get_kind_display().lower()}: {self.minutes} min"


class MonitoringTask(models.Model):
    """A lab test due after a course's infusions (Lemtrada's 48 months): a lab order, not a
    chair booking. Planned by `scheduling.monitoring`; staff record when it is done."""

    course = models.ForeignKey(
        "scheduling.TreatmentCourse", on_delete=models.CASCADE, related_name="monitoring_tasks"
    )
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    due = models.DateField(db_index=True)
    done_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["due", "course", "code"]
        constraints = [
            models.UniqueConstraint(fields=["course", "code", "due"], name="unique_monitoring_due")
        ]

    def __str__(self) -> str:
        return f"{self.name} due {self.due:%Y-%m-%d}"
