"""The only code that writes session times: book, move (a day or a whole block), cancel, book a
course. The visit workflow (status changes of one session) is in `scheduling.workflow`.

Here live the locks, the checks, the refusals and the writes; everything that only reads
(dose windows, free times, course plans) is in `scheduling.planning`, which this module uses.

Locking rule (the one place locks are taken, in `_lock_days`):
  Every service runs in one `transaction.atomic()`. Before it reads capacity it locks the
  `DayLock` rows of every clinic-local date it touches (creating missing rows first), in
  date order, in one `SELECT ... FOR UPDATE`, after `SET LOCAL lock_timeout` so a stuck
  lock becomes a clean `BookingError` instead of a hang. With the days locked it re-reads
  the sessions, asks the pure engine (`scheduling.availability`) whether the slot is still
  feasible (chair free, opening hours, nurse capacity), and only then writes. Two requests
  for the same day therefore run one after the other, so nurse capacity can't be oversold.
  On PostgreSQL the exclusion constraint `session_no_chair_overlap` is a second guard for
  the chair; on SQLite the IMMEDIATE transaction (settings) serialises all writers.
Status changes of one session (check in, seat, complete, no-show, confirm) live in
`scheduling.workflow` and lock only that session's row. Nothing else takes locks or writes
sessions. Each check asks `scheduling.authorisations` whether the date is authorised; a cancel
or move hands the freed time to `scheduling.backfill` after the commit (the waitlist).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clinic.clock import clinic_tz, instant_after, local_day, local_dt, time_label
from clinic.models import TherapyRequirement
from scheduling import availability as engine
from scheduling import planning, selectors
from scheduling.authorisations import authorisation_gap, authorisation_refusal
from scheduling.backfill import freed_after_commit
from scheduling.courses import course_replan
from scheduling.models import Chair, DayLock, PlannedDose, Session, SessionStatus, VisitCheck

# One round trip on PostgreSQL for the short lock timeout, the missing day rows and the
# sorted locks: every booking starts here.
_PG_LOCK_DAYS = (
    "SET LOCAL lock_timeout = '5s'; "
    "INSERT INTO scheduling_daylock (day) SELECT unnest(%s::date[]) ON CONFLICT DO NOTHING; "
    "SELECT id FROM scheduling_daylock WHERE day = ANY(%s::date[]) ORDER BY day FOR UPDATE"
)
T = TypeVar("T")
# Patients may cancel or reschedule themselves until this long before the start.
PATIENT_CUTOFF = timedelta(hours=24)


class BookingError(Exception):
    """A booking rule or a conflict refused the change; the message is for people."""

    def __init__(self, message: str, options: Sequence[engine.Option] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.options = list(options)

    def __str__(self) -> str:
        return self.message


def _lock_days(days: Iterable[date]) -> None:
    """Lock the clinic days, sorted, with a short timeout. The only lock taker for days."""
    wanted = sorted(set(days))
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(_PG_LOCK_DAYS, [wanted, wanted])
            return
        DayLock.objects.bulk_create([DayLock(day=d) for d in wanted], ignore_conflicts=True)
        list(
            DayLock.objects.select_for_update()
            .filter(day__in=wanted)
            .order_by("day")
            .values_list("pk", flat=True)
        )
    except OperationalError as exc:
        raise BookingError(_("The schedule is busy right now; please try again.")) from exc


class _Refused(BookingError):
    """A slot refusal; its next free times are looked up once the day locks are released."""

    def __init__(
        self,
        message: str,
        *,
        dose: PlannedDose,
        start: datetime,
        exclude: selectors.Excluded,
        near: Sequence[Session],
        chairs: list[engine.Chair],
    ) -> None:
        super().__init__(message)
        self.dose, self.start, self.exclude = dose, start, exclude
        # Read under the locks already; reused so the search needs no second read of them.
        self.near, self.chairs = near, chairs

    def with_options(self, now: datetime) -> BookingError:
        found = planning.next_free(
            self.dose, self.start, now, self.exclude, near=self.near, chairs=self.chairs
        )
        return BookingError(self.message, found)


def _offering_alternatives(run: Callable[[], T], now: datetime) -> T:
    """Run a locked service; on a slot refusal, search for other times after the rollback.

    The search reads the dose's whole window, so doing it under the day locks made every
    other booking for those days wait on it.
    """
    try:
        return run()
    except _Refused as refused:
        raise refused.with_options(now) from refused


def _refusal(
    dose: PlannedDose,
    chair: Chair,
    start: datetime,
    end: datetime,
    days: Sequence[engine.ClinicDay],
    booked: Sequence[engine.Booked],
    exclude: selectors.Excluded,
    near: Sequence[Session],
    chairs: list[engine.Chair],
) -> _Refused:
    """Explain why a slot is not feasible (the next free times are added later)."""
    at = time_label(start)
    if any(b.chair_id == chair.pk and b.start < end and b.end > start for b in booked):
        message = _("%(chair)s was just taken at %(time)s; here are the next free times.") % {
            "chair": chair.name,
            "time": at,
        }
    elif not days or not (days[0].opens <= start <= days[0].last_start and end <= days[0].closes):
        message = _("The clinic is not open for a session starting at %(time)s that day.") % {
            "time": at
        }
    else:
        message = _("Nurse capacity is full at %(time)s; here are the next free times.") % {
            "time": at
        }
    return _Refused(message, dose=dose, start=start, exclude=exclude, near=near, chairs=chairs)


def _chair(chairs: dict[int, Chair], chair_id: int) -> Chair:
    if chair_id not in chairs:
        raise BookingError(_("That chair does not exist."))
    return chairs[chair_id]


def _check_slot(
    *,
    dose: PlannedDose,
    chair: Chair,
    chairs: dict[int, Chair],
    start: datetime,
    now: datetime,
    near: Sequence[Session],
    exclude: selectors.Excluded = None,
) -> datetime:
    """Raise BookingError unless the slot is feasible now (days already locked); return end.

    `near` holds the course's active sessions for this dose and its neighbours (minimum
    gaps). Works in UTC: a zoned start plus a timedelta is wall-clock arithmetic (wrong
    across a daylight-saving change), and a zoned time in the repeated hour never equals a
    UTC one.
    """
    start = start.astimezone(UTC)
    day = local_day(start)
    course = dose.course
    if course.status != course.Status.ACTIVE:
        raise BookingError(_("This treatment course is not active."))
    if dose.sequence == 1 and not course.prerequisites_ready():
        raise BookingError(
            _(
                "The first dose can't be booked until its prerequisites are recorded as met "
                "(or a clinician overrides them)."
            )
        )
    if start <= now:
        raise BookingError(_("That time has already passed."))
    earliest, latest = planning.window_bounds(dose, near)
    if not earliest <= day <= latest:
        raise BookingError(
            _("That date is outside this dose's window (%(first)s to %(last)s).")
            % {"first": date_format(earliest), "last": date_format(latest)}
        )
    if missing := authorisation_gap(dose, day, exclude=exclude):
        raise BookingError(authorisation_refusal(day, missing))
    if not chair.is_active:
        raise BookingError(_("%(chair)s is not in use.") % {"chair": chair.name})
    if course.chair_kind and chair.kind != course.chair_kind:
        raise BookingError(_("This patient needs a %(kind)s.") % {"kind": course.chair_kind})
    end = instant_after(start, dose.minutes)
    days = selectors.clinic_days(day, day)
    booked = selectors.engine_booked(day, day, exclude=exclude)
    # The engine answers "can a session of this kind start then" (hours, nurses, chair
    # count); it returns one option per start, so the chosen chair is checked here.
    in_use = [
        engine.Chair(id=c.pk, name=c.name, kind=c.kind) for c in chairs.values() if c.is_active
    ]
    chair_free = not any(b.chair_id == chair.pk and b.start < end and b.end > start for b in booked)
    if not chair_free:
        raise _refusal(dose, chair, start, end, days, booked, exclude, near, in_use)
    feasible = engine.find_options(
        days=days,
        chairs=in_use,
        booked=booked,
        request=planning.slot_request(dose, day, day, kind=chair.kind),
        tz=clinic_tz(),
        limit=10_000,
        ranking="first_fit",
    )
    if not any(o.start.astimezone(UTC) == start for o in feasible):
        raise _refusal(dose, chair, start, end, days, booked, exclude, near, in_use)
    return end


def _write(make: Callable[[], Session], chair: Chair, start: datetime) -> Session:
    """Run a session write; the database's own overlap guard becomes a BookingError.

    No savepoint of its own: every caller runs inside the service's atomic block, which a
    BookingError rolls back whole.
    """
    try:
        return make()
    except IntegrityError as exc:
        raise BookingError(
            _("%(chair)s was just taken at %(time)s; here are the next free times.")
            % {"chair": chair.name, "time": time_label(start)}
        ) from exc


def _book_one(
    choice: planning.Choice, *, by: Any, now: datetime, chairs: dict[int, Chair]
) -> Session:
    dose = PlannedDose.objects.select_related("course__therapy", "step").get(pk=choice.dose.pk)
    near = planning.near_sessions(dose, None)
    if any(s.dose_id == dose.pk for s in near):
        raise BookingError(_("%(dose)s is already booked.") % {"dose": dose.label})
    chair = _chair(chairs, choice.chair.pk)
    start = choice.start.astimezone(UTC)
    end = _check_slot(dose=dose, chair=chair, chairs=chairs, start=start, now=now, near=near)

    def make() -> Session:
        return Session.objects.create(
            course=dose.course,
            dose=dose,
            chair=chair,
            start=start,
            end=end,
            booked_by=by,
        )

    session = _write(make, chair, start)
    checks = dose.course.therapy.requirements.filter(kind=TherapyRequirement.Kind.VISIT_CHECK)
    VisitCheck.objects.bulk_create(VisitCheck(session=session, requirement=r) for r in checks)
    course_replan(dose=dose, actual=local_day(start))
    return session


def session_book(
    *,
    dose: PlannedDose,
    chair: Chair,
    start: datetime,
    by: Any = None,
    now: datetime | None = None,
    notify: bool = True,
) -> Session:
    """Book one dose in a chair at a start time, or raise BookingError.

    With `notify`, the patient is emailed the time and a manage link after commit.
    """
    now = now or timezone.now()

    def run() -> Session:
        with transaction.atomic():
            _lock_days([local_day(start)])
            session = _book_one(
                planning.Choice(dose, chair, start), by=by, now=now, chairs=selectors.chairs_by_id()
            )
            if notify:
                _notify_after_commit([session])
            return session

    return _offering_alternatives(run, now)


def course_book(
    *,
    choices: Sequence[planning.Choice],
    by: Any = None,
    now: datetime | None = None,
    notify: bool = True,
) -> list[Session]:
    """Book several doses all or nothing: any refusal leaves none of them booked."""
    now = now or timezone.now()

    def run() -> list[Session]:
        with transaction.atomic():
            _lock_days(local_day(c.start) for c in choices)
            chairs = selectors.chairs_by_id()
            ordered = sorted(choices, key=lambda c: c.dose.sequence)
            sessions = [_book_one(choice, by=by, now=now, chairs=chairs) for choice in ordered]
            if notify:
                _notify_after_commit(sessions)
            return sessions

    return _offering_alternatives(run, now)


def _notify_after_commit(sessions: Sequence[Session]) -> None:
    """Write the patient's notice with the booking; the task queue sends it after commit."""
    from scheduling.reminders import booking_notice_enqueue

    booking_notice_enqueue(sessions=sessions)


