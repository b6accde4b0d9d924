"""Electronic referrals in: a FHIR Bundle -> the web form's fields -> `referral_submit`.

The Bundle (transaction or collection) holds one ServiceRequest (the order, with an
identifier from the sending system), its subject Patient, its requester Practitioner, a
Coverage (insurance), body weight and height Observations, AllergyIntolerance entries (or
one saying "no known allergy") and any number of DocumentReference attachments (inline
data, or a url naming a Binary entry). It is read into the very fields the public form
posts and checked by `intake.forms.ReferralForm`, so ICD-10-CM, NPI, phones and documents
(`intake.uploads`) are checked the same way; then `intake.referrals.referral_submit` saves
it, in one transaction with the record of where it came from. A second Bundle with the same
ServiceRequest.identifier finds the first referral and creates nothing.

`bundle_read` raises `BundleRefused(status, issues)`; each issue is (FHIR path, message).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.datastructures import MultiValueDict
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from clinic.models import Therapy
from intake.forms import DOCUMENT_FIELDS, ReferralForm
from intake.models import Referral
from intake.referrals import referral_submit
from interop import codes
from interop.models import ApiClient, InboundReferral

# Namespace of the submission keys made from ServiceRequest identifiers (uuid5).
_KEY_NAMESPACE = uuid.UUID("8f0f4b1e-5f5c-4a53-9a55-3c8e5b8f2a10")
_MAX_ISSUES = 50
_NO_KNOWN_ALLERGY = {"716186003", "409137002"}  # SNOMED CT: no known allergy / drug allergy
# Where each form field comes from in the Bundle, to name the problem in FHIR terms.
FIELD_PATHS: dict[str, str] = {
    "submitter_kind": "Practitioner",
    "submitter_name": "Practitioner.name",
    "submitter_email": "Practitioner.telecom",
    "submitter_phone": "Practitioner.telecom",
    "given_name": "Patient.name.given",
    "family_name": "Patient.name.family",
    "preferred_name": "Patient.name",
    "date_of_birth": "Patient.birthDate",
    "sex": "Patient.gender",
    "email": "Patient.telecom",
    "phone": "Patient.telecom",
    "address_line1": "Patient.address.line",
    "address_line2": "Patient.address.line",
    "city": "Patient.address.city",
    "region": "Patient.address.state",
    "postal_code": "Patient.address.postalCode",
    "preferred_language": "Patient.communication.language",
    "guardian_name": "Patient.contact.name",
    "guardian_relationship": "Patient.contact.relationship",
    "guardian_phone": "Patient.contact.telecom",
    "payer": "Coverage.payor",
    "member_id": "Coverage.subscriberId",
    "group_number": "Coverage.class",
    "provider_name": "Practitioner.name",
    "provider_practice": "Practitioner.address",
    "provider_npi": "Practitioner.identifier",
    "provider_phone": "Practitioner.telecom",
    "provider_fax": "Practitioner.telecom",
    "diagnosis_code": "ServiceRequest.reasonCode",
    "weight_kg": "Observation (body weight, LOINC 29463-7)",
    "height_cm": "Observation (body height, LOINC 8302-2)",
    "measured_on": "Observation.effectiveDateTime",
    "no_known_drug_allergies": "AllergyIntolerance",
    "allergies": "AllergyIntolerance",
    "current_medications": "ServiceRequest.note",
    "prior_therapies": "ServiceRequest.note",
    "therapy": "ServiceRequest.code",
    "dose": "ServiceRequest.note",
    "frequency": "ServiceRequest.note",
    "order_notes": "ServiceRequest.note",
    "consent_to_contact": "ServiceRequest",
    "submission_key": "ServiceRequest.identifier",
    "website": "Bundle",
    "__all__": "Bundle",
    **{name: "DocumentReference.content.attachment" for name in DOCUMENT_FIELDS},
}
# DocumentReference.type (LOINC) -> the form's document field; anything else is notes.
_DOCUMENT_TYPES = {
    "11502-2": "documents_labs",  # Laboratory report
    "18748-4": "documents_mri",  # Diagnostic imaging study
    "11506-3": "documents_notes",  # Progress note
    "57133-1": "documents_order",  # Referral note
    "order": "documents_order",
    "notes": "documents_notes",
    "labs": "documents_labs",
    "mri": "documents_mri",
    "insurance_card": "documents_insurance",
}


class BundleRefused(Exception):
    def __init__(self, status: int, issues: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(message for _path, message in issues))
        self.status, self.issues = status, issues[:_MAX_ISSUES]


@dataclass
class Received:
    referral: Referral
    created: bool


def _refuse(path: str, message: str, status: int = 422) -> BundleRefused:
    return BundleRefused(status, [(path, message)])


def bundle_parse(body: bytes) -> dict[str, Any]:
    """Return the JSON Bundle, validated against the FHIR R4 (R4B) models, or refuse it."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        raise _refuse("Bundle", "The body is not valid JSON (UTF-8).", 400) from None
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        found = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
        raise _refuse(
            "Bundle", f"Expected a resource of type Bundle, not {str(found)[:40]!r}.", 400
        )
    try:
        Bundle.model_validate(data)
    except ValidationError as exc:
        raise BundleRefused(
            422,
            [
                (".".join(str(part) for part in error["loc"]) or "Bundle", error["msg"][:300])
                for error in exc.errors()[:_MAX_ISSUES]
            ],
        ) from None
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        # The models raise these on some hostile shapes (an unknown resourceType inside).
        raise _refuse(
            "Bundle.entry", "An entry is not a FHIR R4 resource this server knows."
        ) from None
    data = _without_nulls(data)
    if data.get("type") not in ("transaction", "collection"):
        raise _refuse("Bundle.type", "Send the referral as a transaction or collection Bundle.")
    return data


