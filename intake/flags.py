"""Writes on symptom flags: raise, notify the clinician on call, escalate, acknowledge.

A flag is raised inside the transaction that saves its questionnaire response, and the
notices about it (the outbox, clinic.notices) are written in that transaction too: the task
queue sends them after the commit and retries a failed send, which never loses a flag.
Emails and pages carry admin links only (intake.notices renders them): no health data in a
subject, a body or a log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from clinic.clock import datetime_label
from clinic.models import Notice, Patient
from clinic.notices import lead_email, notice_enqueue
from intake import notices
from intake.models import Flag, FlagLevel, FlagNotification, QuestionnaireResponse
from intake.oncall import next_on_call, on_call_at

logger = logging.getLogger(__name__)

# Level 1 (the next on call and ON_CALL_EMAIL) after FLAG_ESCALATE_AFTER_MINUTES; level 2
# (the clinic lead) after twice that.
MAX_ESCALATION_LEVEL = 2


def escalate_after() -> timedelta:
    return timedelta(minutes=settings.FLAG_ESCALATE_AFTER_MINUTES)


class FlagError(Exception):
    """A flag action that can't be done; the message is for staff."""


def flag_raise(
    *,
    response: QuestionnaireResponse | None = None,
    rule: str,
    label: str,
    level: str,
    at: datetime,
    patient: Patient | None = None,
    source: Model | None = None,
) -> Flag:
    """Record a finding on a submitted response, or on another record (`source`, e.g. a
    visit's infusion reaction, with its `patient`); urgent flags sort first (priority 0).

    Runs inside the caller's transaction; urgent flags' notices are written in it too
    (`flags_notify`) and sent after it commits.
    """
    if response is None and (patient is None or source is None):
        raise FlagError("A flag needs the answers or the record that raised it.")
    raised_by = {"source": source} if source is not None else {}
    return Flag.objects.create(
        response=response,
        patient=response.patient if response is not None else patient,
        **raised_by,
        rule=rule,
        label=label,
        level=level,
        # 0 puts urgent flags on top of every list ordered by priority, without a CASE.
        priority=0 if level == FlagLevel.URGENT else 1,
        raised_at=at,
    )


def _emails(shifts: Iterable[Any]) -> list[str]:
    return list(dict.fromkeys(s.clinician.email for s in shifts if s.clinician.email))


def _page(flag_id: int, *, action: str = "trigger", level: int = 0) -> None:
    """Queue an on-call page about one flag, when a webhook is configured."""
    if settings.ONCALL_WEBHOOK_URL:
        notice_enqueue(
            kind=notices.FLAG_PAGE,
            channel=Notice.Channel.PAGE,
            to=["on-call pager"],
            target=Flag(pk=flag_id),
            params={"action": action, "level": level},
        )


def flags_notify(*, flag_ids: list[int], at: datetime) -> None:
    """Queue the notice of new urgent flags to whoever is on call at `at` (ON_CALL_EMAIL is
    copy and fallback) and a page per flag. Call inside the transaction that saved them."""
    fallback = settings.ON_CALL_EMAIL
    to = _emails(on_call_at(at)) or [fallback]
    cc = [fallback] if fallback not in to else []
    notice = notice_enqueue(
        kind=notices.FLAG_URGENT,
        to=to,
        cc=cc,
        target=Flag(pk=flag_ids[0]),
        params={"flags": flag_ids, "level": 0},
    )
    FlagNotification.objects.bulk_create(
        FlagNotification(
            flag_id=pk, level=0, sent_at=at, recipients="\n".join(to + cc), notice=notice
        )
        for pk in flag_ids
    )
    for pk in flag_ids:
        _page(pk)


def _escalation_recipients(level: int, now: datetime) -> list[str]:
    if level >= MAX_ESCALATION_LEVEL:
        return list(dict.fromkeys([lead_email(), settings.ON_CALL_EMAIL]))
    current = on_call_at(now)
    upcoming = next_on_call(now, exclude_user_ids=[s.clinician_id for s in current])
    return list(dict.fromkeys([settings.ON_CALL_EMAIL, *_emails([upcoming] if upcoming else [])]))


def flags_escalate(*, now: datetime) -> int:
    """Escalate urgent flags left unacknowledged; return the number of escalations queued.

    Level 1 is due `escalate_after()` after the flag was raised and goes to the fallback
    address and the next person on call; level 2, twice that, to the clinic lead. Each
    level is queued at most once per flag, however many workers run this at once: the flag
    row is locked and re-read, and the FlagNotification row (unique per flag and level) is
    written in the same transaction as the notice.
    """
    step = escalate_after()
    candidates = Flag.objects.filter(
        level=FlagLevel.URGENT,
        acknowledged_at__isnull=True,
        escalation_level__lt=MAX_ESCALATION_LEVEL,
        raised_at__lte=now - step,
    ).order_by("raised_at", "pk")
    sent = 0
    for candidate in candidates:
        level = candidate.escalation_level + 1
        if candidate.raised_at + level * step > now:
            continue
        try:
            with transaction.atomic():
                flag = Flag.objects.select_for_update().get(pk=candidate.pk)
                if flag.acknowledged_at is not None or flag.escalation_level >= level:
                    continue
                to = _escalation_recipients(level, now)
                notice = notice_enqueue(
                    kind=notices.FLAG_ESCALATION,
                    to=to,
                    target=flag,
                    params={"flags": [flag.pk], "level": level},
                )
                FlagNotification.objects.create(
                    flag=flag, level=level, sent_at=now, recipients="\n".join(to), notice=notice
                )
                _page(flag.pk, level=level)
                flag.escalation_level = level
                flag.save(update_fields=["escalation_level"])
        except IntegrityError:
            # Another run recorded this level first.
            continue
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
        if locked.level == FlagLevel.URGENT:
            _page(locked.pk, action="resolve")
    logger.info("flag %s acknowledged", locked.pk)
    return locked
