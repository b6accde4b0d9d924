"""The overlap query behind the board and every booking finds the right sessions, bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduling.models import Session
from scheduling.selectors import sessions_overlapping
from tests.factories import clinic_week, ready_course

pytestmark = pytest.mark.django_db
DAY = datetime(2027, 1, 4, 5, tzinfo=UTC)  # local midnight in New York


def _session(chair, start: datetime, minutes: int) -> Session:
    course = ready_course()
    return Session.objects.create(
        course=course,
        dose=course.doses.get(sequence=1),
        chair=chair,
        start=start,
        end=start + timedelta(minutes=minutes),
    )


def test_it_finds_sessions_running_into_the_day_and_none_that_ended_before():
    (chair,) = clinic_week(chairs=1)
    ended = _session(chair, DAY - timedelta(hours=5), 60)
    overnight = _session(chair, DAY - timedelta(hours=2), 240)
    inside = _session(chair, DAY + timedelta(hours=9), 60)
    after = _session(chair, DAY + timedelta(days=1), 60)
    found = set(sessions_overlapping(Session.objects.all(), DAY, DAY + timedelta(days=1)))
    assert found == {overnight, inside}
    assert ended not in found and after not in found


def test_it_gives_the_start_index_a_lower_bound():
    sql = str(sessions_overlapping(Session.objects.all(), DAY, DAY + timedelta(days=1)).query)
    assert '"start" >' in sql and '"start" <' in sql
