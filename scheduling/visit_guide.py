"""What a patient reads about each visit: what it is for, how long, what to bring, a ride.

Plain words in the active language, from the therapy's data (its name for patients, the
dose's place in the course, its chair time, whether its premedication causes drowsiness)
and the clinic's settings (what to bring, a ride home after a first dose). Never a
diagnosis: the treatment and the dose number are all a visit is called.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from clinic.models import ClinicSettings, Route
from scheduling.models import PlannedDose, Session


@dataclass(frozen=True)
class VisitGuide:
    treatment: str  # "Ocrelizumab (Ocrevus)"
    dose: str  # "Dose 2", "Day 2 of 5, on consecutive days"
    stay: str  # how long to plan for, observation included
    bring: str  # the clinic's list, in the patient's language
    ride: str  # why to arrange a ride home, or ""


def duration_text(minutes: int) -> str:
    """Return a length of time in words: "2 hours and 30 minutes"."""
    hours, rest = divmod(minutes, 60)
    hours_text = ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    rest_text = ngettext("%(count)d minute", "%(count)d minutes", rest) % {"count": rest}
    if hours and rest:
        return _("%(hours)s and %(minutes)s") % {"hours": hours_text, "minutes": rest_text}
    return hours_text if hours else rest_text


def _dose_text(dose: PlannedDose, block: Sequence[PlannedDose]) -> str:
    if dose.course.therapy.route == Route.TEACHING:
        return _("A visit to learn how to give the injections at home")
    if len(block) > 1:
        return _("Day %(day)d of %(days)d, on consecutive days") % {
            "day": [d.pk for d in block].index(dose.pk) + 1,
            "days": len(block),
        }
    if dose.sequence == 1:
        return _("First dose")
    return _("Dose %(number)d") % {"number": dose.sequence}


def _stay_text(session: Session) -> str:
    total = duration_text(round((session.end - session.start).total_seconds() / 60))
    premed, _infusion, observation = session.dose.chair_parts
    parts = []
    if premed:
        parts.append(_("%(time)s of medicines beforehand") % {"time": duration_text(premed)})
    if observation:
        parts.append(_("%(time)s of observation afterwards") % {"time": duration_text(observation)})
    if not parts:
        return _("Plan for about %(total)s at the clinic.") % {"total": total}
    if len(parts) == 2:
        parts = [_("%(first)s and %(second)s") % {"first": parts[0], "second": parts[1]}]
    return _("Plan for about %(total)s at the clinic, including %(parts)s.") % {
        "total": total,
        "parts": parts[0],
    }


def _ride_text(dose: PlannedDose, clinic: ClinicSettings) -> str:
    if dose.step.drowsy_premedication:
        return _(
            "The medicines you get beforehand can make you drowsy: please arrange for someone "
            "to drive you home."
        )
    first = dose.sequence == 1 and dose.course.therapy.route != Route.TEACHING
    if first and clinic.ride_after_first_dose:
        return _("This is your first dose: please arrange for someone to drive you home.")
    return ""


def visit_guide(
    *, session: Session, block: Sequence[PlannedDose], clinic: ClinicSettings
) -> VisitGuide:
    """Return what the patient should know about one visit, in the active language.

    `block` is the session's block of consecutive-day doses (`planning.block_doses`).
    """
    dose = session.dose
    return VisitGuide(
        treatment=dose.course.therapy.name_for_patients,
        dose=_dose_text(dose, block),
        stay=_stay_text(session),
        bring=clinic.what_to_bring(get_language() or "en"),
        ride=_ride_text(dose, clinic),
    )
