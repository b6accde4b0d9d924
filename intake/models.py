"""Referrals: what a patient or a referring office sends, and its path through triage."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clinic.models import Language, Patient, Sex, Therapy, person_name, random_code
from clinic.storage import private_document_storage


class PrivateDocumentStorage(LazyObject):
    def _setup(self) -> None:
        self._wrapped = private_document_storage()


private_storage = PrivateDocumentStorage()


def _private_storage() -> PrivateDocumentStorage:
    return private_storage


def document_path(instance: ReferralDocument, filename: str) -> str:
    """Name stored files by a random id: an uploaded name may carry a patient's name."""
    extension = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}.get(
        instance.content_type, ""
    )
    return f"referrals/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{extension}"


class ReferralStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    IN_REVIEW = "in_review", "In review"
    NEEDS_INFO = "needs_info", "Needs information"
    BENEFITS_CHECK = "benefits_check", "Benefits check"
    PRIOR_AUTH = "prior_auth", "Prior authorisation"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_STATUSES = [
    ReferralStatus.RECEIVED,
    ReferralStatus.IN_REVIEW,
    ReferralStatus.NEEDS_INFO,
    ReferralStatus.BENEFITS_CHECK,
    ReferralStatus.PRIOR_AUTH,
]


def new_reference() -> str:
    """Return a short reference like R-7KQ4-M2XP: non-sequential, unambiguous characters."""
    code = random_code(8)
    return f"R-{code[:4]}-{code[4:]}"


class Referral(models.Model):
    class SubmitterKind(models.TextChoices):
        PATIENT = "patient", _("I am the patient (or their family or carer)")
        PROVIDER = "provider", _("I work at the referring provider's office")

    reference = models.CharField(max_length=12, unique=True, default=new_reference, editable=False)
    submission_key = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    status = models.CharField(
        max_length=20,
        choices=ReferralStatus.choices,
        default=ReferralStatus.RECEIVED,
        db_index=True,
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )

    # Who is referring
    submitter_kind = models.CharField(max_length=10, choices=SubmitterKind.choices)
    submitter_name = models.CharField(max_length=200)
    submitter_email = models.EmailField()
    submitter_phone = models.CharField(max_length=30, blank=True)

    # Patient
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30)
    address_line1 = models.CharField(max_length=200)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField(max_length=100)
    postal_code = models.CharField(max_length=20)
    preferred_language = models.CharField(
        max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    guardian_name = models.CharField(max_length=200, blank=True)
    guardian_relationship = models.CharField(max_length=100, blank=True)
    guardian_phone = models.CharField(max_length=30, blank=True)

    # Insurance
    payer = models.CharField(max_length=200)
    member_id = models.CharField(max_length=50)
    group_number = models.CharField(max_length=50, blank=True)

    # Referring provider
    provider_name = models.CharField(max_length=200)
    provider_practice = models.CharField(max_length=200)
    provider_npi = models.CharField("NPI", max_length=10, db_index=True)
    provider_phone = models.CharField(max_length=30)
    provider_fax = models.CharField(max_length=30, blank=True)

    # Clinical
    diagnosis_code = models.CharField("diagnosis (ICD-10-CM)", max_length=10)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    height_cm = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    measured_on = models.DateField(null=True, blank=True)
    no_known_drug_allergies = models.BooleanField(default=False)
    allergies = models.TextField(blank=True)
    current_medications = models.TextField(blank=True)
    prior_therapies = models.TextField(blank=True)

    # Order
    therapy = models.ForeignKey(Therapy, on_delete=models.PROTECT, related_name="referrals")
    dose = models.CharField(max_length=100, blank=True)
    frequency = models.CharField(max_length=100, blank=True)
    order_notes = models.TextField(blank=True)

    consent_to_contact = models.BooleanField(default=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_at"]
        permissions = [("change_referral_status", "Can move referrals through triage")]
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def patient_name(self) -> str:
        return person_name(
            given=self.given_name, family=self.family_name, preferred=self.preferred_name
        )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ReferralTransition(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    to_status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.referral}: {self.from_status} → {self.to_status}"


class ReferralDocument(models.Model):
    class Kind(models.TextChoices):
        ORDER = "order", _("Signed order")
        NOTES = "notes", _("Clinical notes")
        LABS = "labs", _("Lab results")
        MRI = "mri", _("MRI report")
        INSURANCE_CARD = "insurance_card", _("Insurance card")
        OTHER = "other", _("Other")

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    file = models.FileField(storage=_private_storage, upload_to=document_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords(excluded_fields=["file"])

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.original_name})"


# --- Symptom questionnaires ------------------------------------------------------------------


class Instrument(models.Model):
    """One version of a questionnaire definition; a changed file becomes a new version."""

    code = models.SlugField(max_length=40)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    short_title = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField(default=100)
    definition = models.JSONField()
    checksum = models.CharField(max_length=64, editable=False)
    is_current = models.BooleanField(default=True)
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="unique_instrument_version")
        ]

    def __str__(self) -> str:
        return f"{self.short_title} v{self.version}"


