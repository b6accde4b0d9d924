"""Must-show: every resource the API serves parses with fhir.resources, for every demo patient.

Loads the demo data (`seed_demo`), then walks the API as a system client would: each
patient's `$everything`, a read of every resource it names, every search by patient, and
each type's unfiltered first page, `metadata` too. Every body is parsed with the R4B models.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from fhir.resources.R4B import get_fhir_model_class

from clinic.models import AccessLog, Patient
from interop.models import RESOURCE_TYPES
from tests.fhir_helpers import FhirClient, bearer

pytestmark = pytest.mark.django_db

PATIENT_TYPES = [t for t in RESOURCE_TYPES if t not in ("Questionnaire", "Location")]


def parsed(response) -> dict:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    get_fhir_model_class(body["resourceType"]).model_validate(body)
    return body


def test_every_resource_of_every_demo_patient_parses(settings):
    settings.DEBUG = True
    call_command("seed_demo", "--quiet")
    settings.DEBUG = False
    api = FhirClient(bearer())
    patients = list(Patient.objects.all())
    assert len(patients) >= 3
    parsed(api.read("metadata"))
    seen_types: set[str] = set()
    vital_signs: set[str] = set()
    for patient in patients:
        everything = parsed(api.read(f"Patient/{patient.pk}/$everything"))
        for entry in everything.get("entry", []):
            resource = entry["resource"]
            seen_types.add(resource["resourceType"])
            if resource["id"].startswith("vitals-"):
                vital_signs.add(resource["code"]["coding"][0]["code"])
            read = parsed(api.read(f"{resource['resourceType']}/{resource['id']}"))
            assert read == resource
        for resource_type in PATIENT_TYPES:
            page = parsed(api.read(resource_type, patient=patient.pk, _count=100))
            for entry in page.get("entry", []):
                get_fhir_model_class(resource_type).model_validate(entry["resource"])
    for resource_type in RESOURCE_TYPES:
        if resource_type != "Practitioner":
            parsed(api.read(resource_type, _count=100))
    # The demo shows each kind of record the API maps.
    assert {
        "Patient",
        "ServiceRequest",
        "Practitioner",
        "Questionnaire",
        "QuestionnaireResponse",
        "Observation",
        "Flag",
        "Appointment",
        "Location",
        "MedicationAdministration",
    } <= seen_types
    # Completed demo visits export their vitals as vital-signs Observations.
    assert {"85354-9", "8867-4", "8310-5", "2708-6", "29463-7"} <= vital_signs
    assert AccessLog.objects.filter(actor="API client: Example EHR").count() > len(patients)
