"""What the resources say: questionnaires and scores with LOINC, flags, practitioners, export."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.bundle import Bundle

from clinic.models import AccessLog
from intake.models import Flag, Instrument
from intake.questionnaires import questionnaire_save_page, questionnaire_submit, request_steps
from interop.mappers.questionnaires import questionnaire_resource
from tests.factories import PatientFactory, ReferralFactory, UserFactory, sent_check
from tests.fhir_helpers import FhirClient, bearer

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return FhirClient(bearer())


@pytest.fixture
def answered():
    """A PHQ-9 with item 9 above 0 (an urgent flag) and a GAD-7, for one patient."""
    patient = PatientFactory()
    qreq, _url = sent_check(patient=patient, codes=("phq9", "gad7"))
    answers = {f"phq9_{i}": 1 for i in range(1, 10)} | {f"gad7_{i}": 2 for i in range(1, 8)}
    for step in request_steps(qreq):
        questionnaire_save_page(qreq=qreq, step=step, answers=answers)
    responses = questionnaire_submit(qreq=qreq)
    return patient, {r.instrument.code: r for r in responses}


def resources(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return [e["resource"] for e in response.json().get("entry", [])]


def test_phq9_and_gad7_totals_are_observations_with_their_loinc_codes(api, answered):
    patient, by_code = answered
    observations = {
        o["code"]["coding"][0]["code"]: o
        for o in resources(api.read("Observation", patient=patient.pk))
    }
    assert observations["44261-6"]["valueInteger"] == 9
    assert observations["70274-6"]["valueInteger"] == 14
    assert observations["44261-6"]["code"]["coding"][0]["system"] == "http://loinc.org"
    assert observations["44261-6"]["derivedFrom"] == [
        {"reference": f"QuestionnaireResponse/{by_code['phq9'].pk}"}
    ]


def test_a_response_answers_each_item_of_its_questionnaire(api, answered):
    _patient, by_code = answered
    response = api.read(f"QuestionnaireResponse/{by_code['phq9'].pk}").json()
    questionnaire = api.read(f"Questionnaire/{by_code['phq9'].instrument_id}").json()
    assert response["questionnaire"] == questionnaire["url"]
    assert questionnaire["code"][0]["code"] == "44249-1"
    asked = {i["linkId"] for group in questionnaire["item"] for i in group["item"]}
    answered_items = {i["linkId"]: i["answer"][0] for g in response["item"] for i in g["item"]}
    # Every answer is to a question of the questionnaire; the optional one was left out.
    assert set(answered_items) == asked - {"phq9_difficulty"}
    assert answered_items["phq9_9"]["valueCoding"]["code"] == "1"
    assert answered_items["phq9_9"]["valueCoding"]["display"] == "Several days"


def test_every_instrument_is_a_valid_questionnaire_with_conditions_kept():
    for instrument in Instrument.objects.filter(is_current=True):
        questionnaire = questionnaire_resource(instrument)
        assert questionnaire["status"] == "active"
    ms = questionnaire_resource(Instrument.objects.get(code="ms_symptoms", is_current=True))
    conditional = [i for g in ms["item"] for i in g["item"] if "enableWhen" in i]
    assert conditional
    assert conditional[0]["enableWhen"][0]["question"] == "new_symptom"


def test_flags_are_active_until_acknowledged(api, answered, clinician):
    patient, _ = answered
    flags = resources(api.read("Flag", patient=patient.pk, status="active"))
    assert any(f["code"]["coding"][0]["code"] == "phq9_item9" for f in flags)
    flag = Flag.objects.filter(patient=patient).first()
    from intake.flags import flag_acknowledge

    flag_acknowledge(flag=flag, by=clinician, note="Called the patient; safe, seen today.")
    done = api.read(f"Flag/{flag.pk}").json()
    assert done["status"] == "inactive" and "end" in done["period"]
    practitioners = resources(api.read("Practitioner", patient=patient.pk))
    assert f"staff-{clinician.pk}" in {p["id"] for p in practitioners}


def test_the_referrer_is_a_practitioner_with_the_npi(api):
    patient = PatientFactory()
    referral = ReferralFactory(patient=patient)
    [practitioner] = resources(api.read("Practitioner", patient=patient.pk))
    assert practitioner["id"] == f"npi-{referral.provider_npi}"
    assert practitioner["identifier"] == [
        {"system": "http://hl7.org/fhir/sid/us-npi", "value": referral.provider_npi}
    ]
    assert api.read(f"Practitioner/npi-{referral.provider_npi}").json() == practitioner
    non_staff = UserFactory(is_staff=False)
    assert api.read(f"Practitioner/staff-{non_staff.pk}").status_code == 404


def test_staff_download_the_everything_bundle_and_it_is_logged(client, nurse, answered):
    patient, _ = answered
    client.force_login(nurse)
    response = client.get(f"/admin/interop/apiclient/export/{patient.pk}/")
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == f'attachment; filename="patient-{patient.pk}-fhir.json"'
    )
    body = json.loads(response.content)
    Bundle.model_validate(body)
    kinds = {e["resource"]["resourceType"] for e in body["entry"]}
    assert {"Patient", "QuestionnaireResponse", "Observation", "Flag", "Questionnaire"} <= kinds
    log = AccessLog.objects.get(action="FHIR export")
    assert log.user == nurse and log.object_id == str(patient.pk)
