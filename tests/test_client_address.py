"""The client's address: from the trusted proxies' entries only, never from a header anyone sets.

One function (clinic/client.py) answers for the rate limits, the access log and django-axes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from django.test import RequestFactory

from clinic.audit import access_log
from clinic.client import client_ip
from clinic.links import link_create
from clinic.models import AccessLog
from tests.factories import PatientFactory

SPOOFS = [
    "6.6.6.6",
    "6.6.6.6, 7.7.7.7",
    "6.6.6.6, 7.7.7.7, 8.8.8.8, 9.9.9.9",
    '6.6.6.6, 7.7.7.7, "',  # an unclosed quote must not swallow the proxies' entries
    "garbage, , ;;",
    "for=6.6.6.6",
    "[2001:db8::66]:443",
    "",
]

WRONG = {"date_of_birth": "1990-01-01"}
RIGHT = {"date_of_birth": "1980-03-27"}


def request_from(remote: str, forwarded: str | None = None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def through(client_sent: str, *hops: str) -> str:
    """Return X-Forwarded-For after each proxy appended the address it saw."""
    entries = [client_sent] if client_sent else []
    return ", ".join([*entries, *hops])


# --- No proxy configured ------------------------------------------------------------------


@pytest.mark.parametrize("spoof", SPOOFS)
def test_with_no_proxy_configured_the_header_is_ignored(settings, spoof):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.TRUSTED_PROXIES = []
    assert client_ip(request_from("203.0.113.9", spoof)) == "203.0.113.9"


def test_a_peer_that_is_not_an_address_gives_none():
    assert client_ip(request_from("unix:/run/gunicorn.sock")) is None
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR="")) is None


@pytest.mark.django_db
def test_with_no_proxy_a_spoofed_header_does_not_escape_the_address_limit(client, settings):
    settings.RATE_LIMITS = {"link-dob-address": (3, 900)}
    statuses = []
    for n in range(5):
        _link, token = link_create(patient=PatientFactory(), purpose="questionnaire", days=7)
        response = client.post(
            f"/q/{token}/", WRONG, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"6.6.6.{n}"
        )
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429, 429]


# --- One proxy (nginx, or a cloud load balancer) ---------------------------------------------


@pytest.mark.parametrize("spoof", SPOOFS)
def test_behind_one_proxy_the_address_is_the_one_the_proxy_saw(settings, spoof):
    settings.TRUSTED_PROXY_COUNT = 1
    request = request_from("10.0.0.2", through(spoof, "198.51.100.23"))
    assert client_ip(request) == "198.51.100.23"


def test_behind_one_proxy_a_request_without_the_header_is_the_peer(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from("10.0.0.2")) == "10.0.0.2"
    assert client_ip(request_from("10.0.0.2", "")) == "10.0.0.2"
    assert client_ip(request_from("10.0.0.2", "not-an-address")) == "10.0.0.2"


def test_ipv6_clients_and_proxies_are_read(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from("fd00::2", "2001:db8::7")) == "2001:db8::7"


@pytest.mark.django_db
def test_behind_one_proxy_two_patients_have_separate_budgets(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.RATE_LIMITS = {"link-dob-address": (3, 900)}
    proxy = "10.0.0.2"
    tokens = [
        link_create(patient=PatientFactory(), purpose="questionnaire", days=7)[1] for _ in range(5)
    ]
    first = [
        client.post(
            f"/q/{t}/", WRONG, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1"
        ).status_code
        for t in tokens[:4]
    ]
    assert first == [200, 200, 200, 429]
    # The second patient comes through the same proxy from their own address.
    second = client.__class__().post(
        f"/q/{tokens[4]}/", RIGHT, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.2"
    )
    assert second.status_code == 302


# --- Two proxies (a CDN or load balancer in front of nginx) ------------------------------------


@pytest.mark.parametrize("spoof", SPOOFS)
def test_with_two_trusted_proxies_a_spoofed_header_does_not_change_the_address(settings, spoof):
    settings.TRUSTED_PROXY_COUNT = 2
    # The outer proxy saw 198.51.100.23; nginx (10.0.0.2) saw the outer proxy (192.0.2.10).
    request = request_from("10.0.0.2", through(spoof, "198.51.100.23", "192.0.2.10"))
    assert client_ip(request) == "198.51.100.23"


@pytest.mark.django_db
@pytest.mark.parametrize("spoof", SPOOFS[:4])
def test_with_two_trusted_proxies_every_consumer_sees_the_same_address(
    client, settings, spoof, nurse
):
    settings.TRUSTED_PROXY_COUNT = 2
    meta = {
        "REMOTE_ADDR": "10.0.0.2",
        "HTTP_X_FORWARDED_FOR": through(spoof, "198.51.100.23", "192.0.2.10"),
    }
    request = RequestFactory().get("/", **meta)
    # django-axes asks the same function.
    assert get_client_ip_address(request) == "198.51.100.23"
    # The access log records it.
    request.user = nurse
    access_log(request, PatientFactory())
    assert AccessLog.objects.get().ip_address == "198.51.100.23"
    # A failed sign-in is recorded against it.
    client.post("/admin/login/", {"username": "nurse", "password": "wrong-pass-1234"}, **meta)
    assert AccessAttempt.objects.get().ip_address == "198.51.100.23"


def test_with_two_trusted_proxies_a_short_chain_falls_back_to_the_peer(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request_from("10.0.0.2", "198.51.100.23")) == "10.0.0.2"


# --- Trusted networks -----------------------------------------------------------------------


def test_trusted_networks_take_the_address_only_through_the_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request_from("10.0.0.2", "6.6.6.6, 198.51.100.23")) == "198.51.100.23"
    # Straight to the app from outside the proxies' network: the header is not believed.
    assert client_ip(request_from("203.0.113.5", "198.51.100.23")) == "203.0.113.5"


def test_one_trusted_network_covers_every_counted_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    chain = "6.6.6.6, 198.51.100.23, 10.1.0.4"
    assert client_ip(request_from("10.0.0.2", chain)) == "198.51.100.23"
    # The outer hop is outside the trusted network: not believed.
    assert client_ip(request_from("10.0.0.2", "198.51.100.23, 192.0.2.10")) == "10.0.0.2"


def test_one_network_per_proxy_outermost_first(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.TRUSTED_PROXIES = ["192.0.2.0/24", "10.0.0.0/8"]
    chain = "6.6.6.6, 198.51.100.23, 192.0.2.10"
    assert client_ip(request_from("10.0.0.2", chain)) == "198.51.100.23"
    assert client_ip(request_from("192.0.2.10", "198.51.100.23, 10.0.0.2")) == "192.0.2.10"


def test_a_unix_socket_peer_counts_as_a_local_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip(request_from("", "6.6.6.6, 198.51.100.23")) == "198.51.100.23"
    assert client_ip(request_from("unix:/run/app.sock", "198.51.100.23")) == "198.51.100.23"


# --- Settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TRUSTED_PROXY_COUNT": "-1"}, "TRUSTED_PROXY_COUNT must be 0 or more"),
        ({"TRUSTED_PROXY_COUNT": "two"}, "must be a whole number"),
        ({"TRUSTED_PROXIES": "10.0.0.0/8,nonsense"}, "'nonsense' is not a network"),
        (
            {"TRUSTED_PROXIES": "10.0.0.0/8,192.0.2.0/24", "TRUSTED_PROXY_COUNT": "3"},
            "one network per proxy",
        ),
    ],
)
def test_misconfigured_proxies_stop_the_app_from_starting(env, message):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "clinic.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert message in result.stderr
