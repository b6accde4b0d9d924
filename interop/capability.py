"""`metadata`: the CapabilityStatement, built from the same registry the views use."""

from __future__ import annotations

from typing import Any

from interop.responses import base_url
from interop.selectors import KINDS

_PARAM_TYPES = {"_id": "token", "patient": "reference", "date": "date", "status": "token"}


def capability_statement() -> dict[str, Any]:
    resources = []
    for name in sorted([*KINDS, "Practitioner"]):
        params = {"patient"} if name == "Practitioner" else KINDS[name].search_params()
        entry: dict[str, Any] = {
            "type": name,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [{"name": p, "type": _PARAM_TYPES[p]} for p in sorted(params)],
        }
        if name == "Patient":
            entry["operation"] = [
                {
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                }
            ]
        resources.append(entry)
    resources.append({"type": "Bundle", "interaction": [{"code": "create"}]})
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-04",
        "publisher": "Chairside",
        "kind": "instance",
        "software": {"name": "Chairside"},
        "implementation": {"description": "Chairside infusion clinic", "url": base_url()},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Bearer API tokens issued in the staff site, scoped per resource type. "
                    "Search results page with _count (at most 100) and next links. "
                    "POST a transaction or collection Bundle holding a ServiceRequest to "
                    "send a referral."
                ),
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "OAuth",
                                }
                            ],
                            "text": "Bearer token",
                        }
                    ]
                },
                "resource": resources,
            }
        ],
    }


__all__ = ["capability_statement"]
