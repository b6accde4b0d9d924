"""Chairs, opening hours, nurse capacity, treatment courses, planned doses and sessions.

Sessions are written only by `scheduling.booking`. On PostgreSQL the migration
`0002_postgres_exclusion` adds an exclusion constraint so the database itself refuses two
active sessions on one chair at overlapping times.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from clinic.models import Patient, Therapy, TherapyRequirement, TherapyStep


class Chair(models.Model):
    class Kind(models.TextChoices):
        CHAIR = "chair", "Infusion chair"
        BED = "bed", "Bed"
        RECLINER = "recliner", "Recliner"

    name = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CHAIR)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the day board.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class OpeningHours(models.Model):
    """Local wall-clock hours of one weekday; a weekday without a row is closed."""

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, unique=True)
    opens = models.TimeField()
    closes = models.TimeField(help_text="Every session must end by this time.")
    last_start = models.TimeField(help_text="No session may start after this time.")

    class Meta:
        ordering = ["weekday"]
        verbose_name_plural = "opening hours"

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def clean(self) -> None:
        if not (self.opens < self.closes and self.opens <= self.last_start <= self.closes):
            raise ValidationError("Need opens < closes and opens ≤ last start ≤ closes.")


class ClosedDate(models.Model):
    day = models.DateField(unique=True)
    reason = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.reason}".strip()


class NurseShift(models.Model):
    """Nurses on duty on a weekday between two local times; overlapping shifts add up."""

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()
    nurses = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["weekday", "starts"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}: {self.nurses}"


class NurseOverride(models.Model):
    """Nurses on duty on one date; any override for a date replaces that weekday's shifts."""

    day = models.DateField(db_index=True)
    starts = models.TimeField()
    ends = models.TimeField()
    nurses = models.PositiveSmallIntegerField(default=0)
    reason = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["day", "starts"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.starts:%H:%M}–{self.ends:%H:%M}: {self.nurses}"


class DayLock(models.Model):
    """One row per clinic-local date; booking locks these rows (see scheduling.booking)."""

    day = models.DateField(unique=True)

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}"


class PartOfDay(models.TextChoices):
    ANY = "any", "Any time"
    MORNING = "morning", "Morning"
    AFTERNOON = "afternoon", "Afternoon"


class TreatmentCourse(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        STOPPED = "stopped", "Stopped"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="courses")
    therapy = models.ForeignKey(Therapy, on_delete=models.PROTECT, related_name="courses")
    referral = models.OneToOneField(
        "intake.Referral", null=True, blank=True, on_delete=models.PROTECT, related_name="course"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    start_after = models.DateField(help_text="The first dose is planned from this date.")
    part_of_day = models.CharField(max_length=10, choices=PartOfDay.choices, default=PartOfDay.ANY)
    short_infusion = models.BooleanField(
        default=False,
        help_text="Use the therapy's shorter infusion option where it has one (clinician's call).",
    )
    observation_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=(
            "Observation after doses whose protocol leaves it to the clinician (natalizumab "
            "from the 13th infusion; 0 = dropped). Blank = the protocol's. Ignored while an "
            "infusion reaction is on record."
        ),
    )
    reaction_on_record = models.BooleanField(
        default=False,
        help_text=(
            "The patient has had an infusion or hypersensitivity reaction: the protocol's "
            "observation always applies and the shorter infusion option is not used."
        ),
    )
    order_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=(
            "Daily doses on the order, where the protocol lets the order choose (IV "
            "methylprednisolone: 3 to 5). Blank = the protocol's."
        ),
    )
    safety_authorised_until = models.DateField(
        null=True,
        blank=True,
        help_text=(
            "Safety programme authorisation (TOUCH) valid until this date; no infusion after "
            "it lapses. The prescriber re-authorises every 6 months."
        ),
    )
    chair_kind = models.CharField(
        max_length=10, choices=Chair.Kind.choices, blank=True, help_text="Blank = any kind."
    )
    authorisation_required = models.BooleanField(
        default=False,
        help_text=(
            "Set when the benefits check says the payer must authorise this drug: no dose is "
            "booked outside an approved, unexpired authorisation with doses left, unless a "
            "clinician or coordinator overrides it for that dose with a reason."
        ),
    )
    override_reason = models.TextField(blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    override_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("override_prerequisites", "Can let a first dose be booked without prerequisites"),
        ]

    def __str__(self) -> str:
        return f"Course #{self.pk}: {self.therapy.name}"

    def safety_lapsed(self, on: date) -> bool:
        """Return True if the therapy needs a safety re-authorisation not valid on `on`."""
        if not self.therapy.reauthorise_every_months:
            return False
        return self.safety_authorised_until is None or on > self.safety_authorised_until

    def prerequisites_ready(self) -> bool:
        """Return whether the first dose may be booked (all met, or a clinician override)."""
        if self.override_reason:
            return True
        return not self.prerequisites.filter(met=False).exists()


class CoursePrerequisite(models.Model):
    course = models.ForeignKey(
        TreatmentCourse, on_delete=models.CASCADE, related_name="prerequisites"
    )
    requirement = models.ForeignKey(TherapyRequirement, on_delete=models.PROTECT, related_name="+")
    met = models.BooleanField(default=False)
    met_on = models.DateField(null=True, blank=True)
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
        ordering = ["course", "requirement_id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "requirement"], name="unique_course_prereq")
        ]

    def __str__(self) -> str:
        return f"{self.requirement.name}: {'met' if self.met else 'not yet'}"


