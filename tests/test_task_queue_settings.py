"""The task queue's broker: the database by default, Redis with TASK_BROKER=redis; /healthz
names a Redis broker that does not answer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from clinic.jobs import heartbeat

ROOT = Path(__file__).resolve().parents[1]


def q_cluster(env: dict[str, str]) -> subprocess.CompletedProcess:
    code = "import json, clinic.settings as s; print(json.dumps(s.Q_CLUSTER))"
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_by_default_tasks_wait_in_the_database():
    conf = json.loads(q_cluster({}).stdout)
    assert conf["orm"] == "default"
    assert conf["broker_class"] == "clinic.tasks.OrmBroker"
    assert "redis" not in conf
    assert conf["timeout"] < conf["retry"]
    assert conf["catch_up"] is False


def test_redis_is_the_broker_when_asked_and_needs_its_address():
    conf = json.loads(q_cluster({"TASK_BROKER": "redis", "REDIS_URL": "redis://r:6379/2"}).stdout)
    assert conf["redis"] == "redis://r:6379/2"
    assert "orm" not in conf and "broker_class" not in conf
    missing = q_cluster({"TASK_BROKER": "redis"})
    assert missing.returncode != 0
    assert "TASK_BROKER=redis needs REDIS_URL" in missing.stderr
    assert "TASK_BROKER must be orm or redis" in q_cluster({"TASK_BROKER": "rabbit"}).stderr


@pytest.mark.django_db
def test_a_redis_broker_that_does_not_answer_makes_healthz_fail(client, settings):
    settings.TASK_BROKER = "redis"
    heartbeat()
    broker = mock.Mock(**{"ping.side_effect": ConnectionError("refused")})
    with mock.patch("django_q.brokers.get_broker", return_value=broker):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["task queue"] == "the Redis broker does not answer"