def locked_session(session: Session) -> Session:
    """The session, locked for update with what its checks read."""
    return (
        Session.objects.select_for_update(of=("self",))
        .select_related("course", "chair", "dose", "dose__step", "dose__course")
        .get(pk=session.pk)
    )


def session_move(
    *,
    session: Session,
    chair: Chair,
    start: datetime,
    by: Any = None,
    now: datetime | None = None,
    by_patient: bool = False,
) -> Session:
    """Move a booked session to another start and chair inside its dose's window."""
    now = now or timezone.now()

    def run() -> Session:
        with transaction.atomic():
            _lock_days([local_day(session.start), local_day(start)])
            locked = locked_session(session)
            if locked.status != SessionStatus.BOOKED:
                raise BookingError(_("Only a booked session can be moved."))
            if by_patient and locked.start - now < PATIENT_CUTOFF:
                raise BookingError(
                    _("This appointment is less than 24 hours away; please call the clinic.")
                )
            chairs = selectors.chairs_by_id()
            target = _chair(chairs, chair.pk)
            when = start.astimezone(UTC)
            end = _check_slot(
                dose=locked.dose,
                chair=target,
                chairs=chairs,
                start=when,
                now=now,
                near=planning.near_sessions(locked.dose, locked.pk),
                exclude=locked.pk,
            )

            # The old time is handed to the backfill after the commit (a rollback drops it).
            freed_after_commit(locked.chair_id, locked.start, locked.end)
            moved = _write(partial(_moved, locked, target, when, end), target, when)
            course_replan(dose=locked.dose, actual=local_day(when))
            return moved

    return _offering_alternatives(run, now)


