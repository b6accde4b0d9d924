"""The outbox: a notice is written with its change, sent once after the commit, retried with
backoff, failed after the last try, and never holds a private link's token."""

from __future__ import annotations

import re
import smtplib
import threading
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone
from django_q.models import OrmQ, Task

from clinic.links import hash_token
from clinic.models import Notice, PrivateLink
from clinic.notices import LEASE, _claim, notice_enqueue, notice_send, notices_send_due
from scheduling.booking import session_book, session_cancel
from scheduling.models import Session
from tests.factories import (
    PatientFactory,
    ReferralFactory,
    clinic_week,
    ready_course,
    sent_check,
)

pytestmark = pytest.mark.django_db


def intake_notice(**kwargs) -> Notice:
    return notice_enqueue(
        kind="referral_intake", to=["intake@chairside.example"], target=ReferralFactory(), **kwargs
    )


def failing(exc: Exception | None = None) -> mock._patch:
    exc = exc or smtplib.SMTPServerDisconnected("gone")
    return mock.patch("django.core.mail.EmailMessage.send", side_effect=exc)


def test_a_notice_is_written_with_its_change_and_sent_only_after_the_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            notice = intake_notice()
            assert Notice.objects.get(pk=notice.pk).status == "queued"
        assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == ("sent", 1)
    assert notice.subject.startswith("New referral")
    assert notice.sent_at is not None
    assert [m.to for m in mail.outbox] == [["intake@chairside.example"]]


def test_a_rolled_back_change_leaves_no_notice_and_sends_nothing(
    django_capture_on_commit_callbacks,
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        intake_notice()
        raise RuntimeError("the change failed")
    assert not Notice.objects.exists()
    assert mail.outbox == []


def test_a_failed_send_is_retried_with_backoff_then_marked_failed(
    django_capture_on_commit_callbacks,
):
    with failing(), django_capture_on_commit_callbacks(execute=True):
        notice = intake_notice()
    notice.refresh_from_db()
    start = notice.next_try_at - timedelta(minutes=1)
    assert (notice.status, notice.attempts) == ("queued", 1)
    # Each try is due 1, 2, 4 and 8 minutes after the one before; nothing is tried early.
    at = start
    for attempt, wait in enumerate([1, 2, 4, 8], start=2):
        with failing():
            assert notices_send_due(now=at + timedelta(minutes=wait) - timedelta(seconds=1)) == 0
            notice.refresh_from_db()
            assert notice.attempts == attempt - 1
            at += timedelta(minutes=wait)
            notices_send_due(now=at)
        notice.refresh_from_db()
        assert notice.attempts == attempt
    assert notice.status == "failed"
    assert notice.last_error == (
        "SMTPServerDisconnected: the mail server did not answer, or hung up"
    )
    assert notices_send_due(now=at + timedelta(days=1)) == 0
    assert mail.outbox == []


def test_when_the_mail_server_is_back_the_next_retry_sends_the_notice_once(
    django_capture_on_commit_callbacks,
):
    with failing(), django_capture_on_commit_callbacks(execute=True):
        notice = intake_notice()
    notice.refresh_from_db()
    later = notice.next_try_at
    assert notices_send_due(now=later) == 1
    for minutes in (1, 5, 60):
        assert notices_send_due(now=later + timedelta(minutes=minutes)) == 0
    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.last_error) == ("sent", 2, "")
    assert len(mail.outbox) == 1


def test_a_notice_whose_send_task_was_lost_is_sent_by_the_sweep(
    django_capture_on_commit_callbacks, caplog
):
    broker_down = mock.patch("clinic.notices.task_enqueue", side_effect=ConnectionError)
    with broker_down, django_capture_on_commit_callbacks(execute=True):
        notice = intake_notice()
    assert "the sweep will send it" in caplog.text
    assert mail.outbox == []
    assert notices_send_due() == 1
    assert notices_send_due() == 0
    notice.refresh_from_db()
    assert notice.status == "sent" and len(mail.outbox) == 1


def test_a_notice_claimed_by_another_worker_is_not_sent_again():
    notice = intake_notice()
    now = timezone.now()
    assert _claim(notice.pk, now) is not None  # a worker took it and has not finished
    assert notice_send(notice.pk, now=now) == "not due, or taken by another worker"
    assert notices_send_due(now=now + LEASE - timedelta(seconds=1)) == 0
    assert mail.outbox == []
    # That worker died: once its lease is over the notice is tried again, and sent once.
    assert notices_send_due(now=now + LEASE + timedelta(seconds=1)) == 1
    assert notices_send_due(now=now + LEASE + timedelta(minutes=5)) == 0
    assert len(mail.outbox) == 1


