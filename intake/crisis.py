"""The crisis text: what a patient sees at once when PHQ-9 item 9 is answered above 0.

One source for every place that shows or reports it: the next questionnaire page, the
finished page, the staff flag page and the on-call notice. DOMAIN.md section 4: call or text
988 (Suicide & Crisis Lifeline, English and Spanish) or call 911 in an emergency.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import translation
from django.utils.translation import gettext

# The PHQ-9's item 9 (thoughts of self-harm) and the flag rule its answer raises.
INSTRUMENT = "phq9"
ITEM = "phq9_9"
FLAG_RULE = "phq9_item9"


def crisis_text() -> str:
    """Return the crisis text in the active language."""
    return gettext(
        "If you are thinking about hurting yourself, call or text 988 now (the Suicide & "
        "Crisis Lifeline, in English and Spanish, any time). In an emergency call 911."
    )


def crisis_text_in(language: str) -> str:
    """Return the crisis text in a patient's language."""
    with translation.override(language or "en"):
        return crisis_text()


def crisis_answer(answers: Mapping[str, Any]) -> bool:
    """Return True when item 9 is answered above 0."""
    try:
        return int(answers.get(ITEM) or 0) > 0
    except (TypeError, ValueError):
        return False


def crisis_in_flags(rules: Iterable[str]) -> bool:
    """Return True when the flags raised include item 9's (the patient was shown the text)."""
    return FLAG_RULE in set(rules)
