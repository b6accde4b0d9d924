"""Must show 2: with the mail server refusing every connection, the referral, the response and
the flag are all saved; the outbox retries each notice, then marks it failed; the flag page
and the dashboard say so; once the server is back, sending again delivers it once."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from clinic.jobs import heartbeat
from clinic.models import Notice
from clinic.notices import notices_send_due
from intake.models import Flag, FlagNotification, QuestionnaireResponse, Referral
from intake.questionnaires import questionnaire_submit
from tests.factories import referral_form_data
from tests.test_flags_notify import urgent_check

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    """Return a local port nothing listens on (connections to it are refused)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


@pytest.fixture
def smtp_down(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2


def test_with_smtp_down_everything_is_saved_retried_failed_shown_and_sent_once_when_back(
    client, settings, smtp_down, clinician, django_capture_on_commit_callbacks
):
    heartbeat()
    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post("/refer/", referral_form_data())
    assert posted.status_code == 302
    assert Referral.objects.count() == 1

    qreq = urgent_check()
    with django_capture_on_commit_callbacks(execute=True):
        questionnaire_submit(qreq=qreq)
    assert QuestionnaireResponse.objects.filter(request=qreq).count() == 4
    flag = Flag.objects.get(rule="phq9_item9")
    assert flag.is_open
    notice = FlagNotification.objects.get(flag=flag, level=0).notice
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == ("queued", 1)
    assert notice.last_error == "ConnectionRefusedError: could not connect"

    # The worker's sweep keeps trying: 1, 2, 4 and 8 minutes after each failure.
    now = timezone.now()
    for minutes in (1, 3, 7, 15):
        notices_send_due(now=now + timedelta(minutes=minutes, seconds=10))
    for each in Notice.objects.all():
        assert (each.kind, each.status, each.attempts) == (each.kind, "failed", 5)
    assert Notice.objects.count() == 3  # two referral emails and the flag notice

    client.force_login(clinician)
    outbox = client.get("/admin/clinic/notice/?status=failed").content.decode()
    assert "Urgent flag (to on call)" in outbox and "Referral received" in outbox
    flag_page = client.get(f"/admin/intake/flag/{flag.pk}/change/").content.decode()
    assert "A notice about this flag could not be sent" in flag_page
    assert "FAILED after 5 tries (ConnectionRefusedError: could not connect)" in flag_page
    dashboard = client.get("/admin/").content.decode()
    assert "Urgent flag (to on call): not sent" in dashboard
    assert f"/admin/intake/flag/{flag.pk}/change/" in dashboard

    # The mail server is back; a member of staff sends the failed notices again.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ids = list(Notice.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            "/admin/clinic/notice/", {"action": "send_again", "_selected_action": ids}
        )
    assert done.status_code == 302
    assert sorted(m.subject.split(":")[0] for m in mail.outbox) == [
        "Chairside",
        "New referral " + Referral.objects.get().reference,
        "Referral received",
    ]
    assert set(Notice.objects.values_list("status", flat=True)) == {"sent"}
    assert notices_send_due(now=timezone.now() + timedelta(hours=1)) == 0
    assert len(mail.outbox) == 3
    assert (
        "could not be sent"
        not in client.get(f"/admin/intake/flag/{flag.pk}/change/").content.decode()
    )
