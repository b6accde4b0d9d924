"""Shared fixtures: a fixed cast of users, private storage in a temp dir, database rules."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from clinic import roles
from tests.factories import UserFactory

REQUIRE_POSTGRES = os.environ.get("CHAIRSIDE_REQUIRE_POSTGRES") == "1"

# Hypothesis: `make test` runs a few hundred fuzz examples in total, CI (HYPOTHESIS_PROFILE=ci,
# exported by .ci/run) at least 5,000. Fuzz tests scale their share with `fuzz_examples()`
# (tests/fuzz_strategies.py). Django's test fixtures are function-scoped on purpose: each
# example counts rows before and after itself.
_FUZZ_HEALTH = [
    HealthCheck.function_scoped_fixture,
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.large_base_example,
]
hypothesis_settings.register_profile(
    "default", max_examples=50, deadline=None, suppress_health_check=_FUZZ_HEALTH
)
hypothesis_settings.register_profile(
    "ci", max_examples=720, deadline=None, suppress_health_check=_FUZZ_HEALTH, print_blob=True
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_collection_modifyitems(config, items):
    """Skip PostgreSQL-only tests on SQLite; in CI's PostgreSQL run none may be skipped."""
    from django.conf import settings

    vendor_is_pg = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    if REQUIRE_POSTGRES and not vendor_is_pg:
        raise pytest.UsageError("CHAIRSIDE_REQUIRE_POSTGRES=1 but DATABASE_URL is not PostgreSQL")
    if vendor_is_pg:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (runs in .ci/run)")
    for item in items:
        if "postgresql" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path, monkeypatch):
    from django_q.conf import Conf

    # Tasks run inline, where they are queued (after the commit): a notice's email lands in
    # mail.outbox. Tests that need a real queue or worker switch this off.
    monkeypatch.setattr(Conf, "SYNC", True)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://chairside.test"
    settings.OTP_REQUIRED = False
    settings.SECURE_SSL_REDIRECT = False
    from django.utils.functional import empty

    from intake.models import private_storage

    # The storage reads PRIVATE_MEDIA_ROOT when first used: reset it to the temp dir.

    private_storage._wrapped = empty
    yield
    private_storage._wrapped = empty


@pytest.fixture(autouse=True)
def _english_to_start():
    """A request leaves its language active in the thread: each test starts in English."""
    from django.utils import translation

    translation.activate("en")
    yield


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _member(group_name: str | None, **kwargs):
    user = UserFactory(**kwargs)
    if group_name:
        user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def coordinator(db):
    return _member(roles.INTAKE_COORDINATOR, username="coordinator", is_staff=True)


@pytest.fixture
def nurse(db):
    return _member(roles.NURSE, username="nurse", is_staff=True)


@pytest.fixture
def clinician(db):
    return _member(roles.ON_CALL_CLINICIAN, username="clinician", is_staff=True)


@pytest.fixture
def scheduler(db):
    return _member(roles.SCHEDULER, username="scheduler", is_staff=True)


@pytest.fixture
def manager(db):
    return _member(roles.CLINIC_MANAGER, username="manager", is_staff=True)


@pytest.fixture
def oncall_lead(db):
    return _member(roles.ON_CALL_LEAD, username="oncall_lead", is_staff=True)


@pytest.fixture
def superuser(db):
    return _member(None, username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def outsider(db):
    """Signed in, but not staff."""
    return _member(None, username="outsider", is_staff=False)


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"
