"""Fuzz the public referral form: hostile fields, hostile files, broken bodies.

Every example: no server error, no row written unless the referral was accepted (then only
the referral's own rows), and no posted markup comes back unescaped.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.models import Referral, ReferralDocument
from intake.validators import sniff_content_type
from tests.factories import PDF_BYTES, referral_form_data
from tests.fuzz_strategies import (
    HOSTILE,
    MARKUP,
    assert_not_reflected,
    changed,
    fuzz_examples,
    hostile_text,
    mutated_post,
    row_counts,
)

pytestmark = pytest.mark.django_db

URL = "/refer/"
DONE = "/refer/thanks/"
REFERRAL_TABLES = {
    "intake_referral",
    "intake_historicalreferral",
    "intake_referraldocument",
    "intake_historicalreferraldocument",
    "django_session",  # the thank-you page reads the reference from the session
    "clinic_notice",  # the two emails, in the outbox
}
DOCUMENT_FIELDS = [
    "documents_order",
    "documents_notes",
    "documents_labs",
    "documents_mri",
    "documents_insurance",
]


def fresh_base() -> dict:
    return referral_form_data(submission_key=str(uuid.uuid4()))


def check_outcome(response, before: dict, data: dict) -> None:
    """Accepted: only the referral's rows are new. Refused: nothing written, nothing reflected."""
    assert response.status_code in (200, 302, 400), response.status_code
    delta = changed(before, row_counts())
    if response.status_code == 302:
        assert response["Location"] == DONE
        assert set(delta) <= REFERRAL_TABLES, delta
    else:
        assert delta == {}, delta
        assert_not_reflected(response.content.decode("utf-8", "replace"), data)


@settings(max_examples=fuzz_examples(1.0))
@given(st.data())
def test_hostile_referral_posts_never_fail_and_refused_ones_write_nothing(client, data):
    cache.clear()
    post = data.draw(mutated_post(fresh_base()))
    before = row_counts()
    response = client.post(URL, post)
    check_outcome(response, before, post)


@settings(max_examples=fuzz_examples(0.2))
@given(st.data())
def test_a_post_missing_any_set_of_fields_is_refused_cleanly(client, data):
    cache.clear()
    base = fresh_base()
    keep = data.draw(st.sets(st.sampled_from(sorted(base)), max_size=len(base) - 1))
    post = {k: v for k, v in base.items() if k in keep}
    before = row_counts()
    response = client.post(URL, post)
    check_outcome(response, before, post)
    # Some optional fields may be dropped and still be valid; the required ones never.
    if {"given_name", "date_of_birth", "provider_npi", "therapy"} - keep:
        assert response.status_code in (200, 400)


_magic = st.sampled_from(
    [b"%PDF-", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"MZ\x90\x00", b"GIF89a", b"<html>", b""]
)
_file_body = st.one_of(
    st.binary(max_size=600),
    st.builds(lambda magic, rest: magic + rest, _magic, st.binary(max_size=300)),
    st.just(PDF_BYTES),
)
_file_name = st.one_of(
    st.sampled_from(
        [
            "../../../etc/evil.pdf",
            "..\\..\\evil.pdf",
            "a.pdf.exe",
            "x" * 300 + ".pdf",
            f"{MARKUP[0]}.pdf",
            "order.pdf",
            ".pdf",
            "con.pdf",
        ]
    ),
    hostile_text.filter(
        lambda s: s.strip() and "\x00" not in s and "\r" not in s and "\n" not in s
    ),
)
_file_type = st.sampled_from(
    ["application/pdf", "image/png", "application/x-msdownload", "text/html", "", "x/y"]
)


@settings(max_examples=fuzz_examples(0.4))
@given(st.data())
def test_hostile_documents_are_refused_or_stored_privately(client, data):
    cache.clear()
    post = data.draw(mutated_post(fresh_base(), max_changes=2))
    uploads = data.draw(
        st.lists(
            st.tuples(st.sampled_from(DOCUMENT_FIELDS), _file_name, _file_body, _file_type),
            max_size=4,
        )
    )
    for field, name, body, content_type in uploads:
        try:
            upload = SimpleUploadedFile(name[:400], body, content_type=content_type)
        except SuspiciousFileOperation:
            # The test client itself refuses such names; raw bodies cover them below.
            continue
        post.setdefault(field, [])
        if isinstance(post[field], list):
            post[field].append(upload)
    before_docs = set(ReferralDocument.objects.values_list("pk", flat=True))
    before = row_counts()
    response = client.post(URL, post)
    check_outcome(response, before, post)
    private_root = Path(django_settings.PRIVATE_MEDIA_ROOT).resolve()
    for document in ReferralDocument.objects.exclude(pk__in=before_docs):
        stored = Path(document.file.path).resolve()
        assert stored.is_relative_to(private_root)
        # Only real PDF, PNG or JPEG content is ever kept.
        assert sniff_content_type(stored.read_bytes()[:16]) == document.content_type


