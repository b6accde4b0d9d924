"""Shared pieces of the FHIR API tests: clients with tokens, and a referral Bundle."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from django.test import Client

from interop.models import RESOURCE_TYPES, ApiClient
from interop.tokens import token_issue
from tests.factories import PDF_BYTES

ALL_SCOPES = [*RESOURCE_TYPES, "Bundle"]
FHIR_JSON = "application/fhir+json"


def api_client(name: str = "Example EHR") -> ApiClient:
    client, _ = ApiClient.objects.get_or_create(
        name=name, defaults={"notify_email": "ehr-notices@example.test"}
    )
    return client


def bearer(scopes: list[str] | None = None, *, days: int = 30, name: str = "Example EHR") -> str:
    _token, raw = token_issue(client=api_client(name), scopes=scopes or ALL_SCOPES, days=days)
    return raw


class FhirClient(Client):
    """A test client that sends one bearer token with every request."""

    def __init__(self, token: str = "", **kwargs: Any) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        super().__init__(headers=headers, **kwargs)

    def read(self, path: str, **params: Any) -> Any:
        return self.get(f"/fhir/R4/{path}", params)

    def send(self, bundle: Any, content_type: str = FHIR_JSON) -> Any:
        body = bundle if isinstance(bundle, bytes | str) else json.dumps(bundle)
        return self.generic("POST", "/fhir/R4/Bundle", body, content_type=content_type)


def referral_bundle(
    *,
    identifier: str | None = None,
    icd: str = "G35.A",
    therapy_system: str = "http://www.nlm.nih.gov/research/umls/rxnorm",
    therapy_code: str = "1876366",
    documents: list[bytes] | None = None,
    kind: str = "transaction",
) -> dict[str, Any]:
    """Return a valid referral Bundle (fake person, ocrelizumab by RxNorm)."""
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": "urn:uuid:11111111-1111-4111-8111-111111111111",
            "resource": {
                "resourceType": "ServiceRequest",
                "identifier": [
                    {
                        "system": "https://ehr.example.test/orders",
                        "value": identifier or str(uuid.uuid4()),
                    }
                ],
                "status": "active",
                "intent": "order",
                "code": {"coding": [{"system": therapy_system, "code": therapy_code}]},
                "subject": {"reference": "urn:uuid:22222222-2222-4222-8222-222222222222"},
                "requester": {"reference": "urn:uuid:33333333-3333-4333-8333-333333333333"},
                "insurance": [{"reference": "urn:uuid:44444444-4444-4444-8444-444444444444"}],
                "reasonCode": [
                    {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": icd}]}
                ],
                "note": [{"text": "Dose: 300 mg"}, {"text": "Frequency: Day 1 and day 15"}],
            },
            "request": {"method": "POST", "url": "ServiceRequest"},
        },
        {
            "fullUrl": "urn:uuid:22222222-2222-4222-8222-222222222222",
            "resource": {
                "resourceType": "Patient",
                "name": [{"use": "official", "family": "Demopatient", "given": ["Testy"]}],
                "gender": "female",
                "birthDate": "1980-03-27",
                "telecom": [
                    {"system": "phone", "value": "(555) 010-0199"},
                    {"system": "email", "value": "testy@example.test"},
                ],
                "address": [
                    {
                        "line": ["1 Example Street"],
                        "city": "Springfield",
                        "state": "ST",
                        "postalCode": "00000",
                    }
                ],
                "communication": [
                    {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "en"}]}}
                ],
            },
            "request": {"method": "POST", "url": "Patient"},
        },
        {
            "fullUrl": "urn:uuid:33333333-3333-4333-8333-333333333333",
            "resource": {
                "resourceType": "Practitioner",
                "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}],
                "name": [{"text": "Dr. Demo Neurologist"}],
                "telecom": [
                    {"system": "phone", "value": "(555) 010-0200"},
                    {"system": "email", "value": "office@example.test"},
                ],
                "address": [{"text": "Example Neurology Associates"}],
            },
            "request": {"method": "POST", "url": "Practitioner"},
        },
        {
            "fullUrl": "urn:uuid:44444444-4444-4444-8444-444444444444",
            "resource": {
                "resourceType": "Coverage",
                "status": "active",
                "subscriberId": "DEMO12345",
                "beneficiary": {"reference": "urn:uuid:22222222-2222-4222-8222-222222222222"},
                "payor": [{"display": "Demo Health Plan"}],
            },
            "request": {"method": "POST", "url": "Coverage"},
        },
        _observation("29463-7", 70, "kg"),
        _observation("8302-2", 170, "cm"),
        {
            "resource": {
                "resourceType": "AllergyIntolerance",
                "code": {
                    "coding": [{"system": "http://snomed.info/sct", "code": "716186003"}],
                    "text": "No known allergy",
                },
                "patient": {"reference": "urn:uuid:22222222-2222-4222-8222-222222222222"},
            },
            "request": {"method": "POST", "url": "AllergyIntolerance"},
        },
    ]
    for index, content in enumerate(documents or []):
        entries.append(
            {
                "resource": {
                    "resourceType": "DocumentReference",
                    "status": "current",
                    "type": {"coding": [{"system": "http://loinc.org", "code": "57133-1"}]},
                    "content": [
                        {
                            "attachment": {
                                "contentType": "application/pdf",
                                "title": f"order-{index}.pdf",
                                "data": base64.b64encode(content).decode(),
                            }
                        }
                    ],
                },
                "request": {"method": "POST", "url": "DocumentReference"},
            }
        )
    if kind == "collection":
        for entry in entries:
            entry.pop("request", None)
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


def _observation(code: str, value: float, unit: str) -> dict[str, Any]:
    return {
        "resource": {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
            "subject": {"reference": "urn:uuid:22222222-2222-4222-8222-222222222222"},
            "effectiveDateTime": "2026-10-01",
            "valueQuantity": {
                "value": value,
                "unit": unit,
                "system": "http://unitsofmeasure.org",
                "code": unit,
            },
        },
        "request": {"method": "POST", "url": "Observation"},
    }


__all__ = ["PDF_BYTES"]
