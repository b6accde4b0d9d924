"""The day board shows chairs, sessions by status and nurse load in a fixed number of queries."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from clinic.clock import date_label
from scheduling.board import board_build
from scheduling.models import Session
from tests.factories import clinic_week, ready_course

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
MONDAY = date(2027, 1, 4)
BOARD = "/admin/scheduling/session/board/"


def _fill(chairs, count: int, day: date = MONDAY) -> None:
    """Insert sessions directly (test set-up only), spread over chairs and the morning."""
    rows = []
    for index in range(count):
        course = ready_course()
        start = datetime.combine(day, time(8), tzinfo=NY) + timedelta(hours=index // len(chairs))
        rows.append(
            Session(
                course=course,
                dose=course.doses.get(sequence=1),
                chair=chairs[index % len(chairs)],
                start=start,
                end=start + timedelta(minutes=60),
                status="booked",
            )
        )
    Session.objects.bulk_create(rows)


def test_the_board_places_each_session_by_slot_and_counts_nurse_load():
    chairs = clinic_week(chairs=2, nurses=1)
    course = ready_course()
    start = datetime.combine(MONDAY, time(9), tzinfo=NY)
    Session.objects.create(
        course=course,
        dose=course.doses.get(sequence=1),
        chair=chairs[1],
        start=start,
        end=start + timedelta(hours=4),
        status="in_chair",
    )
    board = board_build(MONDAY)
    assert board.slots == 42  # 07:30 to 18:00
    (block,) = board.rows[1].blocks
    assert (block.start_slot, block.span) == (7, 16)
    assert board.load[6].sessions == 1 and board.load[6].capacity == 4
    assert board.load[5].sessions == 0


def test_the_board_page_renders_with_status_classes_and_day_links(client, nurse):
    chairs = clinic_week(chairs=2)
    _fill(chairs, 3)
    client.force_login(nurse)
    response = client.get(BOARD, {"day": "2027-01-04"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "status-booked" in html and "bs-3 bw-4" in html
    # Previous and next open days: Friday 1 January (weekends closed), Tuesday 5 January.
    assert "?day=2027-01-01" in html and "?day=2027-01-05" in html
    assert 'style="' not in html.split("<body")[1].split("</body>")[0].replace(
        'style="display', ""
    )  # no inline styles of ours


@pytest.mark.parametrize("count", [4, 40])
def test_the_board_renders_in_a_fixed_number_of_queries(
    client, nurse, count, django_assert_max_num_queries
):
    chairs = clinic_week(chairs=12, nurses=3)
    _fill(chairs, count)
    client.force_login(nurse)
    with django_assert_max_num_queries(12):
        assert client.get(BOARD, {"day": "2027-01-04"}).status_code == 200


def test_someone_without_scheduling_access_cannot_see_the_board(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="no-role", is_staff=True))
    assert client.get(BOARD).status_code == 403


def test_the_dashboard_lists_today_sessions(client, nurse):
    chairs = clinic_week(chairs=2, weekdays=range(7))
    _fill(chairs, 2, day=timezone.localdate(timezone=NY))
    client.force_login(nurse)
    html = client.get("/admin/").content.decode()
    assert "Today&#x27;s sessions" in html and "Open the day board" in html
    assert html.count("status-booked") == 2


def test_hour_labels_never_run_past_closing():
    clinic_week(closes="18:00")
    board = board_build(MONDAY)
    assert board.hours[0] == (3, 4, "08:00")
    assert all(slot + span - 1 <= board.slots for slot, span, _label in board.hours)
    assert board.hours[-1] == (39, 4, "17:00")


def test_the_board_opens_on_the_next_open_day_when_today_is_closed(client, nurse):
    today = timezone.localdate(timezone=NY)
    clinic_week(chairs=2, weekdays=[d for d in range(7) if d != today.weekday()])
    client.force_login(nurse)
    response = client.get(BOARD)
    assert response.context["board"].day == today + timedelta(days=1)
    html = response.content.decode()
    assert f"The clinic is closed today ({date_label(today)}): this is the next open day." in html
    # Asked for a closed day by name, the board shows it, and says it is closed.
    closed = client.get(BOARD, {"day": today.isoformat()})
    assert closed.context["board"].day == today
    assert f"The clinic is closed on {date_label(today)}." in closed.content.decode()


def test_the_board_has_a_date_picker_and_open_day_links(client, nurse):
    clinic_week(chairs=2)
    client.force_login(nurse)
    html = client.get(BOARD, {"day": "2027-01-08"}).content.decode()  # a Friday
    assert '<input type="date" id="board-day" name="day" value="2027-01-08" required>' in html
    assert 'href="?day=2027-01-11">Next open day (Mon 11 Jan)' in html
    assert 'href="?day=2027-01-07">← Previous open day (Thu 7 Jan)' in html


def test_each_block_is_a_cell_holding_a_link_to_the_session_page(client, nurse):
    chairs = clinic_week(chairs=2)
    _fill(chairs, 2)
    client.force_login(nurse)
    html = client.get(BOARD, {"day": "2027-01-04"}).content.decode()
    assert 'role="cell"' in html
    assert not re.search(r"<a\b[^>]*\brole=", html), "a link given a role is invalid HTML"
    for session in Session.objects.all():
        url = f'<a href="/admin/scheduling/session/{session.pk}/change/"'
        assert url in html
        block = html.split(url)[0].rsplit("<div", 1)[1]
        assert 'class="board-block' in block and 'role="cell"' in block


def test_the_time_axis_shrinks_to_the_width_available():
    """Slot columns may shrink to nothing (minmax(0, 1fr)) so opening hours fit any width."""
    css = (Path(__file__).resolve().parent.parent / "static/css/board.css").read_text()
    columns = re.findall(r"\.board-cols-(\d+) \{ grid-template-columns: ([^;]+); \}", css)
    assert len(columns) == 64
    for count, template in columns:
        assert template == f"7.5rem repeat({count}, minmax(0, 1fr))"
