"""Must show 1: PHQ-9 and GAD-7 reproduce the published totals and bands at every boundary.

Published scoring (Kroenke, Spitzer & Williams 2001; Spitzer et al. 2006): each item 0-3,
total = sum. PHQ-9 0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe,
20-27 severe. GAD-7 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.instruments import DEFINITIONS_DIR, definition_read
from intake.scoring import score_response

PHQ9 = definition_read(Path(DEFINITIONS_DIR) / "phq9.json")
GAD7 = definition_read(Path(DEFINITIONS_DIR) / "gad7.json")


def answers_totalling(prefix: str, count: int, total: int, *, last_zero: bool = False) -> dict:
    """Spread `total` over the items as 3s then the remainder (optionally keeping the last 0)."""
    answers = {}
    remaining = total
    for n in range(1, count + 1):
        if last_zero and n == count:
            answers[f"{prefix}_{n}"] = 0
            continue
        value = min(3, remaining)
        answers[f"{prefix}_{n}"] = value
        remaining -= value
    assert remaining == 0
    return answers


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Moderately severe"),
        (19, "Moderately severe"),
        (20, "Severe"),
        (24, "Severe"),
        (27, "Severe"),
    ],
)
def test_phq9_total_and_band_at_each_boundary(total, band):
    answers = answers_totalling("phq9", 9, total, last_zero=total <= 24)
    result = score_response(PHQ9, answers)
    assert result.scores["total"] == total
    assert result.bands["total"] == band


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Severe"),
        (21, "Severe"),
    ],
)
def test_gad7_total_and_band_at_each_boundary(total, band):
    result = score_response(GAD7, answers_totalling("gad7", 7, total))
    assert result.scores["total"] == total
    assert result.bands["total"] == band


@pytest.mark.parametrize(
    ("total", "expected"),
    [(9, set()), (10, {"phq9_moderate"}), (19, {"phq9_moderate"}), (20, {"phq9_severe"})],
)
def test_phq9_total_flags_review_from_10_and_urgent_from_20(total, expected):
    result = score_response(PHQ9, answers_totalling("phq9", 9, total, last_zero=True))
    assert {f.rule for f in result.flags} == expected
    levels = {f.rule: f.level for f in result.flags}
    assert levels.get("phq9_severe", "urgent") == "urgent"
    assert levels.get("phq9_moderate", "review") == "review"


@pytest.mark.parametrize(("total", "flagged"), [(9, False), (10, True), (21, True)])
def test_gad7_flags_review_from_10(total, flagged):
    result = score_response(GAD7, answers_totalling("gad7", 7, total))
    assert bool(result.flags) is flagged
    assert all(f.level == "review" for f in result.flags)


def test_phq9_item9_raises_an_urgent_flag_even_with_a_minimal_total():
    answers = answers_totalling("phq9", 9, 0) | {"phq9_9": 1}
    result = score_response(PHQ9, answers)
    assert result.scores["total"] == 1
    assert result.bands["total"] == "Minimal"
    assert [(f.rule, f.level) for f in result.urgent] == [("phq9_item9", "urgent")]


def test_the_difficulty_question_is_not_part_of_the_phq9_total():
    answers = answers_totalling("phq9", 9, 6, last_zero=True) | {"phq9_difficulty": 3}
    assert score_response(PHQ9, answers).scores["total"] == 6


def test_a_missing_phq9_item_leaves_the_total_unscored_but_item9_still_flags():
    answers = answers_totalling("phq9", 9, 12, last_zero=True)
    del answers["phq9_1"]
    answers["phq9_9"] = 2
    result = score_response(PHQ9, answers)
    assert result.scores["total"] is None
    assert result.bands["total"] is None
    assert {f.rule for f in result.flags} == {"phq9_item9"}
