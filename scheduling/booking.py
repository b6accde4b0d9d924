"""The only code that writes sessions: book, move, cancel, book a course, and the visit workflow.

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
Status changes of one session (check in, seat, complete, no-show, confirm) lock only that
session's row. Nothing else in the code takes locks or writes sessions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clinic.models import TherapyRequirement
from scheduling import availability as engine
from scheduling import selectors
from scheduling.courses import course_replan
from scheduling.models import (
    Chair,
    DayLock,
    PlannedDose,
    Session,
    SessionStatus,
    VisitCheck,
)

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


@dataclass(frozen=True)
class Choice:
    """One dose to book at a start time in a chair (what staff or a patient picked)."""

    dose: PlannedDose
    chair: Chair
    start: datetime


def _hhmm(instant: datetime) -> str:
    return instant.astimezone(selectors.clinic_tz()).strftime("%H:%M")


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


def _near_sessions(dose: PlannedDose, exclude: int | None) -> list[Session]:
    """Return the course's active sessions for this dose and the doses either side."""
    return list(
        Session.objects.active()
        .filter(
            course_id=dose.course_id, dose__sequence__range=(dose.sequence - 1, dose.sequence + 1)
        )
        .exclude(pk=exclude)
        .select_related("dose")
        .order_by()  # the default ordering would join the chairs only to sort by them
    )


def _bounds(dose: PlannedDose, near: Iterable[Session]) -> tuple[date, date]:
    earliest, latest = dose.earliest, dose.latest
    for other in near:
        other_day = selectors.local_day(other.start)
        if other.dose.sequence < dose.sequence:
            earliest = max(earliest, other_day + timedelta(days=dose.min_gap_days))
        elif other.dose.sequence > dose.sequence:
            latest = min(latest, other_day - timedelta(days=other.dose.min_gap_days))
    return earliest, latest


def dose_bounds(dose: PlannedDose, *, exclude: int | None = None) -> tuple[date, date]:
    """Return the local dates a dose may be given: its window, narrowed by minimum gaps."""
    return _bounds(dose, _near_sessions(dose, exclude))


def _request(dose: PlannedDose, first: date, last: date, kind: str = "") -> engine.SlotRequest:
    kinds = kind or dose.course.chair_kind
    return engine.SlotRequest(
        minutes=dose.minutes,
        earliest=first,
        latest=last,
        chair_kinds=frozenset({kinds}) if kinds else frozenset(),
        part_of_day=dose.course.part_of_day,
    )


def dose_options(
    *,
    dose: PlannedDose,
    now: datetime | None = None,
    exclude: int | None = None,
    limit: int = 5,
    ranking: str = "level",
) -> list[engine.Option]:
    """Return the engine's best options for one dose inside its window (from tomorrow)."""
    now = now or timezone.now()
    first, last = dose_bounds(dose, exclude=exclude)
    first = max(first, selectors.local_day(now) + timedelta(days=1))
    if first > last:
        return []
    return engine.find_options(
        days=selectors.clinic_days(first, last),
        chairs=selectors.engine_chairs(),
        booked=selectors.engine_booked(first, last, exclude=exclude),
        request=_request(dose, first, last),
        tz=selectors.clinic_tz(),
        limit=limit,
        ranking=ranking,
    )


