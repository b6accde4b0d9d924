"""What an uploaded referral document really is: decoded on the server, not taken on trust.

The first bytes say which type a file claims to be (`validators.sniff_content_type`); this
module checks that it is one, in full, before anything is stored:

- PNG and JPEG are opened with Pillow, only as the claimed format. More pixels than
  `DOCUMENT_MAX_PIXELS` (or Pillow's own `Image.MAX_IMAGE_PIXELS`, if lower) is refused from
  the header, before decoding, so a decompression bomb never expands; Pillow's own bomb
  guard (`DecompressionBombWarning` turned into an error, `DecompressionBombError`) backs it
  up. Then `verify()` checks the structure (PNG chunk checksums) and a full `load()`
  decodes every pixel, which refuses truncated or corrupt data.
- PDFs are parsed with pypdf and refused when they do not parse, have no pages, are
  encrypted, or anywhere in the object graph reachable from the trailer carry JavaScript
  (`/JS`, a `/JavaScript` names tree, an action of type `/JavaScript`, e.g. an
  `/OpenAction`) or a `/Launch` action. Stream contents are not decoded except where pypdf
  must (object streams), under pypdf's own decompression limits.

Every refusal is a `ValidationError` with a message for the person sending the file; any
other failure of the parsers on hostile bytes is one of those refusals, never a 500.
"""

from __future__ import annotations

import warnings
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

_PILLOW_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}
# Names whose presence means the PDF can run code or start programs in a viewer.
_ACTIVE_KEYS = {"/JS", "/JavaScript"}
_ACTIVE_ACTIONS = {"/JavaScript", "/Launch"}
# Dictionaries and arrays walked in one PDF at most: a real 10 MB document has far fewer.
_MAX_PDF_CONTAINERS = 250_000


class _Refused(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def validate_document_content(upload: IO[bytes], content_type: str, *, name: str) -> None:
    """Raise ValidationError unless `upload` is a sound, passive document of `content_type`."""
    upload.seek(0)
    try:
        if content_type == "application/pdf":
            _check_pdf(upload, name)
        else:
            _check_image(upload, content_type, name)
    except _Refused as refused:
        raise ValidationError(refused.message, code=refused.code) from None
    finally:
        upload.seek(0)


def max_pixels() -> int:
    return min(settings.DOCUMENT_MAX_PIXELS, Image.MAX_IMAGE_PIXELS or settings.DOCUMENT_MAX_PIXELS)


def _check_image(upload: IO[bytes], content_type: str, name: str) -> None:
    formats = [_PILLOW_FORMATS[content_type]]
    too_big = _Refused(
        _(
            "%(name)s has too many pixels (more than %(limit)d million). Please send a "
            "smaller photo or scan."
        )
        % {"name": name, "limit": max_pixels() // 1_000_000},
        "too_many_pixels",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload, formats=formats) as image:
                width, height = image.size
                if width * height > max_pixels():
                    raise too_big
                image.verify()
            upload.seek(0)
            with Image.open(upload, formats=formats) as image:
                image.load()
    except _Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_big from None
    except Exception:
        # Pillow raises many types on hostile bytes (OSError, SyntaxError, ValueError, ...).
        raise _Refused(
            _(
                "%(name)s could not be read as an image. It may be damaged: please save or "
                "scan it again."
            )
            % {"name": name},
            "bad_image",
        ) from None


def _check_pdf(upload: IO[bytes], name: str) -> None:
    unreadable = _Refused(
        _("%(name)s could not be read as a PDF. It may be damaged: please save or scan it again.")
        % {"name": name},
        "bad_pdf",
    )
    try:
        reader = PdfReader(upload, strict=False)
        if reader.is_encrypted:
            raise _Refused(
                _("%(name)s is protected by a password. Please send it without one.")
                % {"name": name},
                "encrypted_pdf",
            )
        if len(reader.pages) < 1:
            raise unreadable
        active = _has_active_content(reader)
    except _Refused:
        raise
    except _TooComplex:
        raise _Refused(
            _("%(name)s is too complex for us to check. Please print it to a new PDF or scan it.")
            % {"name": name},
            "complex_pdf",
        ) from None
    except Exception:
        # pypdf raises many types on hostile bytes (PdfReadError, KeyError, RecursionError...).
        raise unreadable from None
    if active:
        raise _Refused(
            _(
                "%(name)s contains scripts or actions that could run on our computers. Please "
                "print it to a new PDF or scan it, and send that."
            )
            % {"name": name},
            "active_pdf",
        )


class _TooComplex(Exception):
    pass


def _has_active_content(reader: PdfReader) -> bool:
    """Return True if any object reachable from the trailer can run code or launch a program."""
    seen: set[tuple[int, int]] = set()
    stack: list[object] = [reader.trailer]
    containers = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            ref = (item.idnum, item.generation)
            if ref in seen:
                continue
            seen.add(ref)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            containers += 1
            # dict.items: the stored values, with references left unresolved for the walk.
            for key, value in dict.items(item):
                if key in _ACTIVE_KEYS:
                    return True
                if key == "/S":
                    action = value.get_object() if isinstance(value, IndirectObject) else value
                    if action in _ACTIVE_ACTIONS:
                        return True
                if isinstance(value, IndirectObject | DictionaryObject | ArrayObject):
                    stack.append(value)
        elif isinstance(item, ArrayObject):
            containers += 1
            stack.extend(
                value
                for value in list.__iter__(item)
                if isinstance(value, IndirectObject | DictionaryObject | ArrayObject)
            )
        if containers > _MAX_PDF_CONTAINERS:
            raise _TooComplex
    return False
