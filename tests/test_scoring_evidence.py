"""Which answers, scores or changes made a flag rule hold (pure, no database)."""

from __future__ import annotations

from intake.scoring import rule_evidence

DOMAINS = ["fatigue", "motor", "visual"]


def test_an_answer_rule_points_at_the_answer():
    cond = {"answer": "phq9_9", "op": ">", "value": 0}
    assert rule_evidence(cond, answers={"phq9_9": 2}, scores={}) == [("answer", "phq9_9")]
    assert rule_evidence(cond, answers={"phq9_9": 0}, scores={}) == []


def test_a_rule_over_several_scores_points_only_at_those_that_meet_it():
    cond = {"score": DOMAINS, "op": ">=", "value": 7}
    scores = {"fatigue": 8, "motor": 3, "visual": 9}
    assert rule_evidence(cond, answers={}, scores=scores) == [
        ("score", "fatigue"),
        ("score", "visual"),
    ]


def test_a_change_rule_points_at_the_domains_that_got_worse():
    cond = {"change": DOMAINS, "op": ">=", "value": 3}
    found = rule_evidence(
        cond,
        answers={},
        scores={"fatigue": 6, "motor": 4, "visual": 2},
        previous_scores={"fatigue": 2, "motor": 3, "visual": 2},
    )
    assert found == [("change", "fatigue")]


def test_a_fact_and_an_answer_together_are_both_evidence_but_not_what_is_absent():
    pml = {
        "all": [
            {"context": "therapies", "includes": "natalizumab"},
            {"answer": "new_neuro", "op": "==", "value": 1},
        ]
    }
    found = rule_evidence(
        pml, answers={"new_neuro": 1}, scores={}, context={"therapies": ["natalizumab"]}
    )
    assert found == [("context", "natalizumab"), ("answer", "new_neuro")]
    negated = {"all": [{"not": {"context": "therapies", "includes": "x"}}, pml["all"][1]]}
    assert rule_evidence(negated, answers={"new_neuro": 1}, scores={}) == [("answer", "new_neuro")]
