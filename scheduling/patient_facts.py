"""Facts about a patient that rules read: which therapies they are on now.

A patient's current therapies come from their active treatment courses, whatever created
them (an accepted referral, a course staff set up, a course switched from IV to SC), never
from referrals alone. Here, not in `clinic`, because courses are scheduling's and `clinic`
imports nothing from the apps above it.
"""

from __future__ import annotations

from typing import Any

from scheduling.models import TreatmentCourse


def current_therapies(patient: Any) -> list[str]:
    """Return the codes of the therapies on the patient's active courses, sorted."""
    codes = (
        TreatmentCourse.objects.filter(patient=patient, status=TreatmentCourse.Status.ACTIVE)
        .values_list("therapy__code", flat=True)
        .distinct()
    )
    return sorted(set(codes))


def patient_facts(patient: Any) -> dict[str, Any]:
    """Return the facts flag rules may use (see intake.scoring: {"context": ...})."""
    return {"therapies": current_therapies(patient)}
