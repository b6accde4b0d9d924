"""The ICS file parses, carries the clinic's address, local times, and no health details.

Every reader gets the times right: vobject and icalendar read a winter and a summer session,
before and after a reschedule, as the database has them; SEQUENCE rises with each change.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import vobject
from django.test import Client
from icalendar import Calendar

from clinic.links import link_create
from clinic.models import ClinicSettings, PrivateLink
from scheduling.booking import session_book, session_cancel, session_move
from scheduling.calendar import session_ics, zone_vtimezone
from scheduling.models import Session
from tests.factories import ChairFactory, clinic_week, ready_course

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")


def at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=NY)


def _session(day: date, hhmm: str) -> Session:
    course = ready_course("natalizumab", start_after=day)
    start = datetime.combine(day, time.fromisoformat(hhmm), tzinfo=NY)
    return Session.objects.create(
        course=course,
        dose=course.doses.get(sequence=1),
        chair=ChairFactory(),
        start=start,
        end=start + timedelta(hours=2),
    )


@pytest.mark.parametrize("day", [date(2027, 3, 15), date(2027, 11, 8), date(2027, 7, 1)])
def test_the_event_has_the_right_local_times_across_daylight_saving(day):
    event = Calendar.from_ical(
        session_ics(session=_session(day, "09:30"), clinic=ClinicSettings.load())
    ).walk("VEVENT")[0]
    start = event.decoded("dtstart")
    assert (start.date(), start.time()) == (day, time(9, 30))
    assert start.utcoffset() == datetime.combine(day, time(9, 30), tzinfo=NY).utcoffset()
    assert str(start.tzinfo).endswith("New_York")
    assert event.decoded("dtend") - start == timedelta(hours=2)


def test_the_event_names_the_clinic_and_its_address_but_no_therapy():
    clinic = ClinicSettings.load()
    raw = session_ics(session=_session(date(2027, 1, 4), "09:00"), clinic=clinic)
    calendar = Calendar.from_ical(raw)
    assert calendar.walk("VTIMEZONE")
    event = calendar.walk("VEVENT")[0]
    assert str(event["location"]).startswith("100 Example Street")
    assert clinic.name in str(event["summary"])
    text = raw.decode().lower()
    for clinical in ("natalizumab", "tysabri", "infusion 1", "300 mg"):
        assert clinical not in text


def test_the_patient_downloads_the_file_from_the_private_link():
    session = _session(date(2027, 1, 4), "09:00")
    _row, token = link_create(
        patient=session.course.patient, purpose=PrivateLink.Purpose.MANAGE, days=30
    )
    client = Client()
    client.post(f"/my/{token}/", {"date_of_birth": "1980-03-27"})
    response = client.get(f"/my/{token}/{session.pk}/appointment.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert Calendar.from_ical(response.content).walk("VEVENT")


# --- Every reader gets the times right (issue 16) ------------------------------------------


def _readings(raw: bytes) -> dict[str, tuple[datetime, datetime]]:
    """Return the event's (start, end) as independent readers understand the file."""
    parsed = vobject.readOne(raw.decode())
    calendar = Calendar.from_ical(raw)
    event = calendar.walk("VEVENT")[0]
    # icalendar, with a tzinfo made from the file's own VTIMEZONE (not looked up by name).
    zone = calendar.walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)
    start, end = (event.decoded(k).replace(tzinfo=None) for k in ("dtstart", "dtend"))
    return {
        "vobject": (parsed.vevent.dtstart.value, parsed.vevent.dtend.value),
        "icalendar, from the VTIMEZONE": (start.replace(tzinfo=zone), end.replace(tzinfo=zone)),
        "icalendar, by zone name": (event.decoded("dtstart"), event.decoded("dtend")),
    }


def _sequence_and_status(raw: bytes) -> tuple[int, str]:
    event = Calendar.from_ical(raw).walk("VEVENT")[0]
    return int(event["sequence"]), str(event.get("status"))


def _assert_every_reader_matches(session: Session) -> None:
    session.refresh_from_db()
    raw = session_ics(session=session, clinic=ClinicSettings.load())
    for reader, (start, end) in _readings(raw).items():
        assert (start, end) == (session.start, session.end), reader


@pytest.mark.parametrize("day", [date(2027, 1, 11), date(2027, 7, 12)], ids=["january", "july"])
def test_two_readers_agree_with_the_database_before_and_after_a_reschedule(day):
    chairs = clinic_week(chairs=2, weekdays=range(7))
    course = ready_course("natalizumab", start_after=day)
    session = session_book(
        dose=course.doses.get(sequence=1), chair=chairs[0], start=at(day, "09:00"), notify=False
    )
    _assert_every_reader_matches(session)
    first = _sequence_and_status(session_ics(session=session, clinic=ClinicSettings.load()))

    session_move(session=session, chair=chairs[1], start=at(day + timedelta(days=2), "11:15"))
    _assert_every_reader_matches(session)
    assert session.start.astimezone(NY).time() == time(11, 15)
    moved = _sequence_and_status(session_ics(session=session, clinic=ClinicSettings.load()))

    session_cancel(session=session, reason="Patient away")
    session.refresh_from_db()
    cancelled = _sequence_and_status(session_ics(session=session, clinic=ClinicSettings.load()))
    assert first == (0, "CONFIRMED")
    assert moved == (1, "CONFIRMED")
    assert cancelled == (2, "CANCELLED")


