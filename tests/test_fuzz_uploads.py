"""Fuzz the document upload: bytes that claim to be a PDF, PNG or JPEG and mostly aren't.

Random bytes behind valid magic prefixes, real documents with bytes flipped, cut or inserted,
and PDFs assembled from random objects (some with scripts or launch actions hidden in them).
Every example: the check answers "accepted" or a ValidationError, never anything else; the
form never answers 500; a refused upload leaves no row and no file; a PDF with a script or
launch action reachable from its catalog is never accepted.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import event, given, settings
from hypothesis import strategies as st

from intake.forms import check_document
from intake.models import ReferralDocument
from tests import documents
from tests.factories import JPEG_BYTES, PDF_BYTES, PNG_BYTES, referral_form_data
from tests.fuzz_strategies import changed, fuzz_examples, row_counts

MAGIC = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
}
REAL = [
    PDF_BYTES,
    PNG_BYTES,
    JPEG_BYTES,
    documents.pdf(),
    documents.PDF_OPEN_ACTION_JS,
    documents.PDF_NAMES_TREE_JS,
    documents.PDF_LAUNCH_ACTION,
    documents.png_bomb(9_000, 9_000),
]

magic_prefixed = st.builds(
    lambda magic, rest: magic + rest,
    st.sampled_from(list(MAGIC.values())),
    st.binary(max_size=3000),
)


@st.composite
def mutated_real(draw: st.DrawFn) -> bytes:
    """Return a real document with a few bytes flipped, cut, inserted or repeated."""
    data = bytearray(draw(st.sampled_from(REAL)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["flip", "cut", "insert", "repeat", "truncate"]))
        if kind == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 256))] * draw(st.integers(1, 8))
        elif kind == "truncate":
            del data[max(at, 8) :]
    return bytes(data)


_names = st.sampled_from(
    [b"/Type", b"/Font", b"/Length", b"/Kids", b"/Annots", b"/A", b"/AA", b"/URI", b"/Next",
     b"/F", b"/D", b"/Subtype", b"/Link", b"/Foo#20Bar", b"/#41"]
)  # fmt: skip
_active = st.sampled_from(
    [
        b"/JS (app.alert(1))",
        b"/JavaScript 4 0 R",
        b"/S /JavaScript",
        b"/S /Launch /F (calc.exe)",
        b"/J#53 (x)",
        b"/S /Jav#61Script",
        b"/S /L#61unch",
    ]
)
_scalar = st.one_of(
    st.integers(-(2**40), 2**40).map(lambda n: str(n).encode()),
    st.sampled_from([b"true", b"null", b"(text)", b"<4142>", b"3.14", b"/Name", b"()"]),
    st.integers(1, 12).map(lambda n: b"%d 0 R" % n),  # some dangling, some cycles
)


def _value(depth: int) -> st.SearchStrategy[bytes]:
    if depth <= 0:
        return _scalar
    inner = _value(depth - 1)
    return st.one_of(
        _scalar,
        st.lists(inner, max_size=4).map(lambda items: b"[" + b" ".join(items) + b"]"),
        st.lists(st.tuples(_names, inner), max_size=4).map(
            lambda pairs: b"<< " + b" ".join(k + b" " + v for k, v in pairs) + b" >>"
        ),
    )


@st.composite
def random_pdf(draw: st.DrawFn) -> tuple[bytes, bool]:
    """Return a PDF of random extra objects, and whether a script is reachable from its root."""
    objects = draw(st.lists(_value(3), min_size=1, max_size=6))
    active = draw(st.booleans())
    if active:
        # Hide an active entry in one object and make it reachable from the catalog.
        spot = draw(st.integers(0, len(objects) - 1))
        objects[spot] = b"<< " + draw(_active) + b" /Next " + objects[spot] + b" >>"
        catalog_extra = b"/OpenAction %d 0 R" % (spot + 4)
    else:
        catalog_extra = draw(st.sampled_from([b"", b"/Outlines 4 0 R", b"/Names << >>"]))
    return documents.pdf(*objects, catalog_extra=catalog_extra), active


def _check(body: bytes, name: str = "upload.bin") -> tuple[str, str] | None:
    """Return the accepted (type, digest), or None when refused; anything else fails."""
    try:
        return check_document(SimpleUploadedFile(name, body))
    except ValidationError as refusal:
        assert refusal.messages and all(m.strip() for m in refusal.messages)
        return None


@settings(max_examples=fuzz_examples(2.0))
@given(body=st.one_of(magic_prefixed, mutated_real()))
def test_any_bytes_behind_a_valid_magic_prefix_are_accepted_or_refused_cleanly(body):
    accepted = _check(body)
    event("accepted" if accepted else "refused")
    if accepted is not None:
        content_type, _digest = accepted
        assert body.startswith(MAGIC[content_type])


@settings(max_examples=fuzz_examples(1.0))
@given(sample=random_pdf())
def test_a_pdf_with_a_reachable_script_or_launch_action_is_never_accepted(sample):
    body, active = sample
    accepted = _check(body, "random.pdf")
    event(f"active={active} accepted={accepted is not None}")
    if active:
        assert accepted is None


def test_the_fuzz_inputs_include_accepted_and_refused_documents():
    assert _check(PDF_BYTES) is not None
    assert _check(documents.pdf(b"<< /Type /Font >>", catalog_extra=b"/Outlines 4 0 R"))
    assert _check(documents.PDF_OPEN_ACTION_JS) is None
    assert _check(documents.png_bomb(9_000, 9_000)) is None


DOCUMENT_FIELDS = ["documents_order", "documents_labs", "documents_insurance"]
REFERRAL_TABLES = {
    "intake_referral",
    "intake_historicalreferral",
    "intake_referraldocument",
    "intake_historicalreferraldocument",
    "django_session",
    "clinic_notice",  # the two emails, in the outbox
}


def _stored_files() -> set[Path]:
    root = Path(django_settings.PRIVATE_MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.mark.django_db
@settings(max_examples=fuzz_examples(0.5))
@given(
    uploads=st.lists(
        st.tuples(
            st.sampled_from(DOCUMENT_FIELDS),
            st.one_of(magic_prefixed, mutated_real(), random_pdf().map(lambda s: s[0])),
            st.sampled_from(["scan.pdf", "card.png", "photo.jpg", "x"]),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_fuzzed_uploads_through_the_referral_form_never_fail_and_refusals_leave_nothing(
    client, uploads
):
    cache.clear()
    post = referral_form_data(submission_key=str(uuid.uuid4()))
    for field, body, name in uploads:
        post.setdefault(field, []).append(SimpleUploadedFile(name, body))
    files_before = _stored_files()
    before = row_counts()
    response = client.post("/refer/", post)
    assert response.status_code in (200, 302), response.status_code
    delta = changed(before, row_counts())
    event(f"status {response.status_code}")
    if response.status_code == 302:
        assert set(delta) <= REFERRAL_TABLES, delta
        assert delta.get("intake_referraldocument") == len(uploads)
        for document in ReferralDocument.objects.order_by("-pk")[: len(uploads)]:
            # What was kept passes the check again, byte for byte as sent.
            stored = Path(document.file.path).read_bytes()
            assert _check(stored) is not None
    else:
        assert delta == {}, delta
        assert _stored_files() == files_before
