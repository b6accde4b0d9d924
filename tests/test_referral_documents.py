"""Documents are checked by content, stored privately, and served only to permitted staff."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clinic.models import AccessLog
from intake.models import Referral, ReferralDocument
from tests.factories import JPEG_BYTES, PDF_BYTES, referral_form_data

pytestmark = pytest.mark.django_db

EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200


def _submit(client, **files):
    return client.post("/refer/", {**referral_form_data(), **files})


def test_an_executable_renamed_pdf_is_refused(client):
    fake = SimpleUploadedFile("order.pdf", EXE_BYTES, "application/pdf")
    response = _submit(client, documents_order=fake)
    assert response.status_code == 200
    assert "is not a PDF, PNG or JPEG" in str(response.context["form"].errors["documents_order"])
    assert Referral.objects.count() == 0
    assert ReferralDocument.objects.count() == 0


def test_a_file_over_10_mb_is_refused(client):
    big = SimpleUploadedFile("scan.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "application/pdf")
    response = _submit(client, documents_labs=big)
    assert "larger than 10 MB" in str(response.context["form"].errors["documents_labs"])
    assert Referral.objects.count() == 0


def test_more_than_ten_files_are_refused(client):
    files = [SimpleUploadedFile(f"f{i}.pdf", PDF_BYTES, "application/pdf") for i in range(11)]
    response = _submit(client, documents_notes=files)
    assert "at most 10 files" in str(response.context["form"].non_field_errors())
    assert Referral.objects.count() == 0


def test_a_jpeg_named_png_is_stored_as_what_it_is(client):
    jpeg = SimpleUploadedFile("photo.png", JPEG_BYTES, "image/png")
    _submit(client, documents_insurance=jpeg)
    assert ReferralDocument.objects.get().content_type == "image/jpeg"


def test_stored_files_are_outside_every_public_url(client, settings):
    _submit(client, documents_order=SimpleUploadedFile("o.pdf", PDF_BYTES, "application/pdf"))
    document = ReferralDocument.objects.get()
    path = document.file.path
    assert path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert path.endswith(".pdf") and "o.pdf" not in path
    with pytest.raises(ValueError):
        document.file.url  # noqa: B018 - private storage has no URL
    assert client.get("/media/" + document.file.name).status_code == 404
    assert client.get("/static/../private/" + document.file.name).status_code == 404


@pytest.fixture
def document(client):
    _submit(client, documents_order=SimpleUploadedFile("o.pdf", PDF_BYTES, "application/pdf"))
    return ReferralDocument.objects.get()


def test_an_outsider_is_refused_the_document(client, outsider, document):
    client.force_login(outsider)
    response = client.get(f"/staff/documents/{document.pk}/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert AccessLog.objects.count() == 0


def test_an_anonymous_visitor_is_sent_to_sign_in(client, document):
    response = client.get(f"/staff/documents/{document.pk}/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_staff_without_the_permission_are_refused(client, document, django_user_model):
    bare = django_user_model.objects.create_user("bare", is_staff=True)
    client.force_login(bare)
    assert client.get(f"/staff/documents/{document.pk}/").status_code == 403


def test_a_nurse_downloads_the_document_and_the_access_is_recorded(client, nurse, document):
    client.force_login(nurse)
    response = client.get(f"/staff/documents/{document.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert "Demopatient" not in response["Content-Disposition"]
    log = AccessLog.objects.get()
    assert (log.user, log.action, log.object_id) == (nurse, "download", str(document.pk))
