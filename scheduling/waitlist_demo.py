"""Demo authorisations and waitlist entries (fake people only). Safe to run twice.

Runs after `scheduling.demo` has booked the demo courses: most booked courses get an approved
payer authorisation (natalizumab a TOUCH one too); one ends within the month, one is down to
its last dose, one course has only a pending request (the day board marks its sessions); three
later doses wait for an earlier time, and one has an earlier time offered by hand.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import OutputWrapper
from django.utils import timezone

from scheduling import planning
from scheduling.authorisations import touch_sync
from scheduling.models import (
    Authorisation,
    Session,
    SessionStatus,
    TreatmentCourse,
    WaitlistEntry,
)
from scheduling.waitlist import WaitlistError, offer_by_hand, waitlist_join

_HCPCS = {"ocrelizumab": "J2350", "natalizumab": "J2323", "ublituximab": "J2329"}


def _authorisations(stdout: OutputWrapper) -> None:
    if Authorisation.objects.exists():
        return
    today = timezone.localdate()
    courses = list(
        TreatmentCourse.objects.filter(sessions__status=SessionStatus.BOOKED)
        .select_related("therapy")
        .distinct()
        .order_by("pk")
    )
    for index, course in enumerate(courses):
        ends = today + timedelta(days=180)
        doses = None
        status = Authorisation.Status.APPROVED
        if index == 0:
            ends = today + timedelta(days=12)  # renew soon
        elif index == 1:
            doses = 2  # one booked, one left
        elif index == 2:
            status = Authorisation.Status.PENDING  # the board marks these sessions
        Authorisation.objects.create(
            course=course,
            payer="Example Health Plan (demo)",
            number=f"DEMO-PA-{1000 + index}",
            drug_code=_HCPCS.get(course.therapy.code, ""),
            approved_doses=doses,
            valid_from=today - timedelta(days=7),
            valid_to=ends,
            status=status,
            site_of_care="Infusion clinic",
        )
        if course.therapy.safety_programme.upper() == "TOUCH":
            Authorisation.objects.create(
                course=course,
                kind=Authorisation.Kind.TOUCH,
                payer="TOUCH programme (demo prescriber)",
                number=f"DEMO-TOUCH-{1000 + index}",
                valid_from=today - timedelta(days=30),
                valid_to=today - timedelta(days=30) + timedelta(days=182),
                status=Authorisation.Status.APPROVED,
            )
            touch_sync(course)
        course.authorisation_required = True
        course.save(update_fields=["authorisation_required"])
    stdout.write(f"Recorded authorisations for {len(courses)} demo courses.")


def _waitlist(stdout: OutputWrapper) -> None:
    if WaitlistEntry.objects.exists():
        return
    later = list(
        Session.objects.filter(status=SessionStatus.BOOKED, dose__sequence=2)
        .select_related("dose__step", "dose__course")
        .order_by("start")[:3]
    )
    entries = []
    for index, session in enumerate(later):
        entries.append(
            waitlist_join(
                dose=session.dose,
                part_of_day=("any", "morning", "any")[index],
                notice_hours=(24, 48, 4)[index],
            )
        )
    staff = get_user_model().objects.filter(username="scheduler").first()
    for entry, session in zip(entries, later, strict=True):
        earlier = [
            o for o in planning.move_options(session=session, limit=6) if o.start < session.start
        ]
        if earlier and staff is not None:
            chair = session.chair.__class__.objects.get(pk=earlier[0].chair_id)
            try:
                offer_by_hand(entry=entry, chair=chair, start=earlier[0].start, by=staff)
            except WaitlistError:
                continue
            break
    stdout.write(f"Put {len(entries)} demo doses on the waitlist.")


def seed(stdout: OutputWrapper) -> None:
    _authorisations(stdout)
    _waitlist(stdout)