_content_types = st.sampled_from(
    [
        MULTIPART_CONTENT,
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=" + "b" * 300,
        "multipart/form-data; boundary=other",
        "multipart/mixed; boundary=BoUnDaRyStRiNg",
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=nonsense",
        "application/json",
        "text/plain",
        "application/octet-stream",
    ]
)


@st.composite
def broken_body(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(st.binary(max_size=3000))
    valid = encode_multipart(BOUNDARY, referral_form_data(submission_key=str(uuid.uuid4())))
    if kind == 1:
        return valid[: draw(st.integers(0, len(valid)))]
    if kind == 2:
        position = draw(st.integers(0, len(valid) - 1))
        return valid[:position] + draw(st.binary(min_size=1, max_size=50)) + valid[position:]
    if kind == 3:
        return valid.replace(
            b"Content-Disposition",
            draw(st.sampled_from([b"", b"Content-Disposition: form-data; name=", b"X" * 5000])),
        )
    pairs = draw(st.lists(st.tuples(hostile_text, hostile_text), max_size=20))
    return "&".join(f"{k}={v}" for k, v in pairs).encode("utf-8", "surrogatepass") + draw(
        st.sampled_from([b"", b"%ZZ", b"&&&==", b"%", b"=" * 100])
    )


@settings(max_examples=fuzz_examples(0.6))
@given(body=broken_body(), content_type=_content_types)
def test_broken_request_bodies_get_a_clean_answer(client, body, content_type):
    cache.clear()
    before = row_counts()
    response = client.generic("POST", URL, body, content_type=content_type)
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code != 302:
        assert changed(before, row_counts()) == {}


@settings(max_examples=fuzz_examples(0.15))
@given(params=st.dictionaries(hostile_text, hostile_text, max_size=4))
def test_hostile_query_strings_on_public_pages_are_not_reflected(client, params):
    for url in (URL, "/", DONE):
        response = client.get(url, params)
        assert response.status_code in (200, 302, 400)
        assert_not_reflected(response.content.decode(), params)


@pytest.mark.parametrize(
    "filename",
    ["/", "..", "../../../etc/passwd.pdf", "a/../../b.pdf", "C:\\evil\\x.pdf", "", "\u202egnp.pdf"],
)
def test_raw_multipart_file_names_cannot_escape_private_storage(client, filename):
    body = encode_multipart(BOUNDARY, referral_form_data())
    part = (
        (
            f"--{BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="documents_order"; filename="{filename}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + PDF_BYTES
        + b"\r\n"
    )
    body = body.replace(f"--{BOUNDARY}--".encode(), part + f"--{BOUNDARY}--".encode())
    response = client.generic("POST", URL, body, content_type=MULTIPART_CONTENT)
    assert response.status_code in (200, 302)
    private_root = Path(django_settings.PRIVATE_MEDIA_ROOT).resolve()
    for document in ReferralDocument.objects.all():
        assert Path(document.file.path).resolve().is_relative_to(private_root)


def test_too_many_fields_are_refused_with_400(client):
    data = {f"f{i}": "x" for i in range(2_000)}
    assert client.post(URL, data).status_code == 400
    assert Referral.objects.count() == 0


def test_a_body_over_the_upload_limit_is_refused_with_400(client):
    data = referral_form_data(order_notes="A" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10))
    response = client.post(URL, data, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert Referral.objects.count() == 0


@pytest.mark.parametrize("payload", MARKUP + HOSTILE[len(MARKUP) : len(MARKUP) + 4])
def test_hostile_but_valid_text_is_stored_as_typed_and_shown_escaped_to_staff(
    client, coordinator, payload
):
    data = referral_form_data(
        order_notes=payload, allergies=payload, preferred_name=payload, no_known_drug_allergies=""
    )
    response = client.post(URL, data)
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.order_notes == payload
    client.force_login(coordinator)
    for url in (
        f"/admin/intake/referral/{referral.pk}/change/",
        "/admin/intake/referral/",
        f"/admin/intake/referral/{referral.pk}/history/",
    ):
        html = client.get(url).content.decode()
        if payload in MARKUP:
            assert payload not in html, url


def test_a_client_with_csrf_checks_gets_403_for_a_broken_body():
    response = Client(enforce_csrf_checks=True).generic(
        "POST", URL, b"--x\r\nbroken", content_type=MULTIPART_CONTENT
    )
    assert response.status_code in (400, 403)
