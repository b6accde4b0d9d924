"""/healthz: 200 when the database, the cache and the task queue are healthy; 503 naming the
part that is not (checks by django-health-check, the scheduler's heartbeat our own)."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError
from django.utils import timezone

from clinic.jobs import heartbeat
from clinic.models import Heartbeat

pytestmark = pytest.mark.django_db


def test_it_answers_200_naming_each_part_healthy(client):
    heartbeat(timezone.now() - timedelta(seconds=40))
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["cache"] == "ok"
    assert body["task queue"].startswith("ok: scheduler last ran 4")
    assert body["task queue"].endswith("seconds ago")
    assert "no-cache" in response["Cache-Control"]


def test_a_stale_scheduler_answers_503_saying_when_it_last_ran(client):
    heartbeat(timezone.now() - timedelta(minutes=7, seconds=5))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["task queue"] == "scheduler last ran 7 minutes ago"
    assert body["database"] == "ok"


def test_a_scheduler_that_never_ran_is_unhealthy(client):
    assert not Heartbeat.objects.exists()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["task queue"] == "scheduler has not run yet"


def test_the_heartbeat_is_stale_only_after_the_configured_time(client, settings):
    settings.TASK_HEARTBEAT_STALE_SECONDS = 150
    heartbeat(timezone.now() - timedelta(seconds=140))
    assert client.get("/healthz").status_code == 200
    heartbeat(timezone.now() - timedelta(seconds=160))
    assert client.get("/healthz").status_code == 503


def test_it_answers_503_when_the_database_is_down(client):
    heartbeat()
    with mock.patch(
        "django.db.backends.utils.CursorWrapper.execute",
        side_effect=OperationalError("connection refused"),
    ):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "connection refused"
    assert body["task queue"] == "heartbeat unreadable (database down)"


def test_it_answers_503_when_the_cache_is_down(client):
    heartbeat()
    with mock.patch(
        "django.core.cache.backends.locmem.LocMemCache.aset",
        side_effect=ConnectionError("cache down"),
    ):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["cache"] == "Connection Error"
    assert body["database"] == "ok"