class PlannedDose(models.Model):
    """One infusion day of a course: target date and window, from the therapy's steps."""

    course = models.ForeignKey(TreatmentCourse, on_delete=models.CASCADE, related_name="doses")
    step = models.ForeignKey(TherapyStep, on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveSmallIntegerField(help_text="1 = the course's first dose.")
    label = models.CharField(max_length=100)
    offset_days = models.PositiveIntegerField(help_text="Days after the course's first dose.")
    block = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Doses sharing a block number are consecutive days."
    )
    target = models.DateField()
    earliest = models.DateField()
    latest = models.DateField()
    min_gap_days = models.PositiveIntegerField(
        default=0, help_text="Least days after the previous dose's day."
    )
    min_gap_months = models.PositiveSmallIntegerField(
        default=0, help_text="Least calendar months after the previous dose's day."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["course", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["course", "sequence"], name="unique_dose_sequence")
        ]

    def __str__(self) -> str:
        return f"Dose {self.sequence}: {self.label}"

    @property
    def minutes(self) -> int:
        """Return the chair time to book: a coordinator's adopted value for this therapy and
        dose kind (learned from real visits), else premed + infusion + observation."""
        return self.adopted_minutes or sum(self.chair_parts)

    @property
    def kind(self) -> str:
        """Return the dose kind chair times are learned for: first infusion, then the phase."""
        return DoseKind.FIRST if self.sequence == 1 else self.step.phase

    @property
    def uses_short_infusion(self) -> bool:
        return bool(self.course.short_infusion and self.step.short_infusion_minutes)

    @property
    def adopted_minutes(self) -> int | None:
        """Return the adopted chair time, if any (one query per dose unless attached in bulk
        by `selectors.doses_attach_chair_times`)."""
        if "_adopted_minutes" not in self.__dict__:
            self._adopted_minutes = (
                ChairTimeAdoption.objects.filter(
                    therapy_id=self.course.therapy_id,
                    kind=self.kind,
                    short_infusion=self.uses_short_infusion,
                )
                .values_list("minutes", flat=True)
                .first()
            )
        return self._adopted_minutes

    @property
    def chair_parts(self) -> tuple[int, int, int]:
        """Return (premed, infusion, observation) minutes, short infusion if the course allows.

        Observation is the step's; where the protocol leaves it to the clinician
        (`observation_optional`), the course's setting, unless a reaction is on record. The
        shorter infusion option is never used while a reaction is on record.
        """
        step, course = self.step, self.course
        infusion = step.infusion_minutes
        if course.short_infusion and step.short_infusion_minutes and not course.reaction_on_record:
            infusion = step.short_infusion_minutes
        observation = step.observation_minutes
        if (
            step.observation_optional
            and course.observation_minutes is not None
            and not course.reaction_on_record
        ):
            observation = course.observation_minutes
        return step.premed_minutes, infusion, observation

    def window_shift(self, days: int) -> None:
        delta = timedelta(days=days)
        self.target, self.earliest, self.latest = (
            self.target + delta,
            self.earliest + delta,
            self.latest + delta,
        )

    @staticmethod
    def window_for(target: date, step: TherapyStep) -> tuple[date, date]:
        return (
            target - timedelta(days=step.window_before_days),
            target + timedelta(days=step.window_after_days),
        )


class SessionStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CHECKED_IN = "checked_in", "Checked in"
    IN_CHAIR = "in_chair", "In chair"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"
    CANCELLED = "cancelled", "Cancelled"


# Sessions in these states hold their chair; cancelled and no-show sessions free it.
ACTIVE_STATUSES = (
    SessionStatus.BOOKED,
    SessionStatus.CHECKED_IN,
    SessionStatus.IN_CHAIR,
    SessionStatus.COMPLETED,
)


class SessionQuerySet(models.QuerySet):
    def active(self) -> SessionQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)


class Session(models.Model):
    """One patient in one chair for one dose's chair time. Written only by booking.py."""

    course = models.ForeignKey(TreatmentCourse, on_delete=models.PROTECT, related_name="sessions")
    dose = models.ForeignKey(PlannedDose, on_delete=models.PROTECT, related_name="sessions")
    chair = models.ForeignKey(Chair, on_delete=models.PROTECT, related_name="sessions")
    start = models.DateTimeField(db_index=True)
    end = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=SessionStatus.choices, default=SessionStatus.BOOKED
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    in_chair_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    calendar_sequence = models.PositiveIntegerField(
        default=0,
        help_text=(
            "The calendar file's SEQUENCE: raised by the booking service on every move or "
            "cancellation, so a calendar that imported an earlier file takes the new one."
        ),
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["start", "chair"]
        permissions = [
            ("book_session", "Can book, move and cancel sessions"),
            ("run_session", "Can check in, seat, complete and mark no-show"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="session_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["chair", "start"])]

    def __str__(self) -> str:
        return f"Session #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class VisitCheck(models.Model):
    """A per-visit check (e.g. the TOUCH checklist) that must be done before 'in chair'."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="checks")
    requirement = models.ForeignKey(TherapyRequirement, on_delete=models.PROTECT, related_name="+")
    done = models.BooleanField(default=False)
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["session", "requirement_id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "requirement"], name="unique_visit_check")
        ]

    def __str__(self) -> str:
        return f"{self.requirement.name}: {'done' if self.done else 'to do'}"


class ReminderSent(models.Model):
    """One row per reminder emailed; the unique constraint makes sending idempotent."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, default="two_days")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "kind"], name="unique_reminder")]

    def __str__(self) -> str:
        return f"{self.kind} reminder for session #{self.session_id}"


# Authorisations and the waitlist live in their own modules; imported here so Django finds them.
from scheduling.authorisation_models import (  # noqa: E402, F401
    Authorisation,
    AuthorisationOverride,
)
from scheduling.course_care_models import (  # noqa: E402, F401
    ChairTimeAdoption,
    DoseKind,
    MonitoringTask,
)
from scheduling.waitlist_models import WaitlistEntry, WaitlistOffer  # noqa: E402, F401
