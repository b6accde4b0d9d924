"""The waitlist: join, pause, resume, remove, and accept an offered earlier time.

Offers are made and expired by the worker (`scheduling.backfill`). Accepting one moves the
patient's booked session through `scheduling.booking.session_move`, under its day locks, so
two patients accepting the same time at once can't both get it: the second finds the chair
taken, their own session is left as it was, and their offer is marked taken. The move frees
the patient's old time, which the booking service hands to the backfill in turn.

Lock order: the offer row (`select_for_update`), then the booking service's day locks. The
other offers of the same freed time are closed with `skip_locked`, so an accept never waits
on a row another accept holds (that one closes its own offer when it finds the time gone).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.notices import notice_enqueue
from scheduling import booking
from scheduling.backfill import (
    OFFER_GONE,
    freed_after_commit,
    offer_create,
    slot_key,
    slot_parse,
)
from scheduling.models import Chair, PlannedDose, Session, SessionStatus
from scheduling.waitlist_models import WaitlistEntry, WaitlistOffer

NOTICE_CHOICES = (4, 24, 48, 72)
OPEN_ENTRY = (WaitlistEntry.Status.ACTIVE, WaitlistEntry.Status.PAUSED)
# The shortest chair time in the catalogue (a teaching visit) is an hour.
REST_WORTH_OFFERING = timedelta(minutes=60)


class WaitlistError(Exception):
    """A waitlist change was refused; the message is for the person who asked."""


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    TAKEN = "taken"
    EXPIRED = "expired"
    CLOSED = "closed"


def booked_session(dose: PlannedDose) -> Session | None:
    return dose.sessions.filter(status=SessionStatus.BOOKED).order_by("start").first()


def open_entry(dose: PlannedDose) -> WaitlistEntry | None:
    return WaitlistEntry.objects.filter(dose=dose, status__in=OPEN_ENTRY).first()


def waitlist_join(
    *,
    dose: PlannedDose,
    part_of_day: str = WaitlistEntry.PartOfDay.ANY,
    weekdays: Iterable[int] = (),
    notice_hours: int = 24,
    by: Any = None,
) -> WaitlistEntry:
    """Put a booked dose on the waitlist (or update its wishes if it is on it already)."""
    days = "".join(sorted({str(int(d)) for d in weekdays if 0 <= int(d) <= 6}))
    with transaction.atomic():
        if booked_session(dose) is None:
            raise WaitlistError(_("Only a booked appointment can wait for an earlier time."))
        entry = (
            WaitlistEntry.objects.select_for_update()
            .filter(dose=dose, status__in=OPEN_ENTRY)
            .first()
        )
        if entry is None:
            entry = WaitlistEntry(dose=dose, created_by=by if by else None)
        entry.status = WaitlistEntry.Status.ACTIVE
        entry.part_of_day = part_of_day
        entry.weekdays = days
        entry.notice_hours = notice_hours
        entry.save()
    return entry


def _set_status(entry: WaitlistEntry, status: str, allowed: Iterable[str], reason: str) -> None:
    with transaction.atomic():
        locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.status not in allowed:
            raise WaitlistError(_("This waitlist entry can no longer be changed."))
        locked.status = status
        locked._change_reason = reason
        locked.save(update_fields=["status"])
        if status != WaitlistEntry.Status.ACTIVE:
            WaitlistOffer.objects.filter(entry=locked, status=WaitlistOffer.Status.OPEN).update(
                status=WaitlistOffer.Status.WITHDRAWN
            )
    entry.status = status


def waitlist_pause(*, entry: WaitlistEntry) -> None:
    _set_status(entry, WaitlistEntry.Status.PAUSED, [WaitlistEntry.Status.ACTIVE], "paused")


def waitlist_resume(*, entry: WaitlistEntry) -> None:
    _set_status(entry, WaitlistEntry.Status.ACTIVE, [WaitlistEntry.Status.PAUSED], "resumed")


def waitlist_remove(*, entry: WaitlistEntry) -> None:
    _set_status(entry, WaitlistEntry.Status.REMOVED, OPEN_ENTRY, "removed")


def offer_by_hand(
    *, entry: WaitlistEntry, chair: Chair, start: datetime, by: Any, now: datetime | None = None
) -> WaitlistOffer:
    """Staff offer a free time to one waitlisted patient (checked again when accepted)."""
    now = now or timezone.now()
    session = booked_session(entry.dose)
    if entry.status != WaitlistEntry.Status.ACTIVE or session is None:
        raise WaitlistError("Only an active entry with a booked session can be offered a time.")
    if start >= session.start:
        raise WaitlistError("Offer a time earlier than the patient's booked session.")
    end = start + (session.end - session.start)
    return offer_create(
        entry=entry,
        chair=chair,
        start=start,
        end=end,
        slot=slot_key(chair.pk, start, end),
        now=now,
        by=by,
    )


def _close(offer: WaitlistOffer, status: str, now: datetime) -> None:
    offer.status = status
    offer.responded_at = now
    offer.save(update_fields=["status", "responded_at"])


def offer_accept(*, offer: WaitlistOffer, now: datetime | None = None) -> Outcome:
    """Move the patient's session to the offered time, or say why not (see module doc)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            WaitlistOffer.objects.select_for_update(of=("self",))
            .select_related("entry__dose__course__patient", "chair")
            .get(pk=offer.pk)
        )
        if locked.status == WaitlistOffer.Status.ACCEPTED:
            return Outcome.ACCEPTED
        if locked.status == WaitlistOffer.Status.TAKEN:
            return Outcome.TAKEN
        if locked.status != WaitlistOffer.Status.OPEN:
            return Outcome.EXPIRED if locked.status == "expired" else Outcome.CLOSED
        if locked.expires_at <= now:
            _close(locked, WaitlistOffer.Status.EXPIRED, now)
            return Outcome.EXPIRED
        session = booked_session(locked.entry.dose)
        if session is None:
            _close(locked, WaitlistOffer.Status.WITHDRAWN, now)
            return Outcome.CLOSED
        try:
            with transaction.atomic():
                moved = booking.session_move(
                    session=session, chair=locked.chair, start=locked.start, now=now
                )
        except booking.BookingError:
            _close(locked, WaitlistOffer.Status.TAKEN, now)
            return Outcome.TAKEN
        _close(locked, WaitlistOffer.Status.ACCEPTED, now)
        WaitlistEntry.objects.filter(pk=locked.entry_id).update(
            status=WaitlistEntry.Status.FULFILLED
        )
        _close_others(locked, now)
        _offer_the_rest(locked)
        from scheduling.reminders import booking_notice_enqueue

        booking_notice_enqueue(sessions=[moved])
    return Outcome.ACCEPTED


