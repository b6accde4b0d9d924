"""ICS files for patients: the clinic's name, address and phone, clinic-local times.

No health details: the event says "appointment", never the therapy or the dose.

Every reader must get the times right, so the clinic's zone goes in as a standard
`VTIMEZONE` whose rules are `RRULE`s (what calendar programs themselves write), built from
the zone's current rule in the tz database: the POSIX TZ string at the end of its TZif file
("EST5EDT,M3.2.0,M11.1.0"). icalendar's own `add_missing_timezones` lists every change
from 1970 to 2038 as `RDATE` lists instead, which readers get wrong: vobject keeps only the
first date of each list and read a July 2027 session an hour late, and ical.js did the
same. A zone whose coming changes follow no yearly rule gets them listed, one date per
`RDATE` line, at the local times RFC 5545 asks for.

Each change of the session raises its `SEQUENCE` (`Session.calendar_sequence`, kept by the
booking service), so a calendar that imported an earlier file takes the new one; a
cancelled session's file says `STATUS:CANCELLED`.
"""

from __future__ import annotations

import logging
import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from functools import lru_cache
from importlib import resources
from pathlib import Path

import dateutil.rrule
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress
from icalendar.prop import vRecur

from clinic.clock import clinic_tz
from clinic.models import ClinicSettings
from scheduling.models import Session, SessionStatus

logger = logging.getLogger(__name__)

# Readers start applying a rule at its first onset: 1970 is what calendar programs write.
_RULES_FROM_YEAR = 1970
# A zone's rule is checked against the tz database this many years ahead.
_CHECKED_YEARS = 10
_WEEKDAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")  # POSIX counts from Sunday = 0
_SHORTEST_MONTH = {2: 28, 4: 30, 6: 30, 9: 30, 11: 30}
_NAME = r"(?:[A-Za-z]{3,}|<[+\-A-Za-z0-9]+>)"
_OFFSET = r"[+-]?\d{1,3}(?::\d{2}){0,2}"
_POSIX_TZ = re.compile(
    rf"^(?P<std>{_NAME})(?P<std_offset>{_OFFSET})"
    rf"(?:(?P<dst>{_NAME})(?P<dst_offset>{_OFFSET})?"
    r",(?P<start>[^,]+),(?P<end>[^,]+))?$"
)
_RULE = re.compile(
    rf"^M(?P<month>\d{{1,2}})\.(?P<week>[1-5])\.(?P<day>[0-6])(?:/(?P<at>{_OFFSET}))?$"
)


class ZoneRuleError(ValueError):
    """The zone's current rule can't be written as iCalendar RRULEs."""


@dataclass(frozen=True)
class _Change:
    """One yearly change of offset: its RRULE and its local time (before the change)."""

    rrule: str
    at: timedelta


def _seconds(text: str) -> timedelta:
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")] + [0, 0]
    return sign * timedelta(hours=parts[0], minutes=parts[1], seconds=parts[2])


def _change(rule: str) -> _Change:
    """Turn a POSIX 'Mm.w.d[/time]' rule into an RRULE and the local time of day.

    Times outside 0-24 h (Jerusalem's "Thursday at 26:00", Nuuk's "-1:00") move the change
    to another weekday, given as the weekday within a range of days of the month.
    """
    found = _RULE.match(rule)
    if not found:
        raise ZoneRuleError(f"unsupported rule {rule!r}")
    month, week, day = int(found["month"]), int(found["week"]), int(found["day"])
    at = _seconds(found["at"]) if found["at"] else timedelta(hours=2)
    shift = at.days  # whole days before or after the named weekday
    at -= timedelta(days=shift)
    parts = f"FREQ=YEARLY;BYMONTH={month}"
    if not shift:
        return _Change(f"{parts};BYDAY={-1 if week == 5 else week}{_WEEKDAYS[day]}", at)
    weekday = _WEEKDAYS[(day + shift) % 7]
    if week == 5:  # the last such weekday: counted back from the month's end
        days = [-7 + shift + i for i in range(7)]
        fits = max(days) <= -1
    else:
        days = [(week - 1) * 7 + 1 + shift + i for i in range(7)]
        fits = min(days) >= 1 and max(days) <= _SHORTEST_MONTH.get(month, 31)
    if not fits:
        raise ZoneRuleError(f"unsupported rule {rule!r}")
    return _Change(f"{parts};BYDAY={weekday};BYMONTHDAY={','.join(map(str, days))}", at)


