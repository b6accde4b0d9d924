"""Must show 4: with a mail server that accepts connections and never answers, a referral post,
a questionnaire submit and a staff booking each answer without touching it (they only write
outbox rows and queue tasks); the notices go out, once each, when the server answers."""

from __future__ import annotations

import pydoc
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from clinic.models import Notice
from clinic.notices import notices_send_due
from tests.factories import clinic_week, ready_course, referral_form_data, sent_check
from tests.local_servers import LocalSMTPServer

pytestmark = pytest.mark.django_db

DOB = "1980-03-27"  # PatientFactory's date of birth


def run_queued_tasks(limit: int | None = None) -> int:
    """Do what a worker does with each queued task: run it, then drop it from the queue."""
    done = 0
    for row in OrmQ.objects.order_by("pk")[:limit]:
        task = SignedPackage.loads(row.payload)
        pydoc.locate(task["func"])(*task["args"], **task["kwargs"])
        row.delete()
        done += 1
    return done


@pytest.fixture
def hanging_smtp(settings, monkeypatch):
    # Tasks wait in the queue (the database broker), as in production: nothing runs inline.
    monkeypatch.setattr(Conf, "SYNC", False)
    with LocalSMTPServer(answering=False) as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_TIMEOUT = 10
        yield server


def test_requests_never_wait_on_a_silent_mail_server_and_notices_go_out_when_it_answers(
    hanging_smtp, scheduler, settings, django_capture_on_commit_callbacks
):
    _qreq, url = sent_check(codes=("phq9",))
    base = url.replace("https://chairside.test", "")
    patient = Client()
    assert patient.post(base, {"date_of_birth": DOB}).status_code == 302
    answers = {f"phq9_{i}": "0" for i in range(1, 9)} | {"phq9_9": "1", "action": "next"}
    assert patient.post(f"{base}step/1/", answers).status_code == 302
    clinic_week(weekdays=range(7))
    course = ready_course("natalizumab", start_after=timezone.localdate() + timedelta(days=3))
    staff = Client()
    staff.force_login(scheduler)
    book_url = f"/admin/scheduling/treatmentcourse/{course.pk}/book/"
    plan = staff.get(book_url).context["plans"][0][0]

    took = {}
    with django_capture_on_commit_callbacks(execute=True):
        started = time.monotonic()
        referral = Client().post("/refer/", referral_form_data())
        took["referral post"] = time.monotonic() - started
        started = time.monotonic()
        submitted = patient.post(f"{base}review/")
        took["questionnaire submit"] = time.monotonic() - started
        started = time.monotonic()
        booked = staff.post(book_url, {"pick": plan})
        took["booking"] = time.monotonic() - started
    assert [referral.status_code, submitted.status_code, booked.status_code] == [302] * 3

    # No request opened a connection to the mail server, so none waited on it (an attempt
    # would have taken the whole EMAIL_TIMEOUT, 10 s, before failing).
    assert hanging_smtp.connections == 0
    assert max(took.values()) < settings.EMAIL_TIMEOUT, took
    kinds = sorted(Notice.objects.values_list("kind", flat=True))
    assert kinds == ["booking_notice", "flag_urgent", "referral_intake", "referral_received"]
    assert OrmQ.objects.count() == 4

    # A worker tries one while the server is still silent: it times out, to be retried.
    settings.EMAIL_TIMEOUT = 1
    run_queued_tasks(limit=1)
    assert hanging_smtp.connections == 1
    waiting = Notice.objects.get(attempts=1)
    assert waiting.status == "queued"
    assert waiting.last_error.startswith("SMTPServerDisconnected")

    # The server answers: the rest of the queue, then the retry, deliver each notice once.
    hanging_smtp.answer()
    assert run_queued_tasks() == 3
    notices_send_due(now=timezone.now() + timedelta(minutes=2))
    notices_send_due(now=timezone.now() + timedelta(hours=1))
    assert set(Notice.objects.values_list("status", flat=True)) == {"sent"}
    subjects = hanging_smtp.subjects()
    assert len(subjects) == 4
    assert len(set(subjects)) == 4
