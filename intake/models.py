"""Referrals: what a patient or a referring office sends, and its path through triage."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils import timezone
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clinic.models import Language, Patient, Sex, Therapy, random_code


class PrivateFileSystemStorage(FileSystemStorage):
    """Files outside every URL space: they have no URL; staff fetch them through a view."""

    def url(self, name: str | None) -> str:
        raise ValueError("Private documents have no public URL.")


class PrivateDocumentStorage(LazyObject):
    def _setup(self) -> None:
        self._wrapped = PrivateFileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT)


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
        max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.RECEIVED,
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
        return f"{self.family_name}, {self.given_name}"

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
