"""Patient and Practitioner resources."""

from __future__ import annotations

from typing import Any

from clinic.models import Patient
from intake.models import Referral
from interop import codes
from interop.mappers import compact, day

_GENDER = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}


def _telecom(phone: str, email: str) -> list[dict[str, str]]:
    out = []
    if phone:
        out.append({"system": "phone", "value": phone, "use": "home"})
    if email:
        out.append({"system": "email", "value": email})
    return out


def _address(line1: str, line2: str, city: str, region: str, postal_code: str) -> dict[str, Any]:
    return {
        "use": "home",
        "line": [line for line in (line1, line2) if line],
        "city": city,
        "state": region,
        "postalCode": postal_code,
        "country": "US",
    }


def _people(given: str, family: str, preferred: str) -> list[dict[str, Any]]:
    names = [{"use": "official", "family": family, "given": [given] if given else []}]
    if preferred:
        names.append({"use": "usual", "text": preferred})
    return names


def _language(code: str) -> list[dict[str, Any]]:
    return [
        {
            "language": {"coding": [{"system": "urn:ietf:bcp:47", "code": code}]},
            "preferred": True,
        }
    ]


def _guardian(name: str, phone: str) -> list[dict[str, Any]]:
    if not name:
        return []
    return [
        {
            "relationship": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v2-0131",
                            "code": "N",
                            "display": "Next-of-Kin",
                        }
                    ],
                    "text": "Guardian",
                }
            ],
            "name": {"text": name},
            "telecom": [{"system": "phone", "value": phone}] if phone else [],
        }
    ]


def patient_resource(patient: Patient) -> dict[str, Any]:
    """Return the clinic's patient record as a FHIR Patient."""
    return compact(
        {
            "resourceType": "Patient",
            "id": str(patient.pk),
            "identifier": [{"system": codes.RECORD_NUMBER, "value": patient.record_number}],
            "active": patient.merged_into_id is None,
            "name": _people(
                patient.legal_given_name, patient.legal_family_name, patient.preferred_name
            ),
            "telecom": _telecom(patient.phone, patient.email),
            "gender": _GENDER.get(patient.sex, "unknown"),
            "birthDate": day(patient.date_of_birth),
            "address": [
                _address(
                    patient.address_line1,
                    patient.address_line2,
                    patient.city,
                    patient.region,
                    patient.postal_code,
                )
            ],
            "communication": _language(patient.preferred_language),
            "contact": _guardian(patient.guardian_name, patient.guardian_phone),
            "link": (
                [
                    {
                        "other": {"reference": f"Patient/{patient.merged_into_id}"},
                        "type": "replaced-by",
                    }
                ]
                if patient.merged_into_id
                else []
            ),
        }
    )


def referral_patient(referral: Referral) -> dict[str, Any]:
    """Return the person a referral names, before triage links it to a patient record.

    Contained in the ServiceRequest (id "patient"): it is what the referrer sent, not a
    record of the clinic's.
    """
    return compact(
        {
            "resourceType": "Patient",
            "id": "patient",
            "name": _people(referral.given_name, referral.family_name, referral.preferred_name),
            "telecom": _telecom(referral.phone, referral.email),
            "gender": _GENDER.get(referral.sex, "unknown"),
            "birthDate": day(referral.date_of_birth),
            "address": [
                _address(
                    referral.address_line1,
                    referral.address_line2,
                    referral.city,
                    referral.region,
                    referral.postal_code,
                )
            ],
            "communication": _language(referral.preferred_language),
            "contact": _guardian(referral.guardian_name, referral.guardian_phone),
        }
    )


def referrer_id(npi: str) -> str:
    return f"npi-{npi}"


def referrer_practitioner(referral: Referral) -> dict[str, Any]:
    """Return the referring provider named on a referral (identified by NPI)."""
    telecom = [{"system": "phone", "value": referral.provider_phone, "use": "work"}]
    if referral.provider_fax:
        telecom.append({"system": "fax", "value": referral.provider_fax, "use": "work"})
    return compact(
        {
            "resourceType": "Practitioner",
            "id": referrer_id(referral.provider_npi),
            "identifier": [{"system": codes.NPI, "value": referral.provider_npi}],
            "name": [{"text": referral.provider_name}],
            "telecom": telecom,
            "address": [{"use": "work", "text": referral.provider_practice}],
        }
    )


def clinician_id(user_pk: int) -> str:
    return f"staff-{user_pk}"


def clinician_practitioner(user: Any) -> dict[str, Any]:
    """Return a staff clinician (the on-call clinician who acknowledged a flag)."""
    return compact(
        {
            "resourceType": "Practitioner",
            "id": clinician_id(user.pk),
            "active": user.is_active,
            "name": [
                {
                    "family": user.last_name,
                    "given": [user.first_name] if user.first_name else [],
                    "text": user.get_full_name() or user.get_username(),
                }
            ],
        }
    )
