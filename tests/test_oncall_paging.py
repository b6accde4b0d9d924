"""On-call paging: urgent flags and escalations go to the webhook as PagerDuty Events API v2
events (the flag's admin link and level only), resolved on acknowledgement, retried like email."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from clinic.models import Notice
from clinic.notices import notices_send_due
from intake.flags import flag_acknowledge, flags_escalate
from intake.models import Flag
from intake.questionnaires import questionnaire_submit
from tests.local_servers import PagerServer
from tests.test_flags_notify import urgent_check

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
KEY = "R0UT1NGKEY0123456789ABCDEFGHIJKL"


@pytest.fixture
def pager(settings):
    with PagerServer() as server:
        settings.ONCALL_WEBHOOK_URL = server.url
        settings.ONCALL_WEBHOOK_KEY = KEY
        yield server


@pytest.fixture
def urgent_flag(django_capture_on_commit_callbacks) -> Flag:
    qreq = urgent_check()
    with django_capture_on_commit_callbacks(execute=True):
        questionnaire_submit(qreq=qreq, now=T0)
    return Flag.objects.get(rule="phq9_item9")


def test_an_urgent_flag_pages_on_call_with_its_admin_link_and_nothing_clinical(pager, urgent_flag):
    (event,) = pager.events
    url = f"https://chairside.test/admin/intake/flag/{urgent_flag.pk}/change/"
    assert event["routing_key"] == KEY
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == f"chairside-flag-{urgent_flag.pk}"
    assert event["payload"]["source"] == "chairside"
    assert event["payload"]["severity"] == "critical"
    assert event["payload"]["summary"] == f"Urgent flag #{urgent_flag.pk} needs a clinician"
    assert event["payload"]["custom_details"] == {"flag": url, "escalation_level": 0}
    assert event["links"][0]["href"] == url
    text = json.dumps(event).lower()
    patient = urgent_flag.patient
    for clinical in (urgent_flag.label, urgent_flag.rule, "phq", patient.legal_family_name):
        assert clinical.lower() not in text
    assert Notice.objects.get(channel="page").status == "sent"


def test_an_escalation_pages_again_and_acknowledging_the_flag_resolves_the_incident(
    pager, urgent_flag, clinician, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert flags_escalate(now=T0 + timedelta(minutes=30)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        flag_acknowledge(flag=urgent_flag, by=clinician, note="Called the patient: safe.")
    actions = [
        (e["event_action"], e.get("payload", {}).get("custom_details")) for e in pager.events
    ]
    url = f"https://chairside.test/admin/intake/flag/{urgent_flag.pk}/change/"
    assert actions == [
        ("trigger", {"flag": url, "escalation_level": 0}),
        ("trigger", {"flag": url, "escalation_level": 1}),
        ("resolve", None),
    ]
    assert {e["dedup_key"] for e in pager.events} == {f"chairside-flag-{urgent_flag.pk}"}


def test_a_pager_that_fails_is_retried_like_email(settings, django_capture_on_commit_callbacks):
    with PagerServer(status=500) as failing:
        settings.ONCALL_WEBHOOK_URL = failing.url
        qreq = urgent_check()
        with django_capture_on_commit_callbacks(execute=True):
            questionnaire_submit(qreq=qreq)
        page = Notice.objects.get(channel="page")
        assert (page.status, page.attempts) == ("queued", 1)
        assert page.last_error == "HTTPError: the pager answered HTTP 500"
        failing.status = 202
        assert notices_send_due(now=page.next_try_at) == 1
        assert len(failing.events) == 2
    page.refresh_from_db()
    assert page.status == "sent"


def test_a_trigger_still_waiting_when_the_flag_is_acknowledged_is_dropped(
    settings, clinician, django_capture_on_commit_callbacks
):
    with PagerServer(status=503) as pager:
        settings.ONCALL_WEBHOOK_URL = pager.url
        qreq = urgent_check()
        with django_capture_on_commit_callbacks(execute=True):
            questionnaire_submit(qreq=qreq)
        flag = Flag.objects.get(rule="phq9_item9")
        with django_capture_on_commit_callbacks(execute=True):
            flag_acknowledge(flag=flag, by=clinician, note="Seen in clinic today.")
        pager.status = 202
        pager.events.clear()
        notices_send_due(now=flag.raised_at + timedelta(hours=1))
        assert [e["event_action"] for e in pager.events] == ["resolve"]
    statuses = dict(Notice.objects.filter(channel="page").values_list("params__action", "status"))
    assert statuses == {"trigger": "cancelled", "resolve": "sent"}


def test_without_a_webhook_nothing_is_paged(urgent_flag):
    assert not Notice.objects.filter(channel="page").exists()
    assert len(mail.outbox) == 1
