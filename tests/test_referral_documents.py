"""Documents are checked by content, stored privately, and served only to permitted staff.

Content means decoded on the server (intake/uploads.py): images with a pixel limit, PDFs
parsed and refused when broken, encrypted, or carrying scripts or launch actions.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clinic.models import AccessLog
from intake.models import Referral, ReferralDocument
from tests import documents
from tests.factories import JPEG_BYTES, PDF_BYTES, PNG_BYTES, referral_form_data

pytestmark = pytest.mark.django_db

EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200


def _submit(client, **files):
    return client.post("/refer/", {**referral_form_data(), **files})


def _stored_files(settings) -> list[Path]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_refused(client, settings, field: str, upload, message: str) -> None:
    """The form comes back with `message` next to the field; no row and no file is left."""
    response = _submit(client, **{field: upload})
    assert response.status_code == 200
    errors = str(response.context["form"].errors[field])
    assert message in errors
    assert upload.name[:80] in errors  # which file, by the name the sender knows
    html = response.content.decode()
    assert f'id="id_{field}"' in html and message in html
    assert Referral.objects.count() == 0
    assert ReferralDocument.objects.count() == 0
    assert _stored_files(settings) == []


def test_a_png_decompression_bomb_is_refused_before_decoding(client, settings):
    bomb = SimpleUploadedFile("card.png", documents.png_bomb(30_000, 30_000), "image/png")
    assert bomb.size < 1_000_000
    assert_refused(client, settings, "documents_insurance", bomb, "has too many pixels")


def test_an_image_over_the_clinic_pixel_limit_but_under_pillows_is_refused(client, settings):
    big = SimpleUploadedFile("scan.png", documents.png_bomb(8_000, 8_000), "image/png")
    assert_refused(client, settings, "documents_labs", big, "more than 50 million")


def test_a_pdf_header_followed_by_html_and_script_is_refused(client, settings):
    fake = SimpleUploadedFile("order.pdf", documents.PDF_NOT_A_PDF, "application/pdf")
    assert_refused(client, settings, "documents_order", fake, "could not be read as a PDF")


def test_a_pdf_without_pages_is_refused(client, settings):
    empty = SimpleUploadedFile("order.pdf", documents.PDF_NO_PAGES, "application/pdf")
    assert_refused(client, settings, "documents_order", empty, "could not be read as a PDF")


@pytest.mark.parametrize(
    "body",
    [
        documents.PDF_OPEN_ACTION_JS,
        documents.PDF_NAMES_TREE_JS,
        documents.PDF_LAUNCH_ACTION,
        documents.PDF_ESCAPED_JS_NAME,
    ],
    ids=["open-action-js", "names-tree-js", "launch-action", "escaped-js-name"],
)
def test_a_pdf_with_javascript_or_a_launch_action_is_refused(client, settings, body):
    active = SimpleUploadedFile("notes.pdf", body, "application/pdf")
    assert_refused(client, settings, "documents_notes", active, "contains scripts or actions")


def test_an_encrypted_pdf_is_refused(client, settings):
    locked = SimpleUploadedFile("labs.pdf", documents.encrypted_pdf(), "application/pdf")
    assert_refused(client, settings, "documents_labs", locked, "protected by a password")


def test_a_truncated_jpeg_is_refused(client, settings):
    cut = SimpleUploadedFile("card.jpg", JPEG_BYTES[: len(JPEG_BYTES) // 2], "image/jpeg")
    assert_refused(client, settings, "documents_insurance", cut, "could not be read as an image")


def test_a_png_with_a_broken_checksum_is_refused(client, settings):
    broken = bytearray(PNG_BYTES)
    broken[29] ^= 0xFF  # inside the IHDR checksum
    upload = SimpleUploadedFile("card.png", bytes(broken), "image/png")
    assert_refused(client, settings, "documents_insurance", upload, "could not be read")


def test_a_refused_file_leaves_the_good_ones_unsaved_and_the_form_filled_in(client, settings):
    response = _submit(
        client,
        documents_order=SimpleUploadedFile("order.pdf", PDF_BYTES, "application/pdf"),
        documents_notes=SimpleUploadedFile("notes.pdf", documents.PDF_OPEN_ACTION_JS),
    )
    assert response.status_code == 200
    assert response.context["form"]["given_name"].value() == referral_form_data()["given_name"]
    assert ReferralDocument.objects.count() == 0
    assert _stored_files(settings) == []


@pytest.mark.parametrize(
    ("name", "body", "content_type"),
    [
        ("order.pdf", PDF_BYTES, "application/pdf"),
        ("hand-built.pdf", documents.pdf(), "application/pdf"),
        ("card.jpg", JPEG_BYTES, "image/jpeg"),
        ("card.png", PNG_BYTES, "image/png"),
    ],
)
def test_a_real_small_pdf_jpeg_and_png_are_accepted(client, settings, name, body, content_type):
    response = _submit(client, documents_order=SimpleUploadedFile(name, body, content_type))
    assert response.status_code == 302
    document = ReferralDocument.objects.get()
    assert document.content_type == content_type
    assert document.file.read() == body


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
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    log = AccessLog.objects.get()
    assert (log.user, log.action, log.object_id) == (nurse, "download", str(document.pk))


@pytest.mark.parametrize("query", ["", "?inline=1", "?inline=true&download=0"])
def test_documents_are_never_rendered_inline_to_staff(client, nurse, document, query):
    client.force_login(nurse)
    response = client.get(f"/staff/documents/{document.pk}/{query}")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_upload_refusals_are_explained_in_spanish(settings):
    from tests.test_i18n_untranslated import english_left_in, spanish_client, visible_text

    response = spanish_client().post(
        "/refer/",
        {
            **referral_form_data(preferred_language="es"),
            "documents_order": SimpleUploadedFile("orden.pdf", documents.PDF_OPEN_ACTION_JS),
            "documents_labs": SimpleUploadedFile("lab.pdf", documents.encrypted_pdf()),
            "documents_insurance": SimpleUploadedFile("tarjeta.png", documents.png_bomb()),
        },
    )
    text = visible_text(response.content.decode())
    assert "orden.pdf contiene scripts" in text
    assert "lab.pdf está protegido con contraseña" in text
    assert "tarjeta.png tiene demasiados píxeles" in text
    assert english_left_in(text) == []
