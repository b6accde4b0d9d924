"""One way to name a person and one way to show an instant on every staff page."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from clinic.links import link_create
from clinic.models import PrivateLink, person_name
from intake.questionnaires import questionnaire_save_page, questionnaire_submit, request_steps
from intake.referrals import referral_transition
from scheduling.booking import session_book
from tests.factories import (
    OnCallShiftFactory,
    PatientFactory,
    ReferralFactory,
    clinic_week,
    ready_course,
    sent_check,
)

NY = ZoneInfo("America/New_York")
RAW_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?|\+00:00|\d{2}:\d{2}:\d{2}\.\d"
)
TWELVE_HOUR = re.compile(r"\d(:\d\d)? ?[ap]\.m\.")


@pytest.mark.parametrize(
    ("given", "family", "preferred", "shown"),
    [
        ("Ana", "Example-Newcomer", "", "Ana Example-Newcomer"),
        ("Ana", "Example-Newcomer", "Ana Example-Newcomer", "Ana Example-Newcomer"),
        ("Ana", "Example-Newcomer", "ana example newcomer", "ana example newcomer"),
        ("Anastasia", "Example", "Ana", "Ana Example"),
        ("Lily", "Li", "", "Lily Li"),
        ("María José", "García López", "Majo García López", "Majo García López"),
        ("Sam", "Doe", "  Sam   Doe ", "Sam Doe"),
    ],
)
def test_a_name_is_the_name_they_go_by_and_the_family_name_once(given, family, preferred, shown):
    assert person_name(given=given, family=family, preferred=preferred) == shown


@pytest.mark.django_db
def test_the_patient_and_their_referral_are_named_the_same_way_everywhere(client, coordinator):
    patient = PatientFactory(
        legal_given_name="Ana",
        legal_family_name="Example-Newcomer",
        preferred_name="Ana Example-Newcomer",
    )
    assert patient.display_name == "Ana Example-Newcomer"
    assert str(patient) == f"Ana Example-Newcomer ({patient.record_number})"
    referral = ReferralFactory(
        given_name="Ana", family_name="Example-Newcomer", preferred_name="Ana Example-Newcomer"
    )
    assert referral.patient_name == "Ana Example-Newcomer"
    client.force_login(coordinator)
    for url in ("/admin/clinic/patient/", f"/admin/clinic/patient/{patient.pk}/change/"):
        assert "Example-Newcomer Example-Newcomer" not in client.get(url).content.decode()


def _everything() -> dict:
    """One of each record a staff page shows, with instants in every field that has one."""
    coordinator = OnCallShiftFactory().clinician
    patient = PatientFactory()
    referral = ReferralFactory(patient=patient)
    referral_transition(referral=referral, to_status="in_review", by=coordinator, note="Test move")
    chairs = clinic_week(chairs=2, weekdays=range(7))
    day = timezone.localdate(timezone=NY) + timedelta(days=3)
    course = ready_course("natalizumab", start_after=day, patient=patient)
    session = session_book(
        dose=course.doses.get(sequence=1),
        chair=chairs[0],
        start=datetime.combine(day, time(9), tzinfo=NY),
        notify=False,
    )
    qreq, _url = sent_check(patient=patient, codes=("phq9",), due_at=session.start)
    for step in request_steps(qreq):
        questionnaire_save_page(
            qreq=qreq, step=step, answers={f"phq9_{i}": 1 for i in range(1, 10)}
        )
    questionnaire_submit(qreq=qreq)
    link_create(patient=patient, purpose=PrivateLink.Purpose.MANAGE, days=7)
    return {"patient": patient, "session": session, "course": course, "day": day}


def _text(html: str) -> str:
    """Return what a person reads: no tags, scripts, styles or attribute values."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _staff_pages(records: dict) -> list[str]:
    """Chairside's changelists, each model's first row, and its own pages (not other apps')."""
    urls = ["/admin/"]
    for model in admin.site._registry:
        opts = model._meta
        if opts.app_label not in ("clinic", "intake", "scheduling"):
            continue
        try:
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        except NoReverseMatch:
            continue
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
            )
    course, session = records["course"], records["session"]
    urls += [
        f"/admin/scheduling/session/board/?day={records['day']:%Y-%m-%d}",
        f"/admin/scheduling/treatmentcourse/{course.pk}/book/",
        f"/admin/scheduling/session/{session.pk}/move/",
        f"/admin/scheduling/session/{session.pk}/cancel/",
        "/admin/intake/questionnairerequest/add/",
    ]
    return urls


@pytest.mark.django_db
def test_no_staff_page_shows_a_raw_timestamp_or_a_second_clock(client, superuser):
    records = _everything()
    client.force_login(superuser)
    for url in _staff_pages(records):
        response = client.get(url)
        assert response.status_code == 200, url
        text = _text(response.content.decode())
        raw = RAW_TIMESTAMP.search(text)
        assert raw is None, (url, text[max(raw.start() - 80, 0) : raw.end() + 20])
        twelve = TWELVE_HOUR.search(text)
        assert twelve is None, (url, text[max(twelve.start() - 80, 0) : twelve.end() + 20])


@pytest.mark.django_db
def test_staff_messages_end_with_one_full_stop(client, scheduler, nurse, coordinator):
    records = _everything()
    session = records["session"]
    messages: list[str] = []

    def post(url: str, data: dict | None = None) -> None:
        response = client.post(url, data or {}, follow=True)
        messages.extend(str(m) for m in get_messages(response.wsgi_request))

    client.force_login(nurse)
    post(f"/admin/scheduling/session/{session.pk}/step/check_in/")
    post(f"/admin/scheduling/session/{session.pk}/step/seat/")  # refused: checks outstanding
    client.force_login(scheduler)
    post(f"/admin/scheduling/session/{session.pk}/cancel/", {"reason": "Fever, postponed."})
    referral = ReferralFactory()
    for target in ("in_review", "benefits_check"):
        referral_transition(referral=referral, to_status=target, by=coordinator, note="Test move")
    client.force_login(coordinator)
    post(f"/admin/intake/referral/{referral.pk}/transition/accepted/", {"note": "Authorised"})
    assert len(messages) >= 4, messages
    for message in messages:
        assert ".." not in _text(message), message
        assert _text(message).rstrip().endswith("."), message
