"""Must show 1: an urgent flag left unacknowledged is escalated by real workers, with no
command run by hand, exactly once, even with two workers (each with its scheduler) at once.

Two `manage.py qcluster` processes run against the test database (PostgreSQL). The clock is
moved by backdating the flag: it was raised 31 minutes ago, so the every-minute escalation
job finds it due. Besides the scheduler's own run, the escalation job is queued four more
times at once, so both workers run it concurrently.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Success

from clinic.jobs import last_beat
from clinic.models import Notice
from clinic.tasks import task_enqueue
from intake.models import Flag, FlagNotification
from intake.questionnaires import questionnaire_submit
from tests.local_servers import LocalSMTPServer, PagerServer
from tests.test_flags_notify import urgent_check

ROOT = Path(__file__).resolve().parents[1]
ESCALATION_SUBJECT = "Chairside: reminder, a flag is still waiting (level 1)"

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {seconds:g} s waiting for {what}")


@pytest.fixture
def servers(settings) -> Iterator[tuple[LocalSMTPServer, PagerServer]]:
    with LocalSMTPServer(answering=True) as smtp, PagerServer() as pager:
        settings.ONCALL_WEBHOOK_URL = pager.url
        settings.ONCALL_WEBHOOK_KEY = "test-routing-key"
        yield smtp, pager


def start_workers(count: int, smtp: LocalSMTPServer, pager: PagerServer, logs: Path) -> list:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "SECRET_KEY": django_settings.SECRET_KEY,  # tasks are signed with it
        "DEBUG": "1",
        "SITE_URL": django_settings.SITE_URL,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_USE_TLS": "0",
        "ONCALL_WEBHOOK_URL": pager.url,
        "ONCALL_WEBHOOK_KEY": "test-routing-key",
        "TASK_BROKER": "orm",
        "TASK_WORKERS": "1",
        "TASKS_SYNC": "0",
    }
    workers = []
    for n in range(count):
        # The child keeps its own copy of the log's file descriptor.
        with (logs / f"worker{n}.log").open("w") as log:
            workers.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "qcluster"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    return workers


def stop_workers(workers: list) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)  # the cluster's main process stops the rest
    for worker in workers:
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


def test_two_workers_escalate_an_unacknowledged_flag_exactly_once(servers, monkeypatch, tmp_path):
    smtp, pager = servers
    monkeypatch.setattr(Conf, "SYNC", False)  # this process only queues; the workers run
    qreq = urgent_check()
    questionnaire_submit(qreq=qreq)
    flag = Flag.objects.get(rule="phq9_item9")
    Flag.objects.filter(pk=flag.pk).update(raised_at=timezone.now() - timedelta(minutes=31))
    for _ in range(4):
        task_enqueue("intake.jobs.escalate_flags")

    workers = start_workers(2, smtp, pager, tmp_path)
    try:
        escalations = Notice.objects.filter(kind="flag_escalation")
        wait_for(lambda: escalations.filter(status="sent").exists(), 90, "the escalation email")
        # The scheduler runs the job too (its first pass is ~30 s after a worker starts);
        # wait until that run and the four queued ones are done, and the heartbeat beat.
        done = Success.objects.filter(func="intake.jobs.escalate_flags")
        wait_for(lambda: done.count() >= 5, 120, "five runs of the escalation job")
        wait_for(lambda: last_beat() is not None, 60, "the scheduler's heartbeat")
        wait_for(lambda: len(pager.events) >= 2, 30, "the pages")
        time.sleep(2)  # anything still in flight lands now
    finally:
        stop_workers(workers)
    logs = "\n".join(p.read_text() for p in tmp_path.glob("worker*.log"))

    assert escalations.count() == 1, logs
    assert escalations.get().status == "sent"
    assert FlagNotification.objects.filter(flag=flag, level=1).count() == 1
    flag.refresh_from_db()
    assert flag.escalation_level == 1
    assert smtp.subjects().count(ESCALATION_SUBJECT) == 1
    levels = [e["payload"]["custom_details"]["escalation_level"] for e in pager.events]
    assert levels.count(1) == 1, pager.events  # one event for the escalation
    assert sorted(levels) == [0, 1]  # and the one when the flag was raised
    assert {e["dedup_key"] for e in pager.events} == {f"chairside-flag-{flag.pk}"}
    assert all(w.returncode is not None for w in workers)
