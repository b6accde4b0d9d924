"""Field rules for referrals: NPI, ICD-10-CM, phone numbers, uploaded documents."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MS_BILLABLE = {
    "G35.A": "relapsing-remitting",
    "G35.B0": "primary progressive, unspecified",
    "G35.B1": "primary progressive, active",
    "G35.B2": "primary progressive, non-active",
    "G35.C0": "secondary progressive, unspecified",
    "G35.C1": "secondary progressive, active",
    "G35.C2": "secondary progressive, non-active",
    "G35.D": "unspecified",
}
_ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")


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
    """Return the normalised ICD-10-CM code; refuse MS headers that aren't billable."""
    code = normalise_icd10(value)
    if not _ICD10.match(code):
        raise ValidationError(
            _("Enter an ICD-10-CM code such as G35.A or G36.0."), code="icd_format"
        )
    if (code == "G35" or code.startswith("G35.")) and code not in MS_BILLABLE:
        raise ValidationError(
            _(
                "%(code)s is a heading, not a billable code. Since 1 October 2025 use one "
                "of: G35.A (relapsing-remitting), G35.B0, G35.B1, G35.B2 (primary "
                "progressive), G35.C0, G35.C1, G35.C2 (secondary progressive) or "
                "G35.D (unspecified)."
            )
            % {"code": code},
            code="icd_header",
        )
    return code


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