def test_a_july_session_is_not_an_hour_late_in_vobject():
    # Before: the VTIMEZONE listed changes as RDATEs "from 1970 to 2038"; vobject read a July
    # 09:00 session as 10:00 in New York (it applied winter time).
    session = _session(date(2027, 7, 1), "09:00")
    raw = session_ics(session=session, clinic=ClinicSettings.load())
    start = vobject.readOne(raw.decode()).vevent.dtstart.value
    assert start.astimezone(NY).time() == time(9, 0)


def test_the_time_zone_is_written_as_yearly_rules():
    raw = session_ics(session=_session(date(2027, 1, 4), "09:00"), clinic=ClinicSettings.load())
    (zone,) = Calendar.from_ical(raw).walk("VTIMEZONE")
    assert str(zone["tzid"]) == "America/New_York"
    assert b"RDATE" not in raw and b"2038" not in raw
    rules = {c.name: dict(c["rrule"]) for c in zone.subcomponents}
    assert rules == {
        "DAYLIGHT": {"FREQ": ["YEARLY"], "BYMONTH": [3], "BYDAY": ["2SU"]},
        "STANDARD": {"FREQ": ["YEARLY"], "BYMONTH": [11], "BYDAY": ["1SU"]},
    }


def test_the_file_is_published_by_the_clinic_with_a_status():
    raw = session_ics(session=_session(date(2027, 1, 4), "09:00"), clinic=ClinicSettings.load())
    calendar = Calendar.from_ical(raw)
    assert str(calendar["method"]) == "PUBLISH"
    event = calendar.walk("VEVENT")[0]
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["organizer"]).startswith("mailto:")


ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
    "Europe/London",
    "Europe/Dublin",  # "daylight" time is its winter
    "Australia/Sydney",  # southern hemisphere
    "Australia/Lord_Howe",  # half-hour change
    "Asia/Jerusalem",  # "Thursday at 26:00": the Friday before the last Sunday
    "America/Santiago",  # "Saturday at 24:00"
    "America/Nuuk",  # "Sunday at -1:00"
]


def _hours_to_check(zone: ZoneInfo, first: date, years: int) -> list[datetime]:
    """Noon every day, and every hour of the days around each change of offset."""
    checked = []
    for offset in range(years * 366):
        day = first + timedelta(days=offset)
        noon = datetime.combine(day, time(12))
        change = (
            noon.replace(tzinfo=zone).utcoffset()
            != (noon + timedelta(days=1)).replace(tzinfo=zone).utcoffset()
        )
        hours = range(48) if change else [12]
        checked += [datetime.combine(day, time()) + timedelta(hours=h) for h in hours]
    return checked


def _assert_readers_give_the_offsets(vtimezone, zone: ZoneInfo) -> None:
    calendar = Calendar()
    calendar.add("prodid", "-//test//EN")
    calendar.add("version", "2.0")
    calendar.add_component(vtimezone)
    readers = {
        "vobject": vobject.readOne(calendar.to_ical().decode()).vtimezone.gettzinfo(),
        "icalendar": vtimezone.to_tz(lookup_tzid=False),
    }
    for local in _hours_to_check(zone, date(2027, 1, 1), years=2):
        want = local.replace(tzinfo=zone).utcoffset()
        if want != local.replace(tzinfo=zone, fold=1).utcoffset():
            continue  # the repeated hour or the skipped one: readers may pick either side
        for name, tzinfo in readers.items():
            assert local.replace(tzinfo=tzinfo).utcoffset() == want, (name, local)


@pytest.mark.parametrize("key", ZONES)
def test_each_readers_zone_gives_the_tz_databases_offsets(key):
    vtimezone = zone_vtimezone(key)
    text = vtimezone.to_ical().decode()
    assert "RDATE" not in text
    assert "RRULE" in text or "DAYLIGHT" not in text
    _assert_readers_give_the_offsets(vtimezone, ZoneInfo(key))


def test_a_zone_no_yearly_rule_describes_gets_each_change_listed():
    # Casablanca's clocks change around Ramadan, in explicit entries past the rule's start.
    vtimezone = zone_vtimezone("Africa/Casablanca")
    assert "RDATE" in vtimezone.to_ical().decode()
    zone = ZoneInfo("Africa/Casablanca")
    _assert_readers_give_the_offsets(vtimezone, zone)
