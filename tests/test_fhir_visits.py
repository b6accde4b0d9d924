"""The visit record through the FHIR API: the infusion as a MedicationAdministration and the
vitals as vital-signs Observations (LOINC codes, UCUM units), read, searched and exported."""

from __future__ import annotations

from datetime import UTC

import pytest
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from clinic.models import AccessLog
from interop.mappers.visits import vital_id
from scheduling.booking import session_book
from tests.factories import PatientFactory, clinic_week, ready_course
from tests.fhir_helpers import FhirClient, bearer
from tests.visit_helpers import NY, at, booked_session, full_visit, visit_day
from visits.models import PremedicationGiven, VitalsReading

pytestmark = pytest.mark.django_db

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


@pytest.fixture
def api():
    return FhirClient(bearer())


@pytest.fixture
def visit(nurse):
    session = booked_session("ocrelizumab")
    return full_visit(session, nurse)


def entries(response) -> list[dict]:
    assert response.status_code == 200, response.content[:500]
    found = [e["resource"] for e in response.json().get("entry", [])]
    for resource in found:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return found


def codes_of(concept: dict) -> list[tuple[str, str]]:
    return [(c["system"], c["code"]) for c in concept["coding"]]


def test_the_infusion_is_a_medication_administration_with_rxnorm_dose_and_lot(api, visit):
    patient_pk = visit.session.course.patient_id
    administration = api.read(f"MedicationAdministration/{visit.pk}").json()
    get_fhir_model_class("MedicationAdministration").model_validate(administration)
    assert administration["status"] == "completed"
    assert administration["subject"] == {"reference": f"Patient/{patient_pk}"}
    assert administration["supportingInformation"] == [
        {"reference": f"Appointment/{visit.session_id}"}
    ]
    medication = administration["contained"][0]
    assert administration["medicationReference"]["reference"] == f"#{medication['id']}"
    assert ("http://www.nlm.nih.gov/research/umls/rxnorm", "1876366") in codes_of(
        medication["code"]
    )
    assert medication["code"]["text"] == "Ocrelizumab"
    assert medication["batch"]["lotNumber"] == "LOT-DEMO-1"
    assert medication["batch"]["expirationDate"] == visit.lot_expiry.isoformat()
    assert administration["dosage"]["text"] == "300 mg"
    assert administration["dosage"]["dose"] == {
        "value": 300,
        "unit": "mg",
        "system": UCUM,
        "code": "mg",
    }
    period = administration["effectivePeriod"]
    assert period["start"] == at(9, 40).astimezone(UTC).isoformat()
    assert period["end"] == at(12, 10).astimezone(UTC).isoformat()
    performer = administration["performer"][0]["actor"]["reference"]
    assert performer == f"Practitioner/staff-{visit.opened_by_id}"
    assert api.read(performer).status_code == 200
    assert api.read(f"Appointment/{visit.session_id}").status_code == 200


def test_each_vital_sign_is_an_observation_with_its_loinc_code_and_ucum_unit(api, visit):
    reading = VitalsReading.objects.get(record=visit)
    found = entries(api.read("Observation", patient=visit.session.course.patient_id))
    vitals = {o["id"]: o for o in found if o["id"].startswith("vitals-")}
    # The helper's reading has blood pressure, pulse and temperature (no SpO2, no weight).
    assert set(vitals) == {vital_id(m, reading) for m in ("bp", "pulse", "temperature")}
    for observation in vitals.values():
        assert codes_of(observation["category"][0]) == [
            ("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs")
        ]
        assert observation["status"] == "final"
        assert observation["partOf"] == [{"reference": f"MedicationAdministration/{visit.pk}"}]
        assert observation["effectiveDateTime"] == at(9, 5).astimezone(UTC).isoformat()
    bp = vitals[vital_id("bp", reading)]
    assert codes_of(bp["code"]) == [(LOINC, "85354-9")]
    assert "valueQuantity" not in bp
    components = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in bp["component"]}
    assert components == {
        "8480-6": {"value": 124, "unit": "mm[Hg]", "system": UCUM, "code": "mm[Hg]"},
        "8462-4": {"value": 78, "unit": "mm[Hg]", "system": UCUM, "code": "mm[Hg]"},
    }
    pulse = vitals[vital_id("pulse", reading)]
    assert codes_of(pulse["code"]) == [(LOINC, "8867-4")]
    assert pulse["valueQuantity"] == {"value": 72, "unit": "/min", "system": UCUM, "code": "/min"}
    temperature = vitals[vital_id("temperature", reading)]
    assert codes_of(temperature["code"]) == [(LOINC, "8310-5")]
    assert temperature["valueQuantity"]["value"] == 36.8
    assert temperature["valueQuantity"]["code"] == "Cel"


def test_spo2_and_weight_carry_their_codes_and_units(api, visit):
    reading = VitalsReading.objects.get(record=visit)
    VitalsReading.objects.filter(pk=reading.pk).update(spo2=97, weight="71.5")
    spo2 = api.read(f"Observation/{vital_id('spo2', reading)}").json()
    assert codes_of(spo2["code"]) == [(LOINC, "2708-6"), (LOINC, "59408-5")]
    assert spo2["valueQuantity"] == {"value": 97, "unit": "%", "system": UCUM, "code": "%"}
    weight = api.read(f"Observation/{vital_id('weight', reading)}").json()
    assert codes_of(weight["code"]) == [(LOINC, "29463-7")]
    assert weight["valueQuantity"] == {"value": 71.5, "unit": "kg", "system": UCUM, "code": "kg"}


