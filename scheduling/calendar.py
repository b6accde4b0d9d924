"""ICS files for patients: the clinic's name, address and phone, clinic-local times.

No health details: the event says "appointment", never the therapy or the dose.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from clinic.clock import clinic_tz
from clinic.models import ClinicSettings
from scheduling.models import Session


def session_ics(
    *, session: Session, clinic: ClinicSettings, now: datetime | None = None, language: str = "en"
) -> bytes:
    """Return an iCalendar file with one event for the session, in the clinic's zone."""
    tz = clinic_tz()
    with translation.override(language):
        calendar = Calendar()
        calendar.add("prodid", "-//Chairside//Infusion clinic//EN")
        calendar.add("version", "2.0")
        event = Event()
        event.add("uid", f"session-{session.pk}@chairside")
        event.add("dtstamp", now or timezone.now())
        event.add("dtstart", session.start.astimezone(tz))
        event.add("dtend", session.end.astimezone(tz))
        event.add("summary", _("Appointment at %(clinic)s") % {"clinic": clinic.name})
        event.add("location", ", ".join(clinic.address.splitlines()))
        event.add(
            "description",
            _("To change this appointment, use your private link or call %(phone)s.")
            % {"phone": clinic.phone},
        )
        calendar.add_component(event)
        calendar.add_missing_timezones()
    return calendar.to_ical()
