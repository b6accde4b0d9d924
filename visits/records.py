"""The one writer of chairside visit records (`visits.models`).

Each service locks the visit record's row, refuses what the rules refuse (`VisitError`, a
message for the nurse), writes, and leaves history. The session's status follows the record
through `scheduling.workflow`: checked in when the record is opened with the patient there,
"in chair" when administration starts, completed at discharge, which also stores the actual
chair time. After discharge every change is an amendment: it needs a reason, which goes on
the history row and into `VisitAmendment`. A grade 3 or 4 reaction raises an urgent flag
through `intake.flags`, whose notices reach the clinician on call.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from clinic.clock import local_day
from intake.flags import flag_raise, flags_notify
from intake.models import FlagLevel
from scheduling import workflow
from scheduling.booking import BookingError
from scheduling.courses import visit_check_record
from scheduling.models import Session, SessionStatus, TreatmentCourse, VisitCheck
from visits.models import (
    PremedicationGiven,
    PremedicationProtocol,
    RateStep,
    Reaction,
    VisitAmendment,
    VisitRecord,
    VisitSettings,
    VitalsReading,
)
from visits.vitals import HoldThresholds, vitals_errors, vitals_warnings

# A course field another part of the app may add (issue 14): set when a reaction is recorded.
URGENT_GRADE = 3


class VisitError(Exception):
    """A visit write refused; the message is for the nurse."""


def _locked(record: VisitRecord) -> VisitRecord:
    return (
        VisitRecord.objects.select_for_update(of=("self",))
        .select_related("session__course__patient", "session__dose__step")
        .get(pk=record.pk)
    )


def _amendment(record: VisitRecord, *, by: Any, change: str, reason: str) -> str:
    """Return the history's change reason; after discharge, require and record a reason."""
    reason = (reason or "").strip()
    if record.is_open:
        return change
    if not reason:
        raise VisitError("This visit is discharged: give a reason for the amendment.")
    VisitAmendment.objects.create(
        record=record, at=timezone.now(), by=by, change=change[:200], reason=reason
    )
    return f"amendment: {change} ({reason})"[:100]


def _save(obj: Any, reason: str, **kwargs: Any) -> None:
    obj._change_reason = reason
    obj.save(**kwargs)


def _block_day(session: Session) -> int:
    """Return the 1-based day of the session's dose within its block of consecutive days."""
    dose = session.dose
    if dose.block is None:
        return 1
    first = (
        dose.course.doses.filter(block=dose.block).order_by("sequence").values_list("sequence")
    )[0][0]
    return dose.sequence - first + 1


def visit_open(*, session: Session, by: Any, now: datetime | None = None) -> VisitRecord:
    """Open the session's record (once), with the protocol's premedications to tick."""
    now = now or timezone.now()
    with transaction.atomic():
        existing = VisitRecord.objects.filter(session=session).first()
        if existing is not None:
            return existing
        if session.status in (SessionStatus.CANCELLED, SessionStatus.NO_SHOW):
            raise VisitError(f"Session #{session.pk} is {session.get_status_display().lower()}.")
        dose = session.dose
        record = VisitRecord(
            session=session,
            therapy_id=session.course.therapy_id,
            dose_kind=dose.kind,
            short_infusion=dose.uses_short_infusion,
            template_minutes=sum(dose.chair_parts),
            opened_at=now,
            opened_by=by,
        )
        _save(record, "opened")
        day = _block_day(session)
        PremedicationGiven.objects.bulk_create(
            PremedicationGiven(
                record=record,
                medicine=p.medicine,
                dose=p.dose,
                route=p.route,
                from_protocol=True,
            )
            for p in PremedicationProtocol.objects.filter(therapy_id=record.therapy_id)
            if p.first_block_days is None or day <= p.first_block_days
        )
    return record


def visit_check_in(*, record: VisitRecord, at: datetime | None = None) -> Session:
    """Mark the patient arrived (the session checks in), if not already."""
    session = record.session
    if session.status != SessionStatus.BOOKED:
        return session
    try:
        return workflow.session_check_in(session=session, now=at)
    except BookingError as exc:
        raise VisitError(str(exc)) from exc


def visit_checks_record(
    *, record: VisitRecord, done: Mapping[int, bool], by: Any
) -> list[VisitCheck]:
    """Record the per-visit checks (e.g. TOUCH) before the infusion starts."""
    session = record.session
    if session.status not in (SessionStatus.BOOKED, SessionStatus.CHECKED_IN):
        raise VisitError("The infusion has started: the per-visit checks are history now.")
    changed = []
    with transaction.atomic():
        for check in session.checks.select_for_update().filter(pk__in=list(done)):
            if check.done != done[check.pk]:
                changed.append(visit_check_record(check=check, done=done[check.pk], by=by))
    return changed


