"""Chair times a coordinator adopts from real visits (learned by `visits`), for new bookings.

Adopting writes one `ChairTimeAdoption` row per therapy, dose kind and infusion option; the
booking engine reads it through `PlannedDose.minutes` for every booking and move made
afterwards. Sessions already booked keep their times: nothing here touches a session.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from clinic.models import Therapy
from scheduling.models import ChairTimeAdoption, DoseKind, PlannedDose


class ChairTimeError(Exception):
    """An adoption refused; the message is for staff."""


def chair_time_adopt(
    *,
    therapy: Therapy,
    kind: str,
    short_infusion: bool,
    minutes: int,
    by: Any,
    basis: str = "",
) -> ChairTimeAdoption:
    """Adopt `minutes` as the chair time booked for a therapy's doses of one kind."""
    if kind not in DoseKind.values:
        raise ChairTimeError(f"Unknown dose kind {kind!r}.")
    if not 5 <= minutes <= 12 * 60:
        raise ChairTimeError("A chair time must be between 5 minutes and 12 hours.")
    with transaction.atomic():
        row = (
            ChairTimeAdoption.objects.select_for_update()
            .filter(therapy=therapy, kind=kind, short_infusion=short_infusion)
            .first()
        ) or ChairTimeAdoption(therapy=therapy, kind=kind, short_infusion=short_infusion)
        row.minutes = minutes
        row.basis = basis[:200]
        row.adopted_by = by
        row.adopted_at = timezone.now()
        row._change_reason = f"adopted {minutes} min"
        row.save()
    return row


def chair_time_withdraw(*, adoption: ChairTimeAdoption, by: Any) -> None:
    """Return a therapy's dose kind to the template's chair time (history keeps the row)."""
    adoption._change_reason = f"withdrawn by {by}"
    adoption.delete()


def doses_attach_chair_times(doses: Iterable[PlannedDose]) -> None:
    """Read the adopted chair times of many doses in one query (see `PlannedDose.minutes`)."""
    doses = list(doses)
    if not doses:
        return
    therapy_ids = {d.course.therapy_id for d in doses}
    adopted = {
        (a.therapy_id, a.kind, a.short_infusion): a.minutes
        for a in ChairTimeAdoption.objects.filter(therapy_id__in=therapy_ids)
    }
    for dose in doses:
        key = (dose.course.therapy_id, dose.kind, dose.uses_short_infusion)
        dose._adopted_minutes = adopted.get(key)
