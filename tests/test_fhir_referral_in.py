"""Electronic referrals in: POST /fhir/R4/Bundle creates a referral like the web form does."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.bundle import Bundle

from clinic.models import Notice
from intake.models import Referral, ReferralDocument, ReferralStatus
from intake.referrals import referral_transition
from interop.models import InboundReferral
from tests.factories import PDF_BYTES
from tests.fhir_helpers import FhirClient, bearer, referral_bundle
from tests.fuzz_strategies import changed, row_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return FhirClient(bearer())


def issues(response) -> list[dict]:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert response["Content-Type"].startswith("application/fhir+json")
    return body["issue"]


def test_a_referral_bundle_becomes_a_received_referral_with_201_and_its_id(api):
    response = api.send(referral_bundle())
    assert response.status_code == 201, response.content
    body = response.json()
    referral = Referral.objects.get()
    assert body["resourceType"] == "ServiceRequest"
    assert body["id"] == str(referral.pk)
    assert response["Location"].endswith(f"/fhir/R4/ServiceRequest/{referral.pk}")
    assert referral.status == ReferralStatus.RECEIVED
    assert referral.diagnosis_code == "G35.A"
    assert referral.therapy.code == "ocrelizumab"
    assert referral.provider_npi == "1234567893"
    assert referral.payer == "Demo Health Plan" and referral.member_id == "DEMO12345"
    assert referral.no_known_drug_allergies is True
    assert str(referral.weight_kg) == "70.0" and referral.dose == "300 mg"
    assert InboundReferral.objects.get().referral == referral
    # The same two notices as a web referral: to the sender and to intake, in the outbox.
    assert sorted(Notice.objects.values_list("recipients", flat=True)) == [
        "intake@chairside.example",
        "office@example.test",
    ]


def test_the_round_trip_gives_back_the_same_patient_reason_and_therapy(api, coordinator):
    assert api.send(referral_bundle(kind="collection")).status_code == 201
    referral = Referral.objects.get()
    for status in ("in_review", "benefits_check", "prior_auth", "accepted"):
        referral_transition(referral=referral, to_status=status, by=coordinator, note="Test move")
    referral.refresh_from_db()
    response = api.read(f"Patient/{referral.patient_id}/$everything")
    assert response.status_code == 200
    everything = response.json()
    Bundle.model_validate(everything)
    by_type: dict[str, list[dict]] = {}
    for entry in everything["entry"]:
        by_type.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    patient = by_type["Patient"][0]
    assert patient["name"][0]["family"] == "Demopatient"
    assert patient["name"][0]["given"] == ["Testy"]
    assert patient["birthDate"] == "1980-03-27"
    request = by_type["ServiceRequest"][0]
    assert request["reasonCode"][0]["coding"][0]["code"] == "G35.A"
    assert {
        "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
        "code": "1876366",
        "display": "Ocrelizumab",
    } in request["code"]["coding"]
    assert request["identifier"][0]["system"] == "https://ehr.example.test/orders"
    assert request["subject"]["reference"] == f"Patient/{referral.patient_id}"


def test_documents_are_checked_and_stored_like_the_web_forms(api):
    response = api.send(referral_bundle(documents=[PDF_BYTES]))
    assert response.status_code == 201, response.content
    document = ReferralDocument.objects.get()
    assert document.content_type == "application/pdf"
    assert document.kind == "order"


def test_a_repeated_identifier_creates_nothing_new(api):
    first = api.send(referral_bundle(identifier="ORDER-1"))
    before = row_counts()
    again = api.send(referral_bundle(identifier="ORDER-1"))
    assert first.status_code == 201
    assert again.status_code == 200
    [issue] = issues(again)
    assert issue["code"] == "duplicate"
    assert again["Location"] == first["Location"]
    assert changed(before, row_counts()) == {}
    assert Referral.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status", "expression"),
    [
        (b"{not json", 400, "Bundle"),
        (b"\xff\xfe", 400, "Bundle"),
        (json.dumps({"resourceType": "Patient"}).encode(), 400, "Bundle"),
        (json.dumps([1, 2]).encode(), 400, "Bundle"),
    ],
)
def test_malformed_json_and_wrong_resource_types_get_400(api, body, status, expression):
    before = row_counts()
    response = api.send(body)
    assert response.status_code == status
    assert issues(response)[0]["expression"] == [expression]
    assert changed(before, row_counts()) == {}


def _without_subject() -> dict:
    bundle = referral_bundle()
    del bundle["entry"][0]["resource"]["subject"]
    return bundle


def _subject_elsewhere() -> dict:
    bundle = referral_bundle()
    bundle["entry"][0]["resource"]["subject"] = {"reference": "Patient/999"}
    return bundle


def _searchset() -> dict:
    bundle = referral_bundle()
    bundle["type"] = "searchset"
    return bundle


@pytest.mark.parametrize(
    ("bundle", "expression", "words"),
    [
        (_without_subject(), "entry.0.resource.subject", "required"),
        (_subject_elsewhere(), "ServiceRequest.subject", "Patient in the Bundle"),
        (referral_bundle(icd="G35"), "ServiceRequest.reasonCode", "heading"),
        (referral_bundle(icd="Q99.ZZZZZ"), "ServiceRequest.reasonCode", "ICD-10-CM"),
        (referral_bundle(therapy_code="000000"), "ServiceRequest.code", "therapy"),
        (_searchset(), "Bundle.type", "transaction"),
    ],
)
def test_each_problem_gets_422_naming_it_and_nothing_is_saved(api, bundle, expression, words):
    before = row_counts()
    response = api.send(bundle)
    assert response.status_code == 422, response.content
    found = issues(response)
    assert any(
        expression in i.get("expression", []) and words.lower() in i["diagnostics"].lower()
        for i in found
    ), found
    assert changed(before, row_counts()) == {}


def test_several_problems_are_each_named(api):
    bundle = referral_bundle(icd="G35")
    bundle["entry"][2]["resource"]["identifier"][0]["value"] = "1234567890"  # bad check digit
    response = api.send(bundle)
    assert response.status_code == 422
    paths = {p for i in issues(response) for p in i.get("expression", [])}
    assert {"ServiceRequest.reasonCode", "Practitioner.identifier"} <= paths


def test_an_oversized_attachment_gets_422_and_nothing_is_saved(api, settings):
    settings.DOCUMENT_MAX_BYTES = 2_000
    before = row_counts()
    response = api.send(referral_bundle(documents=[PDF_BYTES + b"%" * 3_000]))
    assert response.status_code == 422
    assert any("larger than" in i["diagnostics"] for i in issues(response))
    assert changed(before, row_counts()) == {}


def test_a_bad_document_gets_422_like_on_the_web_form(api):
    before = row_counts()
    response = api.send(referral_bundle(documents=[b"MZ\x90\x00 not a pdf"]))
    assert response.status_code == 422
    assert any("PDF, PNG or JPEG" in i["diagnostics"] for i in issues(response))
    assert changed(before, row_counts()) == {}


def test_a_body_over_the_limit_gets_413(api, settings):
    settings.FHIR_MAX_BODY_BYTES = 1_000
    response = api.send(referral_bundle())
    assert response.status_code == 413
    assert issues(response)[0]["code"] == "too-costly"


def test_only_fhir_json_is_accepted(api):
    response = api.send(json.dumps(referral_bundle()), content_type="application/xml")
    assert response.status_code == 415
    assert Referral.objects.count() == 0


def test_a_failure_after_the_referral_is_written_saves_nothing(api, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(InboundReferral.objects, "create", broken)
    before = row_counts()
    with pytest.raises(RuntimeError):
        api.send(referral_bundle())
    assert changed(before, row_counts()) == {}


def test_null_elements_read_as_absent_and_never_fail(api):
    # Found by the fuzz test: `"valueQuantity": null` passed the models and then broke the
    # reader with a 500. FHIR JSON has no nulls; the Bundle is read as if they were absent,
    # so the height is missing and named, and nothing is saved.
    bundle = referral_bundle()
    height = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"]["code"]["coding"][0]["code"] == "8302-2"
    )
    height["valueQuantity"] = None
    response = api.send(bundle)
    assert response.status_code == 422, response.content
    assert [i["expression"] for i in issues(response)] == [
        ["Observation (body height, LOINC 8302-2)"]
    ]
    assert not Referral.objects.exists()
