"""The clinic's time: its zone, its local days, and the one pair of formatters for instants.

Instants are stored in UTC; the clinic has one zone (`CLINIC_TIME_ZONE`). Every page, email,
ICS file and admin screen turns an instant into clinic-local text with `time_label` or
`datetime_label` (templates: the `clinic_time` filters), so a time reads the same wherever
it is shown: on the clinic's 24-hour clock for staff and in the booking service's messages,
in the patient's language's own style (`localized=True`) on patient pages and in emails.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.formats import date_format


def clinic_tz() -> ZoneInfo:
    return ZoneInfo(settings.CLINIC_TIME_ZONE)


def local_dt(day: date, at: time, tz: tzinfo | None = None) -> datetime:
    """Return the aware instant of a local wall-clock time on a date (fold=0 in a repeat)."""
    return datetime.combine(day, at, tzinfo=tz or clinic_tz())


def instant_after(start: datetime, minutes: int) -> datetime:
    """Return the instant `minutes` of real time after `start`, in UTC.

    Python adds a timedelta to a zoned datetime on the wall clock, so a clinic-local start
    plus a chair time would be an hour off across a daylight-saving change; UTC has none.
    """
    return start.astimezone(UTC) + timedelta(minutes=minutes)


def local_day(instant: datetime, tz: tzinfo | None = None) -> date:
    return instant.astimezone(tz or clinic_tz()).date()


def day_bounds(day: date, tz: tzinfo | None = None) -> tuple[datetime, datetime]:
    """Return the instants of local midnight at the start and end of a date."""
    tz = tz or clinic_tz()
    return local_dt(day, time(0), tz), local_dt(day + timedelta(days=1), time(0), tz)


def time_label(instant: datetime, *, localized: bool = False) -> str:
    """Return the clinic-local time of day: "14:30" on the clinic's 24-hour clock.

    With `localized`, in the active language's own style instead ("2:30 p.m." in English,
    "14:30" in Spanish): what patients read on their pages and in their emails.
    """
    local = instant.astimezone(clinic_tz())
    return date_format(local, "TIME_FORMAT") if localized else f"{local:%H:%M}"


def datetime_label(instant: datetime, *, localized: bool = False) -> str:
    """Return the clinic-local weekday, date and time, the date in the active language.

    "Monday, Jan. 4, 2027, 14:30" in English, "lunes, 4 de enero de 2027, 14:30" in Spanish;
    the time as `time_label` gives it.
    """
    local = instant.astimezone(clinic_tz())
    day = f"{date_format(local, 'l')}, {date_format(local, 'DATE_FORMAT')}"
    return f"{day}, {time_label(local, localized=localized)}"