def vitals_record(
    *,
    record: VisitRecord,
    phase: str,
    taken_at: datetime,
    values: Mapping[str, Decimal | int | None],
    by: Any,
    reason: str = "",
) -> tuple[VitalsReading, list[str]]:
    """Save one set of vitals; refuse implausible values, warn past the hold thresholds."""
    values = {k: v for k, v in values.items() if v is not None}
    if not values:
        raise VisitError("Enter at least one reading.")
    errors = vitals_errors(values)
    if errors:
        raise VisitError(" ".join(errors.values()))
    limits = VisitSettings.load()
    warnings = vitals_warnings(
        values,
        HoldThresholds(
            temperature_hold=limits.temperature_hold,
            systolic_high=limits.systolic_high,
            systolic_low=limits.systolic_low,
            pulse_high=limits.pulse_high,
            pulse_low=limits.pulse_low,
            spo2_low=limits.spo2_low,
        ),
    )
    with transaction.atomic():
        locked = _locked(record)
        why = _amendment(locked, by=by, change=f"{phase} vitals added", reason=reason)
        reading = VitalsReading(
            record=locked,
            phase=phase,
            taken_at=taken_at,
            warnings="\n".join(warnings),
            recorded_by=by,
            **values,
        )
        _save(reading, why)
    return reading, warnings


def premedication_give(
    *, premed: PremedicationGiven, given_at: datetime | None, by: Any, reason: str = ""
) -> PremedicationGiven:
    """Tick a premedication as given at a time (or untick it with None)."""
    with transaction.atomic():
        record = _locked(premed.record)
        why = _amendment(record, by=by, change=f"premedication {premed.medicine}", reason=reason)
        premed.given_at = given_at
        premed.given_by = by if given_at else None
        _save(premed, why, update_fields=["given_at", "given_by"])
    return premed


def premedication_add(
    *,
    record: VisitRecord,
    medicine: str,
    dose: str,
    route: str,
    given_at: datetime,
    by: Any,
    reason: str = "",
) -> PremedicationGiven:
    """Record a premedication the protocol did not list."""
    with transaction.atomic():
        locked = _locked(record)
        why = _amendment(locked, by=by, change=f"premedication {medicine} added", reason=reason)
        premed = PremedicationGiven(
            record=locked, medicine=medicine, dose=dose, route=route, given_at=given_at, given_by=by
        )
        _save(premed, why)
    return premed


def _refuse_expired(record: VisitRecord, expiry: date | None) -> None:
    if expiry is None:
        raise VisitError("Enter the lot's expiry date.")
    visit_day = local_day(record.session.start)
    if expiry < visit_day:
        raise VisitError(
            f"This lot expired on {expiry:%Y-%m-%d}, before the visit: never give an expired lot."
        )


def administration_start(
    *,
    record: VisitRecord,
    product: str,
    dose: str,
    lot_number: str,
    lot_expiry: date | None,
    started_at: datetime,
    rate_ml_per_hour: Decimal | None,
    by: Any,
) -> VisitRecord:
    """Record the product hung and the infusion's start; the session goes "in chair"."""
    if not (product.strip() and dose.strip() and lot_number.strip()):
        raise VisitError("Enter the product, the dose and the lot number.")
    with transaction.atomic():
        locked = _locked(record)
        _refuse_expired(locked, lot_expiry)
        if not locked.is_open:
            raise VisitError("This visit is discharged.")
        if locked.infusion_started_at is not None:
            raise VisitError("The infusion has already started.")
        session = locked.session
        if session.status == SessionStatus.BOOKED:
            raise VisitError("Check the patient in before the infusion starts.")
        if session.status == SessionStatus.CHECKED_IN:
            try:
                locked.session = workflow.session_seat(session=session, now=started_at)
            except BookingError as exc:
                raise VisitError(str(exc)) from exc
        locked.product, locked.dose_given = product.strip(), dose.strip()
        locked.lot_number, locked.lot_expiry = lot_number.strip(), lot_expiry
        locked.infusion_started_at = started_at
        _save(locked, "administration started")
        if rate_ml_per_hour is not None:
            _save(
                RateStep(
                    record=locked,
                    at=started_at,
                    rate_ml_per_hour=rate_ml_per_hour,
                    note="start",
                    recorded_by=by,
                ),
                "administration started",
            )
    return locked


