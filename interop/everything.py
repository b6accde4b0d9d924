"""`Patient/<id>/$everything`: the patient and every resource the clinic holds about them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import models

from clinic.models import Patient
from interop.mappers.flags import flag_resource
from interop.mappers.patients import clinician_practitioner, patient_resource, referrer_practitioner
from interop.mappers.questionnaires import (
    questionnaire_resource,
    questionnaire_response_resource,
    score_observation,
)
from interop.mappers.referrals import service_request_resource
from interop.mappers.scheduling import appointment_resource, location_resource
from interop.mappers.visits import (
    medication_administration_resource,
    premedication_resource,
    vital_observations,
)
from interop.selectors import KINDS
from visits.models import PremedicationGiven, VitalsReading


def patient_everything(patient: Patient) -> tuple[list[dict[str, Any]], list[models.Model]]:
    """Return (resources, the rows they were read from), in a fixed number of queries."""
    referrals = list(
        KINDS["ServiceRequest"].queryset().filter(patient=patient).order_by("received_at", "pk")
    )
    responses = list(
        KINDS["QuestionnaireResponse"]
        .queryset()
        .filter(patient=patient)
        .order_by("submitted_at", "pk")
    )
    flags = list(KINDS["Flag"].queryset().filter(patient=patient).order_by("raised_at", "pk"))
    sessions = list(
        KINDS["Appointment"].queryset().filter(course__patient=patient).order_by("start", "pk")
    )
    administrations = list(
        KINDS["MedicationAdministration"]
        .queryset()
        .filter(session__course__patient=patient)
        .order_by("opened_at", "pk")
    )
    premeds = list(
        PremedicationGiven.objects.select_related("record__session__course")
        .filter(record__session__course__patient=patient, given_at__isnull=False)
        .order_by("given_at", "pk")
    )
    readings = list(
        VitalsReading.objects.select_related("record__session__course")
        .filter(record__session__course__patient=patient)
        .order_by("taken_at", "pk")
    )
    staff = {flag.acknowledged_by_id for flag in flags}
    staff |= {record.opened_by_id for record in administrations}
    staff |= {reading.recorded_by_id for reading in readings}
    staff |= {premed.given_by_id for premed in premeds}
    staff.discard(None)
    clinicians = list(get_user_model().objects.filter(pk__in=staff).order_by("pk")) if staff else []

    resources: list[dict[str, Any]] = [patient_resource(patient)]
    seen: set[str] = set()

    def once(resource: dict[str, Any]) -> None:
        key = f"{resource['resourceType']}/{resource['id']}"
        if key not in seen:
            seen.add(key)
            resources.append(resource)

    for referral in referrals:
        once(service_request_resource(referral))
        once(referrer_practitioner(referral))
    for user in clinicians:
        once(clinician_practitioner(user))
    for response in responses:
        once(questionnaire_resource(response.instrument))
        once(questionnaire_response_resource(response))
        if response.main_score is not None:
            once(score_observation(response))
    for flag in flags:
        once(flag_resource(flag))
    for session in sessions:
        once(location_resource(session.chair))
        once(appointment_resource(session))
    for record in administrations:
        once(medication_administration_resource(record))
    for premed in premeds:
        once(premedication_resource(premed))
    for reading in readings:
        for observation in vital_observations(reading):
            once(observation)
    rows: list[models.Model] = [
        patient,
        *referrals,
        *responses,
        *flags,
        *sessions,
        *administrations,
        *premeds,
        *readings,
    ]
    return resources, rows
