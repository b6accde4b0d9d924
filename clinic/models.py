"""What every app shares: patients, the therapy catalogue, clinic settings, access log, links."""

from __future__ import annotations

import secrets
import unicodedata
from datetime import date, datetime, timedelta

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

# Letters and digits that can't be mistaken for one another when read aloud or retyped.
UNAMBIGUOUS = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def random_code(length: int) -> str:
    return "".join(secrets.choice(UNAMBIGUOUS) for _ in range(length))


def normalise_name(value: str) -> str:
    """Return a name folded for duplicate detection: no accents, case, or extra spaces."""
    folded = unicodedata.normalize("NFKD", value or "")
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(folded.casefold().replace("-", " ").replace("'", "").split())


def person_name(*, given: str, family: str, preferred: str = "") -> str:
    """Return the one way staff pages name a person: the name they go by, then the family name.

    A preferred name that already holds the family name ("Ana Example-Newcomer" with family
    name "Example-Newcomer") is the whole name as the person gives it; otherwise the family
    name follows it ("Ana" -> "Ana Example-Newcomer"). Names are compared word by word,
    folded like duplicate detection, so "Lily" does not hold the family name "Li".
    """
    called = " ".join((preferred or given or "").split())
    family = " ".join((family or "").split())
    called_words, family_words = normalise_name(called).split(), normalise_name(family).split()
    width = len(family_words)
    holds_family = width > 0 and any(
        called_words[i : i + width] == family_words for i in range(len(called_words) - width + 1)
    )
    if holds_family or not family:
        return called
    return f"{called} {family}".strip()


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Prefer not to say")


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Español"


class PatientQuerySet(models.QuerySet):
    def same_person(
        self, *, given_name: str, family_name: str, date_of_birth: date
    ) -> PatientQuerySet:
        """Return patients with the same folded name and date of birth."""
        return self.filter(
            match_key=Patient.make_match_key(given_name, family_name),
            date_of_birth=date_of_birth,
            merged_into__isnull=True,
        )