def test_a_measurement_the_reading_lacks_is_not_found(api, visit):
    reading = VitalsReading.objects.get(record=visit)
    for missing in (vital_id("weight", reading), "vitals-bp-999999", "vitals-x-1", "1"):
        response = api.read(f"Observation/{missing}")
        assert response.status_code == 404
        assert response.json()["resourceType"] == "OperationOutcome"


def test_administrations_search_by_patient_date_and_status(api, visit, nurse):
    patient_pk = visit.session.course.patient_id
    found = entries(api.read("MedicationAdministration", patient=patient_pk))
    assert [r["id"] for r in found if not r["id"].startswith("premed-")] == [str(visit.pk)]
    day = visit_day().isoformat()
    assert len(entries(api.read("MedicationAdministration", date=day))) == len(found)
    assert entries(api.read("MedicationAdministration", date=f"gt{day}")) == []
    assert len(entries(api.read("MedicationAdministration", status="completed"))) == len(found)
    assert entries(api.read("MedicationAdministration", status="in-progress")) == []
    assert entries(api.read("MedicationAdministration", patient=PatientFactory().pk)) == []
    assert len(entries(api.read("Observation", patient=patient_pk, status="final"))) == 3
    assert entries(api.read("Observation", patient=patient_pk, date=f"gt{day}")) == []
    assert len(entries(api.read("Observation", patient=patient_pk, date=day))) == 3
    assert AccessLog.objects.filter(
        actor="API client: Example EHR",
        action="API search",
        object_id=str(visit.pk),
        content_type__model="visitrecord",
    ).exists()


def test_everything_holds_the_administration_vitals_and_the_nurse(api, visit):
    patient_pk = visit.session.course.patient_id
    body = api.read(f"Patient/{patient_pk}/$everything").json()
    ids = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in body["entry"]}
    reading = VitalsReading.objects.get(record=visit)
    assert {
        f"MedicationAdministration/{visit.pk}",
        f"Observation/{vital_id('bp', reading)}",
        f"Observation/{vital_id('pulse', reading)}",
        f"Observation/{vital_id('temperature', reading)}",
        f"Practitioner/staff-{visit.opened_by_id}",
        f"Appointment/{visit.session_id}",
    } <= ids
    practitioners = entries(api.read("Practitioner", patient=patient_pk))
    assert f"staff-{visit.opened_by_id}" in {p["id"] for p in practitioners}


def test_the_new_types_need_their_scopes(visit):
    patient_pk = visit.session.course.patient_id
    narrow = FhirClient(bearer(["Patient", "Appointment", "Observation"], name="Narrow EHR"))
    assert narrow.read(f"MedicationAdministration/{visit.pk}").status_code == 403
    assert narrow.read(f"Patient/{patient_pk}/$everything").status_code == 403
    assert narrow.read("Observation", patient=patient_pk).status_code == 200


def _visits(nurse, chairs, count: int, offset: int) -> None:
    for k in range(count):
        course = ready_course("ocrelizumab", start_after=visit_day(), patient=PatientFactory())
        session = session_book(
            dose=course.doses.get(sequence=1), chair=chairs[offset + k], start=at(9)
        )
        full_visit(session, nurse)


def test_visit_searches_take_the_same_queries_however_many_rows(
    api, nurse, django_assert_max_num_queries
):
    chairs = clinic_week(chairs=4, weekdays=range(7))
    _visits(nurse, chairs, 1, 0)
    counts = {}
    for path in ("MedicationAdministration", "Observation"):
        with django_assert_max_num_queries(30) as few:
            assert entries(api.read(path, _count=100))
        counts[path] = len(few.captured_queries)
    _visits(nurse, chairs, 3, 1)
    premeds = PremedicationGiven.objects.filter(given_at__isnull=False).count() // 4
    for path, expected in counts.items():
        with django_assert_max_num_queries(expected):
            found = entries(api.read(path, _count=100))
        per_visit = 1 + premeds if path == "MedicationAdministration" else 3
        assert len(found) == 4 * per_visit
    assert timezone.localdate(timezone=NY) < visit_day()


def test_each_premedication_given_is_a_medication_administration(api, visit):
    given = list(PremedicationGiven.objects.filter(record=visit, given_at__isnull=False))
    assert given, "the ocrelizumab protocol pre-fills premedications"
    for premed in given:
        resource = api.read(f"MedicationAdministration/premed-{premed.pk}").json()
        get_fhir_model_class("MedicationAdministration").model_validate(resource)
        assert resource["status"] == "completed"
        assert resource["medicationCodeableConcept"] == {"text": premed.medicine}
        assert resource["supportingInformation"] == [
            {"reference": f"Appointment/{visit.session_id}"}
        ]
        assert resource["effectiveDateTime"] == at(9, 10).astimezone(UTC).isoformat()
        assert resource.get("dosage", {}).get("text", "") == premed.dose
    body = api.read(f"Patient/{visit.session.course.patient_id}/$everything").json()
    ids = {e["resource"]["id"] for e in body["entry"]}
    assert {f"premed-{p.pk}" for p in given} <= ids


def test_the_capability_statement_lists_the_visit_types(api):
    statement = api.read("metadata").json()
    by_type = {r["type"]: r for r in statement["rest"][0]["resource"]}
    for name in ("MedicationAdministration", "Observation"):
        params = {p["name"] for p in by_type[name]["searchParam"]}
        assert {"patient", "date", "status", "_id"} <= params
        assert {i["code"] for i in by_type[name]["interaction"]} == {"read", "search-type"}
