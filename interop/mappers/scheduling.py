"""Appointment (an infusion session) and Location (a chair, bed or recliner)."""

from __future__ import annotations

from typing import Any

from interop.mappers import compact, instant, ref
from interop.mappers.referrals import therapy_concept
from scheduling.models import Chair, Session, SessionStatus

# DOMAIN.md section 5: proposed, booked, arrived, fulfilled, cancelled, noshow.
APPOINTMENT_STATUS: dict[str, str] = {
    SessionStatus.BOOKED: "booked",
    SessionStatus.CHECKED_IN: "arrived",
    SessionStatus.IN_CHAIR: "arrived",
    SessionStatus.COMPLETED: "fulfilled",
    SessionStatus.NO_SHOW: "noshow",
    SessionStatus.CANCELLED: "cancelled",
}


def location_resource(chair: Chair) -> dict[str, Any]:
    """Return a chair as a Location (an instance of the clinic's infusion chairs)."""
    return compact(
        {
            "resourceType": "Location",
            "id": str(chair.pk),
            "status": "active" if chair.is_active else "inactive",
            "name": chair.name,
            "description": chair.get_kind_display(),
            "mode": "instance",
            "physicalType": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/location-physical-type",
                        "code": "bd" if chair.kind == Chair.Kind.BED else "ro",
                        "display": "Bed" if chair.kind == Chair.Kind.BED else "Room",
                    }
                ]
            },
        }
    )


def appointment_resource(session: Session) -> dict[str, Any]:
    """Return a session as an Appointment with the patient and the chair as participants."""
    course = session.course
    status = APPOINTMENT_STATUS.get(session.status, "booked")
    minutes = int((session.end - session.start).total_seconds() // 60)
    return compact(
        {
            "resourceType": "Appointment",
            "id": str(session.pk),
            "status": status,
            "cancelationReason": (
                {"text": session.cancel_reason}
                if session.status == SessionStatus.CANCELLED and session.cancel_reason
                else None
            ),
            "serviceType": [therapy_concept(course.therapy)],
            "description": session.dose.label,
            "start": instant(session.start),
            "end": instant(session.end),
            "minutesDuration": minutes if minutes > 0 else None,
            "created": instant(session.created_at),
            "basedOn": [ref("ServiceRequest", course.referral_id)] if course.referral_id else [],
            "participant": [
                {
                    "actor": ref("Patient", course.patient_id),
                    "required": "required",
                    "status": "accepted",
                },
                {
                    "actor": ref("Location", session.chair_id, session.chair.name),
                    "required": "required",
                    "status": "accepted",
                },
            ],
        }
    )
