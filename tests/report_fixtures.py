"""A small clinic history whose report figures are worked out by hand in the report tests.

Two open days, Monday 2 and Tuesday 3 November 2026, 08:00–12:00, two chairs, one nurse
(four patients). The rows are written directly, as history already lived: sessions with
their times and outcomes, flags raised and acknowledged at given minutes, referrals moved
through the workflow service and then dated.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from intake.flags import flag_acknowledge, flag_raise, flags_escalate
from intake.models import QuestionnaireRequest, QuestionnaireResponse, ReferralTransition
from intake.referrals import referral_transition
from scheduling.models import Session, SessionStatus
from tests.factories import PatientFactory, ReferralFactory, clinic_week, instrument, ready_course

TZ = ZoneInfo("America/New_York")
MONDAY = date(2026, 11, 2)
TUESDAY = date(2026, 11, 3)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=TZ)


def _session(course, chair, start, end, status, **stamps) -> Session:
    return Session.objects.create(
        course=course,
        dose=course.doses.get(sequence=1),
        chair=chair,
        start=start,
        end=end,
        status=status,
        **stamps,
    )


def two_days_of_sessions() -> dict:
    """A: chair 1 Mon 08–10 completed (in 08:00, out 10:30); B: chair 2 Mon 09–10:30 no-show;
    C: chair 1 Mon 10:30–11:30 cancelled 2 h before; D: chair 2 Tue 08:30–11:30 completed
    (in 08:30, out 11:00); E: chair 1 Tue 09–10 cancelled 3 days before. A–C ocrelizumab,
    D–E natalizumab.
    """
    chair1, chair2 = clinic_week(chairs=2, opens="08:00", closes="12:00", last_start="11:00")
    ocre = ready_course("ocrelizumab", start_after=MONDAY)
    nata = ready_course("natalizumab", start_after=MONDAY)
    done = SessionStatus.COMPLETED
    return {
        "chairs": (chair1, chair2),
        "A": _session(
            ocre, chair1, at(MONDAY, 8), at(MONDAY, 10), done,
            checked_in_at=at(MONDAY, 8), completed_at=at(MONDAY, 10, 30),
        ),
        "B": _session(ocre, chair2, at(MONDAY, 9), at(MONDAY, 10, 30), SessionStatus.NO_SHOW),
        "C": _session(
            ocre, chair1, at(MONDAY, 10, 30), at(MONDAY, 11, 30), SessionStatus.CANCELLED,
            cancelled_at=at(MONDAY, 8, 30),
        ),
        "D": _session(
            nata, chair2, at(TUESDAY, 8, 30), at(TUESDAY, 11, 30), done,
            checked_in_at=at(TUESDAY, 8, 30), completed_at=at(TUESDAY, 11),
        ),
        "E": _session(
            nata, chair1, at(TUESDAY, 9), at(TUESDAY, 10), SessionStatus.CANCELLED,
            cancelled_at=at(TUESDAY, 9) - timedelta(days=3),
        ),
    }  # fmt: skip


def _response(patient=None) -> QuestionnaireResponse:
    patient = patient or PatientFactory()
    request = QuestionnaireRequest.objects.create(patient=patient)
    return QuestionnaireResponse.objects.create(
        request=request, patient=patient, instrument=instrument("phq9"), main_score=21
    )


def urgent_flags(staff) -> dict:
    """phq9_item9: raised Mon 10:00 acknowledged after 4 min, Mon 11:00 after 20 min;
    relapse: Mon 12:00 escalated then acknowledged after 50 min, Tue 09:00 escalated and open;
    plus a review flag and an urgent flag from the week before (both outside the report).
    """

    def raise_(rule: str, when: datetime, level: str = "urgent"):
        return flag_raise(
            response=_response(), rule=rule, label=f"Rule {rule}", level=level, at=when
        )

    f1 = raise_("phq9_item9", at(MONDAY, 10))
    f2 = raise_("phq9_item9", at(MONDAY, 11))
    f3 = raise_("relapse", at(MONDAY, 12))
    f4 = raise_("relapse", at(TUESDAY, 9))
    raise_("phq9_total", at(MONDAY, 9), level="review")
    raise_("relapse", at(MONDAY, 9) - timedelta(days=7))
    flag_acknowledge(flag=f1, by=staff, note="Called.", now=at(MONDAY, 10, 4))
    flag_acknowledge(flag=f2, by=staff, note="Called.", now=at(MONDAY, 11, 20))
    flags_escalate(now=at(MONDAY, 12, 31))
    flag_acknowledge(flag=f3, by=staff, note="Called.", now=at(MONDAY, 12, 50))
    flags_escalate(now=at(TUESDAY, 9, 31))
    return {"f1": f1, "f2": f2, "f3": f3, "f4": f4}


def _move(referral, staff, steps: list[tuple[str, datetime]]) -> None:
    """Move a referral through the workflow service, then date each move as it happened."""
    for to_status, when in steps:
        referral_transition(referral=referral, to_status=to_status, by=staff, note="Reason.")
        ReferralTransition.objects.filter(referral=referral, to_status=to_status).update(at=when)


def referrals(staff) -> dict:
    """R1 ocrelizumab, received Mon 09:00, accepted 3 days later, first infusion 10 days after
    receipt; R2 ocrelizumab, received Mon 10:00, declined; R3 natalizumab, received Tue 08:00,
    accepted 20 days later, not yet infused; R4 natalizumab, received Tue 09:00, in review;
    R5 received the week before (outside the report).
    """
    from tests.factories import therapy

    (chair,) = clinic_week(chairs=1)
    ocre, nata = therapy("ocrelizumab"), therapy("natalizumab")
    r1 = ReferralFactory(received_at=at(MONDAY, 9), therapy=ocre)
    r2 = ReferralFactory(received_at=at(MONDAY, 10), therapy=ocre)
    r3 = ReferralFactory(received_at=at(TUESDAY, 8), therapy=nata)
    r4 = ReferralFactory(received_at=at(TUESDAY, 9), therapy=nata)
    r5 = ReferralFactory(received_at=at(MONDAY, 9) - timedelta(days=7), therapy=ocre)
    forward = ["in_review", "benefits_check", "prior_auth", "accepted"]
    _move(r1, staff, [(s, at(MONDAY, 9) + timedelta(days=3)) for s in forward])
    _move(r2, staff, [("in_review", at(MONDAY, 11)), ("declined", at(MONDAY, 12))])
    _move(r3, staff, [(s, at(TUESDAY, 8) + timedelta(days=20)) for s in forward])
    _move(r4, staff, [("in_review", at(TUESDAY, 10))])
    _move(r5, staff, [(s, at(MONDAY, 9)) for s in forward])
    r1.refresh_from_db()
    first = r1.course.doses.get(sequence=1)
    infused = at(MONDAY + timedelta(days=10), 9)
    Session.objects.create(
        course=r1.course,
        dose=first,
        chair=chair,
        start=infused,
        end=infused + timedelta(hours=5),
        status=SessionStatus.COMPLETED,
        checked_in_at=infused,
        completed_at=infused + timedelta(hours=5),
    )
    # A cancelled visit earlier than the infusion is not the first infusion.
    Session.objects.create(
        course=r1.course,
        dose=first,
        chair=chair,
        start=infused - timedelta(days=2),
        end=infused - timedelta(days=2) + timedelta(hours=5),
        status=SessionStatus.CANCELLED,
        cancelled_at=infused - timedelta(days=4),
    )
    return {"r1": r1, "r2": r2, "r3": r3, "r4": r4, "r5": r5}
