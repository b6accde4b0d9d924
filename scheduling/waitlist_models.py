"""The waitlist: patients who would come earlier for a booked dose, and the offers they get.

Written by `scheduling.waitlist` (join, pause, accept) and `scheduling.backfill` (offers,
expiry); sessions themselves only ever change through `scheduling.booking`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class WaitlistEntry(models.Model):
    """A booked dose whose patient would take an earlier time inside its window."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Waiting"
        PAUSED = "paused", "Paused"
        REMOVED = "removed", "Removed"
        FULFILLED = "fulfilled", "Moved earlier"

    class PartOfDay(models.TextChoices):
        ANY = "any", _("Any time of day")
        MORNING = "morning", _("Mornings only")
        AFTERNOON = "afternoon", _("Afternoons only")

    dose = models.ForeignKey(
        "scheduling.PlannedDose", on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    part_of_day = models.CharField(max_length=10, choices=PartOfDay.choices, default=PartOfDay.ANY)
    weekdays = models.CharField(
        max_length=7,
        blank=True,
        help_text="Weekdays the patient can come, as digits 0 (Monday) to 6; blank = any.",
    )
    notice_hours = models.PositiveSmallIntegerField(
        default=24, help_text="Least notice the patient needs before an offered time."
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="Waiting since.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Blank: the patient joined from their link.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.UniqueConstraint(
                fields=["dose"],
                condition=models.Q(status__in=["active", "paused"]),
                name="one_open_waitlist_entry_per_dose",
            ),
        ]

    def __str__(self) -> str:
        return f"Waitlist #{self.pk} for dose #{self.dose_id}"

    def weekday_set(self) -> frozenset[int]:
        return frozenset(int(d) for d in self.weekdays if d.isdigit())


class WaitlistOffer(models.Model):
    """An earlier time offered to one waitlisted patient; the first of a slot's offers wins.

    Offers made for the same freed time share `slot`; when one is accepted the others are
    marked taken and their patients told the time has gone.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Offered"
        ACCEPTED = "accepted", "Accepted"
        TAKEN = "taken", "Taken by another patient"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn"

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    slot = models.CharField(
        max_length=60, db_index=True, help_text="The freed time this offer fills."
    )
    chair = models.ForeignKey("scheduling.Chair", on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Blank: offered by the backfill worker.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        permissions = [("offer_waitlist", "Can offer a freed time to a waitlisted patient")]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"Offer #{self.pk}"
