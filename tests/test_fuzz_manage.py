"""Fuzz the patient's manage pages (/my/<token>/...) behind a verified link.

Every example starts from the same booked session. No server error; a refused form writes
nothing; only the session's own rows change when a confirm, cancel or move goes through;
another patient's session is never reachable; nothing posted comes back as live markup.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic.links import link_create
from clinic.models import PrivateLink
from scheduling.booking import session_book
from scheduling.models import Session
from tests.factories import PatientFactory, clinic_week, ready_course
from tests.fuzz_strategies import (
    assert_not_reflected,
    changed,
    field_value,
    fuzz_examples,
    hostile_text,
    row_counts,
)

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
DOB = "1980-03-27"


class Booked:
    """A patient's booked session and a verified browser, plus someone else's session."""

    def __init__(self) -> None:
        chairs = clinic_week(chairs=3, weekdays=range(7))
        day = timezone.localdate(timezone=NY) + timedelta(days=6)
        self.session = self._book(day, chairs[0], PatientFactory(date_of_birth=DOB))
        self.other = self._book(day, chairs[1], PatientFactory(legal_given_name="Other"))
        _link, token = link_create(
            patient=self.session.course.patient, purpose=PrivateLink.Purpose.MANAGE, days=30
        )
        self.base = f"/my/{token}/"
        self.client = Client()
        assert self.client.post(self.base, {"date_of_birth": DOB}).status_code == 302
        self.snapshot = Session.objects.filter(pk=self.session.pk).values().get()

    @staticmethod
    def _book(day, chair, patient) -> Session:
        course = ready_course("natalizumab", start_after=day, patient=patient)
        start = datetime.combine(day, time(9), tzinfo=NY)
        return session_book(dose=course.doses.get(sequence=1), chair=chair, start=start)

    def restore(self) -> None:
        """Put the session back as booked, wherever the last example moved or cancelled it."""
        fields = {k: v for k, v in self.snapshot.items() if k != "id"}
        Session.objects.filter(pk=self.session.pk).update(**fields)


@pytest.fixture
def booked() -> Booked:
    return Booked()


def _pick(draw: st.DrawFn) -> str:
    return draw(
        st.one_of(
            field_value,
            st.builds(
                lambda chair, start: f":{chair}:{start}",
                st.integers(-5, 10**12),
                st.datetimes(timezones=st.just(NY)).map(lambda d: d.isoformat()),
            ),
            st.just(";".join(["1:1:2027-01-01T09:00:00+00:00"] * 50)),
        )
    )


@settings(max_examples=fuzz_examples(1.2))
@given(st.data())
def test_hostile_posts_to_the_manage_pages_never_fail_and_refused_ones_write_nothing(booked, data):
    cache.clear()
    booked.restore()
    page = data.draw(
        st.sampled_from(["", "confirm/", "cancel/", "reschedule/", "appointment.ics"]), label="page"
    )
    whose = data.draw(st.sampled_from(["mine", "mine", "other", "missing"]), label="whose")
    pk = {"mine": booked.session.pk, "other": booked.other.pk, "missing": 10**9}[whose]
    url = booked.base if page == "" else f"{booked.base}{pk}/{page}"
    method = data.draw(st.sampled_from(["get", "post", "post"]), label="method")
    post = {"reason": data.draw(field_value), "pick": _pick(data.draw)}
    post.update(data.draw(st.dictionaries(hostile_text, field_value, max_size=2)))
    other_before = Session.objects.filter(pk=booked.other.pk).values().get()
    before = row_counts()
    response = getattr(booked.client, method)(url, post if method == "post" else {})
    delta = changed(before, row_counts())
    assert response.status_code in (200, 302, 404, 405), response.status_code
    assert Session.objects.filter(pk=booked.other.pk).values().get() == other_before
    if page and whose != "mine":
        assert response.status_code in (404, 405)
    if response.status_code == 302:
        assert {t for t in delta if not t.startswith("scheduling_")} <= {"django_session"}, delta
    else:
        assert delta == {}, delta
    if response.status_code == 200 and page != "appointment.ics":
        assert_not_reflected(response.content.decode(), post)


@settings(max_examples=fuzz_examples(0.2))
@given(reason=field_value)
def test_a_hostile_cancel_reason_is_shown_escaped_to_staff(booked, client, superuser, reason):
    cache.clear()
    booked.restore()
    response = booked.client.post(f"{booked.base}{booked.session.pk}/cancel/", {"reason": reason})
    assert response.status_code in (200, 302)
    staff = client
    staff.force_login(superuser)
    page = staff.get(f"/admin/scheduling/session/{booked.session.pk}/change/")
    assert page.status_code == 200
    assert_not_reflected(page.content.decode(), {"reason": reason})


def test_an_unverified_browser_cannot_cancel(booked):
    stranger = Client()
    response = stranger.post(f"{booked.base}{booked.session.pk}/cancel/", {"reason": "x"})
    assert response.status_code == 200
    assert "Your date of birth" in response.content.decode()
    booked.session.refresh_from_db()
    assert booked.session.status == "booked"
