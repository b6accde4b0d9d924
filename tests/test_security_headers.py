"""Production settings: `check --deploy` is clean and every response carries the headers."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "chairside.example",
    "DATABASE_URL": "sqlite:///:memory:",
}

# The settings the production environment produces, applied in-process for the header tests.
SECURITY_SETTINGS = [
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "X_FRAME_OPTIONS",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_EXPIRE_AT_BROWSER_CLOSE",
    "SESSION_COOKIE_AGE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "LANGUAGE_COOKIE_SECURE",
    "LANGUAGE_COOKIE_SAMESITE",
    "OTP_REQUIRED",
    "CONTENT_SECURITY_POLICY",
]


def production_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(PRODUCTION_ENV)
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    env["DJANGO_SETTINGS_MODULE"] = "clinic.settings"
    return env


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**production_env(), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def production_settings() -> dict:
    """Return the security settings as the production environment configures them."""
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{k: getattr(settings, k) for k in {SECURITY_SETTINGS!r}}}))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_with_production_variables_reports_nothing(tmp_path):
    # A deploy collects the static files first (as .ci/run does): the manifest is checked.
    static_root = str(tmp_path / "static")
    assert (
        run_manage("collectstatic", "--noinput", "-v", "0", STATIC_ROOT=static_root).returncode == 0
    )
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", STATIC_ROOT=static_root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stderr


def test_production_without_a_secret_key_refuses_to_start():
    env = production_env()
    del env["SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_production_switches_on_two_factor_and_secure_cookies(production_settings):
    assert production_settings["DEBUG"] is False
    assert production_settings["OTP_REQUIRED"] is True
    assert production_settings["SESSION_COOKIE_SECURE"] is True
    assert production_settings["CSRF_COOKIE_SECURE"] is True
    assert production_settings["SECURE_SSL_REDIRECT"] is True
    assert production_settings["SECURE_HSTS_SECONDS"] >= 31_536_000


@pytest.fixture
def production_client(settings, production_settings) -> Client:
    for name, value in production_settings.items():
        setattr(settings, name, value)
    settings.ALLOWED_HOSTS = ["chairside.example"]
    # Built after the settings change: middleware reads some settings when it is created.
    return Client(HTTP_HOST="chairside.example")


def _directives(csp: str) -> dict[str, list[str]]:
    out = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/refer/", "/admin/login/"])
def test_a_production_response_carries_every_security_header(production_client, url):
    response = production_client.get(url, secure=True)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    directives = _directives(csp)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_production_cookies_are_secure_and_http_only(production_client, nurse):
    production_client.force_login(nurse)
    response = production_client.get("/refer/", secure=True)
    session = response.cookies["sessionid"]
    csrf = response.cookies["csrftoken"]
    for cookie in (session, csrf):
        assert cookie["secure"] is True
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
    # Session cookie without expiry: it ends when the browser closes.
    assert session["expires"] == ""
    assert session["max-age"] == ""


@pytest.mark.django_db
def test_the_production_language_cookie_is_secure(production_client):
    response = production_client.post(
        "/i18n/setlang/", {"language": "es", "next": "/refer/"}, secure=True
    )
    cookie = response.cookies["django_language"]
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Lax"


@pytest.mark.django_db
def test_production_redirects_plain_http_to_https(production_client):
    response = production_client.get("/refer/")
    assert response.status_code == 301
    assert response["Location"] == "https://chairside.example/refer/"


@pytest.mark.django_db
def test_no_page_has_an_inline_script_or_style_attribute(production_client):
    for url in ["/", "/refer/", "/admin/login/", "/no-such-page/"]:
        html = production_client.get(url, secure=True).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert " style=" not in html
        assert " onclick=" not in html
