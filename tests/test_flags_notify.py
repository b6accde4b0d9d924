"""Urgent flags survive a failed email, reach whoever is on call at submit time, and
escalate exactly once per level (fixed clock). Notices go through the outbox; tasks run
inline after the commit (tests/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command

from intake.flags import flags_escalate
from intake.models import Flag, FlagNotification, QuestionnaireResponse
from intake.questionnaires import questionnaire_save_page, questionnaire_submit, request_steps
from tests.factories import OnCallShiftFactory, UserFactory, sent_check

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
FALLBACK = "on-call@chairside.example"


def fill(qreq, *, item9: int = 0, fever: int = 0) -> None:
    """Answer every page through the draft service (a calm patient unless told otherwise)."""
    answers = {
        "fever_infection": fever,
        "antibiotics": 0,
        "vaccine": 0,
        "pregnant": 9,
        "reaction_last": 0,
        "new_neuro": 0,
        "new_symptom": 0,
        **{f"phq9_{i}": 0 for i in range(1, 9)},
        "phq9_9": item9,
        **{f"gad7_{i}": 0 for i in range(1, 8)},
    }
    for domain in [
        "fatigue",
        "motor",
        "sensory",
        "visual",
        "cognitive",
        "emotional",
        "bladder_bowel",
    ]:
        answers |= {f"{domain}_severity": 1, f"{domain}_change": "same"}
    for step in request_steps(qreq):
        questionnaire_save_page(qreq=qreq, step=step, answers=answers)


def urgent_check(**kwargs):
    qreq, _url = sent_check(**kwargs)
    fill(qreq, item9=1)
    return qreq


def shift(email: str, start: datetime, hours: int = 12):
    return OnCallShiftFactory(
        clinician=UserFactory(email=email),
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
    )


def test_a_failing_email_still_saves_the_response_and_its_flag_in_the_inbox(
    client, clinician, django_capture_on_commit_callbacks, caplog
):
    qreq = urgent_check()
    failing = mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("smtp down"))
    with failing, django_capture_on_commit_callbacks(execute=True):
        questionnaire_submit(qreq=qreq, now=T0)
    assert QuestionnaireResponse.objects.filter(request=qreq).count() == 4
    flag = Flag.objects.get(rule="phq9_item9")
    assert flag.is_open
    notice = FlagNotification.objects.get(flag=flag, level=0).notice
    assert (notice.status, notice.attempts) == ("queued", 1)
    assert "will retry" in caplog.text
    client.force_login(clinician)
    assert flag.label in client.get("/admin/").content.decode()


def test_the_notice_goes_to_whoever_is_on_call_at_submit_time(django_capture_on_commit_callbacks):
    shift("early@staff.chairside.test", T0 - timedelta(hours=12))  # ended at T0
    shift("now@staff.chairside.test", T0)
    shift("later@staff.chairside.test", T0 + timedelta(hours=12))
    qreq = urgent_check()
    with django_capture_on_commit_callbacks(execute=True):
        questionnaire_submit(qreq=qreq, now=T0 + timedelta(hours=3))
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["now@staff.chairside.test"]
    assert mail.outbox[0].cc == [FALLBACK]


def test_with_nobody_on_call_the_notice_goes_to_the_fallback_address(
    django_capture_on_commit_callbacks,
):
    qreq = urgent_check()
    with django_capture_on_commit_callbacks(execute=True):
        questionnaire_submit(qreq=qreq, now=T0)
    assert [(m.to, m.cc) for m in mail.outbox] == [([FALLBACK], [])]


def test_a_calm_response_sends_no_notice(django_capture_on_commit_callbacks):
    qreq, _ = sent_check()
    fill(qreq)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        questionnaire_submit(qreq=qreq, now=T0)
    assert callbacks == []
    assert mail.outbox == []
    assert not Flag.objects.exists()


def test_flags_are_not_written_when_the_submit_transaction_fails():
    qreq = urgent_check()
    broken = mock.patch("intake.flags.Flag.objects.create", side_effect=RuntimeError)
    with broken, pytest.raises(RuntimeError):
        questionnaire_submit(qreq=qreq, now=T0)
    assert not QuestionnaireResponse.objects.exists()
    qreq.refresh_from_db()
    assert qreq.status != "submitted"


@pytest.fixture
def escalate(django_capture_on_commit_callbacks):
    """Run the escalation job at `now`, and the sends it queues after its commit."""

    def run(now: datetime) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return flags_escalate(now=now)

    return run


def submitted_urgent_flag(django_capture_on_commit_callbacks) -> Flag:
    qreq = urgent_check()
    with django_capture_on_commit_callbacks(execute=True):
        questionnaire_submit(qreq=qreq, now=T0)
    mail.outbox.clear()
    return Flag.objects.get(rule="phq9_item9")


def test_escalation_waits_thirty_minutes(escalate, django_capture_on_commit_callbacks):
    submitted_urgent_flag(django_capture_on_commit_callbacks)
    assert escalate(T0 + timedelta(minutes=29, seconds=59)) == 0
    assert mail.outbox == []


def test_escalation_sends_each_level_exactly_once_to_fallback_and_next_on_call(
    escalate,
    django_capture_on_commit_callbacks,
):
    shift("current@staff.chairside.test", T0 - timedelta(hours=1))
    shift("next@staff.chairside.test", T0 + timedelta(hours=11))
    flag = submitted_urgent_flag(django_capture_on_commit_callbacks)

    assert escalate(T0 + timedelta(minutes=30)) == 1
    assert mail.outbox[0].to == [FALLBACK, "next@staff.chairside.test"]
    # Cron runs again every 5 minutes: nothing more until the next level is due.
    for minutes in (35, 40, 45, 50, 55):
        assert escalate(T0 + timedelta(minutes=minutes)) == 0
    assert len(mail.outbox) == 1

    assert escalate(T0 + timedelta(minutes=60)) == 1
    assert escalate(T0 + timedelta(minutes=61)) == 0
    flag.refresh_from_db()
    assert flag.escalation_level == 2
    assert list(flag.notifications.values_list("level", flat=True)) == [0, 1, 2]


def test_a_late_cron_run_sends_one_level_at_a_time(escalate, django_capture_on_commit_callbacks):
    flag = submitted_urgent_flag(django_capture_on_commit_callbacks)
    assert escalate(T0 + timedelta(hours=5)) == 1
    flag.refresh_from_db()
    assert flag.escalation_level == 1


def test_an_acknowledged_flag_is_not_escalated(
    escalate, django_capture_on_commit_callbacks, clinician
):
    from intake.flags import flag_acknowledge

    flag = submitted_urgent_flag(django_capture_on_commit_callbacks)
    flag_acknowledge(flag=flag, by=clinician, note="Called, safe.", now=T0 + timedelta(minutes=5))
    assert escalate(T0 + timedelta(hours=1)) == 0
    assert mail.outbox == []


def test_review_flags_are_never_escalated(escalate, django_capture_on_commit_callbacks):
    qreq, _ = sent_check(codes=("gad7",))
    questionnaire_save_page(
        qreq=qreq, step=request_steps(qreq)[0], answers={f"gad7_{i}": 3 for i in range(1, 8)}
    )
    questionnaire_submit(qreq=qreq, now=T0)
    assert Flag.objects.get().level == "review"
    assert escalate(T0 + timedelta(hours=2)) == 0


def test_escalation_level_already_recorded_is_not_sent_again(
    escalate, django_capture_on_commit_callbacks
):
    flag = submitted_urgent_flag(django_capture_on_commit_callbacks)
    # Another run recorded level 1 but had not yet moved the flag on (a race).
    FlagNotification.objects.create(flag=flag, level=1, sent_at=T0, recipients=FALLBACK)
    assert escalate(T0 + timedelta(minutes=31)) == 0
    assert mail.outbox == []


def test_escalate_flags_command_runs(django_capture_on_commit_callbacks, capsys):
    call_command("escalate_flags")
    assert "Escalation notices sent: 0" in capsys.readouterr().out
