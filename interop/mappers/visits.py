"""The visit record: the infusion as a MedicationAdministration, vitals as Observations.

The administration names the product by the therapy's RxNorm code (catalogue) in a contained
Medication that carries the lot number and expiry (R4 keeps them on `Medication.batch`). An
Appointment can't be a MedicationAdministration's `context` (Encounter or EpisodeOfCare only)
nor its `partOf` (MedicationAdministration or Procedure), so the session is named in
`supportingInformation`, which takes any resource.

Each vitals reading gives one Observation per measurement, as the FHIR R4 vital-signs profile
asks (blood pressure as the panel with systolic and diastolic components), each `partOf` the
visit's MedicationAdministration when the infusion was started.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from interop import codes
from interop.mappers import compact, day, instant, ref
from interop.mappers.patients import clinician_id
from interop.mappers.referrals import therapy_concept
from visits.models import PremedicationGiven, VisitRecord, VitalsReading

# Dose as written by the nurse ("300 mg", "1000 mg", "20 mg/kg") -> UCUM when it is plain.
_DOSE = re.compile(r"^\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>mg|g|mcg|mL|ml|units?|IU)\s*$")
_UCUM_DOSE = {"mg": "mg", "g": "g", "mcg": "ug", "mL": "mL", "ml": "mL", "unit": "[iU]"}
_UCUM_DOSE |= {"units": "[iU]", "IU": "[iU]"}


def number(value: Decimal) -> int | float:
    """Return a decimal as JSON can carry it (whole numbers without a point)."""
    return int(value) if value == value.to_integral_value() else float(value)


def administration_status(record: VisitRecord) -> str:
    """in-progress while the infusion runs, completed once stopped, not-done if never started."""
    if record.infusion_started_at is None:
        return "not-done"
    if record.infusion_stopped_at is None:
        return "in-progress"
    return "completed"


def _dose(text: str) -> dict[str, Any]:
    match = _DOSE.match(text or "")
    if not match:
        return {"text": text} if text else {}
    unit = match["unit"]
    return {
        "text": text,
        "dose": {
            "value": number(Decimal(match["value"])),
            "unit": unit,
            "system": codes.UCUM,
            "code": _UCUM_DOSE[unit],
        },
    }


def medication_administration_resource(record: VisitRecord) -> dict[str, Any]:
    """Return the visit's infusion as a MedicationAdministration (one per visit record)."""
    session = record.session
    concept = therapy_concept(record.therapy)
    if record.product:
        concept = {**concept, "text": record.product}
    started, stopped = record.infusion_started_at, record.infusion_stopped_at
    effective: dict[str, Any] = (
        {"effectivePeriod": {"start": instant(started), "end": instant(stopped)}}
        if started
        else {"effectiveDateTime": instant(record.opened_at)}
    )
    performer = record.opened_by_id
    return compact(
        {
            "resourceType": "MedicationAdministration",
            "id": str(record.pk),
            "contained": [
                {
                    "resourceType": "Medication",
                    "id": "product",
                    "code": concept,
                    "batch": {
                        "lotNumber": record.lot_number,
                        # dateTime allows a bare date: the expiry is a day, not an instant.
                        "expirationDate": day(record.lot_expiry),
                    },
                }
            ],
            "status": administration_status(record),
            "category": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/medication-admin-category",
                        "code": "outpatient",
                        "display": "Outpatient",
                    }
                ]
            },
            "medicationReference": {"reference": "#product", "display": concept["text"]},
            "subject": ref("Patient", session.course.patient_id),
            "supportingInformation": [ref("Appointment", session.pk)],
            **effective,
            "performer": (
                [{"actor": ref("Practitioner", clinician_id(performer))}] if performer else []
            ),
            "dosage": _dose(record.dose_given),
        }
    )


# --- Vitals ---------------------------------------------------------------------------------

VITAL_SIGNS_CATEGORY = [
    {
        "coding": [
            {"system": codes.OBSERVATION_CATEGORY, "code": "vital-signs", "display": "Vital Signs"}
        ]
    }
]
# Observation id prefix -> the reading's fields it needs (any of them present).
VITAL_MEASURES: dict[str, tuple[str, ...]] = {
    "bp": ("systolic", "diastolic"),
    "pulse": ("pulse",),
    "temperature": ("temperature",),
    "spo2": ("spo2",),
    "weight": ("weight",),
}
_CODE_KEY = {"bp": "blood_pressure"}


