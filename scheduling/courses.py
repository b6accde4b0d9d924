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


def step_count(step: TherapyStep, order_days: int | None = None) -> int:
    """Return the doses a step plans: the order's number where the protocol lets it choose."""
    if step.repeats_max and order_days:
        return max(step.repeats, min(order_days, step.repeats_max))
    return step.repeats or ONGOING_AHEAD


def _step_doses(
    steps: list[TherapyStep], order_days: int | None = None
) -> Iterator[tuple[TherapyStep, int, bool, bool]]:
    """Yield (step, offset_days, opens_block, in_block) for every planned infusion day.

    A step that `continues_block` (Lemtrada days 4-5) stays in the previous step's block.
    """
    for step in steps:
        interval = step.interval_days or 1
        for index in range(step_count(step, order_days)):
            opens = index == 0 and not step.continues_block
            yield step, step.day + index * interval, opens, step.consecutive_days


def _dose_rows(
    course: TreatmentCourse, steps: list[TherapyStep], first_target: date, start_seq: int = 1
) -> list[PlannedDose]:
    rows: list[PlannedDose] = []
    block = 0
    doses = _step_doses(steps, course.order_days)
    for seq, (step, offset, opens_block, in_block) in enumerate(doses, start_seq):
        target = first_target + timedelta(days=offset)
        if in_block and opens_block:
            block += 1
        if in_block and not opens_block:
            # Later days of a block follow the block's first day exactly.
            earliest = latest = target
            gap, months = 1, 0
        elif seq == 1:
            earliest = target
            latest = target + timedelta(days=_first_dose_days(course.therapy))
            gap = months = 0
        else:
            earliest, latest = PlannedDose.window_for(target, step)
            gap, months = step.min_gap_days, step.min_gap_months
        if in_block and not opens_block:
            months = 0
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
                min_gap_months=months,
            )
        )
    return rows


def _first_dose_days(therapy: Therapy) -> int:
    """Return the days after the start date the first dose may be searched in.

    An urgent therapy's course starts on the day it is accepted, so "within 48 hours" is
    today and the next two days (the booking pages also stop at the hour: `first_dose_by`).
    """
    if therapy.book_within_hours:
        return max(0, therapy.book_within_hours // 24)
    return FIRST_DOSE_DAYS


def course_create(
    *,
    patient: Any,
    therapy: Therapy,
    start_after: date,
    referral: Any = None,
    order_days: int | None = None,
) -> TreatmentCourse:
    """Create a course with its planned doses and one prerequisite row per requirement."""
    with transaction.atomic():
        course = TreatmentCourse.objects.create(
            patient=patient,
            therapy=therapy,
            referral=referral,
            start_after=start_after,
            order_days=order_days,
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
    # Urgent therapies (IV methylprednisolone) may start today; others from tomorrow.
    urgent = bool(referral.therapy.book_within_hours)
    course_create(
        patient=referral.patient,
        therapy=referral.therapy,
        start_after=timezone.localdate() + timedelta(days=0 if urgent else 1),
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
                min_gap_months=step.min_gap_months,
            )
        )
    PlannedDose.objects.bulk_create(new)


def course_switch(*, course: TreatmentCourse, therapy: Therapy, reason: str) -> TreatmentCourse:
    """Switch a course to the same drug by another route (ocrelizumab IV <-> SC).

    The dose clock is kept: the doses not yet booked keep their dates and windows and take
    the new therapy's steps (the first of them, with its longer observation, for the next
    dose; the repeating step after it). Booked and given doses stay as they were.
    """
    if not reason.strip():
        raise CourseError("Give the reason for the switch.")
    if not course.therapy.dose_clock or course.therapy.dose_clock != therapy.dose_clock:
        raise CourseError(f"{course.therapy} and {therapy} do not share a dose clock.")
    steps = list(therapy.steps.order_by("position"))
    with transaction.atomic():
        course = TreatmentCourse.objects.select_for_update().get(pk=course.pk)
        booked = set(
            Session.objects.active().filter(course=course).values_list("dose_id", flat=True)
        )
        open_doses = [d for d in course.doses.order_by("sequence") if d.pk not in booked]
        for index, dose in enumerate(open_doses):
            step = steps[min(index, len(steps) - 1)]
            dose.step, dose.label = step, step.label
            dose.min_gap_months = max(dose.min_gap_months, step.min_gap_months)
        PlannedDose.objects.bulk_update(open_doses, ["step", "label", "min_gap_months"])
        course.therapy = therapy
        course._change_reason = reason.strip()[:100]
        course.save(update_fields=["therapy"])
        have = set(course.prerequisites.values_list("requirement__code", flat=True))
        CoursePrerequisite.objects.bulk_create(
            CoursePrerequisite(course=course, requirement=req)
            for req in therapy.requirements.filter(kind=TherapyRequirement.Kind.PREREQUISITE)
            if req.code not in have
        )
    return course


def course_order_days_set(*, course: TreatmentCourse, days: int | None) -> TreatmentCourse:
    """Set the number of daily doses on the order (3 to 5 for IV methylprednisolone).

    Adds the missing days at the end of the block, or removes trailing days never booked.
    """
    steps = list(course.therapy.steps.order_by("position"))
    variable = [s for s in steps if s.repeats_max]
    if days is not None and not variable:
        raise CourseError("This therapy's protocol has a fixed number of doses.")
    for step in variable:
        if days is not None and not step.repeats <= days <= step.repeats_max:
            raise CourseError(
                f"The order may ask for {step.repeats} to {step.repeats_max} daily doses."
            )
    with transaction.atomic():
        course = TreatmentCourse.objects.select_for_update().get(pk=course.pk)
        course.order_days = days
        course.save(update_fields=["order_days"])
        for step in variable:
            _step_resize(course, step, step_count(step, days))
    return course


def _step_resize(course: TreatmentCourse, step: TherapyStep, wanted: int) -> None:
    doses = list(course.doses.filter(step=step).order_by("sequence"))
    if len(doses) > wanted:
        extra = doses[wanted:]
        if Session.objects.filter(dose__in=extra).exists():
            raise CourseError("Cancel the sessions of the days no longer ordered first.")
        PlannedDose.objects.filter(pk__in=[d.pk for d in extra]).delete()
        return
    last = doses[-1]
    if course.doses.filter(sequence__gt=last.sequence).exists():
        raise CourseError("Only the last step of a course can take more days.")
    PlannedDose.objects.bulk_create(
        PlannedDose(
            course=course,
            step=step,
            sequence=last.sequence + k,
            label=step.label,
            offset_days=last.offset_days + k,
            block=last.block,
            target=last.target + timedelta(days=k),
            earliest=last.target + timedelta(days=k),
            latest=last.target + timedelta(days=k),
            min_gap_days=1,
        )
        for k in range(1, wanted - len(doses) + 1)
    )


def visit_check_record(*, check: VisitCheck, done: bool, by: Any, note: str = "") -> VisitCheck:
    """Record a per-visit check (e.g. the TOUCH checklist) as done or not."""
    check.done = done
    check.note = note
    check.recorded_by = by
    check.recorded_at = timezone.now()
    check.save(update_fields=["done", "note", "recorded_by", "recorded_at"])
    return check
