"""Questionnaire (an instrument), QuestionnaireResponse (answers) and score Observations."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from intake.models import Instrument, QuestionnaireResponse
from interop import codes
from interop.mappers import compact, instant, ref

_ITEM_TYPE = {"choice": "choice", "scale": "integer", "date": "date", "text": "text"}


def questionnaire_url(instrument: Instrument) -> str:
    return f"{settings.SITE_URL}/fhir/R4/Questionnaire/{instrument.pk}"


def _choice_system(instrument: Instrument, choice_set: str) -> str:
    return f"{codes.LOCAL}:choices:{instrument.code}:{choice_set}"


def _question(instrument: Instrument, item: dict[str, Any]) -> dict[str, Any]:
    definition = instrument.definition
    out: dict[str, Any] = {
        "linkId": item["id"],
        "text": item.get("text", ""),
        "type": _ITEM_TYPE.get(item.get("type"), "string"),
        "required": bool(item.get("required", False)),
    }
    if item.get("type") == "choice":
        system = _choice_system(instrument, item["choices"])
        out["answerOption"] = [
            {"valueCoding": {"system": system, "code": str(c["value"]), "display": c["label"]}}
            for c in definition.get("choice_sets", {}).get(item["choices"], [])
        ]
    if item.get("max_length"):
        out["maxLength"] = item["max_length"]
    show_if = item.get("show_if")
    if show_if:
        target = _find_item(definition, show_if["item"])
        answer = _answer_value(instrument, target, show_if["equals"]) if target else None
        if answer:
            key, value = next(iter(answer.items()))
            out["enableWhen"] = [
                {
                    "question": show_if["item"],
                    "operator": "=",
                    key.replace("value", "answer", 1): value,
                }
            ]
    return out


def _find_item(definition: dict[str, Any], item_id: str) -> dict[str, Any] | None:
    for page in definition.get("pages", []):
        for item in page.get("items", []):
            if item.get("id") == item_id:
                return item
    return None


def questionnaire_resource(instrument: Instrument) -> dict[str, Any]:
    """Return an instrument definition as a Questionnaire (one group item per page)."""
    definition = instrument.definition
    loinc = codes.INSTRUMENT_LOINC.get(instrument.code)
    return compact(
        {
            "resourceType": "Questionnaire",
            "id": str(instrument.pk),
            "url": questionnaire_url(instrument),
            "version": str(instrument.version),
            "name": instrument.code.replace("_", " ").title().replace(" ", ""),
            "title": instrument.title,
            "status": "active" if instrument.is_current else "retired",
            "date": instant(instrument.loaded_at),
            "subjectType": ["Patient"],
            "copyright": definition.get("attribution", ""),
            "code": (
                [
                    {
                        "system": codes.LOINC,
                        "code": loinc[0],
                        "display": codes.LOINC_DISPLAY[loinc[0]],
                    }
                ]
                if loinc
                else []
            ),
            "item": [
                {
                    "linkId": page["id"],
                    "type": "group",
                    "text": page.get("title", ""),
                    "item": [_question(instrument, item) for item in page.get("items", [])],
                }
                for page in definition.get("pages", [])
            ],
        }
    )


def _answer_value(
    instrument: Instrument, item: dict[str, Any], value: Any
) -> dict[str, Any] | None:
    kind = item.get("type")
    if value is None or value == "":
        return None
    if kind == "choice":
        labels = {
            str(c["value"]): c["label"]
            for c in instrument.definition.get("choice_sets", {}).get(item["choices"], [])
        }
        return {
            "valueCoding": {
                "system": _choice_system(instrument, item["choices"]),
                "code": str(value),
                "display": labels.get(str(value), str(value)),
            }
        }
    if kind == "scale" and isinstance(value, int) and not isinstance(value, bool):
        return {"valueInteger": value}
    if kind == "date":
        return {"valueDate": str(value)}
    return {"valueString": str(value)}


def questionnaire_response_resource(response: QuestionnaireResponse) -> dict[str, Any]:
    """Return a submitted response as a QuestionnaireResponse (groups as in the Questionnaire)."""
    instrument = response.instrument
    answers = response.answers or {}
    groups = []
    for page in instrument.definition.get("pages", []):
        items = []
        for item in page.get("items", []):
            value = _answer_value(instrument, item, answers.get(item["id"]))
            if value:
                items.append(
                    {"linkId": item["id"], "text": item.get("text", ""), "answer": [value]}
                )
        if items:
            groups.append({"linkId": page["id"], "text": page.get("title", ""), "item": items})
    return compact(
        {
            "resourceType": "QuestionnaireResponse",
            "id": str(response.pk),
            "questionnaire": questionnaire_url(instrument),
            "status": "completed",
            "subject": ref("Patient", response.patient_id),
            "authored": instant(response.submitted_at),
            "source": ref("Patient", response.patient_id),
            "item": groups,
        }
    )


def score_observation_id(response: QuestionnaireResponse) -> str:
    return f"score-{response.pk}"


def score_observation(response: QuestionnaireResponse) -> dict[str, Any]:
    """Return a response's main score (the total) as an Observation derived from it.

    PHQ-9 and GAD-7 totals carry their LOINC codes; the clinic's own instruments a local code.
    """
    instrument = response.instrument
    loinc = codes.INSTRUMENT_LOINC.get(instrument.code)
    if loinc:
        coding = [
            {"system": codes.LOINC, "code": loinc[1], "display": codes.LOINC_DISPLAY[loinc[1]]}
        ]
    else:
        coding = [{"system": codes.SCORE, "code": f"{instrument.code}.total"}]
    label = f"{instrument.short_title} total score"
    return compact(
        {
            "resourceType": "Observation",
            "id": score_observation_id(response),
            "status": "final",
            "category": [
                {
                    "coding": [
                        {
                            "system": codes.OBSERVATION_CATEGORY,
                            "code": "survey",
                            "display": "Survey",
                        }
                    ]
                }
            ],
            "code": {"coding": coding, "text": label},
            "subject": ref("Patient", response.patient_id),
            "effectiveDateTime": instant(response.submitted_at),
            "issued": instant(response.submitted_at),
            "valueInteger": response.main_score,
            "interpretation": [{"text": response.main_band}] if response.main_band else [],
            "derivedFrom": [ref("QuestionnaireResponse", response.pk)],
        }
    )
