"""What each FHIR resource type reads: its rows, how to find one, and its search parameters.

Each `ResourceKind` loads its rows with the related rows its mapper needs
(`select_related`), so a read, a page of a search and `$everything` each take a fixed number
of queries however many rows there are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q, QuerySet

from clinic.models import Patient
from intake.models import Flag, Instrument, QuestionnaireResponse, Referral
from interop.mappers.flags import flag_resource
from interop.mappers.patients import clinician_practitioner, patient_resource, referrer_practitioner
from interop.mappers.questionnaires import (
    questionnaire_resource,
    questionnaire_response_resource,
    score_observation,
)
from interop.mappers.referrals import SERVICE_REQUEST_STATUS, service_request_resource
from interop.mappers.scheduling import APPOINTMENT_STATUS, appointment_resource, location_resource
from scheduling.models import Chair, Session


def _statuses_for(mapping: dict[str, str], wanted: list[str]) -> list[str]:
    """Return the Chairside statuses whose FHIR status is one of `wanted`."""
    return [ours for ours, theirs in mapping.items() if theirs in wanted]


@dataclass(frozen=True)
class ResourceKind:
    name: str
    queryset: Callable[[], QuerySet]
    to_fhir: Callable[[Any], dict[str, Any]]
    ordering: tuple[str, ...]
    # id in the URL -> primary key, or None when the id can't be one of ours.
    pk_from_id: Callable[[str], int | None]
    patient_field: str | None = None
    date_field: str | None = None
    status_filter: Callable[[list[str]], Q] | None = None
    params: set[str] = field(default_factory=set)

    def search_params(self) -> set[str]:
        names = {"_id"}
        if self.patient_field:
            names.add("patient")
        if self.date_field:
            names.add("date")
        if self.status_filter:
            names.add("status")
        return names | self.params


def _digits(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else None


def _prefixed(prefix: str) -> Callable[[str], int | None]:
    def parse(value: str) -> int | None:
        return _digits(value[len(prefix) :]) if value.startswith(prefix) else None

    return parse


def _referrals() -> QuerySet:
    return Referral.objects.select_related("therapy", "fhir_source")


def _sessions() -> QuerySet:
    return Session.objects.select_related("course__therapy", "dose", "chair")


def _scored_responses() -> QuerySet:
    return QuestionnaireResponse.objects.select_related("instrument").filter(
        main_score__isnull=False
    )


KINDS: dict[str, ResourceKind] = {
    kind.name: kind
    for kind in [
        ResourceKind(
            name="Patient",
            queryset=lambda: Patient.objects.all(),
            to_fhir=patient_resource,
            ordering=("pk",),
            pk_from_id=_digits,
            patient_field="pk",
        ),
        ResourceKind(
            name="ServiceRequest",
            queryset=_referrals,
            to_fhir=service_request_resource,
            ordering=("-received_at", "-pk"),
            pk_from_id=_digits,
            patient_field="patient_id",
            date_field="received_at",
            status_filter=lambda wanted: Q(
                status__in=_statuses_for(SERVICE_REQUEST_STATUS, wanted)
            ),
        ),
        ResourceKind(
            name="Questionnaire",
            queryset=lambda: Instrument.objects.all(),
            to_fhir=questionnaire_resource,
            ordering=("position", "code", "-version"),
            pk_from_id=_digits,
            date_field="loaded_at",
            status_filter=lambda wanted: Q(
                is_current__in=[s == "active" for s in wanted if s in ("active", "retired")]
            ),
        ),
        ResourceKind(
            name="QuestionnaireResponse",
            queryset=lambda: QuestionnaireResponse.objects.select_related("instrument"),
            to_fhir=questionnaire_response_resource,
            ordering=("-submitted_at", "-pk"),
            pk_from_id=_digits,
            patient_field="patient_id",
            date_field="submitted_at",
            status_filter=lambda wanted: Q() if "completed" in wanted else Q(pk__in=[]),
        ),
        ResourceKind(
            name="Observation",
            queryset=_scored_responses,
            to_fhir=score_observation,
            ordering=("-submitted_at", "-pk"),
            pk_from_id=_prefixed("score-"),
            patient_field="patient_id",
            date_field="submitted_at",
            status_filter=lambda wanted: Q() if "final" in wanted else Q(pk__in=[]),
        ),
        ResourceKind(
            name="Flag",
            queryset=lambda: Flag.objects.all(),
            to_fhir=flag_resource,
            ordering=("-raised_at", "-pk"),
            pk_from_id=_digits,
            patient_field="patient_id",
            date_field="raised_at",
            status_filter=lambda wanted: (
                (Q(acknowledged_at__isnull=True) if "active" in wanted else Q(pk__in=[]))
                | (Q(acknowledged_at__isnull=False) if "inactive" in wanted else Q(pk__in=[]))
            ),
        ),
        ResourceKind(
            name="Appointment",
            queryset=_sessions,
            to_fhir=appointment_resource,
            ordering=("start", "pk"),
            pk_from_id=_digits,
            patient_field="course__patient_id",
            date_field="start",
            status_filter=lambda wanted: Q(status__in=_statuses_for(APPOINTMENT_STATUS, wanted)),
        ),
        ResourceKind(
            name="Location",
            queryset=lambda: Chair.objects.all(),
            to_fhir=location_resource,
            ordering=("position", "pk"),
            pk_from_id=_digits,
            status_filter=lambda wanted: Q(
                is_active__in=[s == "active" for s in wanted if s in ("active", "inactive")]
            ),
        ),
    ]
}


def resource_object(kind: ResourceKind, resource_id: str) -> models.Model | None:
    """Return the row behind `Type/id`, or None."""
    pk = kind.pk_from_id(resource_id)
    if pk is None:
        return None
    return kind.queryset().filter(pk=pk).first()


# --- Practitioners: referrers (by NPI, from referrals) and staff clinicians -------------------


def practitioner_read(resource_id: str) -> tuple[dict[str, Any], models.Model] | None:
    """Return (Practitioner, the row it was read from) for 'npi-<NPI>' or 'staff-<pk>'."""
    if resource_id.startswith("npi-"):
        npi = resource_id[4:]
        if not (npi.isascii() and npi.isdigit() and len(npi) == 10):
            return None
        referral = Referral.objects.filter(provider_npi=npi).order_by("-received_at").first()
        return (referrer_practitioner(referral), referral) if referral else None
    pk = _prefixed("staff-")(resource_id)
    if pk is None:
        return None
    user = get_user_model().objects.filter(pk=pk, is_staff=True).first()
    return (clinician_practitioner(user), user) if user else None


def practitioners_for_patient(patient_pk: int) -> list[tuple[dict[str, Any], models.Model]]:
    """Return the patient's referring providers and the clinicians who acknowledged flags."""
    found: dict[str, tuple[dict[str, Any], models.Model]] = {}
    for referral in Referral.objects.filter(patient_id=patient_pk).order_by("-received_at"):
        resource = referrer_practitioner(referral)
        found.setdefault(resource["id"], (resource, referral))
    users = get_user_model().objects.filter(
        pk__in=Flag.objects.filter(patient_id=patient_pk, acknowledged_by__isnull=False).values(
            "acknowledged_by"
        )
    )
    for user in users:
        resource = clinician_practitioner(user)
        found.setdefault(resource["id"], (resource, user))
    return list(found.values())