def course_plans(
    *, doses: Sequence[PlannedDose], now: datetime | None = None, limit: int = 3
) -> list[list[Choice]]:
    """Return up to `limit` plans for unbooked doses of one course (in sequence order).

    Consecutive-day doses sharing a block number go to the engine as one block request.
    Each plan is a list of Choices, one per dose, ready for `course_book`.
    """
    now = now or timezone.now()
    doses = sorted(doses, key=lambda d: d.sequence)
    if not doses:
        return []
    first_dose = doses[0]
    first, last = dose_bounds(first_dose)
    first = max(first, selectors.local_day(now) + timedelta(days=1))
    if first > last:
        return []
    requests: list[engine.DoseRequest] = []
    index = 0
    while index < len(doses):
        dose = doses[index]
        run = 1
        while (
            dose.block is not None
            and index + run < len(doses)
            and doses[index + run].block == dose.block
        ):
            run += 1
        requests.append(
            engine.DoseRequest(
                minutes=dose.minutes,
                offset_days=dose.offset_days - first_dose.offset_days,
                window_before=(dose.target - dose.earliest).days if index else 0,
                window_after=(dose.latest - dose.target).days if index else 0,
                min_gap_days=dose.min_gap_days if index else 0,
                block_days=run,
            )
        )
        index += run
    horizon = last + timedelta(
        days=doses[-1].offset_days
        - first_dose.offset_days
        + (doses[-1].latest - doses[-1].target).days
        + 1
    )
    course = first_dose.course
    chairs = {c.pk: c for c in Chair.objects.filter(is_active=True)}
    plans = engine.plan_series(
        days=selectors.clinic_days(first, horizon),
        chairs=selectors.engine_chairs(),
        booked=selectors.engine_booked(first, horizon),
        doses=requests,
        first_earliest=first,
        first_latest=last,
        tz=selectors.clinic_tz(),
        chair_kinds=frozenset({course.chair_kind}) if course.chair_kind else frozenset(),
        part_of_day=course.part_of_day,
        limit=limit,
    )
    return [
        [
            Choice(dose, chairs[o.chair_id], o.start)
            for dose, o in zip(doses, plan.options, strict=True)
        ]
        for plan in plans
    ]


class _Refused(BookingError):
    """A slot refusal; its next free times are looked up once the day locks are released."""

    def __init__(
        self,
        message: str,
        *,
        dose: PlannedDose,
        start: datetime,
        exclude: int | None,
        near: Sequence[Session],
        chairs: list[engine.Chair],
    ) -> None:
        super().__init__(message)
        self.dose, self.start, self.exclude = dose, start, exclude
        # Read under the locks already; reused so the search needs no second read of them.
        self.near, self.chairs = near, chairs

    def with_options(self, now: datetime) -> BookingError:
        found = _next_free(
            self.dose, self.start, now, self.exclude, near=self.near, chairs=self.chairs
        )
        return BookingError(self.message, found)


# Days searched first for the next free times; the rest of the window only if they have none.
NEXT_FREE_FIRST_DAYS = 3


def _next_free(
    dose: PlannedDose,
    start: datetime,
    now: datetime,
    exclude: int | None,
    *,
    near: Sequence[Session],
    chairs: list[engine.Chair],
    count: int = 3,
) -> list[engine.Option]:
    """Return the first `count` free times from `start` on, inside the dose's window."""
    first, last = _bounds(dose, near)
    first = max(first, selectors.local_day(now) + timedelta(days=1), selectors.local_day(start))
    soon = min(last, first + timedelta(days=NEXT_FREE_FIRST_DAYS - 1))
    found: list[engine.Option] = []
    for lo, hi in ((first, soon), (soon + timedelta(days=1), last)):
        if lo > hi:
            continue
        options = engine.find_options(
            days=selectors.clinic_days(lo, hi),
            chairs=chairs,
            booked=selectors.engine_booked(lo, hi, exclude=exclude),
            request=_request(dose, lo, hi),
            tz=selectors.clinic_tz(),
            limit=count + 50,
            ranking="first_fit",
        )
        found += [o for o in options if o.start >= start]
        if len(found) >= count:
            break
    return found[:count]


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
    exclude: int | None,
    near: Sequence[Session],
    chairs: list[engine.Chair],
) -> _Refused:
    """Explain why a slot is not feasible (the next free times are added later)."""
    at = _hhmm(start)
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


def _chairs() -> dict[int, Chair]:
    """Return every chair by id (the engine gets the active ones), in the admin's order."""
    return {c.pk: c for c in Chair.objects.all()}


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
    exclude: int | None = None,
) -> datetime:
    """Raise BookingError unless the slot is feasible now (days already locked); return end.

    `near` holds the course's active sessions for this dose and its neighbours (minimum
    gaps). Works in UTC: a zoned start plus a timedelta is wall-clock arithmetic (wrong
    across a daylight-saving change), and a zoned time in the repeated hour never equals a
    UTC one.
    """
    start = start.astimezone(UTC)
    day = selectors.local_day(start)
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
    earliest, latest = _bounds(dose, near)
    if not earliest <= day <= latest:
        raise BookingError(
            _("That date is outside this dose's window (%(first)s to %(last)s).")
            % {"first": date_format(earliest), "last": date_format(latest)}
        )
    if not chair.is_active:
        raise BookingError(_("%(chair)s is not in use.") % {"chair": chair.name})
    if course.chair_kind and chair.kind != course.chair_kind:
        raise BookingError(_("This patient needs a %(kind)s.") % {"kind": course.chair_kind})
    end = selectors.instant_after(start, dose.minutes)
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
        request=_request(dose, day, day, kind=chair.kind),
        tz=selectors.clinic_tz(),
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
            % {"chair": chair.name, "time": _hhmm(start)}
        ) from exc


