"""Reminder emails two days before each session, each sent once (a row per reminder sent),
and the email of newly booked times. Both go through the outbox (clinic.notices) and are
rendered when sent, with their private links made then.

Emails carry only links and the clinic-local date and time: no therapy, no dose.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from clinic.clock import datetime_label
from clinic.links import link_create, link_url
from clinic.models import ClinicSettings, Notice, Patient, PrivateLink
from clinic.notices import Email, notice_enqueue, notice_kind
from scheduling.models import ReminderSent, Session, SessionStatus

logger = logging.getLogger(__name__)

LEAD = timedelta(days=2)
KIND = "two_days"
# Kinds of notice (clinic.notices).
REMINDER = "session_reminder"
BOOKED = "booking_notice"
# The pre-visit check sent with an infusion reminder (intake's questionnaire instruments).
PRE_VISIT_INSTRUMENTS = ("safety_check", "ms_symptoms")


def questionnaire_link(session: Session) -> str | None:
    """Return the pre-visit questionnaire link for the session, if one is due; else None.

    Hook to intake's questionnaire feature: one check per visit (matched on due_at), sent
    without its own email because the reminder carries the link.
    """
    try:
        from intake.models import QuestionnaireRequest
        from intake.questionnaires import QuestionnaireError, questionnaire_send
    except ImportError:  # the questionnaire feature is not installed
        return None
    patient = session.course.patient
    if QuestionnaireRequest.objects.filter(patient=patient, due_at=session.start).exists():
        return None
    try:
        _qreq, url = questionnaire_send(
            patient=patient,
            instruments=PRE_VISIT_INSTRUMENTS,
            sent_by=None,
            due_at=session.start,
            email=False,
        )
    except QuestionnaireError:
        logger.warning("session %s: pre-visit questionnaire not available", session.pk)
        return None
    return url


def _manage_link(patient: Patient, *, until: datetime, since: datetime) -> str:
    days = max((until - since).days + 3, 3)
    _link, token = link_create(patient=patient, purpose=PrivateLink.Purpose.MANAGE, days=days)
    return link_url(PrivateLink.Purpose.MANAGE, token)


@notice_kind(REMINDER, "Session reminder (to the patient)")
def render_reminder(notice: Notice) -> Email | None:
    """The reminder, with a new manage link and the pre-visit check's link, made now."""
    session = Session.objects.select_related("course__patient").get(pk=notice.object_id)
    if session.status != SessionStatus.BOOKED:
        return None
    patient = session.course.patient
    context = {
        "clinic": ClinicSettings.load(),
        "manage_url": _manage_link(patient, until=session.start, since=session.created_at),
        "questionnaire_url": questionnaire_link(session),
    }
    with translation.override(patient.preferred_language):
        context["when"] = datetime_label(session.start, localized=True)
        subject = render_to_string("scheduling/email/reminder_subject.txt", context).strip()
        body = render_to_string("scheduling/email/reminder.txt", context)
    return Email(subject, body)


@notice_kind(BOOKED, "Booking confirmation (to the patient)")
def render_booking_notice(notice: Notice) -> Email | None:
    """The newly booked times still booked, with a manage link made now."""
    sessions = list(
        Session.objects.filter(pk__in=notice.params["sessions"], status=SessionStatus.BOOKED)
        .select_related("course__patient")
        .order_by("start")
    )
    if not sessions:
        return None
    patient = sessions[0].course.patient
    context = {
        "clinic": ClinicSettings.load(),
        "manage_url": _manage_link(patient, until=sessions[-1].start, since=sessions[0].created_at),
    }
    with translation.override(patient.preferred_language):
        context["times"] = [datetime_label(s.start, localized=True) for s in sessions]
        subject = render_to_string("scheduling/email/booked_subject.txt", context).strip()
        body = render_to_string("scheduling/email/booked.txt", context)
    return Email(subject, body)


def booking_notice_enqueue(*, sessions: Sequence[Session]) -> None:
    """Queue the patient's email of newly booked times (inside the booking's transaction)."""
    if not sessions:
        return
    email = (
        Patient.objects.filter(pk=sessions[0].course.patient_id)
        .values_list("email", flat=True)
        .first()
    )
    if email:
        notice_enqueue(
            kind=BOOKED,
            to=[email],
            target=sessions[0],
            params={"sessions": [s.pk for s in sessions]},
        )


def reminders_send(*, now: datetime) -> int:
    """Queue a reminder for every patient whose session starts within two days; return how many.

    Each reminder is recorded in the same transaction as its notice: a second run (or a
    second worker at once) hits the unique row and skips it. The outbox sends and retries.
    """
    due = (
        Session.objects.filter(status=SessionStatus.BOOKED, start__gt=now, start__lte=now + LEAD)
        .exclude(reminders__kind=KIND)
        .exclude(course__patient__email="")
        .select_related("course__patient")
        .order_by("start")
    )
    queued = 0
    for session in due:
        try:
            with transaction.atomic():
                ReminderSent.objects.create(session=session, kind=KIND)
                notice_enqueue(kind=REMINDER, to=[session.course.patient.email], target=session)
        except IntegrityError:
            continue  # another run has just queued it
        queued += 1
    return queued
