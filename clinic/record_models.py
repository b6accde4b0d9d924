"""Records the clinic keeps about its own work, not about care: the access log, sign-in
alarms, the outbox of notices and the scheduler's heartbeat. Part of `clinic.models` (which
imports them), kept here so that module stays readable."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class AccessLog(models.Model):
    """One row each time staff or a patient link opens a record holding health data."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    actor = models.CharField(max_length=150, help_text="Username, or 'patient link'.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=30)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    target = GenericForeignKey("content_type", "object_id")
    object_repr = models.CharField(max_length=200)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.object_repr}"


class SignInAlarm(models.Model):
    """Many failed staff sign-ins for one username from many addresses: one row per burst.

    Not a lock (each address is locked for that username by django-axes): a notice for the
    clinic lead. `burst_open` is True on the username's current burst; a failure after a
    quiet window closes it and may start a new one. The database allows one open burst per
    username, so two failures at once can't raise two alarms.
    """

    username = models.CharField(max_length=150)
    raised_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_failure_at = models.DateTimeField(default=timezone.now)
    failures = models.PositiveIntegerField(help_text="Failed sign-ins in this burst so far.")
    addresses = models.PositiveIntegerField(help_text="Different addresses they came from.")
    burst_open = models.BooleanField(default=True)

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["username"],
                condition=models.Q(burst_open=True),
                name="one_open_sign_in_alarm_per_username",
            )
        ]

    def __str__(self) -> str:
        return f"Sign-in alarm for {self.username!r} at {self.raised_at:%Y-%m-%d %H:%M}"


class Notice(models.Model):
    """One outbound notice (an email or an on-call page): the outbox, read by staff.

    Written in the same transaction as the change that causes it; the task queue sends it
    (clinic.notices). The message is rendered when it is sent, from `kind`, the target and
    `params`, so nothing secret (a private link's token) or clinical is stored here.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        PAGE = "page", "Page (on-call webhook)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Not needed any more"

    kind = models.CharField(max_length=40, db_index=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    recipients = models.TextField("to", help_text="Addresses, one per line.")
    cc = models.TextField(blank=True, help_text="Addresses, one per line.")
    subject = models.CharField(max_length=200, blank=True, help_text="Set when first rendered.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(
        max_length=200, blank=True, help_text="The kind of error only: never message content."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Ids and levels only (never health data or tokens), e.g. {"level": 1}.
    params = models.JSONField(default=dict, blank=True)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("content_type", "object_id")

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("retry_notice", "Can send a failed notice again")]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="notice_target"),
            # The sweep's query: queued notices whose next try is due.
            models.Index(
                fields=["next_try_at"], condition=models.Q(status="queued"), name="notice_due"
            ),
        ]

    def __str__(self) -> str:
        return f"Notice #{self.pk} ({self.kind})"

    @property
    def recipient_list(self) -> list[str]:
        return [a for a in self.recipients.splitlines() if a.strip()]

    @property
    def cc_list(self) -> list[str]:
        return [a for a in self.cc.splitlines() if a.strip()]


class Heartbeat(models.Model):
    """When a background job last ran (the scheduler's heartbeat), one row per name."""

    name = models.CharField(max_length=40, unique=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
