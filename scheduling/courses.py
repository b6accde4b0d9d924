"""Treatment courses: planned doses from the therapy's steps, prerequisites, re-planning.

These services write courses, doses, prerequisites and visit checks; sessions are written
only by `scheduling.booking`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from clinic.models import Therapy, TherapyRequirement, TherapyStep
from scheduling.models import (
    CoursePrerequisite,
    PlannedDose,
    Session,
    TreatmentCourse,
    VisitCheck,
)

# "Repeats until stopped" steps are planned this many doses ahead, then topped up.
ONGOING_AHEAD = 2
# Days the first dose may be searched in after the course's start date.
FIRST_DOSE_DAYS = 28


class CourseError(Exception):
    """A course rule refused the change; the message is meant for staff."""


def _step_doses(steps: list[TherapyStep]) -> Iterator[tuple[TherapyStep, int, bool, bool]]:
    """Yield (step, offset_days, opens_block, in_block) for every planned infusion day."""
    for step in steps:
        count = step.repeats or ONGOING_AHEAD
        interval = step.interval_days or 1
        for index in range(count):
            yield step, step.day + index * interval, index == 0, step.consecutive_days


def _dose_rows(
    course: TreatmentCourse, steps: list[TherapyStep], first_target: date, start_seq: int = 1
) -> list[PlannedDose]:
    rows: list[PlannedDose] = []
    block = 0
    for seq, (step, offset, opens_block, in_block) in enumerate(_step_doses(steps), start_seq):
        target = first_target + timedelta(days=offset)
        if in_block and opens_block:
            block += 1
        if in_block and not opens_block:
            # Later days of a block follow the block's first day exactly.
            earliest = latest = target
            gap = 1
        elif seq == 1:
            earliest = target
            latest = target + timedelta(days=_first_dose_days(course.therapy))
            gap = 0
        else:
            earliest, latest = PlannedDose.window_for(target, step)
            gap = step.min_gap_days
        rows.append(
            PlannedDose(
                course=course,
                step=step,
                sequence=seq,
                label=step.label,
                offset_days=offset,
                block=block if in_block else None,
                target=target,
                earliest=earliest,
                latest=latest,
                min_gap_days=gap,
            )
        )
    return rows


def _first_dose_days(therapy: Therapy) -> int:
    if therapy.book_within_hours:
        return max(1, therapy.book_within_hours // 24)
    return FIRST_DOSE_DAYS


def course_create(
    *, patient: Any, therapy: Therapy, start_after: date, referral: Any = None
) -> TreatmentCourse:
    """Create a course with its planned doses and one prerequisite row per requirement."""
    with transaction.atomic():
        course = TreatmentCourse.objects.create(
            patient=patient, therapy=therapy, referral=referral, start_after=start_after
        )
        steps = list(therapy.steps.order_by("position"))
        PlannedDose.objects.bulk_create(_dose_rows(course, steps, start_after))
        requirements = therapy.requirements.filter(kind=TherapyRequirement.Kind.PREREQUISITE)
        CoursePrerequisite.objects.bulk_create(
            CoursePrerequisite(course=course, requirement=req) for req in requirements
        )
    return course


def on_referral_accepted(sender: Any, *, referral: Any, by: Any = None, **kwargs: Any) -> None:
    """Create the referral's treatment course (runs inside the accepting transaction)."""
    if TreatmentCourse.objects.filter(referral=referral).exists():
        return
    course_create(
        patient=referral.patient,
        therapy=referral.therapy,
        start_after=timezone.localdate() + timedelta(days=1),
        referral=referral,
    )


def prerequisite_record(
    *,
    prerequisite: CoursePrerequisite,
    met: bool,
    by: Any,
    met_on: date | None = None,
    note: str = "",
) -> CoursePrerequisite:
    """Record a prerequisite as met (or not) with who recorded it."""
    prerequisite.met = met
    prerequisite.met_on = (met_on or timezone.localdate()) if met else None
    prerequisite.note = note
    prerequisite.recorded_by = by
    prerequisite.save(update_fields=["met", "met_on", "note", "recorded_by"])
    return prerequisite


def course_override(*, course: TreatmentCourse, by: Any, reason: str) -> TreatmentCourse:
    """Let the first dose be booked without every prerequisite; a clinician gives the reason."""
    if not by.has_perm("scheduling.override_prerequisites"):
        raise CourseError("Only a clinician can override the prerequisites.")
    if not reason.strip():
        raise CourseError("Give the reason for the override.")
    course.override_reason = reason.strip()
    course.override_by = by
    course.override_at = timezone.now()
    course.save(update_fields=["override_reason", "override_by", "override_at"])
    return course


def course_replan(*, dose: PlannedDose, actual: date) -> None:
    """Move the following unbooked doses so they count from the day `dose` is actually given.

    A late (or early) dose restarts the clock. Stops at the next booked dose, which was
    re-planned from its own predecessor when it was booked.
    """
    following = (
        PlannedDose.objects.filter(course_id=dose.course_id, sequence__gt=dose.sequence)
        .select_related("step")
        .order_by("sequence")
    )
    booked = set(
        Session.objects.active().filter(dose__in=following).values_list("dose_id", flat=True)
    )
    changed = []
    for other in following:
        if other.pk in booked:
            break
        new_target = actual + timedelta(days=other.offset_days - dose.offset_days)
        shift = (new_target - other.target).days
        if shift:
            other.window_shift(shift)
            changed.append(other)
    PlannedDose.objects.bulk_update(changed, ["target", "earliest", "latest"])
    _top_up_ongoing(dose.course_id)


def _top_up_ongoing(course_id: int) -> None:
    """Keep ONGOING_AHEAD unbooked doses planned for a step that repeats until stopped."""
    doses = list(
        PlannedDose.objects.filter(course_id=course_id)
        .select_related("step", "course")
        .order_by("sequence")
    )
    if not doses or doses[-1].step.repeats != 0:
        return
    last = doses[-1]
    booked = set(Session.objects.active().filter(dose__in=doses).values_list("dose_id", flat=True))
    unbooked_tail = 0
    for dose in reversed(doses):
        if dose.pk in booked:
            break
        unbooked_tail += 1
    step = last.step
    new = []
    for index in range(ONGOING_AHEAD - unbooked_tail):
        offset = last.offset_days + step.interval_days * (index + 1)
        target = last.target + timedelta(days=step.interval_days * (index + 1))
        earliest, latest = PlannedDose.window_for(target, step)
        new.append(
            PlannedDose(
                course_id=course_id,
                step=step,
                sequence=last.sequence + index + 1,
                label=step.label,
                offset_days=offset,
                target=target,
                earliest=earliest,
                latest=latest,
                min_gap_days=step.min_gap_days,
            )
        )
    PlannedDose.objects.bulk_create(new)


def visit_check_record(*, check: VisitCheck, done: bool, by: Any, note: str = "") -> VisitCheck:
    """Record a per-visit check (e.g. the TOUCH checklist) as done or not."""
    check.done = done
    check.note = note
    check.recorded_by = by
    check.recorded_at = timezone.now()
    check.save(update_fields=["done", "note", "recorded_by", "recorded_at"])
    return check
