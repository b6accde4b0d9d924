"""Template filters for clinic time: `{{ session.start|clinic_datetime }}`, `|clinic_time`.

Staff pages use the clinic's 24-hour clock; patient pages and emails add `:"localized"` for
the active language's own style (`{{ expires_at|clinic_datetime:"localized" }}`).
"""

from __future__ import annotations

from datetime import datetime

from django import template

from clinic import clock

register = template.Library()


@register.filter
def clinic_time(instant: datetime | None, style: str = "") -> str:
    return clock.time_label(instant, localized=style == "localized") if instant else ""


@register.filter
def clinic_datetime(instant: datetime | None, style: str = "") -> str:
    return clock.datetime_label(instant, localized=style == "localized") if instant else ""
