"""Fuzz the patient's questionnaire pages (/q/<token>/...) behind a verified link.

Every example: no server error; a page the form refuses writes no row; an accepted page
writes only the draft (the check's history); nothing posted comes back as live markup.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils.datastructures import MultiValueDict
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.models import QuestionnaireRequest
from intake.questionnaire_forms import QuestionnairePageForm
from intake.questionnaires import request_steps
from tests.factories import PatientFactory, sent_check
from tests.fuzz_strategies import (
    assert_not_reflected,
    changed,
    field_value,
    fuzz_examples,
    hostile_text,
    mutated_post,
    row_counts,
)

pytestmark = pytest.mark.django_db

DOB = "1980-03-27"
CODES = ("safety_check", "ms_symptoms", "phq9", "gad7")
DRAFT_TABLES = {"intake_questionnairerequest", "intake_historicalquestionnairerequest"}
SUBMIT_TABLES = DRAFT_TABLES | {
    "intake_questionnaireresponse",
    "intake_historicalquestionnaireresponse",
    "intake_flag",
    "intake_historicalflag",
    "intake_flagnotification",
    "clinic_privatelink",
    "clinic_historicalprivatelink",
}


class Check:
    """A sent check with a verified browser; renewed when an example submits it."""

    def __init__(self) -> None:
        self.renew()

    def renew(self) -> None:
        self.qreq, url = sent_check(patient=PatientFactory(date_of_birth=DOB), codes=CODES)
        self.base = url.split("chairside.test", 1)[1]
        self.client = Client()
        assert self.client.post(self.base, {"date_of_birth": DOB}).status_code == 302
        self.steps = request_steps(self.qreq)

    def ensure_open(self) -> None:
        status = QuestionnaireRequest.objects.values_list("status", flat=True).get(pk=self.qreq.pk)
        if status == QuestionnaireRequest.Status.SUBMITTED:
            self.renew()


@pytest.fixture
def check() -> Check:
    return Check()


def page_base(step) -> dict[str, Any]:
    """A valid, complete answer to every item of the page."""
    form = QuestionnairePageForm(definition=step.definition, page=step.page)
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        choices = getattr(field, "choices", None)
        data[name] = str(list(choices)[-1][0]) if choices else "fine"
    data["action"] = "next"
    return data


def form_accepts(step, post: dict[str, Any]) -> bool:
    data = MultiValueDict({k: v if isinstance(v, list) else [v] for k, v in post.items()})
    return QuestionnairePageForm(data, definition=step.definition, page=step.page).is_valid()


actions = st.one_of(st.sampled_from(["next", "save", "back"]), hostile_text)


@settings(max_examples=fuzz_examples(1.2))
@given(st.data())
def test_hostile_answers_on_every_page_never_fail_and_refused_pages_write_nothing(check, data):
    cache.clear()
    check.ensure_open()
    number = data.draw(st.integers(1, len(check.steps)), label="step")
    step = check.steps[number - 1]
    post = data.draw(mutated_post(page_base(step), max_changes=4), label="post")
    if data.draw(st.booleans(), label="hostile action"):
        post["action"] = data.draw(actions, label="action")
    before = row_counts()
    response = check.client.post(f"{check.base}step/{number}/", post)
    delta = changed(before, row_counts())
    assert response.status_code in (200, 302), response.status_code
    if not form_accepts(step, post):
        assert response.status_code == 200
        assert delta == {}, delta
    else:
        assert set(delta) <= DRAFT_TABLES, delta
    if response.status_code == 200:
        assert_not_reflected(response.content.decode(), post)


@settings(max_examples=fuzz_examples(0.4))
@given(
    page=st.sampled_from(["", "review/", "saved/", "done/", "step/0/", "step/99/", "step/1/"]),
    method=st.sampled_from(["get", "post"]),
    post=st.dictionaries(hostile_text, field_value, max_size=4),
)
def test_hostile_posts_to_the_other_questionnaire_pages_never_fail(check, page, method, post):
    cache.clear()
    check.ensure_open()
    before = row_counts()
    response = getattr(check.client, method)(f"{check.base}{page}", post)
    assert response.status_code in (200, 302, 405, 410), response.status_code
    delta = changed(before, row_counts())
    if page == "review/" and method == "post":
        # Submitting is the one post here that may write: only the check's own rows.
        assert set(delta) <= SUBMIT_TABLES, delta
    elif page.startswith("step/") and method == "post" and delta:
        assert set(delta) <= DRAFT_TABLES, delta
    else:
        assert delta == {}, delta
    if response.status_code == 200:
        assert_not_reflected(response.content.decode(), post)


def test_an_unverified_browser_sees_no_answers_and_cannot_post_them(check):
    stranger = Client()
    before = row_counts()
    response = stranger.post(f"{check.base}step/1/", page_base(check.steps[0]))
    assert response.status_code == 200
    assert "Your date of birth" in response.content.decode()
    assert changed(before, row_counts()) == {}