def _book_one(choice: Choice, *, by: Any, now: datetime, chairs: dict[int, Chair]) -> Session:
    dose = PlannedDose.objects.select_related("course__therapy", "step").get(pk=choice.dose.pk)
    near = _near_sessions(dose, None)
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
    course_replan(dose=dose, actual=selectors.local_day(start))
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
            _lock_days([selectors.local_day(start)])
            session = _book_one(Choice(dose, chair, start), by=by, now=now, chairs=_chairs())
            if notify:
                _notify_after_commit([session])
            return session

    return _offering_alternatives(run, now)


def course_book(
    *,
    choices: Sequence[Choice],
    by: Any = None,
    now: datetime | None = None,
    notify: bool = True,
) -> list[Session]:
    """Book several doses all or nothing: any refusal leaves none of them booked."""
    now = now or timezone.now()

    def run() -> list[Session]:
        with transaction.atomic():
            _lock_days(selectors.local_day(c.start) for c in choices)
            chairs = _chairs()
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


def _locked_session(session: Session) -> Session:
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
            _lock_days([selectors.local_day(session.start), selectors.local_day(start)])
            locked = _locked_session(session)
            if locked.status != SessionStatus.BOOKED:
                raise BookingError(_("Only a booked session can be moved."))
            if by_patient and locked.start - now < PATIENT_CUTOFF:
                raise BookingError(
                    _("This appointment is less than 24 hours away; please call the clinic.")
                )
            chairs = _chairs()
            target = _chair(chairs, chair.pk)
            when = start.astimezone(UTC)
            end = _check_slot(
                dose=locked.dose,
                chair=target,
                chairs=chairs,
                start=when,
                now=now,
                near=_near_sessions(locked.dose, locked.pk),
                exclude=locked.pk,
            )

            def make() -> Session:
                locked.chair, locked.start, locked.end = target, when, end
                locked.confirmed_at = None
                locked.save(update_fields=["chair", "start", "end", "confirmed_at"])
                return locked

            moved = _write(make, target, when)
            course_replan(dose=locked.dose, actual=selectors.local_day(when))
            return moved

    return _offering_alternatives(run, now)


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
        _lock_days([selectors.local_day(session.start)])
        locked = _locked_session(session)
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
        locked.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        return locked


# --- the visit workflow -------------------------------------------------------------------

_MOVES = {
    "check_in": (SessionStatus.BOOKED, SessionStatus.CHECKED_IN, "checked_in_at"),
    "seat": (SessionStatus.CHECKED_IN, SessionStatus.IN_CHAIR, "in_chair_at"),
    "complete": (SessionStatus.IN_CHAIR, SessionStatus.COMPLETED, "completed_at"),
    "no_show": (SessionStatus.BOOKED, SessionStatus.NO_SHOW, None),
}


def _advance(session: Session, move: str, now: datetime | None) -> Session:
    source, target, stamp = _MOVES[move]
    with transaction.atomic():
        locked = _locked_session(session)
        if locked.status != source:
            raise BookingError(
                f"Session #{locked.pk} is {locked.get_status_display().lower()}, "
                f"not {SessionStatus(source).label.lower()}."
            )
        if move == "seat" and locked.checks.filter(done=False).exists():
            raise BookingError(
                f"Session #{locked.pk}: record every per-visit check before the infusion starts."
            )
        locked.status = target
        fields = ["status"]
        if stamp:
            setattr(locked, stamp, now or timezone.now())
            fields.append(stamp)
        locked.save(update_fields=fields)
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
        locked = _locked_session(session)
        if locked.status != SessionStatus.BOOKED:
            raise BookingError(_("This appointment can no longer be confirmed."))
        locked.confirmed_at = now or timezone.now()
        locked.save(update_fields=["confirmed_at"])
        return locked
