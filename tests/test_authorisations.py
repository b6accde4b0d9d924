"""No dose is booked outside an approved, unexpired authorisation with doses left, unless a
clinician or coordinator overrides it with a reason; staff see what expires and what lacks one."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from clinic.models import AccessLog
from scheduling.authorisations import (
    AuthorisationError,
    authorisation_override,
    authorisations_expire,
    needing_attention,
    touch_sync,
)
from scheduling.board import board_build
from scheduling.booking import BookingError, session_book, session_move
from scheduling.models import Authorisation, AuthorisationOverride
from tests.factories import PDF_BYTES, clinic_week, ready_course

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 1, 9, 0, tzinfo=NY)
MONDAY = date(2027, 1, 4)


def at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=NY)


def authorise(course, *, first=MONDAY, last=date(2027, 6, 30), doses=None, **kwargs):
    return Authorisation.objects.create(
        course=course,
        payer=kwargs.pop("payer", "Example Health Plan"),
        number=kwargs.pop("number", "PA-123"),
        valid_from=first,
        valid_to=last,
        approved_doses=doses,
        status=kwargs.pop("status", Authorisation.Status.APPROVED),
        **kwargs,
    )


def test_a_course_needing_authorisation_is_refused_without_one():
    chairs = clinic_week(chairs=1)
    course = ready_course(authorisation_required=True)
    with pytest.raises(BookingError) as refused:
        session_book(
            dose=course.doses.get(sequence=1), chair=chairs[0], start=at(MONDAY, "09:00"), now=NOW
        )
    assert "not covered by an approved authorisation" in str(refused.value)


def test_it_books_inside_an_approved_authorisation_but_not_a_pending_or_lapsed_one():
    chairs = clinic_week(chairs=2)
    course = ready_course(authorisation_required=True)
    authorise(course, status=Authorisation.Status.PENDING)
    authorise(course, first=date(2026, 6, 1), last=date(2027, 1, 3), number="OLD")
    dose = course.doses.get(sequence=1)
    with pytest.raises(BookingError):
        session_book(dose=dose, chair=chairs[0], start=at(MONDAY, "09:00"), now=NOW)
    authorise(course, number="NEW")
    session = session_book(dose=dose, chair=chairs[0], start=at(MONDAY, "09:00"), now=NOW)
    assert session.status == "booked"


def test_doses_left_are_counted_and_a_move_does_not_count_itself():
    chairs = clinic_week(chairs=2)
    course = ready_course(authorisation_required=True)
    authorise(course, doses=1)
    first = session_book(
        dose=course.doses.get(sequence=1), chair=chairs[0], start=at(MONDAY, "09:00"), now=NOW
    )
    moved = session_move(session=first, chair=chairs[1], start=at(MONDAY, "10:00"), now=NOW)
    assert moved.chair == chairs[1]
    with pytest.raises(BookingError, match="doses left"):
        session_book(
            dose=course.doses.get(sequence=2),
            chair=chairs[0],
            start=at(date(2027, 1, 18), "09:00"),
            now=NOW,
        )


def test_natalizumab_needs_a_current_touch_authorisation_too():
    chairs = clinic_week(chairs=1)
    course = ready_course("natalizumab", authorisation_required=True)
    authorise(course)
    dose = course.doses.get(sequence=1)
    with pytest.raises(BookingError, match="TOUCH"):
        session_book(dose=dose, chair=chairs[0], start=at(MONDAY, "09:00"), now=NOW)
    authorise(
        course,
        kind=Authorisation.Kind.TOUCH,
        payer="TOUCH programme",
        number="TOUCH-9",
        last=MONDAY + timedelta(days=182),
    )
    assert session_book(dose=dose, chair=chairs[0], start=at(MONDAY, "09:00"), now=NOW)


def test_an_override_needs_the_role_and_a_reason_and_history_keeps_who(coordinator, scheduler):
    chairs = clinic_week(chairs=1)
    course = ready_course(authorisation_required=True)
    dose = course.doses.get(sequence=1)
    with pytest.raises(AuthorisationError):
        authorisation_override(dose=dose, by=scheduler, reason="Payer said yes by phone")
    with pytest.raises(AuthorisationError):
        authorisation_override(dose=dose, by=coordinator, reason="  ")
    client = Client()
    client.force_login(coordinator)
    response = client.post(
        f"/admin/scheduling/authorisation/override/{dose.pk}/",
        {"reason": "Payer approved by phone, letter to follow"},
    )
    assert response.status_code == 302
    override = AuthorisationOverride.objects.get(dose=dose)
    assert override.by == coordinator
    assert override.history.latest().history_user == coordinator
    assert session_book(dose=dose, chair=chairs[0], start=at(MONDAY, "09:00"), now=NOW)
    page = client.get(f"/admin/scheduling/treatmentcourse/{course.pk}/change/")
    assert "Payer approved by phone" in page.content.decode()


def test_the_renewal_list_shows_what_ends_within_30_days_or_is_down_to_one_dose(coordinator):
    chairs = clinic_week(chairs=1)
    today = date(2027, 1, 1)
    soon = authorise(ready_course(), first=today, last=today + timedelta(days=20), number="SOON")
    authorise(ready_course(), first=today, last=today + timedelta(days=200), number="LATER")
    course = ready_course(authorisation_required=True)
    last_dose = authorise(course, first=today, last=today + timedelta(days=200), doses=2)
    last_dose.number = "ONE-LEFT"
    last_dose.save()
    session_book(
        dose=course.doses.get(sequence=1), chair=chairs[0], start=at(MONDAY, "09:00"), now=NOW
    )
    assert [a.number for a in needing_attention(today)] == ["SOON", "ONE-LEFT"]
    assert soon in needing_attention(today)


def test_the_day_board_marks_a_session_no_authorisation_covers():
    chairs = clinic_week(chairs=2)
    covered = ready_course(authorisation_required=True)
    authorise(covered)
    bare = ready_course(authorisation_required=True)
    session_book(
        dose=covered.doses.get(sequence=1), chair=chairs[0], start=at(MONDAY, "09:00"), now=NOW
    )
    authorise(bare, first=MONDAY, last=MONDAY)
    booked_bare = session_book(
        dose=bare.doses.get(sequence=1), chair=chairs[1], start=at(MONDAY, "09:00"), now=NOW
    )
    Authorisation.objects.filter(course=bare).update(status=Authorisation.Status.DENIED)
    board = board_build(MONDAY)
    marks = {b.session.pk: b.no_authorisation for row in board.rows for b in row.blocks}
    assert marks[booked_bare.pk] is True
    assert list(marks.values()).count(True) == 1


def test_approved_authorisations_past_their_end_date_are_marked_expired():
    course = ready_course()
    old = authorise(course, first=date(2026, 1, 1), last=date(2026, 12, 31))
    assert authorisations_expire(date(2027, 1, 1)) == 1
    old.refresh_from_db()
    assert old.status == Authorisation.Status.EXPIRED


def test_the_course_touch_date_that_seating_checks_follows_the_touch_records():
    course = ready_course("natalizumab")
    course.safety_authorised_until = date(2027, 1, 10)  # entered by hand before any record
    course.save()
    touch_sync(course)
    assert course.safety_authorised_until == date(2027, 1, 10)  # no TOUCH record: kept
    first = authorise(course, kind=Authorisation.Kind.TOUCH, number="T-1", last=date(2027, 3, 1))
    authorise(course, number="PA-1", last=date(2027, 12, 31))  # the payer's: not TOUCH
    touch_sync(course)
    course.refresh_from_db()
    assert course.safety_authorised_until == date(2027, 3, 1)
    assert not course.safety_lapsed(date(2027, 3, 1))
    assert course.safety_lapsed(date(2027, 3, 2))
    # The prescriber re-authorises; then the first one passes its end date and expires.
    authorise(
        course,
        kind=Authorisation.Kind.TOUCH,
        number="T-2",
        first=date(2027, 2, 20),
        last=date(2027, 8, 20),
    )
    touch_sync(course)
    assert authorisations_expire(date(2027, 3, 5)) == 1
    course.refresh_from_db()
    assert course.safety_authorised_until == date(2027, 8, 20)
    first.refresh_from_db()
    assert first.status == Authorisation.Status.EXPIRED
    # Only pending ones left: the course has no current TOUCH authorisation.
    Authorisation.objects.filter(kind=Authorisation.Kind.TOUCH).update(
        status=Authorisation.Status.PENDING
    )
    touch_sync(course)
    assert course.safety_authorised_until is None
    assert course.safety_lapsed(date(2027, 3, 5))


def test_saving_a_touch_record_in_the_staff_site_updates_the_course(coordinator):
    course = ready_course("natalizumab")
    client = Client()
    client.force_login(coordinator)
    response = client.post(
        "/admin/scheduling/authorisation/add/",
        {
            "course": course.pk,
            "kind": Authorisation.Kind.TOUCH,
            "payer": "TOUCH programme",
            "number": "TOUCH-77",
            "valid_from": "2027-01-01",
            "valid_to": "2027-06-30",
            "status": Authorisation.Status.APPROVED,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    course.refresh_from_db()
    assert course.safety_authorised_until == date(2027, 6, 30)


def test_an_approval_letter_is_private_checked_and_access_logged(coordinator, scheduler):
    course = ready_course()
    client = Client()
    client.force_login(coordinator)
    response = client.post(
        "/admin/scheduling/authorisation/add/",
        {
            "course": course.pk,
            "kind": "payer",
            "payer": "Example Health Plan",
            "number": "PA-777",
            "valid_from": "2027-01-01",
            "valid_to": "2027-06-30",
            "status": "approved",
            "document": SimpleUploadedFile("letter.pdf", PDF_BYTES, "application/pdf"),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    auth = Authorisation.objects.get(number="PA-777")
    assert auth.document_type == "application/pdf"
    assert auth.history.latest().history_user == coordinator
    download = client.get(f"/admin/scheduling/authorisation/{auth.pk}/letter/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert AccessLog.objects.filter(action="download").exists()
    client.force_login(scheduler)
    assert client.get(f"/admin/scheduling/authorisation/{auth.pk}/letter/").status_code == 403
    assert client.get(f"/admin/scheduling/authorisation/{auth.pk}/change/").status_code == 200
    fake = SimpleUploadedFile("letter.pdf", b"not a pdf at all", "application/pdf")
    client.force_login(coordinator)
    refused = client.post(
        f"/admin/scheduling/authorisation/{auth.pk}/change/",
        {
            "course": course.pk,
            "kind": "payer",
            "payer": "x",
            "number": "PA-777",
            "valid_from": "2027-01-01",
            "valid_to": "2027-06-30",
            "status": "approved",
            "document": fake,
        },
    )
    assert refused.status_code == 200
    assert "document" in refused.context["adminform"].form.errors
