"""/healthz: the database, the cache and the task queue, checked by django-health-check.

200 when all are healthy, 503 naming the part that is not, e.g.
{"status": "unavailable", "database": "ok", "cache": "ok",
 "task queue": "scheduler last ran 7 minutes ago"}.
The task queue is healthy while the scheduler's heartbeat job (clinic.jobs.heartbeat, every
minute) ran less than TASK_HEARTBEAT_STALE_SECONDS ago: that proves the scheduler made the
task and a worker ran it. With the Redis broker, the broker must answer a ping too.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import datetime, timedelta
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

logger = logging.getLogger(__name__)


def _ago(seconds: float) -> str:
    if seconds < 120:
        return f"{max(int(seconds), 0)} seconds ago"
    return f"{int(seconds // 60)} minutes ago"


def scheduler_state(now: datetime | None = None) -> tuple[bool, str, datetime | None]:
    """Return (healthy, how the scheduler stands in words, when it last ran)."""
    from clinic.jobs import last_beat

    now = now or timezone.now()
    last = last_beat()
    if last is None:
        return False, "scheduler has not run yet", None
    age = (now - last).total_seconds()
    stale = age > settings.TASK_HEARTBEAT_STALE_SECONDS
    return not stale, f"scheduler last ran {_ago(age)}", last


def scheduler_stale_minutes(now: datetime | None = None) -> int | None:
    """Return for how many whole minutes background jobs have not run, or None if healthy."""
    healthy, _words, last = scheduler_state(now)
    if healthy:
        return None
    if last is None:
        return 0
    return int(((now or timezone.now()) - last) / timedelta(minutes=1))


@dataclasses.dataclass
class TaskQueue(HealthCheck):
    """The scheduler's heartbeat is recent (and the Redis broker answers, when it is used)."""

    # The health-check view runs checks concurrently; this one reads through the ORM.
    async def run(self) -> None:
        try:
            healthy, words, _last = await sync_to_async(scheduler_state)()
        except DatabaseError as exc:
            raise ServiceUnavailable("heartbeat unreadable (database down)") from exc
        if not healthy:
            raise ServiceUnavailable(words)
        if settings.TASK_BROKER == "redis":
            await sync_to_async(self._ping_redis)()
        self.state = words

    def _ping_redis(self) -> None:
        from django_q.brokers import get_broker

        try:
            ok = get_broker().ping()
        except Exception as exc:
            raise ServiceUnavailable("the Redis broker does not answer") from exc
        if not ok:
            raise ServiceUnavailable("the Redis broker does not answer")


# The parts /healthz names, and the check for each.
PARTS: dict[str, type[HealthCheck]] = {
    "database": Database,
    "cache": Cache,
    "task queue": TaskQueue,
}


class HealthzView(HealthCheckView):
    """Run every part's check; answer JSON, 200 or 503."""

    checks = tuple(PARTS.values())

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        with self.get_executor() as executor:
            self.results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        body: dict[str, str] = {}
        for name, result in zip(PARTS, self.results, strict=True):
            if result.error:
                body[name] = str(result.error.message) or str(result.error)
                logger.warning("healthz: %s: %s", name, body[name])
            else:
                body[name] = f"ok: {result.check.state}" if hasattr(result.check, "state") else "ok"
        healthy = all(result.error is None for result in self.results)
        return JsonResponse(
            {"status": "ok" if healthy else "unavailable", **body}, status=200 if healthy else 503
        )
