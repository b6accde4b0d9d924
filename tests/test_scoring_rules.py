"""Scoring engine rules: reverse items, subscales, missing answers, MS change and flag rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.instruments import DEFINITIONS_DIR, definition_read
from intake.scoring import condition_holds, score_response

MS = definition_read(Path(DEFINITIONS_DIR) / "ms_symptoms.json")
SAFETY = definition_read(Path(DEFINITIONS_DIR) / "safety_check.json")
DOMAINS = ["fatigue", "motor", "sensory", "visual", "cognitive", "emotional", "bladder_bowel"]

# A small licensed-style instrument: 4 items 0-4, item b reverse-scored, two subscales.
TOY = {
    "code": "toy",
    "title": "Toy scale",
    "choice_sets": {"five": [{"value": v, "label": str(v)} for v in range(5)]},
    "pages": [
        {
            "id": "p",
            "items": [{"id": i, "type": "choice", "choices": "five", "text": i} for i in "abcd"],
        }
    ],
    "scores": [
        {
            "id": "total",
            "items": list("abcd"),
            "reverse": ["b"],
            "max_missing": 1,
            "prorate": True,
            "bands": [{"min": 0, "max": 7, "label": "Low"}, {"min": 8, "max": 16, "label": "High"}],
        },
        {"id": "first", "items": ["a", "b"], "reverse": ["b"], "max_missing": 0},
        {"id": "second", "items": ["c", "d"], "max_missing": 0},
    ],
    "flags": [],
}


def ms_answers(severity: dict[str, int] | None = None, **extra) -> dict:
    answers = {f"{d}_severity": 2 for d in DOMAINS} | {f"{d}_change": "same" for d in DOMAINS}
    for domain, value in (severity or {}).items():
        answers[f"{domain}_severity"] = value
    return answers | {"new_symptom": 0} | extra


@pytest.mark.parametrize(
    ("answers", "total", "first", "second"),
    [
        ({"a": 0, "b": 4, "c": 0, "d": 0}, 0, 0, 0),  # minimum: b reversed 4 -> 0
        ({"a": 4, "b": 0, "c": 4, "d": 4}, 16, 8, 8),  # maximum
        ({"a": 2, "b": 2, "c": 2, "d": 2}, 8, 4, 4),  # midpoint reverses to itself
        ({"a": 1, "b": 3, "c": 1}, 4, 2, None),  # one missing: prorated 3 * 4/3 = 4
        ({"a": 1, "b": 4, "c": 2}, 4, 1, None),  # 3 * 4/3 = 4
        ({"a": 1, "b": 2, "c": 2}, 7, 3, None),  # 5 * 4/3 = 6.67 -> 7 (half up)
        ({"a": 1, "b": 3}, None, 2, None),  # two missing: more than allowed
    ],
)
def test_reverse_items_subscales_and_missing_answer_rule(answers, total, first, second):
    result = score_response(TOY, answers)
    assert result.scores == {"total": total, "first": first, "second": second}


@pytest.mark.parametrize(("total_answers", "band"), [(7, "Low"), (8, "High")])
def test_toy_band_boundary(total_answers, band):
    answers = {"a": min(4, total_answers), "b": 4, "c": max(0, total_answers - 4), "d": 0}
    assert score_response(TOY, answers).bands["total"] == band


def test_ms_check_scores_each_domain_and_the_total_burden():
    result = score_response(MS, ms_answers({"fatigue": 9, "motor": 0}))
    assert result.scores["fatigue"] == 9
    assert result.bands["fatigue"] == "Severe"
    assert result.bands["motor"] == "Mild"
    assert result.scores["total"] == 9 + 0 + 2 * 5


@pytest.mark.parametrize(
    ("previous", "now", "urgent"),
    [
        (2, 5, True),  # worse by exactly 3
        (2, 4, False),  # worse by 2
        (0, 10, True),
        (6, 3, False),  # better by 3 is not a flag
        (5, 5, False),
    ],
)
def test_ms_check_flags_a_domain_worse_by_three_or_more_than_last_time(previous, now, urgent):
    previous_scores = score_response(MS, ms_answers({"visual": previous})).scores
    result = score_response(MS, ms_answers({"visual": now}), previous_scores=previous_scores)
    assert ("domain_worse_3" in {f.rule for f in result.urgent}) is urgent


def test_ms_check_change_rule_needs_a_previous_response():
    result = score_response(MS, ms_answers({"motor": 10}), previous_scores=None)
    assert "domain_worse_3" not in {f.rule for f in result.flags}


def test_ms_check_change_rule_ignores_domains_missing_last_time():
    previous = score_response(MS, ms_answers()).scores | {"motor": None}
    result = score_response(MS, ms_answers({"motor": 9}), previous_scores=previous)
    assert "domain_worse_3" not in {f.rule for f in result.flags}


@pytest.mark.parametrize(("severity", "review"), [(6, False), (7, True), (10, True)])
def test_ms_check_severity_seven_or_more_is_a_review_flag(severity, review):
    result = score_response(MS, ms_answers({"bladder_bowel": severity}))
    hits = {f.rule: f.level for f in result.flags}
    assert (hits.get("domain_severe") == "review") is review


def test_possible_relapse_is_urgent():
    answers = ms_answers(new_symptom=1, new_symptom_domain="motor", new_symptom_since="2026-11-20")
    assert [f.rule for f in score_response(MS, answers).urgent] == ["possible_relapse"]


def safety(**overrides) -> dict:
    base = {
        "fever_infection": 0,
        "antibiotics": 0,
        "vaccine": 0,
        "pregnant": 9,
        "reaction_last": 0,
        "new_neuro": 0,
    }
    return base | overrides


def test_fever_before_an_infusion_is_urgent():
    assert [f.rule for f in score_response(SAFETY, safety(fever_infection=1)).urgent] == [
        "fever_infection"
    ]


def test_new_neuro_symptoms_on_natalizumab_are_urgent_possible_pml():
    result = score_response(SAFETY, safety(new_neuro=1), context={"therapies": ["natalizumab"]})
    assert [f.rule for f in result.urgent] == ["possible_pml"]


def test_new_neuro_symptoms_off_natalizumab_are_for_review():
    result = score_response(SAFETY, safety(new_neuro=1), context={"therapies": ["ocrelizumab"]})
    assert result.urgent == []
    assert [f.rule for f in result.flags] == ["new_neuro"]


def test_a_clear_safety_check_raises_nothing():
    assert score_response(SAFETY, safety(), context={"therapies": ["natalizumab"]}).flags == []


def test_urgent_flags_come_before_review_flags():
    result = score_response(SAFETY, safety(antibiotics=1, fever_infection=1))
    assert [f.level for f in result.flags] == ["urgent", "review"]


@pytest.mark.parametrize(
    ("cond", "holds"),
    [
        ({"answer": "x", "op": "==", "value": "yes"}, True),
        ({"answer": "x", "op": ">", "value": 0}, False),  # text vs number: no match, no error
        ({"answer": "missing", "op": "<", "value": 5}, False),  # missing never matches
        ({"not": {"answer": "missing", "op": "<", "value": 5}}, True),
        (
            {
                "any": [
                    {"score": "s", "op": ">=", "value": 9},
                    {"score": "s", "op": "==", "value": 3},
                ]
            },
            True,
        ),
        (
            {
                "all": [
                    {"score": "s", "op": ">=", "value": 1},
                    {"score": "s", "op": "<", "value": 3},
                ]
            },
            False,
        ),
        ({"answer": "x", "op": "in", "value": ["yes", "maybe"]}, True),
    ],
)
def test_condition_vocabulary(cond, holds):
    assert (
        condition_holds(
            cond, answers={"x": "yes"}, scores={"s": 3}, previous_scores=None, context={}
        )
        is holds
    )
