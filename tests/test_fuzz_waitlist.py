"""Fuzz the waitlist pages behind a verified manage link: join, leave, accept an offer.

No server error; a refused form writes nothing; another patient's visit or offer is never
reachable; nothing posted comes back as live markup.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.models import Session, WaitlistEntry, WaitlistOffer
from tests.fuzz_strategies import (
    assert_not_reflected,
    changed,
    field_value,
    fuzz_examples,
    hostile_text,
    row_counts,
)
from tests.test_fuzz_manage import Booked

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked() -> Booked:
    made = Booked()
    entry = WaitlistEntry.objects.create(dose=made.other.dose)
    made.other_offer = WaitlistOffer.objects.create(
        entry=entry,
        slot="x",
        chair=made.other.chair,
        start=made.other.start,
        end=made.other.end,
        expires_at=timezone.now() + timedelta(hours=4),
    )
    return made


@settings(max_examples=fuzz_examples(0.8))
@given(st.data())
def test_hostile_posts_to_the_waitlist_pages_never_fail_and_refused_ones_write_nothing(
    booked, data
):
    cache.clear()
    booked.restore()
    page = data.draw(st.sampled_from(["waitlist/", "waitlist/leave/", "accept"]), label="page")
    whose = data.draw(st.sampled_from(["mine", "mine", "other", "missing"]), label="whose")
    if page == "accept":
        pk = {"mine": 10**9 - 1, "other": booked.other_offer.pk, "missing": 10**9}[whose]
        url = f"{booked.base}offers/{pk}/accept/"
    else:
        pk = {"mine": booked.session.pk, "other": booked.other.pk, "missing": 10**9}[whose]
        url = f"{booked.base}{pk}/{page}"
    method = data.draw(st.sampled_from(["get", "post", "post"]), label="method")
    post = {
        "part_of_day": data.draw(st.one_of(field_value, st.sampled_from(["any", "morning"]))),
        "notice_hours": data.draw(st.one_of(field_value, st.sampled_from(["4", "24", "48"]))),
        "weekdays": data.draw(st.lists(st.one_of(field_value, st.just("2")), max_size=3)),
    }
    post.update(data.draw(st.dictionaries(hostile_text, field_value, max_size=2)))
    other_before = Session.objects.filter(pk=booked.other.pk).values().get()
    before = row_counts()
    response = getattr(booked.client, method)(url, post if method == "post" else {})
    delta = changed(before, row_counts())
    assert response.status_code in (200, 302, 404, 405), response.status_code
    assert Session.objects.filter(pk=booked.other.pk).values().get() == other_before
    booked.other_offer.refresh_from_db()
    assert booked.other_offer.status == "open"
    if whose != "mine":
        assert response.status_code in (404, 405)
    if response.status_code == 302:
        assert {t for t in delta if not t.startswith("scheduling_")} <= {"django_session"}, delta
    else:
        assert delta == {}, delta
    if response.status_code == 200:
        assert_not_reflected(response.content.decode(), post)