def _posix_rule(key: str) -> str:
    """Return the POSIX TZ string that ends the zone's TZif file (its rule from now on)."""
    for folder in zoneinfo.TZPATH:
        path = Path(folder, key)
        if path.is_file():
            raw = path.read_bytes()
            break
    else:
        try:
            raw = resources.files("tzdata").joinpath("zoneinfo", *key.split("/")).read_bytes()
        except (ModuleNotFoundError, FileNotFoundError) as exc:
            raise ZoneRuleError(f"no tz data for {key}") from exc
    if not raw.startswith(b"TZif") or raw[4:5] < b"2":
        raise ZoneRuleError(f"{key}: TZif file without a rule footer")
    return raw.rstrip(b"\n").rsplit(b"\n", 1)[-1].decode("ascii")


def _onset(component: TimezoneStandard | TimezoneDaylight, change: _Change) -> None:
    """Set DTSTART to the rule's first onset in 1970 and add the RRULE."""
    rule = dateutil.rrule.rrulestr(
        change.rrule, dtstart=datetime(_RULES_FROM_YEAR, 1, 1) + change.at
    )
    component.add("dtstart", rule[0])
    component.add("rrule", vRecur.from_ical(change.rrule))


@lru_cache(maxsize=8)
def zone_vtimezone(key: str) -> Timezone:
    """Return a VTIMEZONE for an IANA zone: its current rule as RRULEs.

    Checked against the tz database for the next ten years. A zone whose coming changes no
    yearly rule describes (Casablanca's, around Ramadan) gets each change of those years
    listed instead.
    """
    zone = zoneinfo.ZoneInfo(key)
    year = timezone.now().year
    try:
        vtimezone = _rrule_vtimezone(key)
        if _follows(vtimezone, zone, year, _CHECKED_YEARS):
            return vtimezone
    except ZoneRuleError:
        logger.warning("%s: current rule not expressible as RRULEs", key, exc_info=True)
    logger.warning("%s: calendar files list each change for %d years", key, _CHECKED_YEARS)
    return _listed_vtimezone(key, zone, year - 1, year + _CHECKED_YEARS)


def _changes(zone: zoneinfo.ZoneInfo, first_year: int, last_year: int) -> list[datetime]:
    """Return the UTC instants the zone's offset changes at, to the second."""
    found = []
    day = datetime(first_year, 1, 1, tzinfo=UTC)
    while day.year <= last_year:
        after = day + timedelta(days=1)
        if day.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset():
            low, high = day, after  # the offset at `low` is the old one, at `high` the new
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high.replace(microsecond=0))
        day = after
    return found


def _listed_vtimezone(
    key: str, zone: zoneinfo.ZoneInfo, first_year: int, last_year: int
) -> Timezone:
    """List each change of offset between two years, with local times as RFC 5545 has them.

    (icalendar's own `Timezone.from_tzinfo` writes each change at the local time after it,
    where the RFC wants the time before it: readers then change an hour off.)
    """
    start = datetime(first_year, 1, 1, tzinfo=UTC).astimezone(zone)
    first = TimezoneDaylight() if start.dst() else TimezoneStandard()
    first.add("dtstart", start.replace(tzinfo=None))
    first.add("tzoffsetfrom", start.utcoffset())
    first.add("tzoffsetto", start.utcoffset())
    first.add("tzname", start.tzname())
    parts: dict[tuple, list[datetime]] = {}
    for change in _changes(zone, first_year, last_year):
        before, after = (change - timedelta(seconds=1)).astimezone(zone), change.astimezone(zone)
        onset = (change + before.utcoffset()).replace(tzinfo=None)
        parts.setdefault(
            (before.utcoffset(), after.utcoffset(), after.tzname(), bool(after.dst())), []
        ).append(onset)
    vtimezone = Timezone()
    vtimezone.add("tzid", key)
    vtimezone.add_component(first)
    for (offset_from, offset_to, name, daylight), onsets in parts.items():
        part = TimezoneDaylight() if daylight else TimezoneStandard()
        part.add("dtstart", onsets[0])
        for onset in onsets[1:]:
            # One date per RDATE line: vobject keeps only the first date of a list.
            part.add("rdate", onset)
        part.add("tzoffsetfrom", offset_from)
        part.add("tzoffsetto", offset_to)
        part.add("tzname", name)
        vtimezone.add_component(part)
    return vtimezone


