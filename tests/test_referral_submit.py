"""A referral sent from the public page is saved with its files, then confirmed by email."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from clinic.models import Notice
from intake.models import Referral, ReferralDocument
from tests.factories import PDF_BYTES, PNG_BYTES, referral_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST the referral form and run what waits for the commit (the emails)."""

    def _post(data, files=None):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/refer/", {**data, **(files or {})})

    return _post


def test_it_saves_a_valid_referral_with_two_files(client, post):
    files = {
        "documents_order": SimpleUploadedFile("order.pdf", PDF_BYTES, "application/pdf"),
        "documents_insurance": SimpleUploadedFile("card.png", PNG_BYTES, "image/png"),
    }
    response = post(referral_form_data(), files)

    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.status == "received"
    assert referral.diagnosis_code == "G35.A"
    docs = {d.kind: d for d in ReferralDocument.objects.filter(referral=referral)}
    assert set(docs) == {"order", "insurance_card"}
    assert docs["order"].content_type == "application/pdf"
    assert docs["order"].file.read() == PDF_BYTES
    assert docs["insurance_card"].size == len(PNG_BYTES)


def test_it_shows_the_reference_on_the_confirmation_page(client, post):
    response = post(referral_form_data())
    page = client.get(response["Location"])
    reference = Referral.objects.get().reference
    assert reference.encode() in page.content
    assert b"Referral received" in page.content


def test_the_reference_is_short_and_unambiguous(client, post):
    post(referral_form_data())
    reference = Referral.objects.get().reference
    assert len(reference) == 11
    assert not set(reference) & set("01IOilo")


def test_it_emails_the_submitter_the_reference_only_and_notifies_intake(client, post, settings):
    post(referral_form_data(diagnosis_code="G35.B1"))
    referral = Referral.objects.get()
    to_submitter = [m for m in mail.outbox if m.to == ["office@example.test"]]
    to_intake = [m for m in mail.outbox if m.to == [settings.INTAKE_EMAIL]]
    assert len(to_submitter) == 1 and len(to_intake) == 1
    for message in mail.outbox:
        text = message.subject + message.body
        assert "G35" not in text
        assert "crelizumab" not in text
        assert "Demopatient" not in text
    assert referral.reference in to_submitter[0].body
    assert f"/admin/intake/referral/{referral.pk}/change/" in to_intake[0].body


def test_a_failing_mail_server_still_saves_the_referral_and_confirms(client, post, caplog):
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("SMTP down")):
        response = post(referral_form_data())
    assert response.status_code == 302
    assert Referral.objects.count() == 1
    assert client.get(response["Location"]).status_code == 200
    # Both emails wait in the outbox for their next try.
    notices = Notice.objects.filter(kind__startswith="referral_")
    assert notices.count() == 2
    for notice in notices:
        assert (notice.status, notice.attempts) == ("queued", 1)
        assert notice.last_error == "OSError: could not connect"
    assert "will retry" in caplog.text


def test_a_resubmitted_page_does_not_create_a_second_referral(client, post):
    data = referral_form_data()
    first = post(data)
    second = post(data)
    assert Referral.objects.count() == 1
    assert first["Location"] == second["Location"]
    assert len([m for m in mail.outbox if m.to == ["office@example.test"]]) == 1


def test_the_confirmation_page_needs_a_submission_in_this_session(client):
    response = client.get("/refer/thanks/")
    assert response.status_code == 302
    assert response["Location"] == "/refer/"


def test_the_form_page_carries_a_fresh_submission_key(client):
    first = client.get("/refer/").context["form"].initial["submission_key"]
    second = client.get("/refer/").context["form"].initial["submission_key"]
    assert first != second
