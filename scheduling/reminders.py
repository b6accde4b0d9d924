"""Reminder emails two days before each session, each sent once (a row per reminder sent).

Emails carry only links and the clinic-local date and time: no therapy, no dose.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from clinic.clock import datetime_label
from clinic.links import link_create, link_url
from clinic.models import ClinicSettings, PrivateLink
from scheduling.models import ReminderSent, Session, SessionStatus

logger = logging.getLogger(__name__)

LEAD = timedelta(days=2)
KIND = "two_days"
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


def _send(session: Session, clinic: ClinicSettings) -> None:
    patient = session.course.patient
    days = (session.start - session.created_at).days + 3
    _link, token = link_create(
        patient=patient, purpose=PrivateLink.Purpose.MANAGE, days=max(days, 3)
    )
    context = {
        "clinic": clinic,
        "manage_url": link_url(PrivateLink.Purpose.MANAGE, token),
        "questionnaire_url": questionnaire_link(session),
    }
    with translation.override(patient.preferred_language):
        context["when"] = datetime_label(session.start, localized=True)
        subject = render_to_string("scheduling/email/reminder_subject.txt", context).strip()
        body = render_to_string("scheduling/email/reminder.txt", context)
    EmailMessage(subject, body, None, [patient.email]).send()


def booking_notice_send(*, session_ids: list[int]) -> None:
    """Email the patient their newly booked times with a manage link (run after commit)."""
    sessions = list(
        Session.objects.filter(pk__in=session_ids)
        .select_related("course__patient")
        .order_by("start")
    )
    if not sessions or not sessions[0].course.patient.email:
        return
    patient = sessions[0].course.patient
    clinic = ClinicSettings.load()
    days = max((sessions[-1].start - sessions[0].created_at).days + 3, 3)
    _link, token = link_create(patient=patient, purpose=PrivateLink.Purpose.MANAGE, days=days)
    context = {"clinic": clinic, "manage_url": link_url(PrivateLink.Purpose.MANAGE, token)}
    try:
        with translation.override(patient.preferred_language):
            context["times"] = [datetime_label(s.start, localized=True) for s in sessions]
            subject = render_to_string("scheduling/email/booked_subject.txt", context).strip()
            body = render_to_string("scheduling/email/booked.txt", context)
        EmailMessage(subject, body, None, [patient.email]).send()
    except Exception:
        logger.exception("sessions %s: booking email failed", session_ids)


def reminders_send(*, now: datetime) -> int:
    """Email every patient whose session starts within two days and has no reminder yet.

    Each reminder is recorded before it is sent, in the same transaction: a second run (or a
    second server running cron at once) hits the unique row and skips it; a failed send rolls
    the row back so the next run tries again.
    """
    due = (
        Session.objects.filter(status=SessionStatus.BOOKED, start__gt=now, start__lte=now + LEAD)
        .exclude(reminders__kind=KIND)
        .exclude(course__patient__email="")
        .select_related("course__patient")
        .order_by("start")
    )
    clinic = ClinicSettings.load()
    sent = 0
    for session in due:
        try:
            with transaction.atomic():
                ReminderSent.objects.create(session=session, kind=KIND)
                _send(session, clinic)
        except IntegrityError:
            continue  # another run has just sent it
        except Exception:
            logger.exception("session %s: reminder not sent; will retry", session.pk)
            continue
        sent += 1
    return sent