def _offer_the_rest(accepted: WaitlistOffer) -> None:
    """Offer what the accepted time leaves of the freed time (a long session cancelled and
    a shorter one moved in), after the commit."""
    chair_id, start, end = slot_parse(accepted.slot)
    for lo, hi in ((start, accepted.start), (accepted.end, end)):
        if hi - lo >= REST_WORTH_OFFERING:
            freed_after_commit(chair_id, lo, hi)


def _close_others(accepted: WaitlistOffer, now: datetime) -> None:
    """Tell the other patients offered this time that it has gone; withdraw the patient's
    other open offers (they are no longer waiting)."""
    others = list(
        WaitlistOffer.objects.select_for_update(skip_locked=True)
        .filter(status=WaitlistOffer.Status.OPEN)
        .filter(slot=accepted.slot)
        .exclude(pk=accepted.pk)
        .select_related("entry__dose__course__patient")
    )
    for other in others:
        _close(other, WaitlistOffer.Status.TAKEN, now)
        email = other.entry.dose.course.patient.email
        if email:
            notice_enqueue(kind=OFFER_GONE, to=[email], target=other)
    WaitlistOffer.objects.filter(
        entry_id=accepted.entry_id, status=WaitlistOffer.Status.OPEN
    ).update(status=WaitlistOffer.Status.WITHDRAWN, responded_at=now)
