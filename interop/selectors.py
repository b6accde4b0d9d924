"""What each FHIR resource type reads: its rows, how to find one, and its search parameters.

Each `ResourceKind` loads its rows with the related rows its mapper needs
(`select_related`), so a read, a page of a search and `$everything` each take a fixed number
of queries however many rows there are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
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
from interop.mappers.visits import (
    VITAL_MEASURES,
    medication_administration_resource,
    premedication_resource,
    vital_observation,
)
from interop.search import Search
from scheduling.models import Chair, Session
from visits.models import PremedicationGiven, VisitRecord, VitalsReading


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
    # A type read from several tables (Observation: scores and each vital sign): its parts,
    # searched one after the other.
    parts: tuple[ResourceKind, ...] = ()

    def leaves(self) -> tuple[ResourceKind, ...]:
        return self.parts or (self,)

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


def _administrations() -> QuerySet:
    # An administration once the infusion started, or "not done" once discharged without it.
    return VisitRecord.objects.select_related("therapy", "session__course").filter(
        Q(infusion_started_at__isnull=False) | Q(discharged_at__isnull=False)
    )


_ADMINISTRATION_STATUS = {
    "not-done": Q(infusion_started_at__isnull=True),
    "in-progress": Q(infusion_started_at__isnull=False, infusion_stopped_at__isnull=True),
    "completed": Q(infusion_started_at__isnull=False, infusion_stopped_at__isnull=False),
}


def _administration_status(wanted: list[str]) -> Q:
    found = Q(pk__in=[])
    for status in wanted:
        found |= _ADMINISTRATION_STATUS.get(status, Q(pk__in=[]))
    return found


def _readings_with(fields: tuple[str, ...]) -> Callable[[], QuerySet]:
    def queryset() -> QuerySet:
        present = Q(pk__in=[])
        for name in fields:
            present |= Q(**{f"{name}__isnull": False})
        return VitalsReading.objects.select_related("record__session__course").filter(present)

    return queryset


_VITAL_KINDS = [
    ResourceKind(
        name="Observation",
        queryset=_readings_with(fields),
        to_fhir=partial(vital_observation, measure),
        ordering=("-taken_at", "-pk"),
        pk_from_id=_prefixed(f"vitals-{measure}-"),
        patient_field="record__session__course__patient_id",
        date_field="taken_at",
        status_filter=lambda wanted: Q() if "final" in wanted else Q(pk__in=[]),
    )
    for measure, fields in VITAL_MEASURES.items()
]
_ADMINISTRATION_KIND = ResourceKind(
    name="MedicationAdministration",
    queryset=_administrations,
    to_fhir=medication_administration_resource,
    ordering=("-opened_at", "-pk"),
    pk_from_id=_digits,
    patient_field="session__course__patient_id",
    date_field="opened_at",
    status_filter=_administration_status,
)
# Premedications given (not those only pre-filled from the protocol and never given).
_PREMEDICATION_KIND = ResourceKind(
    name="MedicationAdministration",
    queryset=lambda: PremedicationGiven.objects.select_related("record__session__course").filter(
        given_at__isnull=False
    ),
    to_fhir=premedication_resource,
    ordering=("-given_at", "-pk"),
    pk_from_id=_prefixed("premed-"),
    patient_field="record__session__course__patient_id",
    date_field="given_at",
    status_filter=lambda wanted: Q() if "completed" in wanted else Q(pk__in=[]),
)
_SCORE_KIND = ResourceKind(
    name="Observation",
    queryset=_scored_responses,
    to_fhir=score_observation,
    ordering=("-submitted_at", "-pk"),
    pk_from_id=_prefixed("score-"),
    patient_field="patient_id",
    date_field="submitted_at",
    status_filter=lambda wanted: Q() if "final" in wanted else Q(pk__in=[]),
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
        replace(_SCORE_KIND, parts=(_SCORE_KIND, *_VITAL_KINDS)),
        replace(_ADMINISTRATION_KIND, parts=(_ADMINISTRATION_KIND, _PREMEDICATION_KIND)),
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
    found = resource_find(kind, resource_id)
    return found[1] if found else None


def resource_find(kind: ResourceKind, resource_id: str) -> tuple[ResourceKind, models.Model] | None:
    """Return (the part of the type that maps it, the row) behind `Type/id`, or None."""
    for leaf in kind.leaves():
        pk = leaf.pk_from_id(resource_id)
        row = leaf.queryset().filter(pk=pk).first() if pk is not None else None
        if row is not None:
            return leaf, row
    return None


def _filtered(kind: ResourceKind, search: Search) -> QuerySet:
    queryset = kind.queryset()
    if search.patient is not None:
        pk = _digits(search.patient)
        queryset = queryset.filter(**{kind.patient_field: pk}) if pk else queryset.none()
    if search.ids:
        pks = [pk for pk in (kind.pk_from_id(i) for i in search.ids) if pk is not None]
        queryset = queryset.filter(pk__in=pks)
    if search.statuses:
        queryset = queryset.filter(kind.status_filter(search.statuses))
    for bound in search.dates:
        queryset = queryset.filter(**{f"{kind.date_field}__{bound.op}": bound.at})
    return queryset


def kind_search(
    kind: ResourceKind, search: Search
) -> tuple[list[tuple[ResourceKind, models.Model]], int]:
    """Return (one page of (part, row), the number of matches), in a fixed number of queries.

    A type in parts pages through them one after the other (two queries a part, two more
    for each part the page reaches).
    """
    found: list[tuple[ResourceKind, models.Model]] = []
    total = 0
    start, stop = search.offset, search.offset + search.count
    for leaf in kind.leaves():
        queryset = _filtered(leaf, search)
        matches = queryset.count()
        low, high = max(start - total, 0), min(stop - total, matches)
        if low < high:
            # The page's ids first, from the bare table (an index on the date orders it),
            # then the rows with what the mapper needs: joining first sorts every match.
            page = list(queryset.order_by(*leaf.ordering).values_list("pk", flat=True)[low:high])
            rows = {row.pk: row for row in leaf.queryset().filter(pk__in=page)}
            found += [(leaf, rows[pk]) for pk in page if pk in rows]
        total += matches
    return found, total


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
    records = VisitRecord.objects.filter(session__course__patient_id=patient_pk)
    users = users | get_user_model().objects.filter(
        Q(pk__in=records.values("opened_by"))
        | Q(pk__in=VitalsReading.objects.filter(record__in=records).values("recorded_by"))
        | Q(pk__in=PremedicationGiven.objects.filter(record__in=records).values("given_by"))
    )
    for user in users.distinct().order_by("pk"):
        resource = clinician_practitioner(user)
        found.setdefault(resource["id"], (resource, user))
    return list(found.values())
