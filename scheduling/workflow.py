"""The visit workflow: the status changes of one booked session (check in, seat, complete,
no-show, confirm). Each locks only that session's row; times and chairs are written only by
`scheduling.booking`."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from scheduling.backfill import freed_after_commit
from scheduling.booking import BookingError, locked_session
from scheduling.models import Session, SessionStatus
from scheduling.monitoring import monitoring_plan

_MOVES = {
    "check_in": (SessionStatus.BOOKED, SessionStatus.CHECKED_IN, "checked_in_at"),
    "seat": (SessionStatus.CHECKED_IN, SessionStatus.IN_CHAIR, "in_chair_at"),
    "complete": (SessionStatus.IN_CHAIR, SessionStatus.COMPLETED, "completed_at"),
    "no_show": (SessionStatus.BOOKED, SessionStatus.NO_SHOW, None),
}


def _advance(session: Session, move: str, now: datetime | None) -> Session:
    source, target, stamp = _MOVES[move]
    with transaction.atomic():
        locked = locked_session(session)
        if locked.status != source:
            raise BookingError(
                f"Session #{locked.pk} is {locked.get_status_display().lower()}, "
                f"not {SessionStatus(source).label.lower()}."
            )
        if move == "seat" and locked.checks.filter(done=False).exists():
            raise BookingError(
                f"Session #{locked.pk}: record every per-visit check before the infusion starts."
            )
        course = locked.course
        if move == "seat" and course.safety_lapsed(timezone.localdate()):
            raise BookingError(
                f"Session #{locked.pk}: the {course.therapy.safety_programme or 'safety'} "
                "authorisation has lapsed; the prescriber must re-authorise the patient first."
            )
        locked.status = target
        fields = ["status"]
        if stamp:
            setattr(locked, stamp, now or timezone.now())
            fields.append(stamp)
        locked.save(update_fields=fields)
        if move == "complete":
            monitoring_plan(course=locked.course)
        if target == SessionStatus.NO_SHOW:
            freed_after_commit(locked.chair_id, locked.start, locked.end)
        return locked


def session_check_in(*, session: Session, now: datetime | None = None) -> Session:
    """Mark the patient arrived."""
    return _advance(session, "check_in", now)


def session_seat(*, session: Session, now: datetime | None = None) -> Session:
    """Mark the patient in the chair; refused until every per-visit check is recorded."""
    return _advance(session, "seat", now)


def session_complete(*, session: Session, now: datetime | None = None) -> Session:
    """Mark the visit completed (discharged)."""
    return _advance(session, "complete", now)


def session_no_show(*, session: Session, now: datetime | None = None) -> Session:
    """Mark that the patient did not come; the chair is free again."""
    return _advance(session, "no_show", now)


def session_confirm(*, session: Session, now: datetime | None = None) -> Session:
    """Record that the patient confirmed they will attend."""
    with transaction.atomic():
        locked = locked_session(session)
        if locked.status != SessionStatus.BOOKED:
            raise BookingError(_("This appointment can no longer be confirmed."))
        locked.confirmed_at = now or timezone.now()
        locked.save(update_fields=["confirmed_at"])
        return locked