def administration_amend(
    *, record: VisitRecord, changes: Mapping[str, Any], by: Any, reason: str = ""
) -> VisitRecord:
    """Correct the administration's details (product, dose, lot, expiry); with a reason after
    discharge."""
    allowed = {"product", "dose_given", "lot_number", "lot_expiry", "notes"}
    unknown = set(changes) - allowed
    if unknown:
        raise VisitError(f"Not amendable here: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        locked = _locked(record)
        if "lot_expiry" in changes:
            _refuse_expired(locked, changes["lot_expiry"])
        changed = [k for k, v in changes.items() if getattr(locked, k) != v]
        if not changed:
            return locked
        why = _amendment(locked, by=by, change=", ".join(changed) + " changed", reason=reason)
        for key in changed:
            setattr(locked, key, changes[key])
        _save(locked, why)
    return locked


def rate_change(
    *, record: VisitRecord, at: datetime, rate_ml_per_hour: Decimal, note: str, by: Any
) -> RateStep:
    """Record a change of the infusion rate."""
    with transaction.atomic():
        locked = _locked(record)
        if locked.infusion_started_at is None:
            raise VisitError("Start the infusion before changing its rate.")
        why = _amendment(locked, by=by, change="rate step added", reason="")
        step = RateStep(
            record=locked, at=at, rate_ml_per_hour=rate_ml_per_hour, note=note, recorded_by=by
        )
        _save(step, why)
    return step


def administration_stop(*, record: VisitRecord, at: datetime, by: Any) -> VisitRecord:
    """Record the end of the infusion; observation follows."""
    with transaction.atomic():
        locked = _locked(record)
        if locked.infusion_started_at is None:
            raise VisitError("The infusion has not started.")
        if not locked.is_open:
            raise VisitError("This visit is discharged: amend the end of observation instead.")
        if at < locked.infusion_started_at:
            raise VisitError("The infusion can't stop before it started.")
        locked.infusion_stopped_at = at
        _save(locked, "infusion stopped")
    return locked


def _mark_course_reaction(course: TreatmentCourse) -> None:
    """A reaction at any visit puts "infusion reaction on record" on the course: natalizumab
    keeps its observation after the 12th infusion, ocrelizumab loses its shorter infusion."""
    if not course.reaction_on_record:
        course.reaction_on_record = True
        course._change_reason = "infusion reaction recorded at a visit"
        course.save(update_fields=["reaction_on_record"])


def reaction_record(
    *,
    record: VisitRecord,
    at: datetime,
    symptoms: str,
    grade: int,
    action: str,
    medicines: str,
    outcome: str,
    by: Any,
    reason: str = "",
) -> Reaction:
    """Record an infusion reaction; grade 3 or 4 raises an urgent flag for the on-call."""
    if grade not in (1, 2, 3, 4):
        raise VisitError("Grade the reaction 1 to 4 (CTCAE).")
    if not symptoms.strip():
        raise VisitError("Describe the symptoms.")
    with transaction.atomic():
        locked = _locked(record)
        why = _amendment(locked, by=by, change=f"grade {grade} reaction added", reason=reason)
        reaction = Reaction(
            record=locked,
            at=at,
            symptoms=symptoms.strip(),
            grade=grade,
            action=action,
            medicines=medicines.strip(),
            outcome=outcome.strip(),
            recorded_by=by,
        )
        _save(reaction, why)
        course = TreatmentCourse.objects.select_for_update().get(pk=locked.session.course_id)
        _mark_course_reaction(course)
        if grade >= URGENT_GRADE:
            flag = flag_raise(
                rule="infusion_reaction",
                label=f"Grade {grade} infusion reaction during a visit",
                level=FlagLevel.URGENT,
                at=at,
                patient=course.patient,
                source=locked,
            )
            flags_notify(flag_ids=[flag.pk], at=at)
            reaction.flag = flag
            _save(reaction, "urgent flag raised", update_fields=["flag"])
    return reaction


def observation_end(*, record: VisitRecord, at: datetime, by: Any, reason: str = "") -> VisitRecord:
    """Record the end of the observation after the infusion."""
    with transaction.atomic():
        locked = _locked(record)
        if locked.infusion_stopped_at is None:
            raise VisitError("Record the end of the infusion first.")
        if at < locked.infusion_stopped_at:
            raise VisitError("Observation can't end before the infusion stopped.")
        why = _amendment(locked, by=by, change="observation end changed", reason=reason)
        locked.observation_ended_at = at
        if locked.discharged_at is not None:
            locked.infusion_minutes = _minutes(locked.infusion_started_at, at)
        _save(locked, why)
    return locked


def _minutes(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None or end < start:
        return None
    return round((end - start).total_seconds() / 60)


def visit_discharge(*, record: VisitRecord, at: datetime, by: Any) -> VisitRecord:
    """Discharge the patient: the session completes and the actual chair time is stored."""
    with transaction.atomic():
        locked = _locked(record)
        if not locked.is_open:
            raise VisitError("This visit is already discharged.")
        if locked.observation_ended_at is None:
            raise VisitError("Record the end of observation before discharge.")
        if at < locked.observation_ended_at:
            raise VisitError("Discharge can't come before the end of observation.")
        try:
            session = workflow.session_complete(session=locked.session, now=at)
        except BookingError as exc:
            raise VisitError(str(exc)) from exc
        locked.session = session
        locked.discharged_at = at
        locked.discharged_by = by
        locked.chair_minutes = _minutes(session.checked_in_at, at)
        locked.infusion_minutes = _minutes(locked.infusion_started_at, locked.observation_ended_at)
        _save(locked, "discharged")
    return locked