def _follows(vtimezone: Timezone, zone: zoneinfo.ZoneInfo, year: int, years: int) -> bool:
    """Return whether the VTIMEZONE gives the zone's offset at noon every week for `years`."""
    ours = vtimezone.to_tz(lookup_tzid=False)
    noon = datetime(year, 1, 1, 12)
    for week in range(years * 53):
        at = noon + timedelta(weeks=week)
        if at.replace(tzinfo=ours).utcoffset() != at.replace(tzinfo=zone).utcoffset():
            return False
    return True


def _rrule_vtimezone(key: str) -> Timezone:
    """Build the VTIMEZONE from the zone's POSIX TZ string (one STANDARD part if no DST)."""
    posix = _posix_rule(key)
    found = _POSIX_TZ.match(posix)
    if not found:
        raise ZoneRuleError(f"{key}: unsupported TZ string {posix!r}")
    standard = -_seconds(found["std_offset"])  # POSIX counts hours west of UTC
    vtimezone = Timezone()
    vtimezone.add("tzid", key)
    if not found["dst"]:
        part = TimezoneStandard()
        part.add("dtstart", datetime(_RULES_FROM_YEAR, 1, 1))
        part.add("tzoffsetfrom", standard)
        part.add("tzoffsetto", standard)
        part.add("tzname", found["std"].strip("<>"))
        vtimezone.add_component(part)
        return vtimezone
    daylight = (
        -_seconds(found["dst_offset"]) if found["dst_offset"] else standard + timedelta(hours=1)
    )
    for kind, name, change, before, after in (
        (TimezoneDaylight, found["dst"], _change(found["start"]), standard, daylight),
        (TimezoneStandard, found["std"], _change(found["end"]), daylight, standard),
    ):
        part = kind()
        _onset(part, change)
        part.add("tzoffsetfrom", before)
        part.add("tzoffsetto", after)
        part.add("tzname", name.strip("<>"))
        vtimezone.add_component(part)
    return vtimezone


def _organizer(clinic: ClinicSettings) -> vCalAddress:
    organizer = vCalAddress(f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}")
    organizer.params["cn"] = clinic.name
    return organizer


def session_ics(
    *, session: Session, clinic: ClinicSettings, now: datetime | None = None, language: str = "en"
) -> bytes:
    """Return an iCalendar file with one event for the session, in the clinic's zone.

    `METHOD:PUBLISH`: the file is a copy of the clinic's calendar entry, not an invitation
    to answer; `SEQUENCE` and `STATUS` tell a calendar that already has it what changed.
    """
    tz = clinic_tz()
    cancelled = session.status == SessionStatus.CANCELLED
    with translation.override(language):
        calendar = Calendar()
        calendar.add("prodid", "-//Chairside//Infusion clinic//EN")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add_component(zone_vtimezone(tz.key))
        event = Event()
        event.add("uid", f"session-{session.pk}@chairside")
        event.add("dtstamp", now or timezone.now())
        event.add("sequence", session.calendar_sequence)
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add("organizer", _organizer(clinic))
        event.add("dtstart", session.start.astimezone(tz))
        event.add("dtend", session.end.astimezone(tz))
        summary = _("Appointment at %(clinic)s") % {"clinic": clinic.name}
        if cancelled:
            summary = _("Cancelled: %(appointment)s") % {"appointment": summary}
        event.add("summary", summary)
        event.add("location", ", ".join(clinic.address.splitlines()))
        event.add(
            "description",
            _("To change this appointment, use your private link or call %(phone)s.")
            % {"phone": clinic.phone},
        )
        calendar.add_component(event)
    return calendar.to_ical()
