"""Fuzz the FHIR API: hostile Bundles POSTed as referrals, broken bodies, hostile searches.

Every example: no server error, every answer FHIR JSON, nothing written unless a referral
was created (then only the referral's own rows and where it came from).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import PDF_BYTES
from tests.fhir_helpers import FhirClient, bearer, referral_bundle
from tests.fuzz_strategies import HUGE, changed, fuzz_examples, hostile_text, row_counts

pytestmark = pytest.mark.django_db

CREATED_TABLES = {
    "intake_referral",
    "intake_historicalreferral",
    "intake_referraldocument",
    "intake_historicalreferraldocument",
    "clinic_notice",
    "interop_inboundreferral",
    "clinic_accesslog",
}
# Rows every accepted-or-refused request may touch: the token's last use.
TOUCHED = {"interop_historicalapitoken"}

json_value = st.recursive(
    st.one_of(
        hostile_text,
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
        st.none(),
        st.sampled_from(["Patient", "Bundle", "ServiceRequest", "urn:uuid:1", "#patient", "G35"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(hostile_text, children, max_size=3)
    ),
    max_leaves=8,
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _set(node: Any, path: tuple, value: Any, delete: bool) -> Any:
    if not path:
        return value
    parent = node
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
        else:
            del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return node


@st.composite
def hostile_bundle(draw: st.DrawFn) -> Any:
    documents = draw(st.lists(st.one_of(st.just(PDF_BYTES), st.binary(max_size=200)), max_size=2))
    bundle = referral_bundle(
        kind=draw(st.sampled_from(["transaction", "collection"])), documents=documents
    )
    for _ in range(draw(st.integers(0, 5))):
        paths = _paths(bundle)
        path = draw(st.sampled_from(paths))
        delete = bool(path) and draw(st.integers(0, 3)) == 0
        try:
            bundle = _set(bundle, path, draw(json_value), delete)
        except (KeyError, IndexError, TypeError):
            continue
    if isinstance(bundle, dict) and draw(st.integers(0, 20)) == 0:
        bundle["entry"] = [
            {"resource": {"resourceType": "Binary", "data": draw(st.sampled_from(HUGE))}}
        ]
    return bundle


def check(response, before: dict) -> None:
    assert response.status_code in (200, 201, 400, 413, 415, 422), response.status_code
    assert response["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    delta = set(changed(before, row_counts()))
    if response.status_code == 201:
        assert body["resourceType"] == "ServiceRequest"
        assert delta <= CREATED_TABLES | TOUCHED, delta
    else:
        assert body["resourceType"] == "OperationOutcome"
        assert delta <= TOUCHED, delta


@pytest.fixture
def api_token():
    return bearer()


@settings(max_examples=fuzz_examples(1.0))
@given(bundle=hostile_bundle())
def test_hostile_bundles_never_fail_and_refused_ones_write_nothing(api_token, bundle):
    api = FhirClient(api_token)
    before = row_counts()
    check(api.send(json.dumps(bundle)), before)


@settings(max_examples=fuzz_examples(0.4))
@given(data=st.data())
def test_bundles_missing_any_set_of_entries_are_refused_cleanly(api_token, data):
    bundle = referral_bundle()
    keep = data.draw(st.sets(st.integers(0, len(bundle["entry"]) - 1)))
    bundle["entry"] = [e for i, e in enumerate(bundle["entry"]) if i in keep]
    before = row_counts()
    response = FhirClient(api_token).send(bundle)
    check(response, before)
    if 0 not in keep or 1 not in keep:
        assert response.status_code == 422


@st.composite
def broken_body(draw: st.DrawFn) -> bytes:
    valid = json.dumps(referral_bundle(documents=[PDF_BYTES])).encode()
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(st.binary(max_size=3000))
    if kind == 1:
        return valid[: draw(st.integers(0, len(valid)))]
    if kind == 2:
        position = draw(st.integers(0, len(valid) - 1))
        return valid[:position] + draw(st.binary(min_size=1, max_size=50)) + valid[position:]
    if kind == 3:
        return b"[" * draw(st.integers(1, 100_000)) + b"]" * draw(st.integers(0, 10))
    return json.dumps(draw(json_value)).encode()


@settings(max_examples=fuzz_examples(0.6))
@given(
    body=broken_body(),
    content_type=st.sampled_from(
        ["application/fhir+json", "application/json", "text/plain", "", "multipart/form-data"]
    ),
)
def test_broken_bodies_get_a_clean_answer(api_token, body, content_type):
    before = row_counts()
    response = FhirClient(api_token).generic(
        "POST", "/fhir/R4/Bundle", body, content_type=content_type
    )
    check(response, before)


_types = st.sampled_from(
    [
        "Patient",
        "Appointment",
        "ServiceRequest",
        "Flag",
        "Observation",
        "Practitioner",
        "Questionnaire",
        "QuestionnaireResponse",
        "Location",
        "Nope",
        "Bundle",
    ]
)
_param_names = st.sampled_from(
    ["patient", "date", "status", "_count", "_offset", "_id", "name", "_format"]
)


@settings(max_examples=fuzz_examples(0.3))
@given(
    resource_type=_types,
    params=st.dictionaries(_param_names, hostile_text, max_size=4),
    resource_id=hostile_text,
)
def test_hostile_reads_and_searches_get_fhir_answers(api_token, resource_type, params, resource_id):
    api = FhirClient(api_token)
    for response in (
        api.get("/fhir/R4/metadata", params),
        api.get(f"/fhir/R4/{resource_type}", params),
        api.get(f"/fhir/R4/{resource_type}/{resource_id.replace('/', '')[:80] or 'x'}"),
        api.get(f"/fhir/R4/Patient/{resource_id.replace('/', '')[:80] or 'x'}/$everything"),
    ):
        assert response.status_code in (200, 400, 404), response.status_code
        assert response["Content-Type"].startswith("application/fhir+json")


@settings(max_examples=fuzz_examples(0.05))
@given(header=hostile_text)
def test_hostile_authorization_headers_get_401(header):
    safe = header.replace("\n", "").replace("\r", "")
    response = FhirClient().get("/fhir/R4/Patient", headers={"Authorization": f"Bearer {safe}"})
    assert response.status_code == 401
