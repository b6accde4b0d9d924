"""Forms built from an instrument page's items, and the staff forms for flags and sending."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.utils.translation import gettext_lazy as _

from clinic.models import Patient
from intake import instruments as defs
from intake.models import Instrument, QuestionnaireRequest


class QuestionnairePageForm(forms.Form):
    """One page of an instrument. Every field is optional here: whether a missing answer
    blocks depends on the button (Next checks, Save and Back don't) and on show_if."""

    def __init__(
        self, *args: Any, definition: dict[str, Any], page: dict[str, Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.definition = definition
        self.page = page
        self._values: dict[str, dict[str, Any]] = {}
        for item in page["items"]:
            self.fields[item["id"]] = self._field(item)

    def _field(self, item: dict[str, Any]) -> forms.Field:
        label = item["text"]
        if item["type"] in {"choice", "scale"}:
            choices = defs.item_choices(self.definition, item)
            self._values[item["id"]] = {str(c["value"]): c["value"] for c in choices}
            field = forms.ChoiceField(
                label=label,
                required=False,
                choices=[(str(c["value"]), c["label"]) for c in choices],
                widget=forms.RadioSelect,
            )
            field.item_type = item["type"]
            field.scale_labels = (item.get("min_label", ""), item.get("max_label", ""))
            return field
        if item["type"] == "date":
            field = forms.DateField(
                label=label,
                required=False,
                widget=forms.DateInput(attrs={"type": "date", "class": "form-control w-auto"}),
            )
        else:
            field = forms.CharField(
                label=label,
                required=False,
                max_length=item.get("max_length", 2000),
                widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
            )
        field.item_type = item["type"]
        return field

    def answers(self) -> dict[str, Any]:
        """Return the page's answers as stored values (choice values, ISO dates, text)."""
        result: dict[str, Any] = {}
        for name, raw in self.cleaned_data.items():
            if raw in (None, ""):
                continue
            if name in self._values:
                result[name] = self._values[name][raw]
            elif hasattr(raw, "isoformat"):
                result[name] = raw.isoformat()
            else:
                result[name] = raw.strip()
        return result

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        # Tie the message to the answer box for screen readers (step.html gives it this id).
        if field in self.fields:
            self.fields[field].widget.attrs["aria-describedby"] = f"{field}-error"

    def mark_missing(self, missing: list[str]) -> None:
        for name in missing:
            self.add_error(name, _("Answer this question to continue."))

    @staticmethod
    def initial_from(answers: dict[str, Any]) -> dict[str, Any]:
        return {k: (v if isinstance(v, str) else str(v)) for k, v in answers.items()}


@dataclass(frozen=True)
class Visit:
    """A booked visit a pre-visit check can prepare for (a session, in scheduling)."""

    key: str
    start: datetime
    label: str


# The app that books visits lists a patient's coming ones here, without intake importing it.
VisitSource = Callable[[Patient], list[Visit]]
_visit_sources: list[VisitSource] = []


def visit_source(source: VisitSource) -> VisitSource:
    """Register a function returning a patient's coming booked visits."""
    _visit_sources.append(source)
    return source


def booked_visits(patient: Patient | None) -> list[Visit]:
    """Return the patient's coming booked visits, soonest first."""
    if patient is None:
        return []
    return sorted((v for source in _visit_sources for v in source(patient)), key=lambda v: v.start)


class QuestionnaireSendForm(forms.Form):
    """Send a pre-visit check: the patient found by search, the visit it is due before."""

    # The search picker starts with no <option>, which may not then be `required` (HTML).
    use_required_attribute = False

    patient = forms.ModelChoiceField(
        queryset=Patient.objects.filter(merged_into__isnull=True),
        widget=AutocompleteSelect(QuestionnaireRequest._meta.get_field("patient"), admin.site),
        help_text="Search by name or record number. The link goes to their email address on file.",
    )
    visit = forms.ChoiceField(
        required=False,
        label="For the visit",
        widget=forms.RadioSelect,
        help_text="The check is due before this visit starts.",
    )
    instruments = forms.ModelMultipleChoiceField(
        queryset=Instrument.objects.filter(is_current=True).order_by("position"),
        widget=forms.CheckboxSelectMultiple,
        label="Questionnaires",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chosen_patient = self._patient()
        self.visits = booked_visits(self.chosen_patient)
        self.fields["visit"].choices = [(v.key, v.label) for v in self.visits]

    def _patient(self) -> Patient | None:
        raw = self.data.get("patient") if self.is_bound else self.initial.get("patient")
        if isinstance(raw, Patient):
            return raw
        if raw is None or not str(raw).isdigit():
            return None
        return Patient.objects.filter(pk=raw, merged_into__isnull=True).first()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        key = cleaned.get("visit")
        chosen = next((v for v in self.visits if v.key == key), None)
        if self.visits and chosen is None and "visit" not in self.errors:
            self.add_error("visit", "Choose the visit this check prepares for.")
        cleaned["due_at"] = chosen.start if chosen else None
        return cleaned

    def clean_patient(self) -> Patient:
        patient = self.cleaned_data["patient"]
        if not patient.email:
            raise forms.ValidationError(
                "This patient has no email address on file: add one on the patient page first."
            )
        return patient


class FlagAcknowledgeForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="Required: what was done (e.g. called the patient, infusion postponed).",
    )
