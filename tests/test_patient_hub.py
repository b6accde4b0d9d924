"""One staff page per patient: details, then a panel per thing the clinic holds about them."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from clinic.links import link_create
from clinic.models import PrivateLink
from intake.models import Flag
from intake.questionnaires import questionnaire_save_page, questionnaire_submit, request_steps
from intake.referrals import referral_transition
from scheduling.booking import session_book
from tests.factories import (
    PatientFactory,
    ReferralFactory,
    UserFactory,
    clinic_week,
    ready_course,
    sent_check,
)

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
PANELS = [
    "Referrals",
    "Treatment courses",
    "Visits",
    "Pre-visit checks and scores",
    "Flags",
    "Private links",
    "Changes to this record",
]


def _hub(client, patient) -> str:
    response = client.get(f"/admin/clinic/patient/{patient.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def _patient_with_everything(rows: int = 1):
    """A patient with `rows` of each: referrals, courses with sessions, checks, flags, links."""
    coordinator = UserFactory(username="hub-coordinator")
    patient = PatientFactory(legal_given_name="Hubert", legal_family_name="Hubbard")
    chairs = clinic_week(chairs=max(rows, 2), nurses=2, weekdays=range(7))
    day = timezone.localdate(timezone=NY) + timedelta(days=3)
    for index in range(rows):
        referral = ReferralFactory(patient=patient)
        referral_transition(
            referral=referral, to_status="in_review", by=coordinator, note="Test move"
        )
        course = ready_course("natalizumab", start_after=day, patient=patient)
        session_book(
            dose=course.doses.get(sequence=1),
            chair=chairs[index],
            start=datetime.combine(day, time(9), tzinfo=NY),
            notify=False,
        )
        qreq, _url = sent_check(patient=patient, codes=("phq9",))
        for step in request_steps(qreq):
            questionnaire_save_page(
                qreq=qreq, step=step, answers={f"phq9_{i}": 1 for i in range(1, 10)}
            )
        questionnaire_submit(qreq=qreq)
        link_create(patient=patient, purpose=PrivateLink.Purpose.MANAGE, days=7)
    return patient


def test_the_hub_shows_every_panel_with_the_patients_records(client, superuser):
    patient = _patient_with_everything()
    client.force_login(superuser)
    html = _hub(client, patient)
    for title in PANELS:
        assert f">{title}</h2>" in html, title
    assert "Hubert Hubbard" in html and patient.record_number in html
    assert patient.referrals.get().reference in html
    assert "Natalizumab" in html and "Not yet placed" in html
    assert Flag.objects.get(patient=patient).label in html
    assert "Manage sessions #" in html
    # Panels come before the record's details.
    assert html.index(">Referrals</h2>") < html.index("Legal given name")


def test_each_role_sees_only_the_panels_its_work_allows(client, coordinator, scheduler, nurse):
    patient = _patient_with_everything()
    client.force_login(coordinator)
    html = _hub(client, patient)
    assert ">Referrals</h2>" in html and ">Private links</h2>" in html
    assert ">Flags</h2>" not in html and "Scores over time" not in html
    client.force_login(scheduler)
    html = _hub(client, patient)
    assert ">Visits</h2>" in html and ">Treatment courses</h2>" in html
    assert ">Referrals</h2>" not in html and ">Flags</h2>" not in html
    client.force_login(nurse)
    html = _hub(client, patient)
    assert ">Flags</h2>" in html and "Scores over time" in html
    assert ">Private links</h2>" not in html


@pytest.mark.parametrize("rows", [1, 6])
def test_the_hub_renders_in_a_fixed_number_of_queries(
    client, superuser, rows, django_assert_max_num_queries
):
    patient = _patient_with_everything(rows)
    client.force_login(superuser)
    with django_assert_max_num_queries(24):
        _hub(client, patient)


def test_staff_pages_that_show_a_patient_link_to_the_hub(client, superuser):
    patient = _patient_with_everything()
    hub = f'href="/admin/clinic/patient/{patient.pk}/change/"'
    session = patient.courses.get().sessions.get()
    flag = Flag.objects.get(patient=patient)
    qreq = patient.questionnaire_requests.get()
    client.force_login(superuser)
    for url in [
        "/admin/scheduling/session/",
        f"/admin/scheduling/session/{session.pk}/change/",
        f"/admin/scheduling/treatmentcourse/{session.course_id}/change/",
        "/admin/scheduling/treatmentcourse/",
        "/admin/intake/flag/",
        f"/admin/intake/flag/{flag.pk}/change/",
        f"/admin/intake/questionnairerequest/{qreq.pk}/change/",
        "/admin/intake/questionnaireresponse/",
        f"/admin/clinic/privatelink/{patient.links.first().pk}/change/",
        "/admin/",
    ]:
        assert hub in client.get(url).content.decode(), url


def test_an_accepted_referral_links_its_patient_in_the_referral_list(client, coordinator):
    referral = ReferralFactory(given_name="Ana", family_name="Listed")
    for target in ("in_review", "benefits_check", "prior_auth", "accepted"):
        referral_transition(referral=referral, to_status=target, by=coordinator, note="Test move")
    referral.refresh_from_db()
    client.force_login(coordinator)
    html = client.get("/admin/intake/referral/").content.decode()
    assert f'href="/admin/clinic/patient/{referral.patient_id}/change/"' in html


def test_the_different_person_tick_box_shows_only_with_a_duplicate_error(client, coordinator):
    patient = PatientFactory()
    client.force_login(coordinator)
    html = _hub(client, patient)
    assert "Tick only after checking" not in html
    assert 'type="checkbox" name="not_a_duplicate"' not in html
    twin = PatientFactory(
        legal_given_name="Other",
        legal_family_name=patient.legal_family_name,
        date_of_birth=patient.date_of_birth,
    )
    page = client.get(f"/admin/clinic/patient/{twin.pk}/change/")
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    data |= {"legal_given_name": patient.legal_given_name, "date_of_birth": "1980-03-27"}
    response = client.post(f"/admin/clinic/patient/{twin.pk}/change/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "already exists" in html
    assert "Tick only after checking the records listed in the error above." in html
    assert 'type="checkbox" name="not_a_duplicate"' in html
