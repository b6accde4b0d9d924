"""Authorisations that gate booking: the check the booking service runs, overrides, the lists.

A course with `authorisation_required` (set after the benefits check) may have a dose booked
on a clinic-local date only when an *approved* authorisation of each needed kind covers that
date (valid from ≤ date ≤ valid to) and, where it limits visits, has doses left (active
sessions of the course inside its dates, the one being moved left out, are fewer than the
approved doses). The kinds needed are the payer's, and for a therapy in the TOUCH programme
(natalizumab) a TOUCH authorisation too: the prescriber re-authorises every 6 months and an
infusion after it lapses is not allowed (DOMAIN.md §1, §6). A dose with an override (a
clinician or coordinator, with a reason, kept with its history) is let through.

A course without `authorisation_required` is not checked at all, and the check then costs
no query: booking reads it for every dose it writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clinic.clock import clinic_tz, local_day
from scheduling.authorisation_models import Authorisation, AuthorisationOverride
from scheduling.models import PlannedDose, Session, TreatmentCourse

TOUCH_PROGRAMME = "TOUCH"
# The staff list shows authorisations ending within this many days, or this few doses left.
EXPIRING_DAYS = 30
FEW_DOSES_LEFT = 1


class AuthorisationError(Exception):
    """An authorisation change staff asked for was refused; the message is for staff."""


def needed_kinds(course: TreatmentCourse) -> list[str]:
    """Return the kinds of authorisation a course's doses need (none when not required)."""
    if not course.authorisation_required:
        return []
    kinds = [Authorisation.Kind.PAYER]
    if course.therapy.safety_programme.upper() == TOUCH_PROGRAMME:
        kinds.append(Authorisation.Kind.TOUCH)
    return kinds


def _used(auth: Authorisation, exclude: Iterable[int]) -> int:
    return (
        Session.objects.active()
        .filter(course_id=auth.course_id)
        .exclude(pk__in=list(exclude))
        .annotate(day=TruncDate("start", tzinfo=clinic_tz()))
        .filter(day__range=(auth.valid_from, auth.valid_to))
        .count()
    )


def _covers(auth: Authorisation, exclude: Iterable[int]) -> bool:
    return auth.approved_doses is None or _used(auth, exclude) < auth.approved_doses


def authorisation_gap(
    dose: PlannedDose, day: date, *, exclude: int | Sequence[int] | None = None
) -> list[str]:
    """Return the kinds of authorisation missing for a dose on a date ([] = may be booked).

    Called by `scheduling.booking` under its day locks for every dose it books or moves.
    """
    course = dose.course
    kinds = needed_kinds(course)
    if not kinds or AuthorisationOverride.objects.filter(dose_id=dose.pk).exists():
        return []
    skip = [] if exclude is None else [exclude] if isinstance(exclude, int) else list(exclude)
    valid = Authorisation.objects.filter(
        course_id=course.pk,
        status=Authorisation.Status.APPROVED,
        valid_from__lte=day,
        valid_to__gte=day,
    )
    found = list(valid)
    return [k for k in kinds if not any(a.kind == k and _covers(a, skip) for a in found)]


def authorisation_refusal(day: date, missing: Sequence[str]) -> str:
    """Return the booking refusal for a date that lacks the `missing` kinds of authorisation."""
    if list(missing) == [Authorisation.Kind.TOUCH]:
        message = _(
            "%(date)s is not covered by a current TOUCH authorisation; the prescriber must "
            "re-authorise the patient first."
        )
    else:
        message = _(
            "%(date)s is not covered by an approved authorisation with doses left; the clinic "
            "must renew it or record an override with a reason first."
        )
    return message % {"date": date_format(day)}


def authorisation_override(*, dose: PlannedDose, by: Any, reason: str) -> AuthorisationOverride:
    """Let one dose be booked outside its authorisation; a clinician or coordinator says why."""
    if not by.has_perm("scheduling.override_authorisation"):
        raise AuthorisationError("Only a clinician or a coordinator can override an authorisation.")
    if not reason.strip():
        raise AuthorisationError("Give the reason for the override.")
    override, _created = AuthorisationOverride.objects.update_or_create(
        dose=dose, defaults={"reason": reason.strip()[:200], "by": by, "at": timezone.now()}
    )
    return override


