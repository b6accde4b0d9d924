"""The appointments page says what each visit is for, in plain words and the patient's language.

The treatment and dose number, how long to plan for (observation included), what to bring
and whether to arrange a ride home: from the therapy's data and the clinic's settings,
never a diagnosis.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from clinic.links import link_create
from clinic.models import ClinicSettings, PrivateLink, TherapyStep
from scheduling.models import Session
from tests.factories import ChairFactory, PatientFactory, ReferralFactory, ready_course
from tests.test_i18n_untranslated import english_left_in, spanish_client, visible_text

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
DOB = "1980-03-27"  # PatientFactory's date of birth


def _visit(code: str, sequence: int = 1, patient=None, days_ahead: int = 5) -> Session:
    """Put one of a course's doses in a chair (the booking rules are tested elsewhere)."""
    day = timezone.localdate(timezone=NY) + timedelta(days=days_ahead + sequence)
    course = ready_course(code, start_after=day, patient=patient or PatientFactory())
    dose = course.doses.get(sequence=sequence)
    start = datetime.combine(day, time(9), tzinfo=NY)
    return Session.objects.create(
        course=course,
        dose=dose,
        chair=ChairFactory(),
        start=start,
        end=start + timedelta(minutes=dose.minutes),
    )


def _page(session: Session, client: Client | None = None) -> str:
    _row, token = link_create(
        patient=session.course.patient, purpose=PrivateLink.Purpose.MANAGE, days=30
    )
    client = client or Client()
    assert client.post(f"/my/{token}/", {"date_of_birth": DOB}).status_code == 302
    return visible_text(client.get(f"/my/{token}/").content.decode())


def test_a_first_ocrelizumab_infusion_says_what_how_long_and_to_arrange_a_ride():
    text = _page(_visit("ocrelizumab"))
    assert "Ocrelizumab (Ocrevus): First dose" in text
    assert (
        "Plan for about 4 hours at the clinic, including 30 minutes of medicines beforehand "
        "and 1 hour of observation afterwards." in text
    )
    assert "can make you drowsy: please arrange for someone to drive you home." in text
    assert "A photo ID and your insurance card" in text


def test_a_later_natalizumab_infusion_has_its_number_and_no_ride():
    text = _page(_visit("natalizumab", sequence=3))
    assert "Natalizumab (Tysabri): Dose 3" in text
    assert "Plan for about 2 hours at the clinic, including 1 hour of observation afterwards." in (
        text
    )
    assert "Getting home" not in text


def test_a_first_dose_asks_for_a_ride_unless_the_clinic_says_otherwise():
    session = _visit("natalizumab")
    assert "This is your first dose: please arrange for someone to drive you home." in _page(
        session
    )
    ClinicSettings.objects.filter(pk=ClinicSettings.load().pk).update(ride_after_first_dose=False)
    assert "drive you home" not in _page(session)


def test_the_ride_follows_the_step_the_clinic_can_edit():
    session = _visit("ocrelizumab", sequence=2)
    assert "can make you drowsy" in _page(session)
    TherapyStep.objects.filter(pk=session.dose.step_id).update(drowsy_premedication=False)
    assert "drive you home" not in _page(session)


def test_a_day_of_a_series_says_which_day_of_how_many():
    text = _page(_visit("alemtuzumab", sequence=2))
    assert "Alemtuzumab (Lemtrada): Day 2 of 5, on consecutive days" in text
    assert "including 30 minutes of medicines beforehand and 2 hours of observation" in text


def test_a_steroid_pulse_is_named_without_the_reason_for_it():
    text = _page(_visit("methylprednisolone"))
    assert "IV methylprednisolone: Day 1 of 3, on consecutive days" in text
    assert "Plan for about 1 hour at the clinic." in text
    assert "relapse" not in text.lower()


def test_a_teaching_visit_says_so_and_asks_for_no_ride():
    text = _page(_visit("ofatumumab"))
    assert "Ofatumumab (Kesimpta): A visit to learn how to give the injections at home" in text
    assert "drive you home" not in text


def test_the_page_names_no_diagnosis():
    patient = PatientFactory()
    ReferralFactory(patient=patient, diagnosis_code="G35.A")
    text = _page(_visit("rituximab", patient=patient)).lower()
    assert "rituximab: first dose" in text
    for clinical in ("g35", "sclerosis", "off-label", "diagnos"):
        assert clinical not in text


def test_the_visit_is_explained_in_spanish():
    session = _visit("ocrelizumab", patient=PatientFactory(preferred_language="es"))
    text = _page(session, spanish_client())
    assert "Ocrelizumab (Ocrevus): Primera dosis" in text
    assert (
        "Cuente con estar alrededor de 4 horas en la clínica; eso incluye 30 minutos de "
        "medicamentos antes y 1 hora de observación después." in text
    )
    assert "pueden darle sueño: pida a alguien que le lleve a casa." in text
    assert "Una identificación con foto" in text
    assert english_left_in(text) == []


def test_the_page_reads_the_same_number_of_rows_for_one_visit_or_many(
    django_assert_max_num_queries,
):
    patient = PatientFactory()
    first = _visit("alemtuzumab", sequence=1, patient=patient)
    _row, token = link_create(patient=patient, purpose=PrivateLink.Purpose.MANAGE, days=30)
    client = Client()
    client.post(f"/my/{token}/", {"date_of_birth": DOB})
    with django_assert_max_num_queries(8):
        client.get(f"/my/{token}/")
    for sequence in range(2, 6):
        dose = first.course.doses.get(sequence=sequence)
        start = first.start + timedelta(days=sequence - 1)
        Session.objects.create(
            course=first.course,
            dose=dose,
            chair=first.chair,
            start=start,
            end=first.end + timedelta(days=sequence - 1),
        )
    for code in ("natalizumab", "ocrelizumab"):
        _visit(code, patient=patient, days_ahead=20)
    with django_assert_max_num_queries(8):
        assert "Day 5 of 5" in client.get(f"/my/{token}/").content.decode()
