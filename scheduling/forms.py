"""Forms for booking pages (staff) and the patient's manage page."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from scheduling.models import PartOfDay


class ReasonForm(forms.Form):
    """A reason that staff must give (cancel a session, override prerequisites)."""

    reason = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"size": 60}))


class PickForm(forms.Form):
    """Pick one of the offered options; the value is re-checked by the booking service."""

    pick = forms.ChoiceField(widget=forms.RadioSelect, label=_("Choose a time"))

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pick"].choices = choices


class PlanSearchForm(forms.Form):
    """A scheduler's wish for a course's first dose: a day to start from, a part of the day."""

    start = forms.DateField(
        required=False,
        label="First dose on or after",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    part = forms.ChoiceField(
        required=False,
        label="Part of the day",
        choices=[("", "As the course says"), *PartOfDay.choices],
    )


class PatientCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=200,
        required=False,
    )


def encode_pick(chair_id: int, start: datetime, dose_id: int | None = None) -> str:
    """Return a form value for one option: 'dose:chair:start' (dose optional)."""
    return f"{dose_id or ''}:{chair_id}:{start.isoformat()}"


def decode_picks(value: str) -> list[tuple[int | None, int, datetime]]:
    """Parse ';'-joined picks; raise ValueError if any part is malformed or naive."""
    picks = []
    for part in value.split(";"):
        dose, chair, start = part.split(":", 2)
        moment = datetime.fromisoformat(start)
        if moment.tzinfo is None:
            raise ValueError("naive time")
        picks.append((int(dose) if dose else None, int(chair), moment))
    if not picks:
        raise ValueError("empty")
    return picks