def vital_id(measure: str, reading: VitalsReading) -> str:
    return f"vitals-{measure}-{reading.pk}"


def _concept(key: str) -> dict[str, Any]:
    code, display, _unit = codes.VITALS[key]
    coding = [{"system": codes.LOINC, "code": code, "display": display}]
    if key == "spo2":
        # The R4 oxygensat profile fixes 2708-6; pulse oximetry's own code follows it.
        coding.insert(
            0,
            {
                "system": codes.LOINC,
                "code": "2708-6",
                "display": "Oxygen saturation in Arterial blood",
            },
        )
    return {"coding": coding, "text": display}


def _quantity(key: str, value: Any) -> dict[str, Any]:
    _code, _display, unit = codes.VITALS[key]
    return {"value": number(Decimal(value)), "unit": unit, "system": codes.UCUM, "code": unit}


def vital_observation(measure: str, reading: VitalsReading) -> dict[str, Any]:
    """Return one measurement of a reading as a vital-signs Observation."""
    record = reading.record
    out: dict[str, Any] = {
        "resourceType": "Observation",
        "id": vital_id(measure, reading),
        "meta": {"profile": [f"http://hl7.org/fhir/StructureDefinition/{_PROFILE[measure]}"]},
        "status": "final",
        "category": VITAL_SIGNS_CATEGORY,
        "code": _concept(_CODE_KEY.get(measure, measure)),
        "subject": ref("Patient", record.session.course.patient_id),
        "effectiveDateTime": instant(reading.taken_at),
        "performer": (
            [ref("Practitioner", clinician_id(reading.recorded_by_id))]
            if reading.recorded_by_id
            else []
        ),
        "partOf": (
            [ref("MedicationAdministration", record.pk)] if record.infusion_started_at else []
        ),
        "note": [{"text": f"{reading.get_phase_display()} the infusion"}],
    }
    if measure == "bp":
        out["component"] = [
            {"code": _concept(name), "valueQuantity": _quantity(name, value)}
            if value is not None
            else {
                "code": _concept(name),
                "dataAbsentReason": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                            "code": "not-performed",
                        }
                    ]
                },
            }
            for name, value in (("systolic", reading.systolic), ("diastolic", reading.diastolic))
        ]
    else:
        out["valueQuantity"] = _quantity(measure, getattr(reading, measure))
    return compact(out)


_PROFILE = {
    "bp": "bp",
    "pulse": "heartrate",
    "temperature": "bodytemp",
    "spo2": "oxygensat",
    "weight": "bodyweight",
}


def vital_observations(reading: VitalsReading) -> list[dict[str, Any]]:
    """Return every measurement the reading holds, blood pressure first."""
    return [
        vital_observation(measure, reading)
        for measure, fields in VITAL_MEASURES.items()
        if any(getattr(reading, name) is not None for name in fields)
    ]


# --- Premedications -------------------------------------------------------------------------


def premedication_id(premed: PremedicationGiven) -> str:
    return f"premed-{premed.pk}"


def premedication_resource(premed: PremedicationGiven) -> dict[str, Any]:
    """Return a premedication given at the visit as a MedicationAdministration.

    The medicine is free text in the visit record (no RxNorm code), so it is a text concept.
    """
    session = premed.record.session
    return compact(
        {
            "resourceType": "MedicationAdministration",
            "id": premedication_id(premed),
            "status": "completed",
            "medicationCodeableConcept": {"text": premed.medicine},
            "subject": ref("Patient", session.course.patient_id),
            "supportingInformation": [ref("Appointment", session.pk)],
            "effectiveDateTime": instant(premed.given_at),
            "performer": (
                [{"actor": ref("Practitioner", clinician_id(premed.given_by_id))}]
                if premed.given_by_id
                else []
            ),
            "dosage": {**_dose(premed.dose), "route": {"text": premed.route}},
        }
    )
