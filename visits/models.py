"""The infusion visit at the chair: one record per session, and what the nurse writes in it.

Every row is written by `visits.records` (the one service module) and keeps its history.
While the visit is open (until discharge) the nurse edits freely; afterwards each change is
an amendment with a reason (`VisitAmendment`, and the reason on the history row).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from clinic.models import Therapy
from scheduling.models import DoseKind, Session


class VisitSettings(models.Model):
    """The clinic's hold thresholds for vitals (DOMAIN.md section 7); one row, editable."""

    temperature_hold = models.DecimalField(
        "temperature at or above (°C)", max_digits=4, decimal_places=1, default=Decimal("38.0")
    )
    systolic_high = models.PositiveSmallIntegerField("systolic above (mmHg)", default=180)
    systolic_low = models.PositiveSmallIntegerField("systolic below (mmHg)", default=90)
    pulse_high = models.PositiveSmallIntegerField("pulse above (/min)", default=120)
    pulse_low = models.PositiveSmallIntegerField("pulse below (/min)", default=50)
    spo2_low = models.PositiveSmallIntegerField("SpO2 below (%)", default=92)
    recent_visits = models.PositiveSmallIntegerField(
        default=50,
        validators=[MinValueValidator(5), MaxValueValidator(500)],
        help_text="Learned chair times use at most this many recent visits per therapy and kind.",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "visit settings"
        verbose_name_plural = "visit settings"

    def __str__(self) -> str:
        return "Visit settings"

    @classmethod
    def load(cls) -> VisitSettings:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class PremedicationProtocol(models.Model):
    """A premedication a therapy's protocol gives before the infusion; pre-fills each visit."""

    therapy = models.ForeignKey(Therapy, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    medicine = models.CharField(max_length=100)
    dose = models.CharField(max_length=60, blank=True)
    route = models.CharField(max_length=30, blank=True)
    minutes_before = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Given about this many minutes before the infusion."
    )
    first_block_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Only on the first N days of a block of consecutive days (blank = every dose).",
    )
    note = models.CharField(max_length=200, blank=True, help_text="Source; '(confirm)' if unsure.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["therapy", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.therapy.name}: {self.medicine} {self.dose}".strip()


class VisitRecord(models.Model):
    """The chairside record of one session, from check-in to discharge."""

    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="visit_record")
    therapy = models.ForeignKey(Therapy, on_delete=models.PROTECT, related_name="+")
    dose_kind = models.CharField(max_length=12, choices=DoseKind.choices)
    short_infusion = models.BooleanField(default=False)
    template_minutes = models.PositiveIntegerField(
        help_text="The catalogue's chair time for this dose when the record was opened."
    )
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    product = models.CharField(max_length=100, blank=True)
    dose_given = models.CharField(max_length=60, blank=True)
    lot_number = models.CharField(max_length=40, blank=True)
    lot_expiry = models.DateField(null=True, blank=True)
    infusion_started_at = models.DateTimeField(null=True, blank=True)
    infusion_stopped_at = models.DateTimeField(null=True, blank=True)
    observation_ended_at = models.DateTimeField(null=True, blank=True)
    discharged_at = models.DateTimeField(null=True, blank=True, db_index=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    chair_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Actual chair time: check-in to discharge."
    )
    infusion_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Infusion start to the end of observation."
    )
    notes = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_at"]
        permissions = [("record_visit", "Can record and amend chairside visit records")]
        indexes = [models.Index(fields=["therapy", "dose_kind", "discharged_at"])]

    def __str__(self) -> str:
        return f"Visit record #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.discharged_at is None


class VitalsPhase(models.TextChoices):
    BEFORE = "before", "Before"
    DURING = "during", "During"
    AFTER = "after", "After"


class VitalsReading(models.Model):
    record = models.ForeignKey(VisitRecord, on_delete=models.CASCADE, related_name="vitals")
    phase = models.CharField(max_length=8, choices=VitalsPhase.choices)
    taken_at = models.DateTimeField()
    systolic = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField(null=True, blank=True)
    pulse = models.PositiveSmallIntegerField(null=True, blank=True)
    temperature = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    spo2 = models.PositiveSmallIntegerField("SpO2", null=True, blank=True)
    weight = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    warnings = models.TextField(blank=True, help_text="Values past the hold thresholds.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["record", "taken_at", "pk"]
        verbose_name = "vitals reading"

    def __str__(self) -> str:
        return f"{self.get_phase_display()} vitals #{self.pk}"


class PremedicationGiven(models.Model):
    record = models.ForeignKey(VisitRecord, on_delete=models.CASCADE, related_name="premeds")
    medicine = models.CharField(max_length=100)
    dose = models.CharField(max_length=60, blank=True)
    route = models.CharField(max_length=30, blank=True)
    from_protocol = models.BooleanField(default=False)
    given_at = models.DateTimeField(null=True, blank=True)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["record", "pk"]
        verbose_name = "premedication"

    def __str__(self) -> str:
        return f"{self.medicine} {self.dose}".strip()


class RateStep(models.Model):
    record = models.ForeignKey(VisitRecord, on_delete=models.CASCADE, related_name="rates")
    at = models.DateTimeField()
    rate_ml_per_hour = models.DecimalField(
        "rate (mL/h)",
        max_digits=6,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0"))],
    )
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["record", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.rate_ml_per_hour} mL/h"


class Reaction(models.Model):
    """An infusion-related reaction, graded as CTCAE v5 (grade 5, death, is not recorded here)."""

    class Action(models.TextChoices):
        NONE = "none", "None needed"
        SLOWED = "slowed", "Slowed"
        PAUSED = "paused", "Paused"
        STOPPED = "stopped", "Stopped"
        RESTARTED = "restarted", "Restarted"

    class Grade(models.IntegerChoices):
        MILD = 1, "1: mild, transient; no interruption or treatment"
        MODERATE = 2, "2: interruption or treatment; responds promptly"
        SEVERE = 3, "3: prolonged or recurring; hospitalisation indicated"
        LIFE_THREATENING = 4, "4: life-threatening; urgent intervention"

    record = models.ForeignKey(VisitRecord, on_delete=models.CASCADE, related_name="reactions")
    at = models.DateTimeField()
    symptoms = models.CharField(max_length=300)
    grade = models.PositiveSmallIntegerField(choices=Grade.choices)
    action = models.CharField(max_length=10, choices=Action.choices)
    medicines = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=300, blank=True)
    flag = models.ForeignKey(
        "intake.Flag", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["record", "at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(grade__gte=1, grade__lte=4), name="reaction_grade_1_to_4"
            )
        ]

    def __str__(self) -> str:
        return f"Grade {self.grade} reaction #{self.pk}"


class VisitAmendment(models.Model):
    """A change made after discharge: what, who, when and why."""

    record = models.ForeignKey(VisitRecord, on_delete=models.CASCADE, related_name="amendments")
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    change = models.CharField(max_length=200)
    reason = models.TextField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["record", "at", "pk"]

    def __str__(self) -> str:
        return f"Amendment #{self.pk}"
