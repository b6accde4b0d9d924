"""Intake's notices, rendered when the task queue sends them (see clinic.notices).

Referral received (to the submitter: the reference only) and the intake team's notice (an
admin link only); the questionnaire invitation, whose private link is made here, at send
time, so its token is never stored; urgent-flag notices, escalations and on-call pages,
which carry admin links and the escalation level only.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from clinic.links import link_create, link_url
from clinic.models import Notice, PrivateLink
from clinic.notices import Email, PageEvent, notice_kind
from intake.crisis import crisis_in_flags
from intake.models import Flag, QuestionnaireRequest, Referral

REFERRAL_RECEIVED = "referral_received"
REFERRAL_INTAKE = "referral_intake"
QUESTIONNAIRE_INVITE = "questionnaire_invite"
FLAG_URGENT = "flag_urgent"
FLAG_ESCALATION = "flag_escalation"
FLAG_PAGE = "flag_page"


def flag_admin_url(flag_id: int) -> str:
    return settings.SITE_URL + reverse("admin:intake_flag_change", args=[flag_id])


@notice_kind(REFERRAL_RECEIVED, "Referral received (to the submitter)")
def render_referral_received(notice: Notice) -> Email:
    referral = Referral.objects.get(pk=notice.object_id)
    with translation.override(referral.preferred_language):
        context = {"referral": referral}
        subject = render_to_string("intake/email/referral_received_subject.txt", context)
        body = render_to_string("intake/email/referral_received.txt", context)
    return Email(subject.strip(), body)


@notice_kind(REFERRAL_INTAKE, "New referral (to the intake team)")
def render_referral_intake(notice: Notice) -> Email:
    referral = Referral.objects.get(pk=notice.object_id)
    admin_url = settings.SITE_URL + reverse("admin:intake_referral_change", args=[referral.pk])
    return Email(
        f"New referral {referral.reference}",
        f"A new referral is waiting in the triage queue.\n\n{admin_url}\n",
    )


@notice_kind(QUESTIONNAIRE_INVITE, "Pre-visit check link (to the patient)")
def render_questionnaire_invite(notice: Notice) -> Email | None:
    """Make the check's private link now (the old one, if any, is revoked) and render."""
    qreq = QuestionnaireRequest.objects.select_related("patient").get(pk=notice.object_id)
    if qreq.status == QuestionnaireRequest.Status.SUBMITTED:
        return None
    link, token = link_create(
        patient=qreq.patient,
        purpose=PrivateLink.Purpose.QUESTIONNAIRE,
        days=notice.params["link_days"],
        target=qreq,
    )
    if qreq.link_id:
        PrivateLink.objects.filter(pk=qreq.link_id, revoked_at__isnull=True).update(
            revoked_at=link.created_at
        )
    qreq.link = link
    qreq.save(update_fields=["link"])
    with translation.override(qreq.patient.preferred_language):
        context = {"url": link_url(link.purpose, token), "expires_at": link.expires_at}
        subject = render_to_string("intake/questionnaire/email/invite_subject.txt", context)
        body = render_to_string("intake/questionnaire/email/invite.txt", context)
    return Email(subject.strip(), body)


@notice_kind(FLAG_URGENT, "Urgent flag (to on call)")
@notice_kind(FLAG_ESCALATION, "Urgent flag escalation")
def render_flag_email(notice: Notice) -> Email | None:
    """One admin link and the level only. Not sent once every flag in it is acknowledged."""
    flag_ids = [int(pk) for pk in notice.params.get("flags", [])]
    open_flags = Flag.objects.filter(pk__in=flag_ids, acknowledged_at__isnull=True)
    answers = list(open_flags.values_list("response_id", flat=True)[:1])
    if not answers:
        return None
    # One event, one link: the first flag's page lists the others raised by the same answers.
    rules = Flag.objects.filter(pk__in=flag_ids).values_list("rule", flat=True)
    context = {
        "url": flag_admin_url(flag_ids[0]),
        "count": len(flag_ids),
        "level": notice.params["level"],
        # A flag raised by another record (a visit's reaction) has no answers behind it.
        "from_record": answers[0] is None,
        "crisis_shown": crisis_in_flags(rules),
    }
    subject = render_to_string("intake/questionnaire/email/flag_subject.txt", context)
    body = render_to_string("intake/questionnaire/email/flag.txt", context)
    return Email(subject.strip(), body)


@notice_kind(FLAG_PAGE, "Urgent flag page (on-call webhook)")
def render_flag_page(notice: Notice) -> PageEvent | None:
    """A PagerDuty Events API v2 event: one incident per flag (its dedup key), resolved when
    the flag is acknowledged. A trigger still waiting when the flag is acknowledged is
    dropped, so a late retry can't reopen the incident."""
    flag = Flag.objects.get(pk=notice.object_id)
    action = notice.params.get("action", "trigger")
    event: dict = {
        "routing_key": settings.ONCALL_WEBHOOK_KEY,
        "event_action": action,
        "dedup_key": f"chairside-flag-{flag.pk}",
    }
    if action == "resolve":
        return PageEvent(f"Urgent flag #{flag.pk} acknowledged", event)
    if not flag.is_open:
        return None
    level = int(notice.params.get("level", 0))
    url = flag_admin_url(flag.pk)
    summary = f"Urgent flag #{flag.pk} needs a clinician"
    if level:
        summary += f": not acknowledged, escalation level {level}"
    # The pager is a third party: the flag's link and level only, never what was answered
    # (the email and the flag page say whether the patient was shown the crisis text).
    event["payload"] = {
        "summary": summary,
        "source": "chairside",
        "severity": "critical",
        "custom_details": {"flag": url, "escalation_level": level},
    }
    event["links"] = [{"href": url, "text": f"Flag #{flag.pk} in Chairside (sign-in required)"}]
    return PageEvent(summary, event)