def test_the_last_error_names_the_kind_of_error_never_the_servers_reply(
    django_capture_on_commit_callbacks,
):
    refused = smtplib.SMTPRecipientsRefused(
        {"intake@chairside.example": (550, b"mailbox of a patient with depression is full")}
    )
    with failing(refused), django_capture_on_commit_callbacks(execute=True):
        notice = intake_notice()
    notice.refresh_from_db()
    assert notice.last_error == "SMTPRecipientsRefused: the mail server refused the recipients"


def booked(chairs, patient=None) -> Session:
    course = ready_course(
        "natalizumab",
        start_after=timezone.localdate() + timedelta(days=3),
        **({"patient": patient} if patient else {}),
    )
    dose = course.doses.get(sequence=1)
    start = datetime.combine(dose.target, dtime(9), tzinfo=ZoneInfo("America/New_York"))
    return session_book(dose=dose, chair=chairs[0], start=start)


def test_a_booking_notice_not_needed_any_more_is_not_sent(django_capture_on_commit_callbacks):
    chairs = clinic_week(weekdays=range(7))
    with django_capture_on_commit_callbacks(execute=False):
        session = booked(chairs)
    session_cancel(session=session, reason="Patient called")
    notice = Notice.objects.get(kind="booking_notice")
    assert notice_send(notice.pk) == "not needed any more"
    notice.refresh_from_db()
    assert notice.status == "cancelled"
    assert mail.outbox == []


def _tokens(text: str) -> list[str]:
    return re.findall(r"https://chairside\.test/(?:q|my)/([\w-]+)/", text)


def test_no_private_link_token_is_stored_in_the_outbox_or_the_task_queue(
    django_capture_on_commit_callbacks,
):
    from scheduling.reminders import reminders_send

    patient = PatientFactory(email="patient@example.test")
    chairs = clinic_week(weekdays=range(7))
    course = ready_course("natalizumab", patient=patient)
    start = timezone.now() + timedelta(hours=30)
    Session.objects.create(
        course=course,
        dose=course.doses.get(sequence=1),
        chair=chairs[1],
        start=start,
        end=start + timedelta(hours=2),
    )
    with django_capture_on_commit_callbacks(execute=True):
        sent_check(patient=patient, email=True)
        booked(chairs, patient=patient)
        reminders_send(now=timezone.now())
    tokens = [t for m in mail.outbox for t in _tokens(m.body)]
    assert len(tokens) == 4  # the check, the booking's manage link, the reminder's two links
    stored = [
        *Notice.objects.values_list("recipients", "subject", "params", "last_error"),
        *Task.objects.values_list("args", "kwargs", "result"),
        *OrmQ.objects.values_list("payload"),
    ]
    text = repr(stored)
    for token in tokens:
        assert token not in text
        # The emailed links work: their hashes are stored.
        assert PrivateLink.objects.filter(token_hash=hash_token(token)).exists()


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_notice_locked_by_one_worker_is_skipped_not_waited_for_by_another():
    notice = intake_notice()  # autocommit: its send ran inline and it is sent; queue it again
    Notice.objects.filter(pk=notice.pk).update(status="queued", attempts=0)
    mail.outbox.clear()
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        with transaction.atomic():
            Notice.objects.select_for_update().get(pk=notice.pk)
            locked.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        outcome = notice_send(notice.pk)
        waited = time.monotonic() - started
    finally:
        release.set()
        thread.join()
    assert outcome == "not due, or taken by another worker"
    assert waited < 5  # skipped the locked row (skip_locked), did not wait for it
    assert mail.outbox == []


def test_a_notice_sent_by_a_worker_shows_clinic_time(django_capture_on_commit_callbacks):
    # 02:00 UTC on 25 November is still the 24th in New York; the link lasts 14 days.
    utc = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    with (
        mock.patch("clinic.links.timezone", **{"now.return_value": utc}),
        timezone.override(UTC),  # as in a worker: no request, no clinic-time middleware
        django_capture_on_commit_callbacks(execute=True),
    ):
        sent_check(patient=PatientFactory(email="patient@example.test"), email=True)
    (invitation,) = mail.outbox
    assert "Dec. 8, 2026, 9 p.m. (clinic time)" in invitation.body


def test_a_worker_knows_every_kind_of_notice_without_loading_urls_or_admin():
    import json
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import django, json; django.setup(); from clinic.notices import _kinds; "
        "print(json.dumps(sorted(_kinds)))"
    )
    done = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[1],
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "clinic.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(done.stdout) == [
        "booking_notice",
        "flag_escalation",
        "flag_page",
        "flag_urgent",
        "link_reissued",
        "questionnaire_invite",
        "referral_intake",
        "referral_received",
        "session_reminder",
        "sign_in_alarm",
        "waitlist_offer",
        "waitlist_offer_gone",
    ]
