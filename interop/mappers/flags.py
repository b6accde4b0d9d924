"""Flag: an urgent or review flag raised by a questionnaire response."""

from __future__ import annotations

from typing import Any

from intake.models import Flag
from interop import codes
from interop.mappers import compact, instant, ref


def flag_resource(flag: Flag) -> dict[str, Any]:
    """Return a flag; open until a clinician acknowledges it (then inactive, period ended)."""
    return compact(
        {
            "resourceType": "Flag",
            "id": str(flag.pk),
            "status": "active" if flag.is_open else "inactive",
            "category": [
                {
                    "coding": [
                        {"system": codes.FLAG_CATEGORY, "code": "clinical", "display": "Clinical"}
                    ],
                    "text": flag.get_level_display(),
                }
            ],
            "code": {
                "coding": [{"system": codes.FLAG_RULE, "code": flag.rule, "display": flag.label}],
                "text": flag.label,
            },
            "subject": ref("Patient", flag.patient_id),
            "period": {"start": instant(flag.raised_at), "end": instant(flag.acknowledged_at)},
            "extension": [
                {
                    "url": f"{codes.LOCAL}:flag-level",
                    "valueCode": flag.level,
                },
                {
                    "url": f"{codes.LOCAL}:flag-source",
                    "valueReference": ref("QuestionnaireResponse", flag.response_id),
                },
            ],
        }
    )
