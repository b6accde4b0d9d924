"""FHIR answers: JSON as `application/fhir+json`, every error an OperationOutcome."""

from __future__ import annotations

import functools
import json
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from fhir.resources.R4B import get_fhir_model_class

CONTENT_TYPE = "application/fhir+json; charset=utf-8"
BASE_PATH = "/fhir/R4"

# HTTP status -> OperationOutcome.issue.code
_ISSUE_CODE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    410: "deleted",
    413: "too-costly",
    415: "not-supported",
    422: "processing",
}


def base_url() -> str:
    return f"{settings.SITE_URL}{BASE_PATH}"


# Resources that change only when staff edit the catalogue: a checked one needn't be
# checked again while its JSON is the same (a questionnaire is most of a Bundle's checking).
_STATIC_TYPES = {"Questionnaire", "Location"}


@functools.lru_cache(maxsize=256)
def _check_static(resource_type: str, text: str) -> None:
    get_fhir_model_class(resource_type).model_validate_json(text)


def _check(resource: dict[str, Any]) -> None:
    kind = resource["resourceType"]
    if kind in _STATIC_TYPES:
        _check_static(kind, json.dumps(resource, sort_keys=True))
    else:
        get_fhir_model_class(kind).model_validate(resource)


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """Check a resource against the fhir.resources R4B model of its type; return it unchanged.

    A Bundle is checked entry by entry (each against its own type), then its shell.
    """
    if resource["resourceType"] == "Bundle" and resource.get("entry"):
        for entry in resource["entry"]:
            _check(entry["resource"])
        shell = {
            **resource,
            "entry": [{k: v for k, v in e.items() if k != "resource"} for e in resource["entry"]],
        }
        get_fhir_model_class("Bundle").model_validate(shell)
    else:
        _check(resource)
    return resource


def fhir_response(resource: dict[str, Any], status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(validated(resource), ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type=CONTENT_TYPE,
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def outcome(
    status: int,
    issues: list[tuple[str, str]],
    *,
    severity: str = "error",
    code: str | None = None,
    **headers: str,
) -> HttpResponse:
    """Return an OperationOutcome naming each problem: (FHIR path or "", message)."""
    resource = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": severity,
                "code": code or _ISSUE_CODE.get(status, "processing"),
                "diagnostics": message,
                **({"expression": [path]} if path else {}),
            }
            for path, message in issues
        ]
        or [{"severity": severity, "code": code or "processing"}],
    }
    return fhir_response(resource, status, **headers)


def bundle(
    kind: str, resources: list[dict[str, Any]], *, total: int | None = None, links: dict[str, str]
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": kind,
        "link": [{"relation": rel, "url": url} for rel, url in links.items()],
        "entry": [
            {
                "fullUrl": f"{base_url()}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }
    if total is not None:
        out["total"] = total
    if not out["entry"]:
        del out["entry"]
    return out
