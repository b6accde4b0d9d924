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


def test_check_deploy_is_clean_with_production_variables():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


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
