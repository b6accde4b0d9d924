"""The FHIR R4 API under /fhir/R4/: thin views over selectors, mappers and one service.

Every answer is `application/fhir+json`; every refusal an OperationOutcome. Every request
but `metadata` needs an API token (`interop.tokens`) covering the resource type, and every
record read is written to the access log with the client's name (`interop.audit`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from clinic import clock
from interop.audit import reads_log
from interop.capability import capability_statement
from interop.everything import patient_everything
from interop.inbound import BundleRefused, referral_receive
from interop.mappers.referrals import service_request_resource
from interop.models import ApiToken
from interop.responses import base_url, bundle, fhir_response, outcome
from interop.search import SearchError, search_parse
from interop.selectors import (
    KINDS,
    kind_search,
    practitioner_read,
    practitioners_for_patient,
    resource_find,
    resource_object,
)
from interop.tokens import TokenRefused, token_check

_KNOWN_TYPES = {*KINDS, "Practitioner"}
MAX_BODY_BYTES = 16 * 1024 * 1024


def fhir_view(methods: tuple[str, ...]) -> Callable:
    """Wrap an API view: allowed methods, JSON only, no caching, no CSRF (no cookies used)."""

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @never_cache
        @wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                return outcome(
                    405,
                    [("", f"{request.method[:10]} is not supported here.")],
                    Allow=", ".join(methods),
                )
            accept = request.headers.get("Accept", "")
            if "xml" in accept and "json" not in accept:
                return outcome(406, [("", "This server answers application/fhir+json only.")])
            return view(request, *args, **kwargs)

        return inner

    return wrap


def _token_or_refusal(request: HttpRequest, scope: str) -> ApiToken | HttpResponse:
    try:
        return token_check(request, scope=scope)
    except TokenRefused as refused:
        headers = (
            {"WWW_Authenticate": 'Bearer realm="chairside-fhir"'} if refused.status == 401 else {}
        )
        return outcome(refused.status, [("", refused.message)], **headers)


def _unknown_type(resource_type: str) -> HttpResponse:
    return outcome(404, [("", f"This server has no resource type {resource_type[:40]!r}.")])


@fhir_view(("GET",))
def metadata_view(request: HttpRequest) -> HttpResponse:
    return fhir_response(capability_statement())


@fhir_view(("GET", "POST"))
def type_view(request: HttpRequest, resource_type: str) -> HttpResponse:
    if resource_type == "Bundle" and request.method == "POST":
        return _bundle_post(request)
    if request.method == "POST":
        return outcome(
            405, [("", "Referrals arrive as a Bundle: POST /fhir/R4/Bundle.")], Allow="GET"
        )
    if resource_type not in _KNOWN_TYPES:
        return _unknown_type(resource_type)
    token = _token_or_refusal(request, resource_type)
    if isinstance(token, HttpResponse):
        return token
    return _search(request, token, resource_type)


@fhir_view(("GET",))
def read_view(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    if resource_type not in _KNOWN_TYPES:
        return _unknown_type(resource_type)
    token = _token_or_refusal(request, resource_type)
    if isinstance(token, HttpResponse):
        return token
    not_found = outcome(404, [("", f"{resource_type}/{resource_id[:64]} is not known.")])
    if resource_type == "Practitioner":
        found = practitioner_read(resource_id)
        if found is None:
            return not_found
        resource, row = found
    else:
        found = resource_find(KINDS[resource_type], resource_id)
        if found is None:
            return not_found
        part, row = found
        resource = part.to_fhir(row)
    reads_log(request, token, [row], action="API read")
    return fhir_response(resource)


@fhir_view(("GET",))
def everything_view(request: HttpRequest, resource_id: str) -> HttpResponse:
    token = _token_or_refusal(request, "Patient")
    if isinstance(token, HttpResponse):
        return token
    patient = resource_object(KINDS["Patient"], resource_id)
    if patient is None:
        return outcome(404, [("", f"Patient/{resource_id[:64]} is not known.")])
    resources, rows = patient_everything(patient)
    # The token must cover every type the Bundle holds, or it would read around its scope.
    missing = sorted({r["resourceType"] for r in resources} - set(token.scopes))
    if missing:
        return outcome(403, [("", f"This API token does not cover {', '.join(missing)}.")])
    reads_log(request, token, rows, action="API $everything")
    self_url = f"{base_url()}/Patient/{patient.pk}/$everything"
    return fhir_response(
        bundle("searchset", resources, total=len(resources), links={"self": self_url})
    )


def _search(request: HttpRequest, token: ApiToken, resource_type: str) -> HttpResponse:
    params = {key: request.GET.getlist(key) for key in request.GET}
    if resource_type == "Practitioner":
        allowed = {"patient"}
    else:
        allowed = KINDS[resource_type].search_params()
    try:
        search = search_parse(params, allowed=allowed, tz=clock.clinic_tz())
    except SearchError as error:
        return outcome(400, [("", str(error))])
    if resource_type == "Practitioner":
        return _search_practitioners(request, token, search)
    found, total = kind_search(KINDS[resource_type], search)
    rows = [row for _part, row in found]
    reads_log(request, token, rows, action="API search")
    resources = [part.to_fhir(row) for part, row in found]
    return _page(request, resource_type, resources, total, search)


def _search_practitioners(request: HttpRequest, token: ApiToken, search: Any) -> HttpResponse:
    if search.patient is None:
        return outcome(400, [("", "Search practitioners by patient.")])
    pk = KINDS["Patient"].pk_from_id(search.patient)
    found = practitioners_for_patient(pk) if pk else []
    page = found[search.offset : search.offset + search.count]
    reads_log(request, token, [row for _resource, row in page], action="API search")
    return _page(request, "Practitioner", [resource for resource, _row in page], len(found), search)


def _page(
    request: HttpRequest,
    resource_type: str,
    resources: list[dict[str, Any]],
    total: int,
    search: Any,
) -> HttpResponse:
    def url(offset: int) -> str:
        query = [
            (k, v)
            for k in request.GET
            for v in request.GET.getlist(k)
            if k not in ("_offset", "_count")
        ]
        query += [("_count", str(search.count)), ("_offset", str(offset))]
        return f"{base_url()}/{resource_type}?{urlencode(query)}"

    links = {"self": url(search.offset)}
    if search.offset + search.count < total:
        links["next"] = url(search.offset + search.count)
    if search.offset > 0:
        links["previous"] = url(max(0, search.offset - search.count))
    return fhir_response(bundle("searchset", resources, total=total, links=links))


def _bundle_post(request: HttpRequest) -> HttpResponse:
    token = _token_or_refusal(request, "Bundle")
    if isinstance(token, HttpResponse):
        return token
    content_type = request.content_type or ""
    if content_type not in ("application/fhir+json", "application/json"):
        return outcome(415, [("", "Send the Bundle as application/fhir+json.")])
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    limit = getattr(settings, "FHIR_MAX_BODY_BYTES", MAX_BODY_BYTES)
    body = b"" if declared > limit else request.read(limit + 1)
    if declared > limit or len(body) > limit:
        return outcome(413, [("Bundle", f"The Bundle is larger than {limit // (1024 * 1024)} MB.")])
    try:
        received = referral_receive(body=body, client=token.client)
    except BundleRefused as refused:
        return outcome(refused.status, refused.issues)
    referral = received.referral
    location = f"{base_url()}/ServiceRequest/{referral.pk}"
    if not received.created:
        return outcome(
            200,
            [
                (
                    "ServiceRequest.identifier",
                    f"Already received as ServiceRequest/{referral.pk}; nothing new was created.",
                )
            ],
            severity="information",
            code="duplicate",
            Location=location,
        )
    reads_log(request, token, [referral], action="API create")
    return fhir_response(service_request_resource(referral), 201, Location=location)


@fhir_view(("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"))
def not_found_view(request: HttpRequest) -> HttpResponse:
    return outcome(404, [("", "Not a FHIR endpoint of this server (see /fhir/R4/metadata).")])
