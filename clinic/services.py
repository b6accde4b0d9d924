"""Writes on clinic-wide records."""

from __future__ import annotations

from django.db import models, transaction

from clinic.models import Patient


class MergeError(Exception):
    pass


def patient_merge(*, keep: Patient, duplicate: Patient) -> int:
    """Move everything that points at `duplicate` onto `keep`; mark the duplicate merged.

    Return the number of rows moved. The duplicate is kept (history must survive), only
    marked as merged, so it no longer shows up as a live record.
    """
    if keep.pk == duplicate.pk:
        raise MergeError("Choose two different patient records.")
    if keep.merged_into_id or duplicate.merged_into_id:
        raise MergeError("One of these records was already merged.")
    moved = 0
    with transaction.atomic():
        for relation in Patient._meta.related_objects:
            # Historical tables are hidden relations and stay as they were.
            if relation.one_to_many and relation.related_model is not Patient:
                manager: models.Manager = relation.related_model._base_manager
                moved += manager.filter(**{relation.field.name: duplicate}).update(
                    **{relation.field.name: keep}
                )
        for field in ("email", "phone", "preferred_name", "address_line1", "city", "postal_code"):
            if not getattr(keep, field) and getattr(duplicate, field):
                setattr(keep, field, getattr(duplicate, field))
        keep.save()
        duplicate.merged_into = keep
        duplicate.save(update_fields=["merged_into", "updated_at"])
    return moved
