"""Fuzz the private-link gate: hostile date-of-birth answers and hostile tokens.

The gate is mounted here for both purposes (questionnaire, manage) so it is fuzzed whatever
pages sit behind it; tests/test_fuzz_questionnaire.py and test_fuzz_manage.py fuzz the real
pages. Only a well-formed date counts as an answer: anything else writes nothing.
"""

from __future__ import annotations

import string
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path
from django.utils.datastructures import MultiValueDict
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.forms import DateOfBirthForm
from clinic.links import link_create, private_link
from clinic.models import PrivateLink
from tests.factories import PatientFactory
from tests.fuzz_strategies import (
    HOSTILE,
    HUGE,
    assert_not_reflected,
    changed,
    field_value,
    fuzz_examples,
    hostile_text,
    mutated_post,
    row_counts,
)

DOB = "1980-03-27"


def gate_view(request: HttpRequest, purpose: str, token: str) -> HttpResponse:
    if purpose not in PrivateLink.Purpose.values:
        return HttpResponse(status=404)

    @private_link(purpose=purpose)
    def behind(request: HttpRequest, link: PrivateLink, token: str) -> HttpResponse:
        return HttpResponse("behind the gate")

    return behind(request, token=token)


urlpatterns = [
    path("test-gate/<str:purpose>/<str:token>/", gate_view),
    path("", include("clinic.urls")),
]
pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]


@pytest.fixture
def links() -> dict[str, tuple[PrivateLink, str]]:
    patient = PatientFactory(date_of_birth=DOB)
    return {
        purpose: link_create(patient=patient, purpose=purpose, days=7)
        for purpose in PrivateLink.Purpose.values
    }


dob_posts = st.one_of(
    st.fixed_dictionaries({"date_of_birth": field_value}),
    mutated_post({"date_of_birth": DOB}),
    st.fixed_dictionaries({"date_of_birth": st.dates().map(lambda d: d.isoformat())}),
    st.just({"date_of_birth": DOB}),
    st.just({}),
)


@settings(max_examples=fuzz_examples(1.5))
@given(post=dob_posts, purpose=st.sampled_from(PrivateLink.Purpose.values))
def test_hostile_date_of_birth_answers_never_fail_and_write_only_what_they_should(
    client, links, post, purpose
):
    cache.clear()
    link, token = links[purpose]
    # Each example starts from an unlocked link and a new browser (no cookies).
    PrivateLink.objects.filter(pk=link.pk).update(failed_attempts=0, locked_at=None)
    client.cookies.clear()
    # The oracle sees the post as the view does: a multi-value dict, last value wins.
    form = DateOfBirthForm(
        MultiValueDict({k: v if isinstance(v, list) else [v] for k, v in post.items()})
    )
    before = row_counts()
    response = client.post(f"/test-gate/{purpose}/{token}/", post)
    delta = changed(before, row_counts())
    if not form.is_valid():
        assert response.status_code == 200
        assert delta == {}
        assert_not_reflected(response.content.decode(), post)
    elif form.cleaned_data["date_of_birth"].isoformat() == DOB:
        assert response.status_code == 302
        assert set(delta) <= {"clinic_accesslog", "django_session", "clinic_historicalprivatelink"}
        assert delta.get("clinic_accesslog") == 1
        assert client.get(f"/test-gate/{purpose}/{token}/").content == b"behind the gate"
    else:
        # A wrong date is a counted try: the link's history records it, nothing else.
        assert response.status_code == 200
        assert set(delta) <= {"clinic_historicalprivatelink"}
        assert "behind the gate" not in response.content.decode()


_tokens = st.one_of(
    st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=64),
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80),
    st.sampled_from([h for h in HOSTILE if h.strip()] + [HUGE[0][:5000]]),
    hostile_text.filter(lambda t: bool(t.strip())),
)


@settings(max_examples=fuzz_examples(0.5))
@given(
    token=_tokens,
    purpose=st.sampled_from(PrivateLink.Purpose.values),
    method=st.sampled_from(["get", "post"]),
    mutate=st.booleans(),
)
def test_hostile_tokens_get_not_found_and_write_nothing(
    client, links, token, purpose, method, mutate
):
    cache.clear()
    client.cookies.clear()
    if mutate:
        # One character off a real token must not open it.
        real = links[purpose][1]
        token = real[:-1] + ("A" if real[-1] != "A" else "B")
    before = row_counts()
    url = f"/test-gate/{purpose}/{quote(token, safe='')}/"
    response = getattr(client, method)(url, {"date_of_birth": DOB})
    assert response.status_code == 404
    assert changed(before, row_counts()) == {}
    assert_not_reflected(response.content.decode(), {"token": token})


def test_a_link_for_one_purpose_does_not_open_the_other(links):
    _link, token = links["questionnaire"]
    response = Client().post(f"/test-gate/manage/{token}/", {"date_of_birth": DOB})
    assert response.status_code == 404
