"""The jobs the worker runs on its own: registered by `migrate` (nobody adds them by hand),
idempotent, and each safe to run twice."""

from __future__ import annotations

import pydoc
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.sessions.models import Session as WebSession
from django.core import mail
from django.utils import timezone
from django_q.models import Schedule, Success

from clinic.jobs import heartbeat, last_beat, purge_expired
from clinic.links import link_create
from clinic.models import ClinicSettings, Heartbeat, PrivateLink
from clinic.tasks import PREFIX, SCHEDULES, schedules_sync, task_enqueue
from intake.flags import flags_escalate
from intake.jobs import escalate_flags
from intake.questionnaires import questionnaire_submit
from tests.factories import OnCallShiftFactory, PatientFactory, UserFactory
from tests.test_flags_notify import urgent_check

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


def ours() -> dict[str, Schedule]:
    return {s.name: s for s in Schedule.objects.filter(name__startswith=PREFIX)}


def test_migrate_registers_every_job_with_its_interval():
    found = {s.func: s.minutes for s in ours().values()}
    assert found == {
        "intake.jobs.escalate_flags": 1,
        "clinic.jobs.send_due_notices": 1,
        "clinic.jobs.heartbeat": 1,
        "scheduling.jobs.send_reminders": 15,
        "scheduling.jobs.expire_offers": 5,
        "scheduling.jobs.expire_authorisations": 24 * 60,
        "clinic.jobs.purge_expired": 24 * 60,
    }
    for schedule in ours().values():
        assert schedule.repeats == -1
        assert callable(pydoc.locate(schedule.func)), schedule.func


def test_registering_again_changes_nothing_and_keeps_each_next_run():
    before = {name: s.next_run for name, s in ours().items()}
    schedules_sync()
    schedules_sync()
    assert {name: s.next_run for name, s in ours().items()} == before


def test_a_changed_job_is_updated_in_place_a_dropped_one_removed_others_left_alone():
    name = PREFIX + SCHEDULES[0].name
    Schedule.objects.filter(name=name).update(minutes=5, func="intake.jobs.old_name")
    Schedule.objects.create(name=PREFIX + "a job we no longer run", func="clinic.jobs.heartbeat")
    Schedule.objects.create(name="Monthly export (added by staff)", func="clinic.jobs.heartbeat")
    schedules_sync()
    assert (ours()[name].minutes, ours()[name].func) == (1, SCHEDULES[0].func)
    assert len(ours()) == len(SCHEDULES)
    assert Schedule.objects.filter(name="Monthly export (added by staff)").exists()


def test_the_daily_purge_first_runs_at_night_clinic_time():
    Schedule.objects.filter(name__startswith=PREFIX).delete()
    schedules_sync(now=T0)
    purge = next(s for s in ours().values() if s.func == "clinic.jobs.purge_expired")
    local = purge.next_run.astimezone(ZoneInfo("America/New_York"))
    assert (local.date(), local.hour) == (datetime(2026, 11, 26).date(), 3)


def test_the_heartbeat_records_when_the_scheduler_last_ran_and_two_at_once_are_harmless():
    assert last_beat() is None
    heartbeat(T0)
    heartbeat(T0 + timedelta(seconds=1))
    assert Heartbeat.objects.count() == 1
    assert last_beat() == T0 + timedelta(seconds=1)


def test_a_job_runs_through_the_task_queue():
    task_enqueue("clinic.jobs.heartbeat")
    assert last_beat() is not None
    assert Success.objects.filter(func="clinic.jobs.heartbeat").count() == 1


def test_the_purge_deletes_long_expired_links_and_expired_sessions_only(settings):
    settings.PRIVATE_LINK_PURGE_AFTER_DAYS = 30
    patient = PatientFactory()
    links = {age: link_create(patient=patient, purpose="manage", days=1)[0] for age in (31, 29, -5)}
    for age, link in links.items():
        PrivateLink.objects.filter(pk=link.pk).update(
            expires_at=timezone.now() - timedelta(days=age)
        )
    now = timezone.now()
    WebSession.objects.create(session_key="old", session_data="", expire_date=now - timedelta(1))
    WebSession.objects.create(session_key="new", session_data="", expire_date=now + timedelta(1))
    assert purge_expired() == "1 link rows deleted"
    assert purge_expired() == "0 link rows deleted"
    assert set(PrivateLink.objects.values_list("pk", flat=True)) == {
        links[29].pk,
        links[-5].pk,
    }
    assert list(WebSession.objects.values_list("session_key", flat=True)) == ["new"]


def test_escalation_goes_to_the_next_on_call_then_after_twice_as_long_to_the_clinic_lead(
    settings, django_capture_on_commit_callbacks
):
    settings.FLAG_ESCALATE_AFTER_MINUTES = 10
    clinic = ClinicSettings.load()
    clinic.lead_email = "lead@staff.chairside.test"
    clinic.save()
    OnCallShiftFactory(
        clinician=UserFactory(email="next@staff.chairside.test"),
        starts_at=T0 + timedelta(hours=2),
        ends_at=T0 + timedelta(hours=14),
    )
    qreq = urgent_check()
    with django_capture_on_commit_callbacks(execute=True):
        questionnaire_submit(qreq=qreq, now=T0)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert flags_escalate(now=T0 + timedelta(minutes=9)) == 0
        assert flags_escalate(now=T0 + timedelta(minutes=10)) == 1
        assert flags_escalate(now=T0 + timedelta(minutes=19)) == 0
        assert flags_escalate(now=T0 + timedelta(minutes=20)) == 1
        assert flags_escalate(now=T0 + timedelta(hours=5)) == 0
    assert [m.to for m in mail.outbox] == [
        ["on-call@chairside.example", "next@staff.chairside.test"],
        ["lead@staff.chairside.test", "on-call@chairside.example"],
    ]


def test_without_a_lead_in_clinic_settings_the_lead_address_setting_is_used(
    settings, django_capture_on_commit_callbacks
):
    settings.CLINIC_LEAD_EMAIL = "clinic-lead@chairside.example"
    qreq = urgent_check()
    with django_capture_on_commit_callbacks(execute=True):
        questionnaire_submit(qreq=qreq, now=T0)
        flags_escalate(now=T0 + timedelta(minutes=30))
        flags_escalate(now=T0 + timedelta(minutes=60))
    assert mail.outbox[-1].to == ["clinic-lead@chairside.example", "on-call@chairside.example"]


def test_the_escalation_job_uses_the_clock_and_runs_twice_harmlessly(
    django_capture_on_commit_callbacks,
):
    qreq = urgent_check()
    with django_capture_on_commit_callbacks(execute=True):
        questionnaire_submit(qreq=qreq, now=timezone.now() - timedelta(minutes=31))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert escalate_flags() == "1 escalated"
        assert escalate_flags() == "0 escalated"
    assert len(mail.outbox) == 1


@pytest.mark.postgresql  # SQLite's in-memory test database is never closed
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_queueing_a_task_keeps_the_callers_database_connection(monkeypatch):
    from django.db import connection
    from django_q.conf import Conf
    from django_q.models import OrmQ

    monkeypatch.setattr(Conf, "SYNC", False)
    connection.ensure_connection()
    before = connection.connection
    task_enqueue("clinic.jobs.heartbeat")
    assert connection.connection is before
    assert OrmQ.objects.count() == 1
