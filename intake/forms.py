from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Fieldset, Layout
from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from clinic.forms import DATE_INPUT_FORMATS, DateInput
from clinic.models import Therapy
from intake.models import Referral, ReferralDocument
from intake.referral_rules import ReferralRules
from intake.uploads import validate_document_content
from intake.validators import (
    sniff_content_type,
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field taking several files (Django's documented pattern)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/*"}),
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = [f for f in data if f] if isinstance(data, list | tuple) else [data]
        files = [f for f in files if f]
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def check_document(upload: UploadedFile) -> tuple[str, str]:
    """Return (content type, sha256) of an acceptable document, or raise ValidationError."""
    if upload.size is None or upload.size > settings.DOCUMENT_MAX_BYTES:
        raise forms.ValidationError(
            _("%(name)s is larger than 10 MB. Please send a smaller file.")
            % {"name": upload.name[:80]},
            code="too_large",
        )
    if upload.size == 0:
        raise forms.ValidationError(
            _("%(name)s is empty.") % {"name": upload.name[:80]}, code="empty"
        )
    upload.seek(0)
    content_type = sniff_content_type(upload.read(16))
    if content_type is None:
        raise forms.ValidationError(
            _("%(name)s is not a PDF, PNG or JPEG file. Only those can be sent.")
            % {"name": upload.name[:80]},
            code="bad_type",
        )
    # Then decode it: the first bytes only say what the file claims to be.
    validate_document_content(upload, content_type, name=upload.name[:80])
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return content_type, digest.hexdigest()


DOCUMENT_FIELDS = {
    "documents_order": (ReferralDocument.Kind.ORDER, _("Signed order")),
    "documents_notes": (ReferralDocument.Kind.NOTES, _("Clinical notes")),
    "documents_labs": (ReferralDocument.Kind.LABS, _("Lab results")),
    "documents_mri": (ReferralDocument.Kind.MRI, _("MRI reports")),
    "documents_insurance": (ReferralDocument.Kind.INSURANCE_CARD, _("Insurance card (both sides)")),
}


# The referral's questions in the order the page asks them, grouped as the page shows them.
# The public form, its layout and the staff admin page all read this one table.
REFERRAL_SECTIONS: list[tuple[str, list[str]]] = [
    (
        _("Who is referring"),
        ["submitter_kind", "submitter_name", "submitter_email", "submitter_phone"],
    ),
    (
        _("The patient"),
        [
            "given_name",
            "family_name",
            "preferred_name",
            "date_of_birth",
            "sex",
            "phone",
            "email",
            "address_line1",
            "address_line2",
            "city",
            "region",
            "postal_code",
            "preferred_language",
            "guardian_name",
            "guardian_relationship",
            "guardian_phone",
        ],
    ),
    (_("Insurance"), ["payer", "member_id", "group_number"]),
    (
        _("Referring provider"),
        ["provider_name", "provider_practice", "provider_npi", "provider_phone", "provider_fax"],
    ),
    (
        _("Diagnosis and order"),
        [
            "diagnosis_code",
            "therapy",
            "dose",
            "frequency",
            "order_notes",
            "weight_kg",
            "height_cm",
            "measured_on",
            "no_known_drug_allergies",
            "allergies",
            "current_medications",
            "prior_therapies",
        ],
    ),
    (_("Consent"), ["consent_to_contact"]),
]


class ReferralForm(ReferralRules, forms.ModelForm):
    submission_key = forms.UUIDField(widget=forms.HiddenInput)
    # A field people never see; bots fill it in.
    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    therapy = forms.ModelChoiceField(
        queryset=Therapy.objects.filter(is_active=True),
        label=_("Ordered therapy"),
        empty_label=_("Choose the therapy on the order"),
        error_messages={"invalid_choice": _("Choose a therapy from the list.")},
    )
    consent_to_contact = forms.BooleanField(
        label=_("The clinic may contact the patient and the referring office about this referral"),
        error_messages={"required": _("We need permission to contact you to go ahead.")},
    )

    class Meta:
        model = Referral
        fields = [name for _title, names in REFERRAL_SECTIONS for name in names]
        labels = {
            "submitter_kind": _("Who is filling in this form?"),
            "submitter_name": _("Your full name"),
            "submitter_email": _("Your email address"),
            "submitter_phone": _("Your phone number"),
            "given_name": _("Patient's legal first name"),
            "family_name": _("Patient's legal last name"),
            "preferred_name": _("Name the patient likes to be called (optional)"),
            "date_of_birth": _("Patient's date of birth"),
            "sex": _("Sex"),
            "email": _("Patient's email address (optional)"),
            "phone": _("Patient's phone number"),
            "address_line1": _("Address"),
            "address_line2": _("Address line 2 (optional)"),
            "city": _("Town or city"),
            "region": _("State"),
            "postal_code": _("ZIP code"),
            "preferred_language": _("Preferred language"),
            "guardian_name": _("Guardian or carer's name (if the patient needs one)"),
            "guardian_relationship": _("Their relationship to the patient"),
            "guardian_phone": _("Their phone number"),
            "payer": _("Insurance company"),
            "member_id": _("Member ID"),
            "group_number": _("Group number (optional)"),
            "provider_name": _("Referring provider's name"),
            "provider_practice": _("Practice"),
            "provider_npi": _("Provider's NPI"),
            "provider_phone": _("Practice phone"),
            "provider_fax": _("Practice fax (optional)"),
            "diagnosis_code": _("Diagnosis (ICD-10-CM code)"),
            "weight_kg": _("Weight (kg)"),
            "height_cm": _("Height (cm)"),
            "measured_on": _("Date weight and height were measured"),
            "no_known_drug_allergies": _("No known drug allergies"),
            "allergies": _("Allergies"),
            "current_medications": _("Current medications"),
            "prior_therapies": _("Previous disease-modifying therapies"),
            "dose": _("Dose"),
            "frequency": _("Frequency"),
            "order_notes": _("Notes on the order (optional)"),
        }
        help_texts = {
            "provider_npi": _("10 digits, on the order."),
            "diagnosis_code": _("For MS use a billable code such as G35.A (relapsing-remitting)."),
            "allergies": _("Leave empty only if you ticked 'No known drug allergies'."),
        }
        widgets = {
            "submitter_kind": forms.RadioSelect,
            "date_of_birth": DateInput(attrs={"autocomplete": "off"}),
            "measured_on": DateInput,
            "allergies": forms.Textarea(attrs={"rows": 2}),
            "current_medications": forms.Textarea(attrs={"rows": 2}),
            "prior_therapies": forms.Textarea(attrs={"rows": 2}),
            "order_notes": forms.Textarea(attrs={"rows": 2}),
            "submitter_email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("date_of_birth", "measured_on"):
            self.fields[name].input_formats = DATE_INPUT_FORMATS
        for name in ("weight_kg", "height_cm", "measured_on"):
            self.fields[name].required = True
        self.fields["weight_kg"].min_value = Decimal("20")
        self.fields["submitter_kind"].choices = Referral.SubmitterKind.choices
        for name, (_kind, label) in DOCUMENT_FIELDS.items():
            self.fields[name] = MultipleFileField(label=label)
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and field.max_length:
                field.widget.attrs.setdefault("maxlength", field.max_length)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        # Documents go just before consent; the rest follows REFERRAL_SECTIONS.
        *sections, (consent_title, consent_names) = REFERRAL_SECTIONS
        self.helper.layout = Layout(
            "submission_key",
            *(Fieldset(title, *names) for title, names in sections),
            Fieldset(
                _("Documents"),
                HTML(
                    '<p class="form-text">'
                    + str(
                        _(
                            "PDF, PNG or JPEG, up to 10 files of 10 MB each. "
                            "If the form shows an error, please choose the files again."
                        )
                    )
                    + "</p>"
                ),
                *DOCUMENT_FIELDS.keys(),
            ),
            Fieldset(consent_title, *consent_names),
            HTML('<div class="hp-field" aria-hidden="true">'),
            "website",
            HTML("</div>"),
        )

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(_("Leave this field empty."))
        return ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self._clean_documents()
        return cleaned

    def _clean_documents(self) -> None:
        self.documents: list[tuple[str, UploadedFile, str, str]] = []
        for name, (kind, _label) in DOCUMENT_FIELDS.items():
            for upload in self.cleaned_data.get(name) or []:
                try:
                    content_type, digest = check_document(upload)
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
                    continue
                self.documents.append((kind, upload, content_type, digest))
        if len(self.documents) > settings.DOCUMENT_MAX_FILES:
            self.add_error(None, _("Send at most 10 files. Please choose the most important ones."))


class ReferralStaffForm(ReferralRules, forms.ModelForm):
    """The staff site's referral form: the same rules as the public form (ReferralRules)."""

    class Meta:
        model = Referral
        # The fields staff edit: the public form's sections (admin fieldsets use the same).
        fields = [name for _title, names in REFERRAL_SECTIONS for name in names]


def referral_errors(data: dict[str, Any]) -> dict[str, list[str]]:
    """Return the errors of a referral given as plain values (an import), by field; {} if none.

    The staff form's fields and rules, so an import is held to the same rules as the forms.
    """
    form = ReferralStaffForm(data=data)
    if form.is_valid():
        return {}
    return {name: [str(e) for e in errors] for name, errors in form.errors.items()}