class Patient(models.Model):
    record_number = models.CharField(max_length=12, unique=True, editable=False)
    legal_given_name = models.CharField("legal given name", max_length=100)
    legal_family_name = models.CharField("legal family name", max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField("state", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    preferred_language = models.CharField(
        max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    guardian_name = models.CharField(max_length=200, blank=True)
    guardian_phone = models.CharField(max_length=30, blank=True)
    match_key = models.CharField(max_length=210, editable=False, db_index=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
        help_text="Set when this record was merged into another; the other record is kept.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["legal_family_name", "legal_given_name"]
        permissions = [("merge_patient", "Can merge duplicate patient records")]
        indexes = [models.Index(fields=["match_key", "date_of_birth"])]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.record_number})"

    def save(self, *args, **kwargs) -> None:
        self.match_key = self.make_match_key(self.legal_given_name, self.legal_family_name)
        if not self.record_number:
            self.record_number = self._new_record_number()
        super().save(*args, **kwargs)

    @staticmethod
    def make_match_key(given_name: str, family_name: str) -> str:
        return f"{normalise_name(family_name)}|{normalise_name(given_name)}"

    @classmethod
    def _new_record_number(cls) -> str:
        while True:
            candidate = f"CS{secrets.randbelow(10**7):07d}"
            if not cls.objects.filter(record_number=candidate).exists():
                return candidate

    @property
    def display_name(self) -> str:
        """Return the patient's name as every staff page shows it (see `person_name`)."""
        return person_name(
            given=self.legal_given_name,
            family=self.legal_family_name,
            preferred=self.preferred_name,
        )

    def possible_duplicates(self) -> PatientQuerySet:
        return Patient.objects.same_person(
            given_name=self.legal_given_name,
            family_name=self.legal_family_name,
            date_of_birth=self.date_of_birth,
        ).exclude(pk=self.pk)


class Route(models.TextChoices):
    IV = "iv", "IV infusion"
    SC = "sc", "Subcutaneous injection in the chair"
    TEACHING = "teaching", "Subcutaneous teaching visit"


class Therapy(models.Model):
    """A protocol in the clinic's catalogue. Clinicians review and change it in admin."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    brand = models.CharField(max_length=100, blank=True)
    patient_name = models.CharField(
        max_length=100,
        blank=True,
        help_text=(
            "The treatment's name on the patient's appointments page, without notes meant for "
            "staff (no diagnosis, no 'off-label'). Blank = the name and brand."
        ),
    )
    route = models.CharField(max_length=10, choices=Route.choices, default=Route.IV)
    safety_programme = models.CharField(max_length=100, blank=True)
    book_within_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Urgent therapies: the first dose should be bookable within this many hours.",
    )
    needs_weight_on_order = models.BooleanField(default=False)
    dose_clock = models.SlugField(
        max_length=40,
        blank=True,
        help_text=(
            "Therapies with the same dose clock are one drug by two routes (ocrelizumab IV and "
            "SC): a course may switch between them and keeps its dose dates."
        ),
    )
    reauthorise_every_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=(
            "Safety programme re-authorisation (TOUCH: every 6 months). No infusion once the "
            "course's authorisation has lapsed. Blank = none."
        ),
    )
    rxnorm_code = models.CharField(
        "RxNorm code",
        max_length=20,
        blank=True,
        help_text=(
            "The ingredient's RxNorm concept (RXCUI), used when the therapy is sent or "
            "received in FHIR. Its source is noted in the therapy's file in clinic/therapies/."
        ),
    )
    notes = models.TextField(
        blank=True, help_text="Clinical notes, including facts still to be confirmed."
    )
    is_active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "therapies"

    def __str__(self) -> str:
        return f"{self.name} ({self.brand})" if self.brand else self.name

    @property
    def name_for_patients(self) -> str:
        return self.patient_name or str(self)


class TherapyStep(models.Model):
    """One step of a dose series: a loading dose, a block of daily doses, or maintenance.

    `day` counts from the first dose (day 0). A step with `repeats` > 1 gives that many doses
    `interval_days` apart; `repeats` = 0 means "repeats for as long as the course runs".
    `consecutive_days` marks a block of doses on consecutive days booked as one unit.
    """

    class Phase(models.TextChoices):
        LOADING = "loading", "Loading"
        MAINTENANCE = "maintenance", "Maintenance"
        SINGLE = "single", "Single visit"

    therapy = models.ForeignKey(Therapy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    key = models.SlugField(
        max_length=40, blank=True, help_text="The step's name in the catalogue files."
    )
    label = models.CharField(max_length=100)
    phase = models.CharField(max_length=12, choices=Phase.choices)
    dose = models.CharField(max_length=60, blank=True)
    day = models.PositiveIntegerField(help_text="Day of the first dose of this step (0 = day 1).")
    repeats = models.PositiveIntegerField(
        default=1, help_text="Number of doses in this step; 0 = repeats until stopped."
    )
    repeats_max = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=(
            "Most doses an order may ask for (IV methylprednisolone: 3 to 5 days, set on the "
            "course). Blank = always `repeats`."
        ),
    )
    interval_days = models.PositiveIntegerField(default=0)
    consecutive_days = models.BooleanField(default=False)
    continues_block = models.BooleanField(
        default=False,
        help_text="These days follow the previous step's days as one block (Lemtrada days 4–5).",
    )
    premed_minutes = models.PositiveIntegerField(default=0)
    premedication = models.CharField(
        max_length=200, blank=True, help_text="What is given before the infusion."
    )
    drowsy_premedication = models.BooleanField(
        default=False,
        help_text=(
            "The premedication usually includes an antihistamine (e.g. diphenhydramine) that "
            "can cause drowsiness: patients are asked to arrange a ride home."
        ),
    )
    infusion_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(12 * 60)]
    )
    observation_minutes = models.PositiveIntegerField(default=0)
    observation_optional = models.BooleanField(
        default=False,
        help_text=(
            "The clinician may shorten or drop the observation per course, only while no "
            "infusion reaction is on record (natalizumab from the 13th infusion)."
        ),
    )
    short_infusion_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Shorter infusion option, for courses that allow it.",
    )
    window_before_days = models.PositiveIntegerField(default=0)
    window_after_days = models.PositiveIntegerField(default=0)
    min_gap_days = models.PositiveIntegerField(
        default=0, help_text="Least number of days since the previous dose."
    )
    min_gap_months = models.PositiveSmallIntegerField(
        default=0,
        help_text=(
            "Least number of calendar months since the previous dose (label: 'at least 5 "
            "months'); both gaps hold."
        ),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["therapy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["therapy", "position"], name="unique_step_position")
        ]

    def __str__(self) -> str:
        return f"{self.therapy.name}: {self.label}"

    @property
    def chair_minutes(self) -> int:
        return self.premed_minutes + self.infusion_minutes + self.observation_minutes


class TherapyRequirement(models.Model):
    class Kind(models.TextChoices):
        PREREQUISITE = "prerequisite", "Before the first dose"
        VISIT_CHECK = "visit_check", "At every visit"

    therapy = models.ForeignKey(Therapy, on_delete=models.CASCADE, related_name="requirements")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    detail = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["therapy", "kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["therapy", "code"], name="unique_requirement_code")
        ]

    def __str__(self) -> str:
        return self.name


class TherapyMonitoring(models.Model):
    """A test due at a fixed cadence after a course's last infusion (Lemtrada's 48 months)."""

    therapy = models.ForeignKey(Therapy, on_delete=models.CASCADE, related_name="monitoring")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    every_months = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    months_after_last = models.PositiveSmallIntegerField(
        help_text="Planned until this many months after the last infusion."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["therapy", "every_months", "code"]
        verbose_name_plural = "therapy monitoring"
        constraints = [
            models.UniqueConstraint(fields=["therapy", "code"], name="unique_monitoring_code")
        ]

    def __str__(self) -> str:
        return f"{self.name} every {self.every_months} month(s)"


class ClinicSettings(models.Model):
    """The clinic's own details and rules; one row, edited in admin."""

    name = models.CharField(max_length=200, default="Chairside Infusion Clinic")
    address = models.TextField(default="100 Example Street, Suite 200\nSpringfield, ST 00000")
    phone = models.CharField(max_length=30, default="(555) 010-0100")
    patients_per_nurse = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text="Nurse-to-patient ratio: concurrent patients one nurse may look after.",
    )
    ride_after_first_dose = models.BooleanField(
        default=True,
        help_text=(
            "Ask every patient to arrange a ride home after the first dose of a treatment "
            "course (shown on their appointments page)."
        ),
    )
    what_to_bring_en = models.TextField(
        "what to bring (English)",
        default=(
            "A photo ID and your insurance card, a list of the medicines you take, something "
            "to eat and drink, and something to pass the time. The room can be cool: bring a "
            "warm layer."
        ),
        help_text="Shown with every appointment on the patient's appointments page.",
    )
    what_to_bring_es = models.TextField(
        "what to bring (Spanish)",
        default=(
            "Una identificación con foto y su tarjeta del seguro, una lista de los medicamentos "
            "que toma, algo de comer y de beber, y algo para pasar el tiempo. La sala puede "
            "estar fresca: traiga un abrigo ligero."
        ),
        help_text="The same in Spanish, for patients who read the pages in Spanish.",
    )
    lead_email = models.EmailField(
        "clinic lead's email",
        blank=True,
        help_text=(
            "Urgent flags still unacknowledged after twice the escalation time are sent here "
            "(CLINIC_LEAD_EMAIL when blank)."
        ),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "clinic settings"
        verbose_name_plural = "clinic settings"
        # The reports (clinic.report_views) hang on the clinic's one settings row.
        permissions = [("view_reports", "Can see the clinic's reports (aggregates only)")]

    def __str__(self) -> str:
        return self.name

    def what_to_bring(self, language: str) -> str:
        """Return what to bring to a visit in a language (English where there is none)."""
        return getattr(self, f"what_to_bring_{language[:2]}", "") or self.what_to_bring_en

    @classmethod
    def load(cls) -> ClinicSettings:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class PrivateLink(models.Model):
    """A patient's private link. Only the SHA-256 of the token is stored."""

    class Purpose(models.TextChoices):
        QUESTIONNAIRE = "questionnaire", "Questionnaire"
        MANAGE = "manage", "Manage sessions"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="links")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("content_type", "object_id")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when a single-use link has done its job."
    )
    failed_attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Wrong dates of birth given on this link, in total."
    )
    locked_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when too many wrong dates of birth lock the link for good; "
        "re-issue it to send the patient a new one.",
    )

    history = HistoricalRecords(excluded_fields=["token_hash"])

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} link #{self.pk}"

    def is_expired(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.expires_at

    def is_locked(self, now: datetime | None = None) -> bool:
        """Return True once wrong dates of birth have locked the link (it stays locked)."""
        return self.locked_at is not None

    @staticmethod
    def default_expiry(days: int) -> timezone.datetime:
        return timezone.now() + timedelta(days=days)


# Models kept in their own modules, registered with the app from here.
from clinic.record_models import AccessLog, Heartbeat, Notice, SignInAlarm  # noqa: E402, F401
