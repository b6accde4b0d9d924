"""ServiceRequest: a referral, with its ICD-10-CM reason and the therapy ordered."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist

from clinic.models import Therapy
from intake.models import Referral, ReferralStatus
from interop import codes
from interop.mappers import compact, instant, ref
from interop.mappers.patients import referral_patient, referrer_id

# The clinic's triage steps, as the order's status. The finer steps show in `Task` terms
# only in Chairside itself; a sender sees active / on hold / completed / revoked.
SERVICE_REQUEST_STATUS: dict[str, str] = {
    ReferralStatus.RECEIVED: "active",
    ReferralStatus.IN_REVIEW: "active",
    ReferralStatus.NEEDS_INFO: "on-hold",
    ReferralStatus.BENEFITS_CHECK: "active",
    ReferralStatus.PRIOR_AUTH: "active",
    ReferralStatus.ACCEPTED: "completed",
    ReferralStatus.DECLINED: "revoked",
    ReferralStatus.WITHDRAWN: "revoked",
}


def therapy_concept(therapy: Therapy) -> dict[str, Any]:
    """Return the therapy as a CodeableConcept: RxNorm where the catalogue has it."""
    coding = []
    if getattr(therapy, "rxnorm_code", ""):
        coding.append(
            {"system": codes.RXNORM, "code": therapy.rxnorm_code, "display": therapy.name}
        )
    coding.append({"system": codes.THERAPY_CODE, "code": therapy.code, "display": str(therapy)})
    return {"coding": coding, "text": str(therapy)}


def inbound_identifier(referral: Referral) -> dict[str, str] | None:
    """Return the identifier the sending system gave the ServiceRequest, if it came by API."""
    try:
        source = referral.fhir_source
    except ObjectDoesNotExist:
        return None
    if source is None:
        return None
    return {"system": source.identifier_system, "value": source.identifier_value}


def service_request_resource(referral: Referral) -> dict[str, Any]:
    """Return a referral as a ServiceRequest (intent order)."""
    identifiers = [{"system": codes.REFERRAL_REFERENCE, "value": referral.reference}]
    inbound = inbound_identifier(referral)
    if inbound:
        identifiers.insert(0, inbound)
    contained = []
    if referral.patient_id:
        subject = ref("Patient", referral.patient_id)
    else:
        contained.append(referral_patient(referral))
        subject = {"reference": "#patient"}
    order = "; ".join(
        part
        for part in (
            f"Dose: {referral.dose}" if referral.dose else "",
            f"Frequency: {referral.frequency}" if referral.frequency else "",
        )
        if part
    )
    notes = [{"text": text} for text in (order, referral.order_notes) if text]
    return compact(
        {
            "resourceType": "ServiceRequest",
            "id": str(referral.pk),
            "contained": contained,
            "identifier": identifiers,
            "status": SERVICE_REQUEST_STATUS.get(referral.status, "unknown"),
            "intent": "order",
            "category": [
                {
                    "coding": [
                        {
                            "system": "http://snomed.info/sct",
                            "code": "3457005",
                            "display": "Patient referral",
                        }
                    ]
                }
            ],
            "code": therapy_concept(referral.therapy),
            "subject": subject,
            "authoredOn": instant(referral.received_at),
            "requester": ref(
                "Practitioner", referrer_id(referral.provider_npi), referral.provider_name
            ),
            "reasonCode": [
                {
                    "coding": [{"system": codes.ICD10CM, "code": referral.diagnosis_code}],
                    "text": referral.diagnosis_code,
                }
            ],
            "note": notes,
        }
    )
