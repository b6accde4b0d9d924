"""System clients of the FHIR API, their tokens, and the referrals they sent."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

# The resource types a token may be allowed to read; "Bundle" means "may send referrals".
RESOURCE_TYPES = [
    "Patient",
    "Practitioner",
    "ServiceRequest",
    "Questionnaire",
    "QuestionnaireResponse",
    "Observation",
    "Flag",
    "Appointment",
    "Location",
    "MedicationAdministration",
]
SCOPE_CHOICES = [(t, t) for t in RESOURCE_TYPES] + [("Bundle", "Bundle (send referrals)")]


class ApiClient(models.Model):
    """A named system (an EHR, a referring practice's software) that may use the FHIR API."""

    name = models.CharField(max_length=100, unique=True)
    contact = models.CharField(
        max_length=200, blank=True, help_text="Who to call about this system (name, email)."
    )
    notify_email = models.EmailField(
        "notices to",
        help_text=(
            "Where the 'referral received' email goes when a referral it sends names no "
            "email for the referring provider."
        ),
    )
    is_active = models.BooleanField(
        default=True, help_text="Untick to refuse every token of this client at once."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = "API client"
        permissions = [
            ("export_patient_record", "Can download a patient's record as a FHIR Bundle")
        ]

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """One bearer token of a client: only its SHA-256 is stored, the token is shown once."""

    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="tokens")
    label = models.CharField(max_length=100, blank=True, help_text="e.g. 'production server'.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        max_length=8, editable=False, help_text="The token's first characters, to recognise it."
    )
    scopes = models.JSONField(
        default=list, help_text="Resource types this token may read; Bundle = send referrals."
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["token_hash", "last_used_at"])

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.client} token {self.prefix}…"

    def state(self, now: datetime | None = None) -> str:
        """Return 'revoked', 'expired', 'client inactive' or 'active'."""
        if self.revoked_at:
            return "revoked"
        if (now or timezone.now()) >= self.expires_at:
            return "expired"
        if not self.client.is_active:
            return "client inactive"
        return "active"


class InboundReferral(models.Model):
    """A referral that arrived as a FHIR Bundle: who sent it and its ServiceRequest identifier."""

    referral = models.OneToOneField(
        "intake.Referral", on_delete=models.PROTECT, related_name="fhir_source"
    )
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="referrals")
    identifier_system = models.CharField(max_length=255, blank=True)
    identifier_value = models.CharField(max_length=255)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["identifier_system", "identifier_value"], name="one_referral_per_identifier"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client}: {self.identifier_value}"
