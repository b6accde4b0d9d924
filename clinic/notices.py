"""The outbox: every email and on-call page leaves through here, sent by the task queue.

How a notice travels:
1. A service calls `notice_enqueue(...)` inside its own transaction, so the Notice row
   commits or rolls back with the change that caused it. After the commit a send task is
   queued (`transaction.on_commit`); if that is lost (broker down, a worker killed), the
   every-minute sweep `notices_send_due` finds the row anyway.
2. `notice_send` (the task) claims the row: under `select_for_update(skip_locked=True)` it
   re-checks that the notice is queued and due, counts the attempt and moves `next_try_at`
   past the time a send can take (a lease). A second worker skips the locked row or finds it
   no longer due, so one notice is never sent twice at once.
3. The message is rendered now, from the notice's kind, target and params, by the renderer
   the owning app registered with `@notice_kind`, in one transaction with the delivery: a
   private link made for the message is kept only if the message left. Raw tokens are
   never stored; nothing clinical is either (messages carry links, dates and times).
4. Sent, or: the next try after NOTICE_RETRY_MINUTES[attempt - 1], and failed after the
   last. `last_error` names the kind of error only, never the message or server reply.

No request sends anything: requests only write rows. Only `notice_send` delivers.
"""

from __future__ import annotations

import json
import logging
import smtplib
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.utils import timezone, translation

from clinic.clock import clinic_tz
from clinic.models import Notice
from clinic.tasks import task_enqueue

logger = logging.getLogger(__name__)

# Longer than a send can take (SMTP and webhook time out well before): a worker that dies
# mid-send leaves the notice to be tried again after this.
LEASE = timedelta(minutes=3)


@dataclass(frozen=True)
class Email:
    subject: str
    body: str


@dataclass(frozen=True)
class PageEvent:
    """One PagerDuty Events API v2 event; `summary` is what the outbox shows as subject."""

    summary: str
    event: dict[str, Any] = field(default_factory=dict)


Renderer = Callable[[Notice], Email | PageEvent | None]


@dataclass(frozen=True)
class NoticeKind:
    code: str
    label: str
    render: Renderer


_kinds: dict[str, NoticeKind] = {}


def notice_kind(code: str, label: str) -> Callable[[Renderer], Renderer]:
    """Register the renderer of a kind of notice. It returns the message, or None when the
    notice is no longer needed (e.g. the session was cancelled before it went out)."""

    def register(render: Renderer) -> Renderer:
        _kinds[code] = NoticeKind(code, label, render)
        return render

    return register


def kind_label(code: str) -> str:
    kind = _kinds.get(code)
    return kind.label if kind else code


def lead_email() -> str:
    """The clinic lead's address: clinic settings, else CLINIC_LEAD_EMAIL."""
    from clinic.models import ClinicSettings

    return ClinicSettings.load().lead_email or settings.CLINIC_LEAD_EMAIL


def flag_kinds() -> list[str]:
    """Kinds whose failure means on-call staff may not know about an urgent flag."""
    return [code for code in _kinds if code.startswith("flag_")]


# --- Enqueue (inside the caller's transaction) -------------------------------------------------


def notice_enqueue(
    *,
    kind: str,
    to: Sequence[str],
    cc: Sequence[str] = (),
    target: models.Model | None = None,
    params: dict[str, Any] | None = None,
    channel: str = Notice.Channel.EMAIL,
) -> Notice:
    """Write a notice in the caller's transaction; queue its send task after the commit."""
    if kind not in _kinds:
        raise ValueError(f"Unknown kind of notice: {kind!r}")
    notice = Notice.objects.create(
        kind=kind,
        channel=channel,
        recipients="\n".join(dict.fromkeys(a for a in to if a)),
        cc="\n".join(dict.fromkeys(a for a in cc if a and a not in to)),
        content_type=ContentType.objects.get_for_model(target) if target is not None else None,
        object_id=str(target.pk) if target is not None else "",
        params=params or {},
    )
    transaction.on_commit(partial(_dispatch, notice.pk), robust=True)
    return notice


def _dispatch(notice_id: int) -> None:
    try:
        task_enqueue("clinic.notices.notice_send", notice_id)
    except Exception:
        # The row is committed: the sweep sends it within a minute or so.
        logger.warning("notice %s: send task not queued; the sweep will send it", notice_id)


def notice_requeue(*, notice: Notice) -> bool:
    """Put a failed (or waiting) notice back to be sent at once; False if already sent."""
    with transaction.atomic():
        updated = Notice.objects.filter(
            pk=notice.pk, status__in=[Notice.Status.FAILED, Notice.Status.QUEUED]
        ).update(status=Notice.Status.QUEUED, attempts=0, next_try_at=timezone.now())
        if updated:
            transaction.on_commit(partial(_dispatch, notice.pk), robust=True)
    return bool(updated)


# --- Send (the task) ----------------------------------------------------------------------------


