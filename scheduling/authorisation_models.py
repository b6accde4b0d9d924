"""Authorisations that gate booking: the payer's prior authorisation and natalizumab's TOUCH.

Written by `scheduling.authorisations` (services) and the staff admin; read by the booking
check (`authorisations.authorisation_check`) and the day board.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords


def _private_storage() -> Any:
    # The same private storage as referral documents: no URL, fetched through a staff view.
    from intake.models import private_storage

    return private_storage


def letter_path(instance: Authorisation, filename: str) -> str:
    """Name stored letters by a random id: an uploaded name may carry a patient's name."""
    extension = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}.get(
        instance.document_type, ""
    )
    return f"authorisations/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{extension}"


class Authorisation(models.Model):
    """One authorisation of a course's doses between two dates (payer's, or TOUCH's)."""

    class Kind(models.TextChoices):
        PAYER = "payer", "Payer prior authorisation"
        TOUCH = "touch", "TOUCH re-authorisation (natalizumab)"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"
        EXPIRED = "expired", "Expired"

    course = models.ForeignKey(
        "scheduling.TreatmentCourse", on_delete=models.PROTECT, related_name="authorisations"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PAYER)
    payer = models.CharField(
        max_length=100, help_text="The payer's name (for TOUCH: the prescriber or programme)."
    )
    number = models.CharField("authorisation number", max_length=60)
    drug_code = models.CharField(
        "HCPCS code", max_length=10, blank=True, help_text="e.g. J2350 ocrelizumab (1 mg units)."
    )
    approved_doses = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Visits approved; blank = no limit on visits (TOUCH: any in the period).",
    )
    approved_units = models.PositiveIntegerField(
        null=True, blank=True, help_text="Billing units approved, where the payer counts units."
    )
    valid_from = models.DateField()
    valid_to = models.DateField()
    site_of_care = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    document = models.FileField(
        "approval letter", storage=_private_storage, upload_to=letter_path, blank=True
    )
    document_type = models.CharField(max_length=50, blank=True, editable=False)
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["valid_to", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__gte=models.F("valid_from")),
                name="authorisation_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def clean(self) -> None:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": "Valid to must be on or after valid from."})


class AuthorisationOverride(models.Model):
    """A clinician or coordinator lets one dose be booked without a covering authorisation."""

    dose = models.OneToOneField(
        "scheduling.PlannedDose", on_delete=models.CASCADE, related_name="authorisation_override"
    )
    reason = models.CharField(max_length=200)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        permissions = [
            ("override_authorisation", "Can let a dose be booked outside its authorisation"),
        ]

    def __str__(self) -> str:
        return f"Authorisation override for dose #{self.dose_id}"