def _moved(session: Session, chair: Chair, start: datetime, end: datetime) -> Session:
    """Write a session's new chair and times: the patient confirms again, calendars update."""
    session.chair, session.start, session.end = chair, start, end
    session.confirmed_at = None
    session.calendar_sequence += 1
    session.save(update_fields=["chair", "start", "end", "confirmed_at", "calendar_sequence"])
    return session


def block_move(
    *,
    session: Session,
    chair: Chair,
    start: datetime,
    by: Any = None,
    now: datetime | None = None,
    by_patient: bool = False,
) -> list[Session]:
    """Move the whole block of consecutive days that `session` is in, all or nothing.

    The block's first day moves to `start` in `chair`; each later day follows on the next
    calendar day at the same local time in the same chair, as blocks are booked. Every day
    must still be booked (none begun) and, for a patient, at least 24 hours away. Each day
    is checked as a single move is, with the block's own sessions left out of the schedule
    (they are what moves) and the later days' one-day windows moved along with the first.
    """
    now = now or timezone.now()
    doses = planning.block_doses(session.dose)
    local = start.astimezone(clinic_tz())
    days = [local.date() + timedelta(days=i) for i in range(len(doses))]
    seen = planning.block_sessions(doses)
    with transaction.atomic():
        _lock_days([local_day(s.start) for s in seen] + days)
        locked = list(
            Session.objects.select_for_update(of=("self",))
            .select_related("course", "chair", "dose__step", "dose__course__therapy")
            .filter(pk__in=[s.pk for s in seen])
            .order_by("dose__sequence")
        )
        # The days were locked from what was read before the lock: it must still hold.
        if (
            len(doses) < 2
            or len(locked) != len(doses)
            or [s.start for s in locked] != [s.start for s in seen]
            or any(s.status != SessionStatus.BOOKED for s in locked)
        ):
            raise BookingError(
                _(
                    "Part of this treatment block has already begun or changed; please call "
                    "the clinic to move it."
                )
            )
        if by_patient and locked[0].start - now < PATIENT_CUTOFF:
            raise BookingError(
                _("This appointment is less than 24 hours away; please call the clinic.")
            )
        chairs = selectors.chairs_by_id()
        target = _chair(chairs, chair.pk)
        moving = [s.pk for s in locked]
        later = [s.dose for s in locked[1:]]
        for dose, day in zip(later, days[1:], strict=True):
            dose.target = dose.earliest = dose.latest = day
        PlannedDose.objects.bulk_update(later, ["target", "earliest", "latest"])
        slots = []
        for moved, day in zip(locked, days, strict=True):
            when = local_dt(day, local.time()).astimezone(UTC)
            end = _check_slot(
                dose=moved.dose,
                chair=target,
                chairs=chairs,
                start=when,
                now=now,
                near=planning.near_sessions(moved.dose, moving),
                exclude=moving,
            )
            slots.append((moved, when, end))
        if days[0] > local_day(locked[0].start):
            # Moving later: the last day goes first, so no day lands where one still sits.
            slots.reverse()
        for moved, when, end in slots:
            freed_after_commit(moved.chair_id, moved.start, moved.end)
            _write(partial(_moved, moved, target, when, end), target, when)
        course_replan(dose=locked[-1].dose, actual=days[-1])
        return locked


def session_cancel(
    *,
    session: Session,
    reason: str,
    by: Any = None,
    now: datetime | None = None,
    by_patient: bool = False,
) -> Session:
    """Cancel a session, freeing its chair; patients can't within 24 hours of the start."""
    now = now or timezone.now()
    with transaction.atomic():
        _lock_days([local_day(session.start)])
        locked = locked_session(session)
        if locked.status not in (SessionStatus.BOOKED, SessionStatus.CHECKED_IN):
            raise BookingError(_("This session can no longer be cancelled."))
        if by_patient and locked.start - now < PATIENT_CUTOFF:
            raise BookingError(
                _(
                    "This appointment is less than 24 hours away; please call the clinic to "
                    "cancel it."
                )
            )
        if not reason.strip():
            raise BookingError(_("Give a reason for cancelling."))
        locked.status = SessionStatus.CANCELLED
        locked.cancelled_at = now
        locked.cancel_reason = reason.strip()[:200]
        locked.calendar_sequence += 1
        locked.save(update_fields=["status", "cancelled_at", "cancel_reason", "calendar_sequence"])
        freed_after_commit(locked.chair_id, locked.start, locked.end)
        return locked
