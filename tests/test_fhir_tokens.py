"""API tokens: missing, wrong, expired, revoked and out-of-scope tokens get 401/403, no data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from clinic.links import hash_token
from clinic.models import AccessLog
from interop.models import ApiToken
from interop.tokens import token_issue, token_revoke
from tests.factories import PatientFactory
from tests.fhir_helpers import FhirClient, api_client, bearer, referral_bundle

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient():
    return PatientFactory(legal_family_name="Tokenpatient")


def assert_refused(response, status: int) -> None:
    assert response.status_code == status
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert b"Tokenpatient" not in response.content
    assert AccessLog.objects.count() == 0


def test_no_token_gets_401_with_a_bearer_challenge(patient):
    response = FhirClient().read(f"Patient/{patient.pk}")
    assert_refused(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer", "bearer  "])
def test_a_wrong_token_gets_401(client, patient, header):
    bearer()
    response = client.get(f"/fhir/R4/Patient/{patient.pk}", headers={"Authorization": header})
    assert_refused(response, 401)


def test_an_expired_token_gets_401(patient):
    raw = bearer()
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_refused(FhirClient(raw).read(f"Patient/{patient.pk}"), 401)


def test_a_revoked_token_gets_401(patient):
    raw = bearer()
    token_revoke(token=ApiToken.objects.get())
    assert_refused(FhirClient(raw).read(f"Patient/{patient.pk}"), 401)


def test_a_token_of_a_deactivated_client_gets_401(patient):
    raw = bearer()
    api_client().__class__.objects.update(is_active=False)
    assert_refused(FhirClient(raw).read(f"Patient/{patient.pk}"), 401)


def test_a_token_out_of_its_scope_gets_403(patient):
    api = FhirClient(bearer(["Appointment"]))
    assert_refused(api.read(f"Patient/{patient.pk}"), 403)
    assert_refused(api.read("Patient", patient=patient.pk), 403)
    assert_refused(api.send(referral_bundle()), 403)


def test_everything_needs_every_type_it_would_return(patient):
    from intake.models import Referral
    from tests.factories import ReferralFactory

    ReferralFactory(patient=patient)
    api = FhirClient(bearer(["Patient"]))
    response = api.read(f"Patient/{patient.pk}/$everything")
    assert_refused(response, 403)
    assert "ServiceRequest" in response.json()["issue"][0]["diagnostics"]
    assert Referral.objects.count() == 1


def test_each_read_is_in_the_access_log_with_the_clients_name(patient):
    api = FhirClient(bearer(name="Example Neurology EHR"))
    assert api.read(f"Patient/{patient.pk}").status_code == 200
    assert api.read("Patient", patient=patient.pk).status_code == 200
    assert api.read(f"Patient/{patient.pk}/$everything").status_code == 200
    rows = list(AccessLog.objects.order_by("pk"))
    assert [row.action for row in rows] == ["API read", "API search", "API $everything"]
    assert {row.actor for row in rows} == {"API client: Example Neurology EHR"}
    assert {row.object_id for row in rows} == {str(patient.pk)}
    assert all(row.user is None for row in rows)


def test_tokens_are_stored_hashed_and_scoped():
    token, raw = token_issue(client=api_client(), scopes=["Patient", "Flag"], days=10)
    assert raw.startswith("chs_") and len(raw) > 40
    assert token.token_hash == hash_token(raw)
    assert raw not in str(ApiToken.objects.values().get())
    assert token.scopes == ["Flag", "Patient"]
    with pytest.raises(ValueError):
        token_issue(client=api_client(), scopes=["Everything"], days=10)


def test_metadata_needs_no_token_and_holds_no_data(patient):
    response = FhirClient().read("metadata")
    assert response.status_code == 200
    assert response.json()["resourceType"] == "CapabilityStatement"
    assert AccessLog.objects.count() == 0


def test_api_answers_are_never_stored_by_a_cache(patient):
    response = FhirClient(bearer()).read(f"Patient/{patient.pk}")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
