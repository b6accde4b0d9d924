"""The task queue (django-q2): how work is handed to a worker, and the jobs it runs on its own.

`task_enqueue` queues a function by its dotted path. The broker is the database unless
TASK_BROKER=redis (settings.Q_CLUSTER); tests run tasks inline (sync).

SCHEDULES is the list of jobs the worker's scheduler runs by itself. It is written to
django-q's Schedule table after every `migrate` (`schedules_sync`, a post_migrate handler),
created or updated in place, so nobody adds a job by hand and a changed interval takes
effect on the next deploy. Every job is safe to run twice at once (two workers): each
one's docstring says how.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections, transaction
from django.utils import timezone
from django_q.brokers.orm import ORM
from django_q.conf import Conf
from django_q.models import OrmQ

from clinic.clock import clinic_tz

logger = logging.getLogger(__name__)

# Schedules this project owns carry this prefix; others (added by hand) are left alone.
PREFIX = "Chairside: "


@dataclass(frozen=True)
class Job:
    name: str
    func: str
    minutes: int
    # Daily jobs start at this clinic-local time (quiet hours); others start at once.
    at: time | None = None


SCHEDULES = [
    Job("escalate unacknowledged urgent flags", "intake.jobs.escalate_flags", 1),
    Job("send notices that are due (the outbox sweep)", "clinic.jobs.send_due_notices", 1),
    Job("heartbeat", "clinic.jobs.heartbeat", 1),
    Job("send session reminders", "scheduling.jobs.send_reminders", 15),
    Job("expire waitlist offers", "scheduling.jobs.expire_offers", 5),
    Job("expire authorisations", "scheduling.jobs.expire_authorisations", 24 * 60, time(2)),
    Job("purge expired private links and sessions", "clinic.jobs.purge_expired", 24 * 60, time(3)),
]


class OrmBroker(ORM):
    """django-q's database broker, except that queueing a task leaves the caller's database
    connection alone. Its `get_connection` (run by every broker made, i.e. every task queued)
    closes connections past CONN_MAX_AGE, which with the default of 0 made each request that
    queued a notice reconnect for its remaining queries. The worker's polling loop still
    drops stale connections before each look at the queue.
    """

    @staticmethod
    def get_connection(list_key: str | None = None) -> Any:
        return OrmQ.objects.using(Conf.ORM)

    def dequeue(self) -> Any:
        if transaction.get_autocommit(using=Conf.ORM):
            close_old_connections()
        return super().dequeue()


def task_enqueue(func: str, *args: Any) -> str:
    """Queue `func` (a dotted path) with plain arguments for a worker; return the task id."""
    from django_q.tasks import async_task

    return async_task(func, *args, group=func.rsplit(".", 1)[-1])


def _first_run(job: Job, now: datetime) -> datetime:
    if job.at is None:
        return now
    local = now.astimezone(clinic_tz())
    start = datetime.combine(local.date(), job.at, local.tzinfo)
    return start if start > local else start + timedelta(days=1)


def schedules_sync(*, now: datetime | None = None) -> None:
    """Create or update the project's schedules; drop ones of ours no longer in SCHEDULES."""
    from django_q.models import Schedule

    now = now or timezone.now()
    wanted = {PREFIX + job.name: job for job in SCHEDULES}
    Schedule.objects.filter(name__startswith=PREFIX).exclude(name__in=wanted).delete()
    for name, job in wanted.items():
        schedule = Schedule.objects.filter(name=name).first() or Schedule(
            name=name, next_run=_first_run(job, now)
        )
        schedule.func = job.func
        schedule.schedule_type = Schedule.MINUTES
        schedule.minutes = job.minutes
        schedule.repeats = -1
        schedule.save()


def schedules_sync_after_migrate(sender: Any, **kwargs: Any) -> None:
    """post_migrate: (re)write the schedules once django-q's table exists."""
    using = kwargs.get("using", DEFAULT_DB_ALIAS)
    if "django_q_schedule" not in connections[using].introspection.table_names():
        return
    schedules_sync()
