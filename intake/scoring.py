"""Score one instrument's answers and decide its flags. Pure: plain values in and out.

`score_response(definition, answers, previous_scores=..., context=...)` returns the scores
(sums with reverse-scored items and a missing-answer rule), their severity bands and the
flags raised by the definition's rules. Flag rules use a small declarative vocabulary,
never `eval`:

    {"answer": "phq9_9", "op": ">", "value": 0}         an answer (or any of a list)
    {"score": "total", "op": ">=", "value": 20}          a score (or any of a list)
    {"change": ["fatigue", ...], "op": ">=", "value": 3} a score minus the previous one
    {"context": "therapies", "includes": "natalizumab"}  a fact about the patient
    {"all": [...]}, {"any": [...]}, {"not": {...}}
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from intake.instruments import item_choices, item_map

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "in": lambda a, b: a in b,
}
URGENT = "urgent"
REVIEW = "review"


@dataclass(frozen=True)
class FlagHit:
    rule: str
    level: str
    label: str


@dataclass(frozen=True)
class ScoreResult:
    scores: dict[str, int | None] = field(default_factory=dict)
    bands: dict[str, str | None] = field(default_factory=dict)
    flags: list[FlagHit] = field(default_factory=list)

    @property
    def urgent(self) -> list[FlagHit]:
        return [f for f in self.flags if f.level == URGENT]


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def score_value(definition: dict[str, Any], score: dict[str, Any], answers: Mapping) -> int | None:
    """Return one score, or None when more answers are missing than the rule allows.

    Reverse-scored items count as (lowest + highest choice) - answer. With `prorate`, a sum
    with a few allowed missing answers is scaled up to the full item count (rounded half up).
    """
    lookup = item_map(definition)
    reverse = set(score.get("reverse", []))
    values: list[int] = []
    missing = 0
    for item_id in score["items"]:
        value = answers.get(item_id)
        if not isinstance(value, int) or isinstance(value, bool):
            missing += 1
            continue
        if item_id in reverse:
            numbers = [c["value"] for c in item_choices(definition, lookup[item_id])]
            value = min(numbers) + max(numbers) - value
        values.append(value)
    if missing > score.get("max_missing", 0) or not values:
        return None
    total = sum(values)
    if missing and score.get("prorate"):
        return _round_half_up(total * len(score["items"]) / len(values))
    return total


def band_for(score: dict[str, Any], value: int | None) -> str | None:
    if value is None:
        return None
    for band in score.get("bands", []):
        if band["min"] <= value <= band["max"]:
            return band["label"]
    return None


def condition_holds(
    cond: dict[str, Any],
    *,
    answers: Mapping,
    scores: Mapping,
    previous_scores: Mapping | None,
    context: Mapping,
) -> bool:
    """Evaluate one rule condition. Missing values never satisfy a comparison."""
    kw = {
        "answers": answers,
        "scores": scores,
        "previous_scores": previous_scores,
        "context": context,
    }
    if "all" in cond:
        return all(condition_holds(sub, **kw) for sub in cond["all"])
    if "any" in cond:
        return any(condition_holds(sub, **kw) for sub in cond["any"])
    if "not" in cond:
        return not condition_holds(cond["not"], **kw)
    if "context" in cond:
        return cond["includes"] in (context.get(cond["context"]) or ())
    compare = _OPS[cond["op"]]
    if "answer" in cond:
        candidates = [answers.get(ref) for ref in _refs(cond["answer"])]
    elif "score" in cond:
        candidates = [scores.get(ref) for ref in _refs(cond["score"])]
    else:
        if not previous_scores:
            return False
        candidates = [
            scores[ref] - previous_scores[ref]
            for ref in _refs(cond["change"])
            if scores.get(ref) is not None and previous_scores.get(ref) is not None
        ]
    return any(_safe(compare, value, cond["value"]) for value in candidates if value is not None)


def _refs(ref: str | list[str]) -> list[str]:
    return ref if isinstance(ref, list) else [ref]


def _safe(compare: Callable[[Any, Any], bool], left: Any, right: Any) -> bool:
    try:
        return bool(compare(left, right))
    except TypeError:
        # A text answer compared with a number: the rule does not apply to it.
        return False


def score_response(
    definition: dict[str, Any],
    answers: Mapping,
    *,
    previous_scores: Mapping | None = None,
    context: Mapping | None = None,
) -> ScoreResult:
    """Return the scores, bands and flags for one instrument's answers."""
    scores = {s["id"]: score_value(definition, s, answers) for s in definition["scores"]}
    bands = {s["id"]: band_for(s, scores[s["id"]]) for s in definition["scores"]}
    flags = [
        FlagHit(rule=rule["id"], level=rule["level"], label=rule["label"])
        for rule in definition["flags"]
        if condition_holds(
            rule["when"],
            answers=answers,
            scores=scores,
            previous_scores=previous_scores,
            context=context or {},
        )
    ]
    flags.sort(key=lambda f: f.level != URGENT)
    return ScoreResult(scores=scores, bands=bands, flags=flags)


def main_score(definition: dict[str, Any]) -> str | None:
    """Return the id of the score shown in lists and over time."""
    for score in definition["scores"]:
        if score.get("main"):
            return score["id"]
    return definition["scores"][0]["id"] if definition["scores"] else None


def rule_evidence(
    cond: dict[str, Any],
    *,
    answers: Mapping,
    scores: Mapping,
    previous_scores: Mapping | None = None,
    context: Mapping | None = None,
) -> list[tuple[str, str]]:
    """Return what made a rule's condition hold: (kind, id) pairs, kind being "answer",
    "score", "change" or "context", for each answer, score, score change or fact that
    satisfies one of its comparisons. Parts under a "not" are left out: they say what
    was absent, not what was found.
    """
    kw = {
        "answers": answers,
        "scores": scores,
        "previous_scores": previous_scores,
        "context": context or {},
    }
    if "all" in cond or "any" in cond:
        found: list[tuple[str, str]] = []
        for sub in cond.get("all", cond.get("any", [])):
            for ref in rule_evidence(sub, **kw):
                if ref not in found:
                    found.append(ref)
        return found
    if "not" in cond:
        return []
    if "context" in cond:
        return [("context", cond["includes"])] if condition_holds(cond, **kw) else []
    kind = next(k for k in ("answer", "score", "change") if k in cond)
    return [(kind, ref) for ref in _refs(cond[kind]) if condition_holds({**cond, kind: ref}, **kw)]
