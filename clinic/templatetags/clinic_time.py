"""Template filters for clinic time: `{{ session.start|clinic_datetime }}`, `|clinic_time`,
`|clinic_date` (a date with its weekday).

Staff pages use the clinic's 24-hour clock; patient pages and emails add `:"localized"` for
the active language's own style (`{{ expires_at|clinic_datetime:"localized" }}`).
"""

from __future__ import annotations

from datetime import date, datetime

from django import template

from clinic import clock

register = template.Library()


@register.filter
def clinic_time(instant: datetime | None, style: str = "") -> str:
    return clock.time_label(instant, localized=style == "localized") if instant else ""


@register.filter
def clinic_datetime(instant: datetime | None, style: str = "") -> str:
    return clock.datetime_label(instant, localized=style == "localized") if instant else ""


@register.filter
def clinic_date(day: date | datetime | None) -> str:
    """Return a date (or an instant's clinic-local date) with its weekday."""
    if day is None or day == "":
        return ""
    if isinstance(day, datetime):
        day = clock.local_day(day)
    return clock.date_label(day)
