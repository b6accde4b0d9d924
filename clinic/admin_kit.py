"""Admin pieces every app uses, and the registry of inlines other apps add to the patient page.

The patient page (`clinic.admin.PatientAdmin`) shows what other apps know about a patient
without `clinic` importing them: each app registers its inlines with `patient_inline`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.admin.options import InlineModelAdmin

_patient_inlines: list[tuple[int, type[InlineModelAdmin]]] = []


def patient_inline(order: int) -> Callable[[type[InlineModelAdmin]], type[InlineModelAdmin]]:
    """Register an inline for the patient page; lower `order` shows first."""

    def register(inline: type[InlineModelAdmin]) -> type[InlineModelAdmin]:
        _patient_inlines.append((order, inline))
        _patient_inlines.sort(key=lambda item: item[0])
        return inline

    return register


def patient_inlines() -> list[type[InlineModelAdmin]]:
    """Return the inlines registered for the patient page, in order."""
    return [inline for _, inline in _patient_inlines]
