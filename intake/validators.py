"""Field rules for referrals: NPI, ICD-10-CM, phone numbers, uploaded documents."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# The clinic's accepted diagnosis codes: billable codes of one ICD-10-CM release, as data.
RELEASE = "icd10cm_fy2026"
CODES_DIR = Path(__file__).resolve().parent / "codes"
_ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")


@lru_cache(maxsize=4)
def code_list(release: str = RELEASE) -> dict[str, Any]:
    """Return a release's accepted codes: {"release", "valid_from", "codes": {code: text}}."""
    return json.loads((CODES_DIR / f"{release}.json").read_text(encoding="utf-8"))


def billable_codes(release: str = RELEASE) -> dict[str, str]:
    return code_list(release)["codes"]


def subcodes(header: str, release: str = RELEASE) -> list[str]:
    """Return the accepted billable codes under a header (G35.B -> G35.B0, G35.B1, G35.B2)."""
    bare = header.replace(".", "")
    return sorted(c for c in billable_codes(release) if c.replace(".", "").startswith(bare))


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def normalise_npi(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


def validate_npi(value: str) -> str:
    """Return the NPI if it is 10 digits with a valid check digit (Luhn over 80840 + NPI)."""
    npi = normalise_npi(value)
    if not npi.isascii() or not npi.isdigit() or len(npi) != 10:
        raise ValidationError(_("An NPI is exactly 10 digits."), code="npi_format")
    if not luhn_ok("80840" + npi):
        raise ValidationError(
            _("This NPI's check digit is wrong. Please check the number on the order."),
            code="npi_check",
        )
    return npi


def normalise_icd10(value: str) -> str:
    code = re.sub(r"\s", "", value or "").upper()
    if len(code) > 3 and "." not in code:
        code = f"{code[:3]}.{code[3:]}"
    return code


def validate_icd10(value: str) -> str:
    """Return the normalised code if it is a billable code of the clinic's current release.

    A header (a code the release subdivides: G35, G35.B, G36, G37.8) is refused with its
    billable subcodes named; any other code not on the list is refused as not accepted.
    """
    code = normalise_icd10(value)
    if not _ICD10.match(code):
        raise ValidationError(
            _("Enter an ICD-10-CM code such as G35.A or G36.0."), code="icd_format"
        )
    codes = billable_codes()
    if code in codes:
        return code
    release = code_list()["release"]
    under = subcodes(code)
    if under:
        raise ValidationError(
            _(
                "%(code)s is a heading, not a billable code. In ICD-10-CM %(release)s use one "
                "of: %(codes)s."
            )
            % {"code": code, "release": release, "codes": ", ".join(under)},
            code="icd_header",
        )
    raise ValidationError(
        _(
            "%(code)s is not a billable ICD-10-CM %(release)s code that this clinic accepts. "
            "Check the code on the order, for example G35.A (relapsing-remitting MS)."
        )
        % {"code": code, "release": release},
        code="icd_unknown",
    )


def validate_phone(value: str) -> str:
    if not re.fullmatch(r"[0-9+()\-.\s]{7,25}", value or ""):
        raise ValidationError(
            _("Enter a phone number using digits, for example (555) 010-0199."),
            code="phone_format",
        )
    digits = re.sub(r"\D", "", value)
    if not 7 <= len(digits) <= 15:
        raise ValidationError(
            _("Enter a phone number using digits, for example (555) 010-0199."),
            code="phone_format",
        )
    return value.strip()


# Content signatures of the document types we accept. The file name is never trusted.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}


def sniff_content_type(head: bytes) -> str | None:
    """Return the content type that the file's first bytes show, or None."""
    for content_type, signatures in SIGNATURES.items():
        if any(head.startswith(sig) for sig in signatures):
            return content_type
    return None
