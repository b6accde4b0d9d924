"""Writes on referrals: submit, move through triage, accept."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.models import Patient
from clinic.notices import notice_enqueue
from intake import notices
from intake.models import Referral, ReferralDocument, ReferralStatus, ReferralTransition
from intake.workflow import NOTE_REQUIRED, is_allowed

logger = logging.getLogger(__name__)


class WorkflowError(Exception):
    """A status change that the workflow does not allow; the message is for staff."""


def referral_submit(*, data: dict[str, Any], documents: list[tuple]) -> tuple[Referral, bool]:
    """Save a referral and its files in one transaction; return (referral, created).

    A resubmission with the same submission key returns the referral already saved.
    The two emails are written to the outbox in the same transaction and sent after it.
    """
    key = data["submission_key"]
    existing = Referral.objects.filter(submission_key=key).first()
    if existing is not None:
        return existing, False
    fields = {k: v for k, v in data.items() if k in _REFERRAL_FIELDS}
    try:
        with transaction.atomic():
            referral = Referral.objects.create(**fields)
            for kind, upload, content_type, digest in documents:
                ReferralDocument.objects.create(
                    referral=referral,
                    kind=kind,
                    file=upload,
                    original_name=(upload.name or "document")[:255],
                    content_type=content_type,
                    size=upload.size,
                    sha256=digest,
                )
            notice_enqueue(
                kind=notices.REFERRAL_RECEIVED, to=[referral.submitter_email], target=referral
            )
            notice_enqueue(
                kind=notices.REFERRAL_INTAKE, to=[settings.INTAKE_EMAIL], target=referral
            )
    except IntegrityError:
        # Two requests with one key raced; the other one won.
        existing = Referral.objects.filter(submission_key=key).first()
        if existing is None:
            raise
        return existing, False
    logger.info("referral %s received", referral.pk)
    return referral, True


_REFERRAL_FIELDS = {f.name for f in Referral._meta.concrete_fields} - {
    "id",
    "reference",
    "status",
    "status_changed_at",
    "received_at",
    "patient",
}


def referral_transition(
    *, referral: Referral, to_status: str, by: AbstractBaseUser, note: str = ""
) -> Referral:
    """Move a referral to `to_status`, recording who, when, from, to and why."""
    note = (note or "").strip()
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if not is_allowed(locked.status, to_status):
            raise WorkflowError(
                f"{locked.reference} is {locked.get_status_display().lower()}; it can't move to "
                f"{ReferralStatus(to_status).label.lower()}."
            )
        if to_status in NOTE_REQUIRED and not note:
            raise WorkflowError(
                f"Say why when moving a referral to {ReferralStatus(to_status).label.lower()}."
            )
        from_status = locked.status
        if to_status == ReferralStatus.ACCEPTED:
            _link_patient(locked)
        locked.status = to_status
        locked.status_changed_at = timezone.now()
        locked._change_reason = f"{from_status} → {to_status}"
        locked.save()
        ReferralTransition.objects.create(
            referral=locked, from_status=from_status, to_status=to_status, by=by, note=note
        )
        if to_status == ReferralStatus.ACCEPTED:
            from intake.signals import referral_accepted

            referral_accepted.send(sender=Referral, referral=locked, by=by)
    referral.refresh_from_db()
    return locked


def _link_patient(referral: Referral) -> Patient:
    """Link the referral to its patient, reusing a record of the same person if there is one."""
    if referral.patient_id:
        return referral.patient
    patient = Patient.objects.same_person(
        given_name=referral.given_name,
        family_name=referral.family_name,
        date_of_birth=referral.date_of_birth,
    ).first()
    if patient is None:
        patient = Patient.objects.create(
            legal_given_name=referral.given_name,
            legal_family_name=referral.family_name,
            preferred_name=referral.preferred_name,
            date_of_birth=referral.date_of_birth,
            sex=referral.sex,
            email=referral.email,
            phone=referral.phone,
            address_line1=referral.address_line1,
            address_line2=referral.address_line2,
            city=referral.city,
            region=referral.region,
            postal_code=referral.postal_code,
            preferred_language=referral.preferred_language,
            guardian_name=referral.guardian_name,
            guardian_phone=referral.guardian_phone,
        )
    referral.patient = patient
    return patient