def _without_nulls(value: Any) -> Any:
    """FHIR JSON has no nulls: the models accept `null` as an absent element, so drop it
    before the Bundle is read (an `"valueQuantity": null` must read as no quantity)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value if v is not None]
    return value


def _entries(bundle: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (entry.get("fullUrl", ""), entry["resource"])
        for entry in bundle.get("entry", [])
        if isinstance(entry.get("resource"), dict)
    ]


def _resolve(
    reference: str, entries: list[tuple[str, dict[str, Any]]], container: dict[str, Any]
) -> dict[str, Any] | None:
    """Return the entry or contained resource a reference names, if it is in the Bundle."""
    if not reference:
        return None
    if reference.startswith("#"):
        for resource in container.get("contained", []):
            if resource.get("id") == reference[1:]:
                return resource
        return None
    for full_url, resource in entries:
        rid = f"{resource.get('resourceType')}/{resource.get('id')}"
        if reference in (full_url, rid) or (full_url and full_url.endswith("/" + reference)):
            return resource
    return None


def _of_type(entries: list[tuple[str, dict[str, Any]]], kind: str) -> list[dict[str, Any]]:
    return [resource for _url, resource in entries if resource.get("resourceType") == kind]


def _telecom(resource: dict[str, Any], system: str) -> str:
    for point in resource.get("telecom", []):
        if point.get("system") == system and point.get("value"):
            return point["value"]
    return ""


def _official_name(resource: dict[str, Any]) -> dict[str, Any]:
    names = resource.get("name", [])
    return next((n for n in names if n.get("use") == "official"), names[0] if names else {})


def _patient_fields(patient: dict[str, Any]) -> dict[str, Any]:
    name = _official_name(patient)
    usual = next((n for n in patient.get("name", []) if n.get("use") == "usual"), {})
    address = (patient.get("address") or [{}])[0]
    lines = address.get("line", [])
    language = ""
    for communication in patient.get("communication", []):
        for coding in communication.get("language", {}).get("coding", []):
            language = language or (coding.get("code") or "")[:2].lower()
    contact = (patient.get("contact") or [{}])[0]
    relationship = (contact.get("relationship") or [{}])[0]
    return {
        "given_name": " ".join(name.get("given", [])),
        "family_name": name.get("family", ""),
        "preferred_name": usual.get("text") or " ".join(usual.get("given", [])),
        "date_of_birth": patient.get("birthDate", ""),
        "sex": patient.get("gender", ""),
        "phone": _telecom(patient, "phone"),
        "email": _telecom(patient, "email"),
        "address_line1": lines[0] if lines else "",
        "address_line2": ", ".join(lines[1:]),
        "city": address.get("city", ""),
        "region": address.get("state", ""),
        "postal_code": address.get("postalCode", ""),
        "preferred_language": language or "en",
        "guardian_name": contact.get("name", {}).get("text", ""),
        "guardian_relationship": relationship.get("text", ""),
        "guardian_phone": _telecom(contact, "phone"),
    }


def _practitioner_fields(practitioner: dict[str, Any], client: ApiClient) -> dict[str, Any]:
    name = _official_name(practitioner)
    full = (
        name.get("text")
        or " ".join(
            [*name.get("prefix", []), *name.get("given", []), name.get("family", "")]
        ).strip()
    )
    npi = next(
        (
            i.get("value", "")
            for i in practitioner.get("identifier", [])
            if i.get("system") == codes.NPI
        ),
        "",
    )
    address = (practitioner.get("address") or [{}])[0]
    return {
        "submitter_kind": Referral.SubmitterKind.PROVIDER,
        "submitter_name": full or client.name,
        "submitter_email": _telecom(practitioner, "email") or client.notify_email,
        "submitter_phone": _telecom(practitioner, "phone"),
        "provider_name": full,
        "provider_practice": address.get("text") or ", ".join(address.get("line", [])),
        "provider_npi": npi,
        "provider_phone": _telecom(practitioner, "phone"),
        "provider_fax": _telecom(practitioner, "fax"),
    }


def _coverage_fields(coverage: dict[str, Any] | None) -> dict[str, Any]:
    if not coverage:
        return {}
    payor = (coverage.get("payor") or [{}])[0]
    group = next(
        (
            c.get("value", "")
            for c in coverage.get("class", [])
            if any(cd.get("code") == "group" for cd in c.get("type", {}).get("coding", []))
        ),
        "",
    )
    member = coverage.get("subscriberId") or next(
        (i.get("value", "") for i in coverage.get("identifier", [])), ""
    )
    return {"payer": payor.get("display", ""), "member_id": member, "group_number": group}


def _codes(concept: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c.get("system", ""), c.get("code", "")) for c in concept.get("coding", [])]


def _measurements(entries: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    wanted = {"29463-7": ("weight_kg", "kg"), "8302-2": ("height_cm", "cm")}
    for observation in _of_type(entries, "Observation"):
        for system, code in _codes(observation.get("code", {})):
            if system != codes.LOINC or code not in wanted:
                continue
            field, unit = wanted[code]
            quantity = observation.get("valueQuantity", {})
            if quantity.get("code", unit) == unit and "value" in quantity:
                out[field] = str(quantity["value"])
            when = observation.get("effectiveDateTime", "")
            if when:
                out["measured_on"] = when[:10]
    return out


def _allergy_fields(entries: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    allergies, none_known = [], False
    for allergy in _of_type(entries, "AllergyIntolerance"):
        concept = allergy.get("code", {})
        if any(code in _NO_KNOWN_ALLERGY for _system, code in _codes(concept)):
            none_known = True
            continue
        text = concept.get("text") or next(
            (c.get("display") or c.get("code") for c in concept.get("coding", [])), ""
        )
        if text:
            allergies.append(text)
    return {
        "no_known_drug_allergies": "on" if none_known else "",
        "allergies": "\n".join(allergies),
    }


def _order_fields(request: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {"dose": "", "frequency": "", "order_notes": ""}
    labels = {
        "dose:": "dose",
        "frequency:": "frequency",
        "current medications:": "current_medications",
        "prior therapies:": "prior_therapies",
    }
    notes = []
    for note in request.get("note", []):
        text = note.get("text", "")
        for prefix, field in labels.items():
            if text.lower().startswith(prefix):
                fields[field] = text[len(prefix) :].strip()
                break
        else:
            notes.append(text)
    fields["order_notes"] = "\n".join(notes)
    reason = (request.get("reasonCode") or [{}])[0]
    fields["diagnosis_code"] = next(
        (code for system, code in _codes(reason) if system == codes.ICD10CM), ""
    )
    return fields


def _therapy(request: dict[str, Any]) -> str:
    """Return the pk of the ordered therapy (by RxNorm code or Chairside's own), or ""."""
    for system, code in _codes(request.get("code", {})):
        lookup = {codes.RXNORM: "rxnorm_code", codes.THERAPY_CODE: "code"}.get(system)
        if lookup and code:
            therapy = Therapy.objects.filter(is_active=True, **{lookup: code}).first()
            if therapy:
                return str(therapy.pk)
    return ""


def _documents(
    entries: list[tuple[str, dict[str, Any]]],
) -> tuple[MultiValueDict, list[tuple[str, str]]]:
    files: MultiValueDict = MultiValueDict()
    problems: list[tuple[str, str]] = []
    limit = settings.DOCUMENT_MAX_BYTES
    for index, document in enumerate(_of_type(entries, "DocumentReference")):
        field = "documents_notes"
        for _system, code in _codes(document.get("type", {})):
            field = _DOCUMENT_TYPES.get(code, field)
        for attachment in (c.get("attachment", {}) for c in document.get("content", [])):
            path = f"DocumentReference[{index}].content.attachment"
            data = attachment.get("data")
            if data is None and attachment.get("url"):
                binary = _resolve(attachment["url"], entries, document)
                data = (
                    binary.get("data")
                    if binary and binary.get("resourceType") == "Binary"
                    else None
                )
            if not data:
                problems.append((path, "The attachment has no data (inline, or a Binary entry)."))
                continue
            # Base64 is 4 characters per 3 bytes: refuse an oversized file before decoding it.
            if len(data) * 3 // 4 > limit + 3:
                problems.append(
                    (path, f"The attachment is larger than {limit // (1024 * 1024)} MB.")
                )
                continue
            try:
                content = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                problems.append((path, "The attachment's data is not valid base64."))
                continue
            name = (attachment.get("title") or f"document-{index + 1}")[:200]
            files.appendlist(
                field,
                SimpleUploadedFile(name, content, attachment.get("contentType") or ""),
            )
    return files, problems


def bundle_fields(
    bundle: dict[str, Any], client: ApiClient
) -> tuple[dict[str, Any], MultiValueDict, tuple[str, str]]:
    """Return (form data, form files, ServiceRequest identifier) read from the Bundle."""
    entries = _entries(bundle)
    requests = _of_type(entries, "ServiceRequest")
    if len(requests) != 1:
        raise _refuse("Bundle.entry", "The Bundle must hold exactly one ServiceRequest.")
    request = requests[0]
    identifier = next((i for i in request.get("identifier", []) if i.get("value")), None)
    problems: list[tuple[str, str]] = []
    if identifier is None:
        problems.append(
            ("ServiceRequest.identifier", "Give the order an identifier (system and value).")
        )
    patient = _resolve(request.get("subject", {}).get("reference", ""), entries, request)
    if not patient or patient.get("resourceType") != "Patient":
        problems.append(("ServiceRequest.subject", "The subject must be a Patient in the Bundle."))
    practitioner = _resolve(request.get("requester", {}).get("reference", ""), entries, request)
    if not practitioner or practitioner.get("resourceType") != "Practitioner":
        problems.append(
            ("ServiceRequest.requester", "The requester must be a Practitioner in the Bundle.")
        )
    coverages = [
        _resolve(i.get("reference", ""), entries, request) for i in request.get("insurance", [])
    ] or _of_type(entries, "Coverage")
    coverage = next((c for c in coverages if c and c.get("resourceType") == "Coverage"), None)
    if coverage is None:
        problems.append(("Coverage", "Include the patient's insurance as a Coverage."))
    files, document_problems = _documents(entries)
    problems += document_problems
    if problems:
        raise BundleRefused(422, problems)
    system, value = identifier.get("system", "")[:255], identifier["value"][:255]
    data = {
        "submission_key": str(uuid.uuid5(_KEY_NAMESPACE, f"{system}|{value}")),
        **_practitioner_fields(practitioner, client),
        **_patient_fields(patient),
        **_coverage_fields(coverage),
        **_measurements(entries),
        **_allergy_fields(entries),
        **_order_fields(request),
        "therapy": _therapy(request),
        # Consent to contact: the clinic's agreement with the client system covers it.
        "consent_to_contact": "on",
        "website": "",
    }
    return data, files, (system, value)


def _form_problems(form: ReferralForm, data: dict[str, Any]) -> list[tuple[str, str]]:
    """Return the form's errors as (FHIR path, message), the therapy's in FHIR terms."""
    problems = []
    for field, messages in form.errors.items():
        for message in messages:
            if field == "therapy" and not data.get("therapy"):
                message = (
                    "No active therapy in the catalogue has this code: send its RxNorm code "
                    f"({codes.RXNORM}) or Chairside's own ({codes.THERAPY_CODE})."
                )
            problems.append((FIELD_PATHS.get(field, field), str(message)))
    return problems


def referral_receive(*, body: bytes, client: ApiClient) -> Received:
    """Create the referral a Bundle carries (or find the one it already made)."""
    bundle = bundle_parse(body)
    data, files, (system, value) = bundle_fields(bundle, client)
    existing = (
        InboundReferral.objects.select_related("referral")
        .filter(identifier_system=system, identifier_value=value)
        .first()
    )
    if existing is not None:
        return Received(existing.referral, False)
    with translation.override("en"):
        form = ReferralForm(data, files)
        if not form.is_valid():
            raise BundleRefused(422, _form_problems(form, data))
    try:
        with transaction.atomic():
            referral, created = referral_submit(data=form.cleaned_data, documents=form.documents)
            if created:
                InboundReferral.objects.create(
                    referral=referral,
                    client=client,
                    identifier_system=system,
                    identifier_value=value,
                )
    except IntegrityError:
        # The same identifier arrived twice at once; the other request saved it.
        existing = InboundReferral.objects.filter(
            identifier_system=system, identifier_value=value
        ).first()
        if existing is None:
            raise
        return Received(existing.referral, False)
    return Received(referral, created)