def notice_send(notice_id: int, *, now: datetime | None = None) -> str:
    """Send one notice if it is queued and due; return what happened (for the task list)."""
    now = now or timezone.now()
    notice = _claim(notice_id, now)
    if notice is None:
        return "not due, or taken by another worker"
    kind = _kinds.get(notice.kind)
    subject = ""
    try:
        with transaction.atomic(), _clinic_locale():
            if kind is None:
                raise LookupError("no renderer for this kind of notice")
            message = kind.render(notice)
            if message is None:
                _finish(notice, status=Notice.Status.CANCELLED)
                return "not needed any more"
            subject = message.subject if isinstance(message, Email) else message.summary
            _deliver(notice, message)
            _finish(notice, status=Notice.Status.SENT, subject=subject)
    except Exception as exc:
        return _record_failure(notice, exc, subject, now)
    logger.info("notice %s (%s) sent", notice.pk, notice.kind)
    return "sent"


@contextmanager
def _clinic_locale() -> Iterator[None]:
    """Render as a request would: clinic time, the site's language (renderers switch to a
    patient's own), whichever process or request sends it."""
    with (
        timezone.override(clinic_tz()),
        translation.override(settings.LANGUAGE_CODE),
    ):
        yield


def _claim(notice_id: int, now: datetime) -> Notice | None:
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update(skip_locked=True)
            .filter(pk=notice_id, status=Notice.Status.QUEUED, next_try_at__lte=now)
            .first()
        )
        if notice is None:
            return None
        notice.attempts += 1
        notice.next_try_at = now + LEASE
        notice.save(update_fields=["attempts", "next_try_at"])
    return notice


def _finish(notice: Notice, *, status: str, subject: str = "") -> None:
    fields: dict[str, Any] = {"status": status, "last_error": ""}
    if status == Notice.Status.SENT:
        fields |= {"sent_at": timezone.now(), "subject": subject[:200]}
    Notice.objects.filter(pk=notice.pk).update(**fields)


def _deliver(notice: Notice, message: Email | PageEvent) -> None:
    if notice.channel == Notice.Channel.PAGE:
        if not isinstance(message, PageEvent):
            raise TypeError("a page notice renders a PageEvent")
        _post_page(message.event)
        return
    if not isinstance(message, Email):
        raise TypeError("an email notice renders an Email")
    EmailMessage(
        message.subject, message.body, None, notice.recipient_list, cc=notice.cc_list
    ).send()


def _post_page(event: dict[str, Any]) -> None:
    """POST one event to the on-call webhook; raise unless it answers 2xx."""
    url = settings.ONCALL_WEBHOOK_URL
    if not url:
        raise LookupError("ONCALL_WEBHOOK_URL is not set")
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked in settings
        url,
        data=json.dumps(event).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=settings.ONCALL_WEBHOOK_TIMEOUT) as response:  # noqa: S310
        response.read(1024)


def _describe(exc: BaseException) -> str:
    """Name the kind of failure without anything from the message or the server's reply."""
    if isinstance(exc, urllib.error.HTTPError):
        what = f"the pager answered HTTP {exc.code}"
    elif isinstance(exc, TimeoutError):
        what = "timed out"
    elif isinstance(exc, smtplib.SMTPServerDisconnected):
        what = "the mail server did not answer, or hung up"
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        what = "the mail server refused the recipients"
    elif isinstance(exc, smtplib.SMTPException):
        what = "the mail server refused the message"
    elif isinstance(exc, urllib.error.URLError):
        what = "the pager could not be reached"
    elif isinstance(exc, OSError):
        what = "could not connect"
    elif isinstance(exc, LookupError):
        what = str(exc)
    else:
        what = "sending failed"
    return f"{type(exc).__name__}: {what}"[:200]


def _record_failure(notice: Notice, exc: Exception, subject: str, now: datetime) -> str:
    delays = settings.NOTICE_RETRY_MINUTES
    error = _describe(exc)
    fields: dict[str, Any] = {"last_error": error}
    if subject:
        fields["subject"] = subject[:200]
    if notice.attempts <= len(delays):
        fields["next_try_at"] = now + timedelta(minutes=delays[notice.attempts - 1])
        outcome = "will retry"
    else:
        fields["status"] = Notice.Status.FAILED
        outcome = "failed"
    Notice.objects.filter(pk=notice.pk).update(**fields)
    expected = (OSError, smtplib.SMTPException, LookupError)
    logger.warning(
        "notice %s (%s): attempt %s %s (%s)",
        notice.pk,
        notice.kind,
        notice.attempts,
        outcome,
        error,
        exc_info=not isinstance(exc, expected),
    )
    return outcome


def notices_send_due(*, now: datetime | None = None, budget_seconds: float | None = None) -> int:
    """Send every queued notice whose time has come (the sweep); return how many went out.

    Stops taking new notices after `budget_seconds` (a mail server that hangs must not
    keep this task past its timeout); the next sweep goes on. Two sweeps at once skip each
    other's notices (see `_claim`).
    """
    now = now or timezone.now()
    budget = settings.NOTICE_SWEEP_SECONDS if budget_seconds is None else budget_seconds
    deadline = time.monotonic() + budget
    due = list(
        Notice.objects.filter(status=Notice.Status.QUEUED, next_try_at__lte=now)
        .order_by("next_try_at", "pk")
        .values_list("pk", flat=True)[:500]
    )
    sent = 0
    for pk in due:
        if time.monotonic() > deadline:
            break
        sent += notice_send(pk, now=now) == "sent"
    return sent
