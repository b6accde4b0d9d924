"""One settings module: safe defaults, strict environment parsing, clean deploy checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from clinic.settings import env_bool

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 20 + "-production-secret-for-the-deploy-check-0123456789",
    "ALLOWED_HOSTS": "chairside.example",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_production_variables(tmp_path):
    # A deploy collects the static files first, as .ci/run does.
    env = {**PRODUCTION, "STATIC_ROOT": str(tmp_path / "static")}
    collected = _manage("collectstatic", "--noinput", "-v", "0", env=env)
    assert collected.returncode == 0, collected.stderr
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_when_the_static_manifest_is_missing(tmp_path):
    env = {**PRODUCTION, "STATIC_ROOT": str(tmp_path / "never-collected")}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "chairside.W001" in result.stderr
    assert "collectstatic" in result.stderr
    # A warning, not an error: without --fail-level WARNING the app still starts.
    assert _manage("check", "--deploy", env=env).returncode == 0


def test_development_needs_no_static_manifest(tmp_path):
    env = {"DEBUG": "1", "STATIC_ROOT": str(tmp_path / "never-collected")}
    result = _manage("check", "--deploy", env=env)
    assert "chairside.W001" not in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", env={"DEBUG": "0", "ALLOWED_HOSTS": "chairside.example"})
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("true", True), ("Off", False), ("no", False), ("0", False)]
)
def test_booleans_accept_only_true_false_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("CHAIRSIDE_FLAG", raw)
    assert env_bool("CHAIRSIDE_FLAG", not expected) is expected


def test_a_misspelt_boolean_is_an_error(monkeypatch):
    monkeypatch.setenv("CHAIRSIDE_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured):
        env_bool("CHAIRSIDE_FLAG", False)


def test_sqlite_opens_immediate_transactions(settings):
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
