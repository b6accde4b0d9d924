"""Writes on symptom flags: raise, notify the clinician on call, escalate, acknowledge.

A flag is raised inside the transaction that saves its questionnaire response; the on-call
email goes out only after that transaction commits, and a failed email is logged and never
loses a flag. Emails carry admin links only: no health data in a subject, a body or a log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clinic.clock import datetime_label
from intake.models import Flag, FlagLevel, FlagNotification, QuestionnaireResponse
from intake.oncall import next_on_call, on_call_at

logger = logging.getLogger(__name__)

ESCALATE_AFTER = timedelta(minutes=30)
MAX_ESCALATION_LEVEL = 3


class FlagError(Exception):
    """A flag action that can't be done; the message is for staff."""


def flag_raise(
    *, response: QuestionnaireResponse, rule: str, label: str, level: str, at: datetime
) -> Flag:
    """Record a finding on a submitted response; urgent flags sort first (priority 0).

    Runs inside the submit's transaction; urgent flags are emailed after it commits
    (`flags_notify`).
    """
    return Flag.objects.create(
        response=response,
        patient=response.patient,
        rule=rule,
        label=label,
        level=level,
        # 0 puts urgent flags on top of every list ordered by priority, without a CASE.
        priority=0 if level == FlagLevel.URGENT else 1,
        raised_at=at,
    )


def _flag_admin_url(flag_id: int) -> str:
    return settings.SITE_URL + reverse("admin:intake_flag_change", args=[flag_id])


def _emails(shifts: Iterable[Any]) -> list[str]:
    return list(dict.fromkeys(s.clinician.email for s in shifts if s.clinician.email))


def _send_flag_email(*, flag_ids: list[int], to: list[str], cc: list[str], level: int) -> bool:
    """Send one notice carrying admin links only; return whether it was handed to the server."""
    context = {"urls": [_flag_admin_url(pk) for pk in flag_ids], "level": level}
    subject = render_to_string("intake/questionnaire/email/flag_subject.txt", context).strip()
    body = render_to_string("intake/questionnaire/email/flag.txt", context)
    try:
        EmailMessage(subject, body, None, to, cc=cc).send()
    except Exception:
        logger.exception("flag notice failed for flags %s (level %s)", flag_ids, level)
        return False
    return True


def flags_notify(*, flag_ids: list[int], at: datetime) -> None:
    """Email urgent flags to whoever is on call at `at`; ON_CALL_EMAIL is copy and fallback."""
    fallback = settings.ON_CALL_EMAIL
    to = _emails(on_call_at(at)) or [fallback]
    cc = [fallback] if fallback not in to else []
    delivered = _send_flag_email(flag_ids=flag_ids, to=to, cc=cc, level=0)
    for pk in flag_ids:
        try:
            FlagNotification.objects.create(
                flag_id=pk,
                level=0,
                sent_at=at,
                recipients="\n".join(to + cc),
                delivered=delivered,
            )
        except IntegrityError:
            logger.warning("flag %s: first notice recorded twice", pk)


def flags_escalate(*, now: datetime) -> int:
    """Re-send urgent flags unacknowledged for 30 minutes per level; return notices sent.

    Level n is due `n * ESCALATE_AFTER` after the flag was raised and goes to the fallback
    address and the next person on call. Each level is sent at most once per flag: the
    FlagNotification row (unique per flag and level) is written before the email.
    """
    candidates = Flag.objects.filter(
        level=FlagLevel.URGENT,
        acknowledged_at__isnull=True,
        escalation_level__lt=MAX_ESCALATION_LEVEL,
        raised_at__lte=now - ESCALATE_AFTER,
    ).order_by("raised_at", "pk")
    sent = 0
    for candidate in candidates:
        level = candidate.escalation_level + 1
        if candidate.raised_at + level * ESCALATE_AFTER > now:
            continue
        try:
            with transaction.atomic():
                flag = Flag.objects.select_for_update().get(pk=candidate.pk)
                if flag.acknowledged_at is not None or flag.escalation_level >= level:
                    continue
                current = on_call_at(now)
                upcoming = next_on_call(now, exclude_user_ids=[s.clinician_id for s in current])
                to = list(
                    dict.fromkeys(
                        [settings.ON_CALL_EMAIL, *_emails([upcoming] if upcoming else [])]
                    )
                )
                notice = FlagNotification.objects.create(
                    flag=flag, level=level, sent_at=now, recipients="\n".join(to)
                )
                flag.escalation_level = level
                flag.save(update_fields=["escalation_level"])
        except IntegrityError:
            # Another escalate_flags run recorded this level first.
            continue
        notice.delivered = _send_flag_email(flag_ids=[flag.pk], to=to, cc=[], level=level)
        notice.save(update_fields=["delivered"])
        logger.info("flag %s escalated to level %s", flag.pk, level)
        sent += 1
    return sent


def flag_acknowledge(
    *, flag: Flag, by: AbstractBaseUser, note: str, now: datetime | None = None
) -> Flag:
    """Close a flag with a note, recording who and when. A closed flag can't be closed again."""
    note = (note or "").strip()
    if not note:
        raise FlagError("Write a note saying what was done before acknowledging the flag.")
    with transaction.atomic():
        locked = Flag.objects.select_for_update().get(pk=flag.pk)
        if locked.acknowledged_at is not None:
            raise FlagError(
                f"Flag #{locked.pk} was already acknowledged by {locked.acknowledged_by} "
                f"at {datetime_label(locked.acknowledged_at)}."
            )
        locked.acknowledged_at = now or timezone.now()
        locked.acknowledged_by = by
        locked.acknowledgement_note = note
        locked._change_reason = "acknowledged"
        locked.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledgement_note"])
    logger.info("flag %s acknowledged", locked.pk)
    return locked
