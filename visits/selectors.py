"""Reads for the visit page and the chair-time drift page, each in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from clinic.models import Therapy
from intake.models import Flag, QuestionnaireResponse
from scheduling.models import ChairTimeAdoption, DoseKind, Session
from visits.learning import Learned, learned
from visits.models import VisitRecord, VisitSettings

# Pre-visit answers shown on the visit page: those sent in this many days before the visit.
PREVISIT_DAYS = 14
# Learned chair times look back at most this far.
LEARN_DAYS = 365


def visit_session(pk: int) -> Session:
    return Session.objects.select_related(
        "course__patient", "course__therapy", "chair", "dose__step", "dose__course"
    ).get(pk=pk)


def visit_record(session: Session) -> VisitRecord | None:
    return VisitRecord.objects.filter(session=session).first()


def visit_top(session: Session) -> dict[str, Any]:
    """Return the pre-visit questionnaires' scores and the patient's open flags."""
    patient_id = session.course.patient_id
    responses = list(
        QuestionnaireResponse.objects.filter(
            patient_id=patient_id,
            submitted_at__gte=session.start - timedelta(days=PREVISIT_DAYS),
            submitted_at__lte=session.end,
        )
        .select_related("instrument")
        .order_by("-submitted_at")
    )
    flags = list(
        Flag.objects.filter(patient_id=patient_id, acknowledged_at__isnull=True).order_by(
            "priority", "raised_at"
        )[:20]
    )
    return {"responses": responses, "flags": flags}


def record_rows(record: VisitRecord) -> dict[str, list]:
    return {
        "vitals": list(record.vitals.all()),
        "premeds": list(record.premeds.all()),
        "rates": list(record.rates.all()),
        "reactions": list(record.reactions.all()),
        "amendments": list(record.amendments.select_related("by")),
    }


@dataclass(frozen=True)
class DriftRow:
    therapy: Therapy
    kind: str
    short_infusion: bool
    template_minutes: int
    adopted: ChairTimeAdoption | None
    chair: Learned | None
    infusion: Learned | None

    @property
    def kind_label(self) -> str:
        label = DoseKind(self.kind).label
        return f"{label}, shorter infusion" if self.short_infusion else label

    @property
    def key(self) -> str:
        return f"{self.therapy.pk}:{self.kind}:{int(self.short_infusion)}"


def drift_rows(now: Any = None) -> list[DriftRow]:
    """Return, per therapy and dose kind, the template, the adopted value and what recent
    completed visits took (median and 80th percentile, with their number)."""
    now = now or timezone.now()
    limit = VisitSettings.load().recent_visits
    rows = (
        VisitRecord.objects.filter(
            discharged_at__gte=now - timedelta(days=LEARN_DAYS), chair_minutes__isnull=False
        )
        .order_by("-discharged_at")
        .values_list(
            "therapy_id",
            "dose_kind",
            "short_infusion",
            "chair_minutes",
            "infusion_minutes",
            "template_minutes",
        )
    )
    chair: dict[tuple, list[int]] = defaultdict(list)
    infusion: dict[tuple, list[int]] = defaultdict(list)
    template: dict[tuple, int] = {}
    for therapy_id, kind, short, minutes, infused, planned in rows:
        key = (therapy_id, kind, short)
        template.setdefault(key, planned)
        if len(chair[key]) < limit:
            chair[key].append(minutes)
            if infused is not None:
                infusion[key].append(infused)
    adopted = {
        (a.therapy_id, a.kind, a.short_infusion): a
        for a in ChairTimeAdoption.objects.select_related("adopted_by")
    }
    therapies = Therapy.objects.in_bulk({k[0] for k in [*template, *adopted]})
    order = {k: i for i, k in enumerate(DoseKind.values)}
    keys = sorted(
        set(template) | set(adopted),
        key=lambda k: (therapies[k[0]].name, order[k[1]], k[2]),
    )
    return [
        DriftRow(
            therapy=therapies[key[0]],
            kind=key[1],
            short_infusion=key[2],
            template_minutes=template.get(key, 0),
            adopted=adopted.get(key),
            chair=learned(chair.get(key, [])),
            infusion=learned(infusion.get(key, [])),
        )
        for key in keys
    ]
