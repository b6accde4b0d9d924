"""The rest of the public surface: the language switch, the home page, health check.

Also a guard: every public URL must be one that a fuzz test covers, so a new public page
can't arrive without hostile input being thrown at it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.jobs import heartbeat
from tests.fuzz_strategies import (
    assert_not_reflected,
    changed,
    field_value,
    fuzz_examples,
    hostile_text,
    row_counts,
)

pytestmark = pytest.mark.django_db

# Public routes and the test that fuzzes each.
FUZZED = {
    "": "test_fuzz_public_pages",
    "healthz": "test_fuzz_public_pages",
    "i18n/setlang/": "test_fuzz_public_pages",
    "refer/": "test_fuzz_referral",
    "refer/thanks/": "test_fuzz_referral",
    "q/<str:token>/": "test_fuzz_questionnaire, test_fuzz_private_links",
    "q/<str:token>/step/<int:step>/": "test_fuzz_questionnaire",
    "q/<str:token>/review/": "test_fuzz_questionnaire",
    "q/<str:token>/saved/": "test_fuzz_questionnaire",
    "q/<str:token>/done/": "test_fuzz_questionnaire",
    "my/<str:token>/": "test_fuzz_manage, test_fuzz_private_links",
    "my/<str:token>/<int:pk>/confirm/": "test_fuzz_manage",
    "my/<str:token>/<int:pk>/cancel/": "test_fuzz_manage",
    "my/<str:token>/<int:pk>/reschedule/": "test_fuzz_manage",
    "my/<str:token>/<int:pk>/appointment.ics": "test_fuzz_manage",
    "my/<str:token>/<int:pk>/waitlist/": "test_fuzz_waitlist",
    "my/<str:token>/<int:pk>/waitlist/leave/": "test_fuzz_waitlist",
    "my/<str:token>/offers/<int:pk>/accept/": "test_fuzz_waitlist",
    # The FHIR API (token-gated, machine clients): test_fuzz_fhir.
    "fhir/R4/metadata": "test_fuzz_fhir",
    "fhir/R4/Patient/<str:resource_id>/$everything": "test_fuzz_fhir",
    "fhir/R4/<str:resource_type>": "test_fuzz_fhir",
    "fhir/R4/<str:resource_type>/<str:resource_id>": "test_fuzz_fhir",
    "^fhir/": "test_fuzz_fhir",
}


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def public_routes() -> set[str]:
    return {
        route
        for route in _walk(get_resolver().url_patterns)
        if not route.startswith(("admin/", "staff/"))
    }


def test_every_public_page_is_fuzzed():
    assert public_routes() - set(FUZZED) == set()


_next = st.one_of(
    st.sampled_from(
        [
            "//evil.example/",
            "https://evil.example/",
            "http:evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "\\\\evil.example",
            "/%2F%2Fevil.example",
            "/refer/",
        ]
    ),
    hostile_text,
)


@settings(max_examples=fuzz_examples(0.3))
@given(language=field_value, next_url=_next, method=st.sampled_from(["post", "get"]))
def test_the_language_switch_never_fails_and_never_redirects_off_site(
    client, language, next_url, method
):
    cache.clear()
    client.cookies.clear()
    before = row_counts()
    data = {"language": language, "next": next_url}
    response = getattr(client, method)("/i18n/setlang/", data)
    assert response.status_code in (200, 204, 302), response.status_code
    if response.status_code == 302:
        location = urlsplit(response["Location"])
        assert location.netloc in ("", "testserver"), response["Location"]
        assert location.scheme in ("", "http", "https")
    assert changed(before, row_counts()) == {}


@settings(max_examples=fuzz_examples(0.2))
@given(
    path=st.sampled_from(["/", "/healthz", "/refer/thanks/"]),
    params=st.dictionaries(hostile_text, hostile_text, max_size=3),
    method=st.sampled_from(["get", "post", "head", "options", "put", "delete"]),
)
def test_other_public_pages_answer_any_method_cleanly(client, path, params, method):
    cache.clear()
    heartbeat()  # /healthz answers 503 while the scheduler has never run
    before = row_counts()
    response = getattr(client, method)(path, params)
    assert response.status_code in (200, 302, 405), response.status_code
    assert changed(before, row_counts()) == {}
    if response.status_code == 200 and method == "get":
        assert_not_reflected(response.content.decode(), params)
