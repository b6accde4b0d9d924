"""The backfill worker: offer a freed chair time to waitlisted patients, expire old offers.

How a freed time travels:
1. `scheduling.booking` (cancel, move away) and `scheduling.workflow` (no-show) call
   `freed_after_commit` inside their transaction; after the commit a task is queued with the
   chair and the freed start and end. No request searches anything.
2. `backfill_run` (the task, on a worker) reads the waitlisted doses that could take the
   time, ranks them (`scheduling.refill`), asks the engine where each could start on the
   freed chair with its own session left out, checks prerequisites and authorisation, and
   writes an offer for the first few (`WAITLIST_OFFER_BATCH`), each with an email from the
   outbox. An offer is held `WAITLIST_OFFER_HOURS`, never past its start minus the
   patient's notice.
3. The patient accepts through `scheduling.waitlist.offer_accept`, which moves their session
   through the booking service: their old time is freed in turn, and comes back here.
4. `offers_expire` (a scheduled job) closes offers past their time; a freed time whose
   offers all lapsed is offered to the next patients in line.

Running a task twice is harmless: a freed time that already has an open or accepted offer
is skipped, and a patient is never offered the same freed time twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from clinic.clock import clinic_tz, datetime_label, day_bounds, local_day
from clinic.links import link_create, link_url
from clinic.models import ClinicSettings, Notice, PrivateLink
from clinic.notices import Email, notice_enqueue, notice_kind
from clinic.tasks import task_enqueue
from scheduling import availability as engine
from scheduling import planning, refill, selectors
from scheduling.authorisations import authorisation_gap
from scheduling.models import Chair, Session, SessionStatus, TreatmentCourse
from scheduling.waitlist_models import WaitlistEntry, WaitlistOffer

logger = logging.getLogger(__name__)

OFFER = "waitlist_offer"
OFFER_GONE = "waitlist_offer_gone"
_STAMP = "%Y%m%dT%H%MZ"


def freed_after_commit(chair_id: int, start: datetime, end: datetime) -> None:
    """Queue a backfill of a freed chair time once the caller's transaction commits."""
    transaction.on_commit(
        partial(
            _enqueue, chair_id, start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat()
        ),
        robust=True,
    )


def _enqueue(chair_id: int, start: str, end: str) -> None:
    try:
        task_enqueue("scheduling.backfill.backfill_run", chair_id, start, end)
    except Exception:
        logger.warning("backfill of chair %s not queued", chair_id)


def slot_key(chair_id: int, start: datetime, end: datetime) -> str:
    """Name a freed time: chair and UTC start and end, e.g. '3:20270104T1530Z:20270104T1900Z'."""
    return f"{chair_id}:{start.astimezone(UTC):{_STAMP}}:{end.astimezone(UTC):{_STAMP}}"


def slot_parse(slot: str) -> tuple[int, datetime, datetime]:
    chair, start, end = slot.split(":")
    parse = lambda s: datetime.strptime(s, _STAMP).replace(tzinfo=UTC)  # noqa: E731
    return int(chair), parse(start), parse(end)


def _candidates(freed: refill.Freed, now: datetime) -> list[tuple[refill.Candidate, Session]]:
    """Return waitlisted doses whose booked session is later than the freed start."""
    day = local_day(freed.start)
    already = WaitlistOffer.objects.filter(slot=slot_key(freed.chair_id, freed.start, freed.end))
    busy = WaitlistOffer.objects.filter(status=WaitlistOffer.Status.OPEN)
    entries = (
        WaitlistEntry.objects.filter(
            status=WaitlistEntry.Status.ACTIVE,
            dose__earliest__lte=day,
            dose__latest__gte=day,
            dose__course__status=TreatmentCourse.Status.ACTIVE,
            dose__sessions__status=SessionStatus.BOOKED,
            dose__sessions__start__gt=freed.start,
        )
        .exclude(pk__in=already.values("entry_id"))
        .exclude(pk__in=busy.values("entry_id"))
        .select_related("dose__step", "dose__course__therapy")
        .distinct()
    )
    found = []
    for entry in entries:
        dose = entry.dose
        session = dose.sessions.filter(status=SessionStatus.BOOKED).order_by("start").first()
        if session is None:
            continue
        earliest, latest = planning.dose_bounds(dose, exclude=session.pk)
        kind = dose.course.chair_kind
        found.append(
            (
                refill.Candidate(
                    entry_id=entry.pk,
                    minutes=dose.minutes,
                    target=dose.target,
                    earliest=earliest,
                    latest=latest,
                    current_start=session.start,
                    notice=timedelta(hours=entry.notice_hours),
                    waiting_since=entry.created_at,
                    part_of_day=entry.part_of_day,
                    weekdays=entry.weekday_set(),
                    chair_kinds=frozenset({kind}) if kind else frozenset(),
                ),
                session,
            )
        )
    return [(c, s) for c, s in found if refill.could_fit(c, freed, now=now, tz=clinic_tz())]


def offer_expiry(*, start: datetime, notice_hours: int, now: datetime) -> datetime:
    """Return when an offer lapses: after WAITLIST_OFFER_HOURS, never past start − notice."""
    return min(
        now + timedelta(hours=settings.WAITLIST_OFFER_HOURS),
        start - timedelta(hours=notice_hours),
    )


def offer_create(
    *,
    entry: WaitlistEntry,
    chair: Chair,
    start: datetime,
    end: datetime,
    slot: str,
    now: datetime,
    by: object = None,
) -> WaitlistOffer:
    """Write one offer and its email (sent by the outbox after the commit)."""
    with transaction.atomic():
        offer = WaitlistOffer.objects.create(
            entry=entry,
            slot=slot,
            chair=chair,
            start=start,
            end=end,
            expires_at=offer_expiry(start=start, notice_hours=entry.notice_hours, now=now),
            offered_by=by,
        )
        email = entry.dose.course.patient.email
        if email:
            notice_enqueue(kind=OFFER, to=[email], target=offer)
    return offer


