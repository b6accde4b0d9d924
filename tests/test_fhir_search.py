"""Reads and searches: by patient, date and status, paging with _count and next links."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from interop.search import SearchError, date_bounds, search_parse
from scheduling.booking import session_book
from scheduling.models import Session, SessionStatus
from tests.factories import PatientFactory, ReferralFactory, clinic_week, ready_course
from tests.fhir_helpers import FhirClient, bearer

NY = ZoneInfo("America/New_York")


# --- the search parameters, without a database -------------------------------------------


def test_a_plain_date_is_the_whole_clinic_day():
    lower, upper = date_bounds("2026-03-08", NY)
    assert (lower.op, lower.at) == ("gte", datetime(2026, 3, 8, tzinfo=NY))
    assert (upper.op, upper.at) == ("lt", datetime(2026, 3, 9, tzinfo=NY))


@pytest.mark.parametrize(
    ("value", "op", "at"),
    [
        ("ge2026-03", "gte", datetime(2026, 3, 1, tzinfo=NY)),
        ("gt2026-12", "gte", datetime(2027, 1, 1, tzinfo=NY)),
        ("lt2026", "lt", datetime(2026, 1, 1, tzinfo=NY)),
        ("le2026-02-28", "lt", datetime(2026, 3, 1, tzinfo=NY)),
    ],
)
def test_prefixes_compare_against_the_right_end_of_the_range(value, op, at):
    [bound] = date_bounds(value, NY)
    assert (bound.op, bound.at) == (op, at)


@pytest.mark.parametrize("value", ["", "yesterday", "2026-13-01", "ne2026-01-01", "2026-02-30"])
def test_dates_that_are_not_fhir_dates_are_refused(value):
    with pytest.raises(SearchError):
        date_bounds(value, NY)


@pytest.mark.parametrize(
    "params",
    [
        {"name": ["Demopatient"]},
        {"birthdate": ["1980-03-27"]},
        {"_count": ["0"]},
        {"_count": ["101"]},
        {"_count": ["ten"]},
        {"_offset": ["-1"]},
        {"patient": ["Patient/../1"]},
        {"_format": ["xml"]},
    ],
)
def test_unknown_or_bad_parameters_are_refused(params):
    with pytest.raises(SearchError):
        search_parse(params, allowed={"patient", "date", "status", "_id"}, tz=NY)


def test_a_patient_reference_or_id_both_work():
    assert search_parse({"patient": ["Patient/12"]}, allowed={"patient"}, tz=NY).patient == "12"
    assert search_parse({"patient": ["12"]}, allowed={"patient"}, tz=NY).patient == "12"


# --- through the API -----------------------------------------------------------------------


@pytest.fixture
def api():
    return FhirClient(bearer())


@pytest.fixture
def sessions(db):
    """Six booked sessions for one patient on six weekdays, one of them cancelled later."""
    chairs = clinic_week(chairs=2, weekdays=range(7))
    patient = PatientFactory()
    first = timezone.localdate(timezone=NY) + timedelta(days=3)
    booked = []
    for k in range(6):
        course = ready_course("natalizumab", start_after=first + timedelta(days=k), patient=patient)
        day = first + timedelta(days=k)
        booked.append(
            session_book(
                dose=course.doses.get(sequence=1),
                chair=chairs[0],
                start=datetime.combine(day, time(9), tzinfo=NY),
            )
        )
    Session.objects.filter(pk=booked[-1].pk).update(status=SessionStatus.CANCELLED)
    return patient, booked


def entries(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return [e["resource"] for e in response.json().get("entry", [])]


@pytest.mark.django_db
def test_appointments_page_with_count_and_a_next_link_until_the_end(api, sessions):
    patient, booked = sessions
    response = api.read("Appointment", patient=patient.pk, _count=4)
    body = response.json()
    assert body["total"] == 6
    assert [r["id"] for r in entries(response)] == [str(s.pk) for s in booked[:4]]
    links = {link["relation"]: link["url"] for link in body["link"]}
    next_url = urlsplit(links["next"])
    assert next_url.path == "/fhir/R4/Appointment"
    query = parse_qs(next_url.query)
    assert query == {"patient": [str(patient.pk)], "_count": ["4"], "_offset": ["4"]}
    second = api.get(next_url.path, query)
    assert [r["id"] for r in entries(second)] == [str(s.pk) for s in booked[4:]]
    assert "next" not in {link["relation"] for link in second.json()["link"]}


@pytest.mark.django_db
def test_appointments_by_status_and_date(api, sessions):
    patient, booked = sessions
    cancelled = entries(api.read("Appointment", patient=patient.pk, status="cancelled"))
    assert [r["id"] for r in cancelled] == [str(booked[-1].pk)]
    assert cancelled[0]["status"] == "cancelled"
    day = timezone.localtime(booked[1].start, NY).date()
    on_day = entries(api.read("Appointment", patient=patient.pk, date=day.isoformat()))
    assert [r["id"] for r in on_day] == [str(booked[1].pk)]
    since = entries(api.read("Appointment", patient=patient.pk, date=f"ge{day.isoformat()}"))
    assert len(since) == 5
    other = PatientFactory()
    assert entries(api.read("Appointment", patient=other.pk)) == []


@pytest.mark.django_db
def test_an_appointment_names_the_patient_and_the_chair_as_a_location(api, sessions):
    patient, booked = sessions
    appointment = api.read(f"Appointment/{booked[0].pk}").json()
    actors = [p["actor"]["reference"] for p in appointment["participant"]]
    assert actors == [f"Patient/{patient.pk}", f"Location/{booked[0].chair_id}"]
    assert appointment["status"] == "booked"
    location = api.read(actors[1]).json()
    assert location["resourceType"] == "Location" and location["name"] == booked[0].chair.name


@pytest.mark.django_db
def test_search_query_count_does_not_grow_with_rows(api, sessions, django_assert_max_num_queries):
    patient, _booked = sessions
    with django_assert_max_num_queries(6):
        assert len(entries(api.read("Appointment", patient=patient.pk, _count=2))) == 2
    with django_assert_max_num_queries(6):
        assert len(entries(api.read("Appointment", patient=patient.pk, _count=100))) == 6


@pytest.mark.django_db
def test_everything_query_count_does_not_grow_with_rows(
    api, sessions, django_assert_max_num_queries
):
    patient, _booked = sessions
    ReferralFactory(patient=patient)
    # One query per table the Bundle reads (visit records, premedications, vitals included).
    with django_assert_max_num_queries(12) as few:
        api.read(f"Patient/{patient.pk}/$everything")
    for _ in range(3):
        ReferralFactory(patient=patient)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = api.read(f"Patient/{patient.pk}/$everything").json()
    assert sum(e["resource"]["resourceType"] == "ServiceRequest" for e in body["entry"]) == 4


@pytest.mark.django_db
def test_service_requests_by_status_map_the_triage_steps(api):
    received = ReferralFactory()
    declined = ReferralFactory(status="declined")
    held = ReferralFactory(status="needs_info")
    assert [r["id"] for r in entries(api.read("ServiceRequest", status="revoked"))] == [
        str(declined.pk)
    ]
    assert [r["id"] for r in entries(api.read("ServiceRequest", status="on-hold"))] == [
        str(held.pk)
    ]
    active = entries(api.read("ServiceRequest", status="active"))
    assert [r["id"] for r in active] == [str(received.pk)]
    # Not yet linked to a patient: the person the referral names is contained.
    assert active[0]["subject"] == {"reference": "#patient"}
    assert active[0]["contained"][0]["birthDate"] == received.date_of_birth.isoformat()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("Patient/999999", 404),
        ("Patient/abc", 404),
        ("Observation/7", 404),
        ("Practitioner/npi-0000000000", 404),
        ("Practitioner/staff-1", 404),
        ("Nonsense", 404),
        ("Nonsense/1", 404),
        ("Patient?name=Smith", 400),
        ("Appointment?date=tomorrow", 400),
    ],
)
def test_errors_are_operation_outcomes(api, path, status):
    response = api.get(f"/fhir/R4/{path}")
    assert response.status_code == status
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.django_db
def test_wrong_methods_and_other_paths_are_operation_outcomes(api):
    for response in (
        api.delete("/fhir/R4/Patient/1"),
        api.post("/fhir/R4/Patient", {}),
        api.get("/fhir/R4/Patient/1/_history"),
        api.get("/fhir/STU3/metadata"),
    ):
        assert response.status_code in (404, 405)
        assert response.json()["resourceType"] == "OperationOutcome"
