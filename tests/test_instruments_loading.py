"""Instruments are data: files are checked, loaded after migrate, and versioned on change."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from intake.instruments import (
    DEFINITIONS_DIR,
    DefinitionError,
    definition_check,
    definition_files,
    definition_read,
)
from intake.instruments.loader import instruments_load
from intake.models import Instrument
from intake.questionnaires import questionnaire_save_page, questionnaire_submit, request_steps
from tests.factories import sent_check

SHIPPED = {"safety_check", "ms_symptoms", "phq9", "gad7"}


def write(directory: Path, definition: dict) -> Path:
    path = directory / f"{definition['code']}.json"
    path.write_text(json.dumps(definition), encoding="utf-8")
    return path


def test_every_shipped_file_follows_the_format():
    codes = {definition_read(path)["code"] for path in definition_files()}
    assert codes == SHIPPED


@pytest.mark.django_db
def test_migrate_loads_every_shipped_instrument():
    current = Instrument.objects.filter(is_current=True)
    assert set(current.values_list("code", flat=True)) == SHIPPED


@pytest.mark.django_db
def test_loading_again_without_changes_makes_no_new_version(capsys):
    before = Instrument.objects.count()
    call_command("load_instruments")
    assert "up to date" in capsys.readouterr().out
    assert Instrument.objects.count() == before


@pytest.mark.django_db
def test_a_changed_definition_is_a_new_version_and_old_responses_keep_theirs(tmp_path):
    qreq, _ = sent_check(codes=("gad7",))
    questionnaire_save_page(
        qreq=qreq, step=request_steps(qreq)[0], answers={f"gad7_{i}": 1 for i in range(1, 8)}
    )
    (old_response,) = questionnaire_submit(qreq=qreq)
    changed = definition_read(DEFINITIONS_DIR / "gad7.json")
    changed["pages"][0]["intro"] = "Over the last 2 weeks (reworded for a test)"
    write(tmp_path, changed)

    assert instruments_load(directory=tmp_path) == ["gad7 v2"]

    old_response.refresh_from_db()
    assert old_response.instrument.version == 1
    assert not old_response.instrument.is_current
    new_qreq, _ = sent_check(codes=("gad7",))
    assert [i.version for i in new_qreq.instruments.all()] == [2]


@pytest.mark.django_db
def test_a_clinic_adds_a_licensed_instrument_as_a_file_without_code(tmp_path):
    items = [f"mfis_{n}" for n in range(1, 22)]
    mfis = {
        "code": "mfis_demo",
        "title": "Fatigue scale (clinic licence)",
        "choice_sets": {"often": [{"value": v, "label": str(v)} for v in range(5)]},
        "pages": [
            {
                "id": "p1",
                "title": "Fatigue",
                "items": [
                    {
                        "id": i,
                        "type": "choice",
                        "choices": "often",
                        "required": True,
                        "text": f"Item {i}",
                    }
                    for i in items
                ],
            }
        ],
        "scores": [
            {
                "id": "total",
                "items": items,
                "main": True,
                "bands": [
                    {"min": 0, "max": 37, "label": "Below cut-off"},
                    {"min": 38, "max": 84, "label": "Fatigued"},
                ],
            }
        ],
        "flags": [
            {
                "id": "fatigued",
                "level": "review",
                "label": "MFIS at cut-off",
                "when": {"score": "total", "op": ">=", "value": 38},
            }
        ],
    }
    write(tmp_path, mfis)
    assert instruments_load(directory=tmp_path) == ["mfis_demo v1"]

    qreq, _ = sent_check(codes=("mfis_demo",))
    questionnaire_save_page(qreq=qreq, step=request_steps(qreq)[0], answers=dict.fromkeys(items, 2))
    (response,) = questionnaire_submit(qreq=qreq)
    assert response.main_score == 42
    assert response.main_band == "Fatigued"
    assert [f.rule for f in response.flags.all()] == ["fatigued"]


BASE = definition_read(DEFINITIONS_DIR / "phq9.json")


def broken(change) -> dict:
    definition = copy.deepcopy(BASE)
    change(definition)
    return definition


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        (
            broken(lambda d: d["flags"][0].update(when={"eval": "__import__('os')"})),
            "exactly one of",
        ),
        (broken(lambda d: d["flags"][0].update(level="panic")), "level"),
        (broken(lambda d: d["flags"][0]["when"].update(answer="phq9_99")), "unknown answer"),
        (broken(lambda d: d["flags"][0]["when"].update(op="~=")), "op"),
        (broken(lambda d: d["scores"][0]["items"].append("nope")), "unknown item"),
        (broken(lambda d: d["pages"][0]["items"][0].update(type="slider")), "type"),
        (broken(lambda d: d["pages"][0]["items"][1].update(id="phq9_1")), "repeated"),
        (
            broken(
                lambda d: d["pages"][0]["items"][0].update(show_if={"item": "phq9_2", "equals": 1})
            ),
            "earlier item",
        ),
        (
            broken(lambda d: d["scores"][0]["bands"].append({"min": 30, "max": 2, "label": "x"})),
            "band",
        ),
        (broken(lambda d: d.pop("flags")), "missing 'flags'"),
    ],
)
def test_a_definition_that_breaks_the_format_is_refused(definition, message):
    with pytest.raises(DefinitionError, match=message):
        definition_check(definition)


def test_a_file_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(DefinitionError, match="not valid JSON"):
        definition_read(path)