def backfill_run(chair_id: int, start: str, end: str, now: datetime | None = None) -> str:
    """Offer a freed chair time to the first few waitlisted patients it suits (the task)."""
    now = now or timezone.now()
    freed_start, freed_end = datetime.fromisoformat(start), datetime.fromisoformat(end)
    chair = Chair.objects.filter(pk=chair_id, is_active=True).first()
    if chair is None or freed_end <= now:
        return "nothing to offer"
    freed = refill.Freed(chair.pk, chair.kind, freed_start, freed_end)
    slot = slot_key(chair.pk, freed_start, freed_end)
    live = (WaitlistOffer.Status.OPEN, WaitlistOffer.Status.ACCEPTED)
    if WaitlistOffer.objects.filter(slot=slot, status__in=live).exists():
        return "already offered"
    tz = clinic_tz()
    day = local_day(freed_start)
    days = selectors.clinic_days(day, day)
    if not days:
        return "clinic closed that day"
    found = _candidates(freed, now)
    ranked = refill.rank([c for c, _s in found], timezone.localdate(now, tz))
    sessions = {c.entry_id: s for c, s in found}
    booked = _day_sessions(day)
    in_use = selectors.engine_chairs()
    made = 0
    for candidate in ranked:
        if made >= settings.WAITLIST_OFFER_BATCH:
            break
        session = sessions[candidate.entry_id]
        option = refill.fit(
            candidate,
            freed,
            day=days[0],
            chairs=in_use,
            booked=[b for pk, b in booked if pk != session.pk],
            now=now,
            tz=tz,
        )
        if option is None or not _may_book(session, day):
            continue
        hours = int(candidate.notice / timedelta(hours=1))
        if offer_expiry(start=option.start, notice_hours=hours, now=now) <= now:
            continue
        entry = WaitlistEntry.objects.select_related("dose__course__patient").get(
            pk=candidate.entry_id
        )
        offer_create(
            entry=entry, chair=chair, start=option.start, end=option.end, slot=slot, now=now
        )
        made += 1
    return f"{made} offer(s) made"


def _day_sessions(day: date) -> list[tuple[int, engine.Booked]]:
    first, last = day_bounds(day)
    rows = selectors.sessions_overlapping(Session.objects.active(), first, last).order_by()
    return [
        (pk, engine.Booked(chair_id=c, start=s, end=e))
        for pk, c, s, e in rows.values_list("pk", "chair_id", "start", "end")
    ]


def _may_book(session: Session, day: date) -> bool:
    """Prerequisites (first dose) and authorisation, as booking will check them."""
    dose = session.dose
    if dose.sequence == 1 and not dose.course.prerequisites_ready():
        return False
    return not authorisation_gap(dose, day, exclude=session.pk)


def offers_expire(now: datetime | None = None) -> str:
    """Close offers past their time; offer their freed times to the next in line (a job).

    Safe twice at once: rows locked by another run (or by a patient accepting) are skipped.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            WaitlistOffer.objects.select_for_update(skip_locked=True).filter(
                status=WaitlistOffer.Status.OPEN, expires_at__lte=now
            )
        )
        for offer in due:
            offer.status = WaitlistOffer.Status.EXPIRED
            offer._change_reason = "not accepted in time"
            offer.save(update_fields=["status"])
    for slot in sorted({o.slot for o in due}):
        chair_id, start, end = slot_parse(slot)
        if start > now:
            backfill_run(chair_id, start.isoformat(), end.isoformat(), now)
    return f"{len(due)} offer(s) expired"


def _offer_link(offer: WaitlistOffer) -> str:
    days = max((offer.expires_at - timezone.now()).days + 2, 2)
    patient = offer.entry.dose.course.patient
    _link, token = link_create(patient=patient, purpose=PrivateLink.Purpose.MANAGE, days=days)
    return link_url(PrivateLink.Purpose.MANAGE, token)


def _load(notice: Notice) -> WaitlistOffer:
    return WaitlistOffer.objects.select_related("entry__dose__course__patient").get(
        pk=notice.object_id
    )


@notice_kind(OFFER, "Waitlist: an earlier time (to the patient)")
def render_offer(notice: Notice) -> Email | None:
    """The offered time and until when it is held, with a manage link made now."""
    offer = _load(notice)
    if offer.status != WaitlistOffer.Status.OPEN or offer.expires_at <= timezone.now():
        return None
    patient = offer.entry.dose.course.patient
    context = {"clinic": ClinicSettings.load(), "manage_url": _offer_link(offer)}
    with translation.override(patient.preferred_language):
        context["when"] = datetime_label(offer.start, localized=True)
        context["until"] = datetime_label(offer.expires_at, localized=True)
        subject = render_to_string("scheduling/email/offer_subject.txt", context).strip()
        body = render_to_string("scheduling/email/offer.txt", context)
    return Email(subject, body)


@notice_kind(OFFER_GONE, "Waitlist: the offered time has gone (to the patient)")
def render_offer_gone(notice: Notice) -> Email | None:
    offer = _load(notice)
    patient = offer.entry.dose.course.patient
    context = {"clinic": ClinicSettings.load()}
    with translation.override(patient.preferred_language):
        context["when"] = datetime_label(offer.start, localized=True)
        subject = render_to_string("scheduling/email/offer_gone_subject.txt", context).strip()
        body = render_to_string("scheduling/email/offer_gone.txt", context)
    return Email(subject, body)
