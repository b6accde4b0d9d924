"""Must show 3: PHQ-9 item 9 above 0 always raises an urgent flag, whatever else is answered."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from intake.instruments import DEFINITIONS_DIR, definition_read
from intake.scoring import score_response

PHQ9 = definition_read(Path(DEFINITIONS_DIR) / "phq9.json")
OTHER_ITEMS = [f"phq9_{n}" for n in range(1, 9)] + ["phq9_difficulty"]

# Any other item answered 0-3 or left out (a partial response still has to flag).
other_answers = st.dictionaries(
    keys=st.sampled_from(OTHER_ITEMS), values=st.integers(min_value=0, max_value=3)
)


@given(
    others=other_answers,
    item9=st.integers(min_value=1, max_value=3),
    previous_total=st.one_of(st.none(), st.integers(min_value=0, max_value=27)),
)
def test_item9_above_zero_always_raises_an_urgent_flag(others, item9, previous_total):
    previous = None if previous_total is None else {"total": previous_total}
    result = score_response(PHQ9, {**others, "phq9_9": item9}, previous_scores=previous)
    assert "phq9_item9" in {f.rule for f in result.urgent}


@given(others=other_answers)
def test_item9_at_zero_never_raises_the_item9_flag(others):
    result = score_response(PHQ9, {**others, "phq9_9": 0})
    assert "phq9_item9" not in {f.rule for f in result.flags}
