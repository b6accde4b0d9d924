"""The on-call roster: who is on call now and next, gaps and overlaps, shown in admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from intake.oncall import next_on_call, on_call_at, roster_gaps, roster_overlaps
from tests.factories import OnCallShiftFactory, UserFactory

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@dataclass
class Span:
    starts_at: datetime
    ends_at: datetime


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.mark.parametrize(
    ("spans", "gaps"),
    [
        ([], [(0, 24)]),
        ([(0, 24)], []),
        ([(0, 12), (12, 24)], []),  # back to back: no gap
        ([(0, 10), (12, 24)], [(10, 12)]),
        ([(2, 10)], [(0, 2), (10, 24)]),
        ([(0, 14), (10, 20)], [(20, 24)]),  # overlap, then a gap at the end
        ([(-5, 30)], []),  # one shift covering the whole window
        ([(12, 24), (0, 6)], [(6, 12)]),  # unsorted input
    ],
)
def test_roster_gaps(spans, gaps):
    shifts = [Span(h(a), h(b)) for a, b in spans]
    assert roster_gaps(shifts, start=h(0), end=h(24)) == [(h(a), h(b)) for a, b in gaps]


def test_roster_overlaps():
    a, b, c, d = Span(h(0), h(12)), Span(h(11), h(20)), Span(h(12), h(13)), Span(h(30), h(31))
    assert roster_overlaps([d, c, b, a]) == [(a, b), (b, c)]


@pytest.mark.django_db
def test_who_is_on_call_now_and_next():
    day = OnCallShiftFactory(clinician=UserFactory(username="day"), starts_at=h(0), ends_at=h(12))
    handover = OnCallShiftFactory(
        clinician=UserFactory(username="late"), starts_at=h(11), ends_at=h(20)
    )
    night = OnCallShiftFactory(
        clinician=UserFactory(username="night"), starts_at=h(20), ends_at=h(32)
    )
    assert on_call_at(h(5)) == [day]
    assert on_call_at(h(11.5)) == [day, handover]
    assert on_call_at(h(12)) == [handover]  # a shift ends at its end time
    assert on_call_at(h(40)) == []
    assert next_on_call(h(5)) == handover
    assert next_on_call(h(12), exclude_user_ids=[handover.clinician_id]) == night


@pytest.mark.django_db
def test_a_shift_must_end_after_it_starts():
    with pytest.raises(IntegrityError), transaction.atomic():
        OnCallShiftFactory(starts_at=h(5), ends_at=h(5))


@pytest.mark.django_db
def test_the_admin_index_shows_who_is_on_call_now_and_next(client, nurse):
    now = timezone.now()
    OnCallShiftFactory(
        clinician=UserFactory(first_name="Olive", last_name="Now"),
        starts_at=now - timedelta(hours=2),
        ends_at=now + timedelta(hours=2),
        phone="(555) 010-0777",
    )
    OnCallShiftFactory(
        clinician=UserFactory(first_name="Nico", last_name="Later"),
        starts_at=now + timedelta(hours=2),
        ends_at=now + timedelta(hours=14),
    )
    client.force_login(nurse)
    body = client.get("/admin/").content.decode()
    panel = body[body.index('id="panel-on-call"') :]
    assert "Olive Now" in panel and "(555) 010-0777" in panel
    assert "Nico Later" in panel


@pytest.mark.django_db
def test_the_admin_index_warns_when_nobody_is_on_call(client, nurse):
    client.force_login(nurse)
    assert "Nobody is rostered" in client.get("/admin/").content.decode()


@pytest.mark.django_db
def test_the_roster_page_shows_gaps_and_overlaps(client, clinician):
    now = timezone.now()
    OnCallShiftFactory(
        clinician=UserFactory(username="first"),
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=10),
    )
    OnCallShiftFactory(
        clinician=UserFactory(username="second"),
        starts_at=now + timedelta(hours=9),
        ends_at=now + timedelta(hours=20),
    )
    client.force_login(clinician)
    body = client.get("/admin/intake/oncallshift/").content.decode()
    assert "Gaps" in body
    assert "Overlaps" in body
    assert "Overlaps with" in body  # the column in the list


@pytest.mark.django_db
def test_on_call_clinicians_keep_the_roster_and_nurses_only_read_it(client, clinician, nurse):
    client.force_login(clinician)
    data = {
        "clinician": clinician.pk,
        "starts_at_0": "2026-12-01",
        "starts_at_1": "08:00",
        "ends_at_0": "2026-12-01",
        "ends_at_1": "20:00",
        "phone": "(555) 010-0300",
        "note": "",
    }
    assert client.post("/admin/intake/oncallshift/add/", data).status_code == 302
    client.force_login(nurse)
    assert client.get("/admin/intake/oncallshift/").status_code == 200
    assert client.get("/admin/intake/oncallshift/add/").status_code == 403


@pytest.mark.django_db
def test_the_next_shift_is_shown_even_when_the_same_person_works_it(client, nurse):
    now = timezone.now()
    same = UserFactory(first_name="Sam", last_name="Again")
    OnCallShiftFactory(
        clinician=same, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )
    OnCallShiftFactory(
        clinician=same, starts_at=now + timedelta(hours=20), ends_at=now + timedelta(hours=30)
    )
    client.force_login(nurse)
    body = client.get("/admin/").content.decode()
    panel = body[body.index('id="panel-on-call"') :]
    assert panel.count("Sam Again") == 2
