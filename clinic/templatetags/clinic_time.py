"""Template filters for clinic time: `{{ s.start|clinic_datetime }}`, `|clinic_time`,
`|clinic_date`.
"""

from __future__ import annotations

from datetime import date, datetime

from django import template

from clinic import clock

register = template.Library()


@register.filter
def clinic_time(instant: datetime | None) -> str:
    return clock.time_label(instant) if instant else ""


@register.filter
def clinic_datetime(instant: datetime | None) -> str:
    return clock.datetime_label(instant) if instant else ""


@register.filter
def clinic_date(day: date | datetime | None) -> str:
    """Return a date (or an instant's clinic-local date) with its weekday."""
    if day is None or day == "":
        return ""
    if isinstance(day, datetime):
        day = clock.local_day(day)
    return clock.date_label(day)
