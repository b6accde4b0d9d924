"""The visit page: a nurse keeps the chairside record from it; it reads in fixed queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages

from intake.models import Flag
from scheduling.models import SessionStatus
from tests.factories import clinic_week
from tests.visit_helpers import booked_session, completed_records, full_visit, visit_day
from visits.models import VisitRecord

pytestmark = pytest.mark.django_db


def _url(session) -> str:
    return f"/admin/visits/visitrecord/session/{session.pk}/"


def _post(client, session, section: str, **data):
    fields = {"action": section, **{f"{section}-{k}": v for k, v in data.items()}}
    return client.post(_url(session), fields, follow=True)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_session_page_opens_the_visit_record(client, nurse):
    session = booked_session()
    client.force_login(nurse)
    html = client.get(f"/admin/scheduling/session/{session.pk}/change/").content.decode()
    assert f'href="{_url(session)}"' in html
    assert "Open the visit record" in html


def test_a_nurse_records_a_whole_visit_from_the_page(client, nurse):
    session = booked_session()
    client.force_login(nurse)
    response = _post(client, session, "open", at="09:00")
    assert "the patient is checked in" in " ".join(_messages(response))
    session.refresh_from_db()
    assert session.status == SessionStatus.CHECKED_IN
    record = VisitRecord.objects.get(session=session)
    html = response.content.decode()
    assert "Methylprednisolone" in html  # pre-filled from the protocol
    checks = {f"check_{c.pk}": "on" for c in session.checks.all()}
    _post(client, session, "checks", **checks)
    response = _post(
        client,
        session,
        "vitals",
        phase="before",
        at="09:05",
        systolic="186",
        diastolic="92",
        pulse="80",
        temperature="36.9",
        spo2="97",
        weight="70.5",
    )
    (message,) = _messages(response)
    assert "Vitals saved" in message and "Systolic 186 mmHg (hold above 180)" in message
    assert record.vitals.get().systolic == 186
    premeds = {}
    for premed in record.premeds.all():
        premeds[f"given_{premed.pk}"] = "on"
        premeds[f"at_{premed.pk}"] = "09:10"
    _post(client, session, "premeds", **premeds)
    assert not record.premeds.filter(given_at__isnull=True).exists()
    response = _post(
        client,
        session,
        "start",
        product="Ocrelizumab",
        dose="300 mg",
        lot_number="LOT-77",
        lot_expiry=f"{visit_day() + timedelta(days=60):%Y-%m-%d}",
        at="09:40",
        rate="30",
    )
    assert "in the chair" in " ".join(_messages(response))
    session.refresh_from_db()
    assert session.status == SessionStatus.IN_CHAIR
    _post(client, session, "rate", at="10:10", rate="60", note="")
    _post(
        client,
        session,
        "reaction",
        at="10:20",
        symptoms="Flushing",
        grade="1",
        action="slowed",
        medicines="",
        outcome="Resolved in 15 minutes",
    )
    _post(client, session, "stop", at="12:10")
    _post(client, session, "observation", at="13:10")
    response = _post(client, session, "discharge", at="13:30")
    assert "Discharged: 4 h 30 in the chair" in " ".join(_messages(response))
    session.refresh_from_db()
    record.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED
    assert record.reactions.get().grade == 1
    assert not Flag.objects.exists()
    assert [str(r.rate_ml_per_hour) for r in record.rates.all()] == ["30.0", "60.0"]


def test_an_expired_lot_is_refused_on_the_page_and_nothing_starts(client, nurse):
    session = booked_session()
    client.force_login(nurse)
    _post(client, session, "open", at="09:00")
    _post(client, session, "checks", **{f"check_{c.pk}": "on" for c in session.checks.all()})
    response = _post(
        client,
        session,
        "start",
        product="Ocrelizumab",
        dose="300 mg",
        lot_number="OLD",
        lot_expiry=f"{visit_day() - timedelta(days=1):%Y-%m-%d}",
        at="09:40",
    )
    assert "never give an expired lot" in " ".join(_messages(response))
    session.refresh_from_db()
    assert session.status == SessionStatus.CHECKED_IN


def test_a_form_error_is_shown_next_to_the_field_and_keeps_the_input(client, nurse):
    session = booked_session()
    client.force_login(nurse)
    _post(client, session, "open", at="09:00")
    response = _post(client, session, "vitals", phase="before", at="", pulse="88")
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'id="id_vitals-at_error"', html)
    assert 'value="88"' in html


def test_implausible_vitals_are_refused_with_the_reason(client, nurse):
    session = booked_session()
    client.force_login(nurse)
    _post(client, session, "open", at="09:00")
    response = _post(client, session, "vitals", phase="before", at="09:00", temperature="73.0")
    assert "not a plausible reading" in " ".join(_messages(response))
    assert not VisitRecord.objects.get(session=session).vitals.exists()


def test_a_clinician_reads_the_record_but_may_not_write(client, clinician, nurse):
    session = booked_session()
    record = full_visit(session, nurse)
    client.force_login(clinician)
    html = client.get(_url(session)).content.decode()
    assert "LOT-DEMO-1" in html
    assert 'name="action"' not in html
    assert client.post(_url(session), {"action": "open"}).status_code == 403
    assert client.get(f"/admin/visits/visitrecord/{record.pk}/change/").status_code == 302


def _visit_page_queries(client, session, django_assert_max_num_queries) -> int:
    client.get(_url(session))  # caches warm (content types, settings rows)
    with django_assert_max_num_queries(22) as captured:
        assert client.get(_url(session)).status_code == 200
    return len(captured)


def test_the_visit_page_reads_in_a_fixed_number_of_queries(
    client, nurse, django_assert_max_num_queries
):
    chairs = clinic_week(chairs=3, weekdays=range(7))
    small = booked_session(chairs=chairs)
    full_visit(small, nurse)
    client.force_login(nurse)
    few = _visit_page_queries(client, small, django_assert_max_num_queries)
    completed_records([250, 260, 270, 280, 290, 300, 310, 320], chairs=chairs)
    big = booked_session(chairs=chairs, chair=1)
    record = full_visit(big, nurse)
    from visits import records

    for minute in range(10):
        records.vitals_record(
            record=record,
            phase="during",
            taken_at=record.infusion_started_at + timedelta(minutes=minute),
            values={"pulse": 70 + minute},
            by=nurse,
            reason="Late entry from the paper chart",
        )
    many = _visit_page_queries(client, big, django_assert_max_num_queries)
    assert many == few


def test_the_drift_page_reads_in_a_fixed_number_of_queries(
    client, coordinator, django_assert_max_num_queries
):
    chairs = clinic_week(chairs=2, weekdays=range(7))
    completed_records([250, 260], chairs=chairs)
    client.force_login(coordinator)
    url = "/admin/visits/visitrecord/chair-times/"
    client.get(url)  # caches warm (the settings row)
    with django_assert_max_num_queries(14) as few:
        client.get(url)
    completed_records(list(range(200, 260, 3)), chairs=chairs, days_ago=40)
    completed_records([400, 420, 410], kind="maintenance", chairs=chairs, days_ago=80)
    with django_assert_max_num_queries(14) as many:
        html = client.get(url).content.decode()
    assert "over 22 visits" in html and "over 3 visits" in html
    assert len(many) == len(few)
