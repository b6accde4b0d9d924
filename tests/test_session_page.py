"""The session page is the nurse's screen: who, what, where, when, checks to do, next steps."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from clinic.models import Therapy, TherapyRequirement
from scheduling.booking import session_book
from scheduling.models import Session
from tests.factories import PatientFactory, clinic_week, ready_course

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")


def _day():
    return timezone.localdate(timezone=NY) + timedelta(days=3)


def _booked(code: str = "ocrelizumab", **patient) -> Session:
    chairs = clinic_week(chairs=2, weekdays=range(7))
    course = ready_course(code, start_after=_day(), patient=PatientFactory(**patient))
    start = datetime.combine(_day(), time(9), tzinfo=NY)
    return session_book(dose=course.doses.get(sequence=1), chair=chairs[0], start=start)


def _page(client, session: Session) -> str:
    response = client.get(f"/admin/scheduling/session/{session.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def _step(client, session: Session, move: str):
    return client.post(f"/admin/scheduling/session/{session.pk}/step/{move}/", follow=True)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_page_names_the_patient_with_birth_date_therapy_dose_chair_and_times(client, nurse):
    session = _booked(legal_given_name="Ana", legal_family_name="Example")
    client.force_login(nurse)
    html = _page(client, session)
    assert "Ana Example" in html
    assert "Thursday, March 27, 1980" in html  # the factory's date of birth, with its weekday
    assert "Ocrelizumab: Dose 1 (300 mg)" in html
    assert "Chair 1" in html
    assert "09:00–13:00 (4 h in the chair)" in html
    assert f'href="/admin/clinic/patient/{session.course.patient.pk}/change/"' in html


def test_a_nurse_checks_in_seats_and_completes_from_the_page(client, nurse):
    session = _booked()
    client.force_login(nurse)
    assert 'value="Check in"' in _page(client, session)
    assert "Ana" not in _messages(_step(client, session, "check_in"))
    session.refresh_from_db()
    assert session.status == "checked_in" and session.checked_in_at is not None
    session.checks.update(done=True)
    html = _page(client, session)
    assert 'value="In chair: infusion starts"' in html and 'value="Check in"' not in html
    _step(client, session, "seat")
    session.refresh_from_db()
    assert session.status == "in_chair"
    response = _step(client, session, "complete")
    session.refresh_from_db()
    assert session.status == "completed"
    assert any(m.endswith("completed at " + m.rsplit(" ", 1)[-1]) for m in _messages(response))
    assert "This visit is completed." in _page(client, session)


def test_in_chair_is_refused_while_a_visit_check_is_outstanding(client, nurse):
    session = _booked("natalizumab")
    client.force_login(nurse)
    _step(client, session, "check_in")
    html = _page(client, session)
    assert "Per-visit checks still to record before the infusion starts" in html
    assert "TOUCH" in html.split("still to record")[1].split("</ul>")[0]
    response = _step(client, session, "seat")
    session.refresh_from_db()
    assert session.status == "checked_in"
    assert any("record every per-visit check" in m for m in _messages(response))


def test_no_show_and_cancel_with_a_reason_from_the_page(client, nurse, scheduler):
    session = _booked()
    client.force_login(nurse)
    _step(client, session, "no_show")
    session.refresh_from_db()
    assert session.status == "no_show"

    other = session_book(
        dose=session.dose,
        chair=session.chair,
        start=session.start + timedelta(hours=4, minutes=15),
    )
    client.force_login(scheduler)
    url = f"/admin/scheduling/session/{other.pk}/cancel/"
    assert "Cancel the session" in client.get(url).content.decode()
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 200
    other.refresh_from_db()
    assert other.status == "booked"
    assert client.post(url, {"reason": "Fever: postponed"}).status_code == 302
    other.refresh_from_db()
    assert other.status == "cancelled" and other.cancel_reason == "Fever: postponed"


def test_the_page_offers_no_save_button_when_there_is_nothing_to_edit(client, nurse, scheduler):
    session = _booked()  # ocrelizumab: one visit check
    client.force_login(scheduler)  # may not record checks
    html = _page(client, session)
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    client.force_login(nurse)
    assert 'value="Record the per-visit checks"' in _page(client, session)
    assert 'name="_continue"' not in _page(client, session)
    session.checks.update(done=True)
    _step(client, session, "check_in")
    _step(client, session, "seat")
    assert 'name="_save"' not in _page(client, session)  # the checks are history now


def test_a_scheduler_cannot_run_the_visit_and_is_told_who_can(client, scheduler):
    session = _booked()
    client.force_login(scheduler)
    response = client.post(f"/admin/scheduling/session/{session.pk}/step/check_in/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Nurse" in html and "please call the clinic" not in html
    session.refresh_from_db()
    assert session.status == "booked"


@pytest.mark.parametrize("checks", [1, 12])
def test_the_session_page_renders_in_a_fixed_number_of_queries(
    client, nurse, checks, django_assert_max_num_queries
):
    therapy = Therapy.objects.get(code="ocrelizumab")
    for index in range(checks - 1):
        TherapyRequirement.objects.create(
            therapy=therapy,
            kind=TherapyRequirement.Kind.VISIT_CHECK,
            code=f"extra-{index}",
            name=f"Extra check {index}",
        )
    session = _booked()
    assert session.checks.count() == checks
    client.force_login(nurse)
    with django_assert_max_num_queries(16):
        _page(client, session)
