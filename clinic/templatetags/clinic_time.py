"""Template filters for clinic time: `{{ session.start|clinic_datetime }}`, `|clinic_time`."""

from __future__ import annotations

from datetime import datetime

from django import template

from clinic import clock

register = template.Library()


@register.filter
def clinic_time(instant: datetime | None) -> str:
    return clock.time_label(instant) if instant else ""


@register.filter
def clinic_datetime(instant: datetime | None) -> str:
    return clock.datetime_label(instant) if instant else ""