def with_doses_left(queryset: QuerySet[Authorisation]) -> QuerySet[Authorisation]:
    """Annotate `used` (active sessions of the course inside the dates) and `left` (or None)."""
    used = (
        Session.objects.active()
        .filter(course_id=OuterRef("course_id"))
        .annotate(day=TruncDate("start", tzinfo=clinic_tz()))
        .filter(day__gte=OuterRef("valid_from"), day__lte=OuterRef("valid_to"))
        .order_by()
        .values("course_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(
        used=Coalesce(Subquery(used, output_field=IntegerField()), Value(0))
    ).annotate(left=F("approved_doses") - F("used"))


def needing_attention(today: date | None = None) -> QuerySet[Authorisation]:
    """Return approved authorisations ending within 30 days, or with at most one dose left."""
    today = today or timezone.localdate()
    return (
        with_doses_left(Authorisation.objects.filter(status=Authorisation.Status.APPROVED))
        .filter(valid_to__gte=today)
        .filter(
            Q(valid_to__lte=today + timedelta(days=EXPIRING_DAYS))
            | Q(approved_doses__isnull=False, left__lte=FEW_DOSES_LEFT)
        )
        .select_related("course__patient", "course__therapy")
        .order_by("valid_to")
    )


def uncovered_sessions(sessions: Sequence[Session]) -> set[int]:
    """Return the ids of sessions whose course needs an authorisation none covers that day.

    For the day board: one query for the authorisations of every course on it, one for the
    overrides. (Doses used up are refused when booking, so dates are what is checked here.)
    """
    needing = {
        s.pk: s
        for s in sessions
        if s.course.authorisation_required and s.status in ("booked", "checked_in", "in_chair")
    }
    if not needing:
        return set()
    courses = {s.course_id for s in needing.values()}
    auths: dict[int, list[Authorisation]] = {}
    for auth in Authorisation.objects.filter(
        course_id__in=courses, status=Authorisation.Status.APPROVED
    ):
        auths.setdefault(auth.course_id, []).append(auth)
    overridden = set(
        AuthorisationOverride.objects.filter(
            dose_id__in=[s.dose_id for s in needing.values()]
        ).values_list("dose_id", flat=True)
    )
    missing = set()
    for pk, session in needing.items():
        if session.dose_id in overridden:
            continue
        day = local_day(session.start)
        for kind in needed_kinds(session.course):
            if not any(
                a.kind == kind and a.valid_from <= day <= a.valid_to
                for a in auths.get(session.course_id, [])
            ):
                missing.add(pk)
    return missing


def touch_sync(course: TreatmentCourse) -> TreatmentCourse:
    """Make the course's TOUCH date (`safety_authorised_until`, which the visit workflow
    checks before a patient is seated) follow its TOUCH authorisation records: the latest
    end date among the approved ones. A course with no TOUCH record keeps the date staff
    entered on it; one whose TOUCH records are all pending, denied or expired has none."""
    touch = Authorisation.objects.filter(course=course, kind=Authorisation.Kind.TOUCH)
    if not touch.exists():
        return course
    latest = (
        touch.filter(status=Authorisation.Status.APPROVED)
        .order_by("-valid_to")
        .values_list("valid_to", flat=True)
        .first()
    )
    if course.safety_authorised_until != latest:
        course.safety_authorised_until = latest
        course._change_reason = "follows its TOUCH authorisation records"
        course.save(update_fields=["safety_authorised_until"])
    return course


def authorisations_expire(today: date | None = None) -> int:
    """Mark approved authorisations past their end date expired; return how many (a job)."""
    today = today or timezone.localdate()
    expired = Authorisation.objects.filter(status=Authorisation.Status.APPROVED, valid_to__lt=today)
    count = 0
    for auth in expired:
        auth.status = Authorisation.Status.EXPIRED
        auth._change_reason = "past its end date"
        auth.save(update_fields=["status"])
        if auth.kind == Authorisation.Kind.TOUCH:
            touch_sync(auth.course)
        count += 1
    return count
