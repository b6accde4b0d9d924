"""Demo data for the FHIR interface: one system client and a referral it sent as a Bundle."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import OutputWrapper

from interop import codes
from interop.inbound import BundleRefused, referral_receive
from interop.models import ApiClient

_PATIENT = "urn:uuid:6a1f0c1e-0000-4000-8000-000000000001"
_PRACTITIONER = "urn:uuid:6a1f0c1e-0000-4000-8000-000000000002"
_COVERAGE = "urn:uuid:6a1f0c1e-0000-4000-8000-000000000003"


def demo_bundle() -> dict[str, Any]:
    """Return the referral an EHR might send: an obviously fake patient, natalizumab."""

    def entry(url: str, resource: dict[str, Any]) -> dict[str, Any]:
        return {"fullUrl": url, "resource": resource} if url else {"resource": resource}

    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            entry(
                "",
                {
                    "resourceType": "ServiceRequest",
                    "identifier": [
                        {"system": "https://ehr.example.test/orders", "value": "DEMO-1"}
                    ],
                    "status": "active",
                    "intent": "order",
                    "code": {"coding": [{"system": codes.THERAPY_CODE, "code": "natalizumab"}]},
                    "subject": {"reference": _PATIENT},
                    "requester": {"reference": _PRACTITIONER},
                    "insurance": [{"reference": _COVERAGE}],
                    "reasonCode": [{"coding": [{"system": codes.ICD10CM, "code": "G35.A"}]}],
                    "note": [{"text": "Dose: 300 mg"}, {"text": "Frequency: every 4 weeks"}],
                },
            ),
            entry(
                _PATIENT,
                {
                    "resourceType": "Patient",
                    "name": [{"use": "official", "family": "Demopatient", "given": ["Fhirella"]}],
                    "gender": "female",
                    "birthDate": "1986-05-14",
                    "telecom": [{"system": "phone", "value": "(555) 010-0177"}],
                    "address": [
                        {
                            "line": ["7 Example Lane"],
                            "city": "Springfield",
                            "state": "ST",
                            "postalCode": "00000",
                        }
                    ],
                },
            ),
            entry(
                _PRACTITIONER,
                {
                    "resourceType": "Practitioner",
                    "identifier": [{"system": codes.NPI, "value": "1234567893"}],
                    "name": [{"text": "Dr. Demo Neurologist"}],
                    "telecom": [{"system": "phone", "value": "(555) 010-0200"}],
                    "address": [{"text": "Example Neurology Associates"}],
                },
            ),
            entry(
                _COVERAGE,
                {
                    "resourceType": "Coverage",
                    "status": "active",
                    "subscriberId": "DEMO55555",
                    "beneficiary": {"reference": _PATIENT},
                    "payor": [{"display": "Demo Health Plan"}],
                },
            ),
            entry("", _vital("29463-7", 64, "kg")),
            entry("", _vital("8302-2", 168, "cm")),
            entry(
                "",
                {
                    "resourceType": "AllergyIntolerance",
                    "code": {"text": "Penicillin (rash)"},
                    "patient": {"reference": _PATIENT},
                },
            ),
        ],
    }


def _vital(code: str, value: int, unit: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": codes.LOINC, "code": code}]},
        "subject": {"reference": _PATIENT},
        "effectiveDateTime": "2026-11-02",
        "valueQuantity": {"value": value, "unit": unit, "system": codes.UCUM, "code": unit},
    }


def seed(stdout: OutputWrapper) -> None:
    client, _ = ApiClient.objects.get_or_create(
        name="Example Neurology EHR (demo)",
        defaults={"contact": "IT desk, (555) 010-0210", "notify_email": "ehr@example.test"},
    )
    try:
        received = referral_receive(body=json.dumps(demo_bundle()).encode(), client=client)
    except BundleRefused as refused:
        stdout.write(f"FHIR demo referral refused: {refused}")
        return
    if received.created:
        stdout.write(f"FHIR demo referral {received.referral.reference} received from {client}.")
