"""Hostile and honest documents for the upload tests, built byte by byte (fake content only)."""

from __future__ import annotations

import struct
import zlib
from functools import cache
from io import BytesIO

from pypdf import PdfWriter

PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] >>"


def pdf(*objects: bytes, catalog_extra: bytes = b"") -> bytes:
    """Return a well-formed PDF: a catalog (1), one page tree (2) and page (3), then `objects`.

    Extra objects are numbered from 4; `catalog_extra` is added to the catalog dictionary.
    """
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        PAGE,
        *objects,
    ]
    out = BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(bodies) + 1, xref)
    )
    return out.getvalue()


# Each of these runs something when opened in a PDF viewer.
PDF_OPEN_ACTION_JS = pdf(
    b"<< /Type /Action /S /JavaScript /JS (app.alert('zq7x')) >>",
    catalog_extra=b"/OpenAction 4 0 R",
)
PDF_NAMES_TREE_JS = pdf(
    b"<< /JavaScript 5 0 R >>",
    b"<< /Names [(x) 6 0 R] >>",
    b"<< /S /JavaScript /JS 7 0 R >>",
    b"<< /Length 16 >>\nstream\napp.alert('x');\nendstream",
    catalog_extra=b"/Names 4 0 R",
)
PDF_LAUNCH_ACTION = pdf(
    b"<< /Type /Annot /Subtype /Link /Rect [0 0 72 72] /A << /S /Launch /F (cmd.exe) >> >>",
    catalog_extra=b"/AA << /WC 4 0 R >>",
)
# "/J#53" is how a PDF may spell "/JS".
PDF_ESCAPED_JS_NAME = pdf(
    b"<< /S /Jav#61Script /J#53 (app.alert(1)) >>",
    catalog_extra=b"/OpenAction 4 0 R",
)
PDF_NOT_A_PDF = b"%PDF-1.7\n<html><body><script>alert('zq7x')</script></body></html>\n"
PDF_NO_PAGES = (
    b"%PDF-1.4\n1 0 obj<< /Type /Catalog /Pages 2 0 R >>endobj\n"
    b"2 0 obj<< /Type /Pages /Kids [] /Count 0 >>endobj\n"
    b"trailer<< /Root 1 0 R >>\n%%EOF\n"
)


@cache
def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    # An empty user password: it opens without asking, and is still encrypted.
    writer.encrypt(user_password="", owner_password="owner-secret", algorithm="RC4-128")
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@cache
def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """Return a PNG that declares width x height 1-bit pixels, all zero: tiny on disk."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    deflate = zlib.compressobj(9)
    rows_per_chunk = max(1, (1 << 20) // len(row))
    parts = []
    for start in range(0, height, rows_per_chunk):
        parts.append(deflate.compress(row * min(rows_per_chunk, height - start)))
    parts.append(deflate.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )
