"""The on-call roster: who is on call at a moment, who is next, and where the roster has holes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from intake.models import OnCallShift


class _Span(Protocol):
    starts_at: datetime
    ends_at: datetime


def on_call_at(at: datetime) -> list[OnCallShift]:
    """Return the shifts covering `at` (several during a handover)."""
    return list(
        OnCallShift.objects.select_related("clinician")
        .filter(starts_at__lte=at, ends_at__gt=at)
        .order_by("starts_at", "pk")
    )


def next_on_call(after: datetime, *, exclude_user_ids: Iterable[int] = ()) -> OnCallShift | None:
    """Return the next shift starting after `after`, skipping the people already on call."""
    return (
        OnCallShift.objects.select_related("clinician")
        .filter(starts_at__gt=after)
        .exclude(clinician_id__in=list(exclude_user_ids))
        .order_by("starts_at", "pk")
        .first()
    )


def roster_gaps(
    shifts: Sequence[_Span], *, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """Return the stretches between `start` and `end` that no shift covers. Pure."""
    gaps = []
    cursor = start
    for shift in sorted(shifts, key=lambda s: s.starts_at):
        if shift.ends_at <= cursor:
            continue
        if shift.starts_at > cursor:
            gaps.append((cursor, min(shift.starts_at, end)))
        cursor = max(cursor, shift.ends_at)
        if cursor >= end:
            break
    if cursor < end:
        gaps.append((cursor, end))
    return [(a, b) for a, b in gaps if a < b]


def roster_overlaps(shifts: Sequence[_Span]) -> list[tuple[_Span, _Span]]:
    """Return the pairs of shifts that overlap in time. Pure."""
    ordered = sorted(shifts, key=lambda s: s.starts_at)
    pairs = []
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            if second.starts_at >= first.ends_at:
                break
            pairs.append((first, second))
    return pairs