class QuestionnaireRequest(models.Model):
    """A pre-visit check sent to a patient: one or more instruments behind one private link."""

    class Status(models.TextChoices):
        SENT = "sent", "Sent"
        STARTED = "started", "Started"
        SUBMITTED = "submitted", "Submitted"

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="questionnaire_requests"
    )
    instruments = models.ManyToManyField(Instrument, related_name="requests")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.SENT, db_index=True
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sent_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(
        null=True, blank=True, help_text="When the visit it prepares for starts, if known."
    )
    link = models.ForeignKey(
        "clinic.PrivateLink", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Answers in progress, {instrument pk: {item id: value}}; kept server-side, never in cookies.
    draft = models.JSONField(default=dict, blank=True)
    draft_saved_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["draft"])

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = "pre-visit check"

    def __str__(self) -> str:
        return f"Pre-visit check #{self.pk}"

    def ordered_instruments(self) -> list[Instrument]:
        return sorted(self.instruments.all(), key=lambda i: (i.position, i.code))


class QuestionnaireResponse(models.Model):
    """A patient's submitted answers to one instrument version, with scores and bands."""

    request = models.ForeignKey(
        QuestionnaireRequest, on_delete=models.PROTECT, related_name="responses"
    )
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="questionnaire_responses"
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="responses")
    answers = models.JSONField(default=dict)
    scores = models.JSONField(default=dict)
    bands = models.JSONField(default=dict)
    main_score = models.IntegerField(null=True, blank=True)
    main_band = models.CharField(max_length=60, blank=True, db_index=True)
    context = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now, db_index=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-submitted_at", "instrument__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "instrument"], name="one_response_per_instrument"
            )
        ]

    def __str__(self) -> str:
        return f"Response #{self.pk}"


class FlagLevel(models.TextChoices):
    URGENT = "urgent", "Urgent"
    REVIEW = "review", "Review"


class Flag(models.Model):
    """A finding that staff must look at. Never deleted; open until acknowledged with a note."""

    response = models.ForeignKey(
        QuestionnaireResponse,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="flags",
        help_text="The answers that raised it; blank for a flag raised by another record.",
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="flags")
    # Another record that raised the flag (e.g. a visit record's infusion reaction).
    source_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_id = models.CharField(max_length=64, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    rule = models.CharField(max_length=60)
    label = models.CharField(max_length=200)
    level = models.CharField(max_length=10, choices=FlagLevel.choices, db_index=True)
    # 0 = urgent first (so ordering by it puts urgent on top without a CASE expression);
    # set by the service that raises the flag (intake.flags.flag_raise).
    priority = models.PositiveSmallIntegerField(default=1, editable=False)
    raised_at = models.DateTimeField(default=timezone.now, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    acknowledgement_note = models.TextField(blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["priority", "raised_at"]
        permissions = [("acknowledge_flag", "Can acknowledge symptom flags")]
        indexes = [models.Index(fields=["acknowledged_at", "priority", "raised_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(acknowledged_at__isnull=True)
                | ~models.Q(acknowledgement_note=""),
                name="flag_acknowledged_with_note",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} flag #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None


class FlagNotification(models.Model):
    """One email about a flag at one escalation level (0 = at submit); at most one per level.

    `sent_at` is when it was decided and queued; whether it went out is on `notice`.
    """

    flag = models.ForeignKey(Flag, on_delete=models.PROTECT, related_name="notifications")
    level = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField("queued at", default=timezone.now)
    recipients = models.TextField(blank=True, help_text="Addresses, one per line.")
    notice = models.ForeignKey(
        "clinic.Notice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["flag", "level"]
        constraints = [
            models.UniqueConstraint(fields=["flag", "level"], name="one_notification_per_level")
        ]

    def __str__(self) -> str:
        return f"Flag #{self.flag_id} notice, level {self.level}"


class OnCallShift(models.Model):
    """Who is on call when. Overlaps are allowed (handovers) and shown in admin, as are gaps."""

    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="on_call_shifts"
    )
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField(db_index=True)
    phone = models.CharField("contact phone", max_length=30)
    note = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at"]
        verbose_name = "on-call shift"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="on_call_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.clinician} on call"
