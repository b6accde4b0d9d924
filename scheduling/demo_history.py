"""Demo history: weeks of past visits, urgent flags and referrals, for the reports.

`make run` shows the reports with something in them (`seed_demo --history-weeks 12`).
Everything goes through the services staff and patients use (booking, the visit workflow,
pre-visit checks, acknowledging and escalating flags, the referral workflow), each given
the past moment it happened at. Two things the services date themselves are set back
afterwards: a referral's moves (the workflow records "now") and an accepted course's
planned doses (planned from "tomorrow"). The outbox rows this replay writes are marked not
needed, so the worker sends no old mail. Fake people only; runs once (it checks for its
own patients).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import OutputWrapper
from django.db.models import Max
from django.utils import timezone

from clinic.clock import clinic_tz, instant_after, local_dt
from clinic.models import Notice, Patient, Therapy
from intake.flags import flag_acknowledge, flags_escalate
from intake.models import Flag, FlagLevel, Referral, ReferralTransition
from intake.questionnaires import (
    questionnaire_save_page,
    questionnaire_send,
    questionnaire_submit,
    request_steps,
)
from intake.referrals import referral_transition
from scheduling import booking, planning, workflow
from scheduling.courses import course_create, visit_check_record
from scheduling.models import Chair, PlannedDose, Session, TreatmentCourse

PATIENTS_PER_WEEK = 20
EMAIL_DOMAIN = "history.demo.chairside.example"
_GIVEN = ["Ash", "Birch", "Cedar", "Elm", "Fir", "Hazel", "Juniper", "Larch", "Maple", "Oak"]
_FAMILY = ["Pastcase", "Historyson", "Formerly", "Oldrecord", "Backdated"]
# Natalizumab visits also need a current TOUCH authorisation on record (issue 14): left out here.
_THERAPIES = ["ocrelizumab", "ublituximab", "ocrelizumab", "ublituximab", "ocrelizumab"]
# PHQ-9 answer sets (items 1–9): item 9 above 0 (urgent), total ≥ 20 (urgent), moderate.
_PHQ9 = [[1, 1, 1, 1, 1, 1, 1, 1, 1], [3, 3, 3, 3, 3, 3, 2, 2, 0], [2, 2, 1, 1, 1, 1, 1, 1, 0]]
# Minutes from raising to acknowledging an urgent flag, in turn (over 30: escalated first).
_ACK_MINUTES = [3, 8, 12, 4, 22, 6, 41, 15, 9, 75, 5, 18, 2, 33, 11, 140]


def _pick(index: int, salt: int) -> int:
    """Return a number 0–99 that looks random but is the same on every run."""
    return (index * 37 + salt * 61 + index * salt * 7) % 100


def _patients(n: int) -> list[Patient]:
    return [
        Patient.objects.create(
            legal_given_name=_GIVEN[i % len(_GIVEN)],
            legal_family_name=f"{_FAMILY[i % len(_FAMILY)]}-{i + 1}",
            date_of_birth=date(1955 + i % 40, 1 + i % 12, 1 + i % 28),
            email=f"history{i + 1}@{EMAIL_DOMAIN}",
            phone=f"(555) 010-{3000 + i:04d}",
        )
        for i in range(n)
    ]


def _book_past(dose: PlannedDose, by: Any, chairs: list[Chair], turn: int) -> Session | None:
    """Book a dose as it would have been booked, a week before its target day.

    The engine picks the time; the chair goes round (the engine would fill the first chair
    first), falling back to the engine's chair when the turn's chair is taken.
    """
    asked = local_dt(dose.target - timedelta(days=7), time(12))
    options = planning.dose_options(dose=dose, now=asked, limit=1)
    if not options:
        return None
    option = options[0]
    by_id = {c.pk: c for c in chairs}
    for chair in (chairs[turn % len(chairs)], by_id[option.chair_id]):
        try:
            return booking.session_book(
                dose=dose, chair=chair, start=option.start, by=by, now=asked, notify=False
            )
        except booking.BookingError:
            continue
    return None


def _live(session: Session, turn: int, staff: dict[str, Any]) -> None:
    """Play the visit out: no-show, late or early cancellation, or a visit of drifting length."""
    # By the visit's turn, not its id: the same outcomes on every database (5 % no-shows,
    # 4 % late and 4 % earlier cancellations, spread over the weeks).
    roll = turn * 23 % 100
    start = session.start
    if roll < 5:
        workflow.session_no_show(session=session, now=instant_after(start, 45))
    elif roll < 9:
        booking.session_cancel(
            session=session, reason="Patient unwell (demo)", by=staff["scheduler"],
            now=start - timedelta(hours=3 + roll),
        )  # fmt: skip
    elif roll < 13:
        booking.session_cancel(
            session=session, reason="Patient asked to move (demo)", by=staff["scheduler"],
            now=start - timedelta(days=3),
        )  # fmt: skip
    else:
        arrive = instant_after(start, roll % 15 - 5)
        workflow.session_check_in(session=session, now=arrive)
        for check in session.checks.all():
            visit_check_record(check=check, done=True, by=staff["nurse"], note="Done (demo).")
        workflow.session_seat(session=session, now=instant_after(arrive, 10))
        length = int((session.end - session.start).total_seconds() // 60)
        workflow.session_complete(
            session=session, now=instant_after(arrive, length + roll % 31 - 8)
        )


def _sessions(today: date, weeks: int, staff: dict[str, Any], stdout: OutputWrapper) -> int:
    first = today - timedelta(weeks=weeks)
    chairs = list(Chair.objects.filter(is_active=True))
    therapies = {code: Therapy.objects.get(code=code) for code in set(_THERAPIES)}
    played = 0
    for index, patient in enumerate(_patients(PATIENTS_PER_WEEK * weeks)):
        course = course_create(
            patient=patient,
            therapy=therapies[_THERAPIES[index % len(_THERAPIES)]],
            start_after=first + timedelta(days=index * 7 // PATIENTS_PER_WEEK),
        )
        course.prerequisites.update(met=True, met_on=first)
        for sequence in range(1, 5):
            dose = course.doses.select_related("step", "course").filter(sequence=sequence).first()
            if dose is None or dose.target >= today - timedelta(days=1):
                break
            session = _book_past(dose, staff["scheduler"], chairs, played)
            if session is None:
                break
            _live(session, played, staff)
            played += 1
    stdout.write(f"Replayed {played} past visits over {weeks} weeks (demo history).")
    return played


def _answers(code: str, roll: int) -> dict[str, int]:
    if code == "phq9":
        return {f"phq9_{i + 1}": v for i, v in enumerate(_PHQ9[roll % len(_PHQ9)])}
    safety = ["fever_infection", "antibiotics", "vaccine", "pregnant", "reaction_last", "new_neuro"]
    return {item: int(item == "fever_infection") for item in safety}


def _flags(today: date, weeks: int, staff: dict[str, Any]) -> int:
    """A pre-visit check answered every other clinic day; urgent flags acknowledged in turn."""
    tz = clinic_tz()
    patients = list(Patient.objects.filter(email__endswith=EMAIL_DOMAIN).order_by("pk")[:40])
    day, index, acked = today - timedelta(weeks=weeks), 0, 0
    while day < today and patients:
        if day.weekday() < 5:
            code = "safety_check" if index % 4 == 3 else "phq9"
            patient = patients[index % len(patients)]
            qreq, _url = questionnaire_send(
                patient=patient, instruments=[code], sent_by=staff["coordinator"], email=False
            )
            for step in request_steps(qreq):
                questionnaire_save_page(qreq=qreq, step=step, answers=_answers(code, index))
            submitted = datetime.combine(day, time(7 + index % 9, (index * 13) % 60), tz)
            questionnaire_submit(qreq=qreq, now=submitted)
            for flag in Flag.objects.filter(response__request=qreq, level=FlagLevel.URGENT):
                wait = timedelta(minutes=_ACK_MINUTES[acked % len(_ACK_MINUTES)])
                acked += 1
                if wait > timedelta(minutes=30):
                    flags_escalate(now=flag.raised_at + timedelta(minutes=31))
                flag_acknowledge(
                    flag=flag, by=staff["oncall"], note="Called the patient (demo).",
                    now=flag.raised_at + wait,
                )  # fmt: skip
            index += 1
        day += timedelta(days=2 if day.weekday() < 4 else 1)
    return acked


def _referrals(today: date, weeks: int, staff: dict[str, Any]) -> int:
    """Referrals received over the weeks; most accepted after a benefits check and a prior
    authorisation (every move with its reason), some declined or withdrawn, the last ones
    still open."""
    by = staff["coordinator"]
    chairs = list(Chair.objects.filter(is_active=True))
    therapies = list(Therapy.objects.order_by("code"))
    count = weeks * 3
    for index in range(count):
        received = local_dt(today - timedelta(days=weeks * 7 - index * 2), time(9 + index % 7))
        referral = _referral(index, received, therapies[index % len(therapies)])
        roll = _pick(index, 3)
        waited = 2 + roll % 25
        if received.date() + timedelta(days=waited) >= today:
            moves = [("in_review", "Triage started (demo).")]
        elif roll < 12:
            moves = [("in_review", "Triage started (demo)."), ("declined", "Not MS (demo).")]
        elif roll < 18:
            moves = [("withdrawn", "Patient chose another clinic (demo).")]
        else:
            moves = [
                ("in_review", "Triage started (demo)."),
                ("benefits_check", "Order and notes complete (demo)."),
                ("prior_auth", "Payer needs authorisation (demo)."),
                ("accepted", "Authorised; ready to schedule (demo)."),
            ]
        for step, (status, note) in enumerate(moves, start=1):
            referral_transition(referral=referral, to_status=status, by=by, note=note)
            when = received + timedelta(days=waited * step // len(moves), hours=step)
            ReferralTransition.objects.filter(referral=referral, to_status=status).update(at=when)
            Referral.objects.filter(pk=referral.pk).update(status_changed_at=when)
        if moves[-1][0] == "accepted":
            _first_infusion(referral, received + timedelta(days=waited), today, by, chairs, index)
    return count


def _referral(index: int, received: datetime, therapy: Therapy) -> Referral:
    return Referral.objects.create(
        submission_key=uuid.uuid5(uuid.NAMESPACE_URL, f"demo-history-{index}"),
        received_at=received,
        submitter_kind=Referral.SubmitterKind.PROVIDER,
        submitter_name="Demo Referring Office",
        submitter_email=f"office{index}@{EMAIL_DOMAIN}",
        given_name=_GIVEN[(index + 3) % len(_GIVEN)],
        family_name=f"Referredson-{index + 1}",
        date_of_birth=date(1960 + index % 35, 1 + index % 12, 2 + index % 26),
        sex="female" if index % 3 else "male",
        email=f"referred{index}@{EMAIL_DOMAIN}",
        phone=f"(555) 010-{5000 + index:04d}",
        address_line1=f"{index + 1} Example Street",
        city="Springfield",
        region="ST",
        postal_code="00000",
        payer="Demo Health Plan",
        member_id=f"DEMO{index:04d}",
        provider_name="Dr. Demo Neurologist",
        provider_practice="Example Neurology",
        provider_npi="1234567893",
        provider_phone="(555) 010-0200",
        diagnosis_code="G35.A",
        no_known_drug_allergies=True,
        therapy=therapy,
        consent_to_contact=True,
    )


def _first_infusion(
    referral: Referral, accepted: datetime, today: date, by: Any, chairs: dict, index: int
) -> None:
    """Plan the new course from the day it was accepted, then book and give its first dose."""
    course = TreatmentCourse.objects.get(referral=referral)
    shift = (accepted.date() + timedelta(days=1) - course.start_after).days
    doses = list(course.doses.all())
    for dose in doses:
        dose.window_shift(shift)
    PlannedDose.objects.bulk_update(doses, ["target", "earliest", "latest"])
    TreatmentCourse.objects.filter(pk=course.pk).update(
        start_after=course.start_after + timedelta(days=shift)
    )
    course.prerequisites.update(met=True, met_on=accepted.date())
    first = course.doses.select_related("step", "course").get(sequence=1)
    if first.target + timedelta(days=7) >= today:
        return
    first.target += timedelta(days=5 + index % 9)
    session = _book_past(first, by, chairs, index)
    if session is not None:
        _live(session, 20 + index % 80, {"scheduler": by, "nurse": by})


def seed(stdout: OutputWrapper, *, weeks: int = 12) -> None:
    if Patient.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").exists():
        return
    if not Chair.objects.filter(is_active=True).exists():
        return
    users = get_user_model().objects
    staff = {n: users.get(username=n) for n in ("scheduler", "nurse", "coordinator", "oncall")}
    today = timezone.localdate(timezone=clinic_tz())
    last_notice = Notice.objects.aggregate(last=Max("pk"))["last"] or 0
    _sessions(today, weeks, staff, stdout)
    flags = _flags(today, weeks, staff)
    referrals = _referrals(today, weeks, staff)
    Notice.objects.filter(pk__gt=last_notice, status=Notice.Status.QUEUED).update(
        status=Notice.Status.CANCELLED
    )
    stdout.write(f"Replayed {flags} urgent flags and {referrals} referrals (demo history).")
