"""Questionnaire instruments as data: one JSON file per instrument in this folder.

A definition holds its items (grouped in pages), answer choice sets, scores (sums with
reverse-scored items, subscales, missing-answer rules, severity bands) and flag rules in the
small vocabulary that `intake.scoring` evaluates. This module only reads and checks
definitions (pure, no ORM); `intake.instruments.loader` stores them as versioned rows.

A clinic adds a licensed instrument by dropping a new file here and running
`manage.py load_instruments` (or `migrate`, which loads them too).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFINITIONS_DIR = Path(__file__).resolve().parent
ITEM_TYPES = {"choice", "scale", "text", "date"}
LEVELS = {"urgent", "review"}
OPS = {"==", "!=", ">", ">=", "<", "<=", "in"}
CONDITION_KEYS = {"all", "any", "not", "answer", "score", "change", "context"}


class DefinitionError(ValueError):
    """An instrument file that does not follow the format; the message names the problem."""


def definition_checksum(definition: dict[str, Any]) -> str:
    """Return a stable hash of a definition, so an unchanged file is not a new version."""
    canonical = json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def definition_files(directory: Path | None = None) -> list[Path]:
    return sorted((directory or DEFINITIONS_DIR).glob("*.json"))


def definition_read(path: Path) -> dict[str, Any]:
    """Read and check one definition file."""
    try:
        definition = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DefinitionError(f"{path.name}: not valid JSON ({exc})") from exc
    definition_check(definition, source=path.name)
    return definition


def items(definition: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for page in definition["pages"] for item in page["items"]]


def item_map(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items(definition)}


def item_choices(definition: dict[str, Any], item: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the [{value, label}] choices of a choice or scale item."""
    if item["type"] == "scale":
        return [{"value": v, "label": str(v)} for v in range(item["min"], item["max"] + 1)]
    choices = item.get("choices")
    if isinstance(choices, str):
        return definition["choice_sets"][choices]
    return choices or []


def item_is_shown(item: dict[str, Any], answers: dict[str, Any]) -> bool:
    """Return whether a conditional item applies, given the answers so far."""
    condition = item.get("show_if")
    if not condition:
        return True
    return answers.get(condition["item"]) == condition["equals"]


def page_missing(definition: dict[str, Any], page_index: int, answers: dict[str, Any]) -> list[str]:
    """Return the ids of required items on a page that have no answer."""
    page = definition["pages"][page_index]
    return [
        item["id"]
        for item in page["items"]
        if item.get("required")
        and item_is_shown(item, answers)
        and answers.get(item["id"]) in (None, "")
    ]


def answers_clean(definition: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """Drop answers to unknown items and to conditional items that no longer apply."""
    known = item_map(definition)
    kept = {k: v for k, v in answers.items() if k in known and v not in (None, "")}
    return {k: v for k, v in kept.items() if item_is_shown(known[k], kept)}


def answer_label(definition: dict[str, Any], item: dict[str, Any], value: Any) -> str:
    """Return the answer as the patient saw it (the choice's label)."""
    if value in (None, ""):
        return ""
    for choice in item_choices(definition, item):
        if choice["value"] == value:
            return choice["label"]
    return str(value)


def definition_check(definition: dict[str, Any], *, source: str = "definition") -> None:
    """Raise DefinitionError unless the definition follows the format."""

    def fail(message: str) -> None:
        raise DefinitionError(f"{source}: {message}")

    for key in ("code", "title", "pages", "scores", "flags"):
        if key not in definition:
            fail(f"missing '{key}'")
    sets = definition.get("choice_sets", {})
    seen: set[str] = set()
    for page in definition["pages"]:
        if not page.get("items"):
            fail(f"page {page.get('id')!r} has no items")
        for item in page["items"]:
            item_id = item.get("id")
            if not item_id or item_id in seen:
                fail(f"item id {item_id!r} is missing or repeated")
            seen.add(item_id)
            if item.get("type") not in ITEM_TYPES:
                fail(f"item {item_id}: type must be one of {sorted(ITEM_TYPES)}")
            if not item.get("text"):
                fail(f"item {item_id}: no text")
            if item["type"] == "choice":
                choices = item.get("choices")
                if isinstance(choices, str) and choices not in sets:
                    fail(f"item {item_id}: unknown choice set {choices!r}")
                if not choices:
                    fail(f"item {item_id}: no choices")
            if item["type"] == "scale" and not (
                isinstance(item.get("min"), int) and isinstance(item.get("max"), int)
            ):
                fail(f"item {item_id}: a scale needs integer min and max")
            show_if = item.get("show_if")
            if show_if and show_if.get("item") not in seen:
                fail(f"item {item_id}: show_if must name an earlier item")
    score_ids: set[str] = set()
    for score in definition["scores"]:
        if not score.get("id") or score["id"] in score_ids:
            fail(f"score id {score.get('id')!r} is missing or repeated")
        score_ids.add(score["id"])
        for ref in [*score.get("items", []), *score.get("reverse", [])]:
            if ref not in seen:
                fail(f"score {score['id']}: unknown item {ref!r}")
        for band in score.get("bands", []):
            if not {"min", "max", "label"} <= band.keys() or band["min"] > band["max"]:
                fail(f"score {score['id']}: each band needs min <= max and a label")
    rule_ids: set[str] = set()
    for rule in definition["flags"]:
        if not rule.get("id") or rule["id"] in rule_ids:
            fail(f"flag id {rule.get('id')!r} is missing or repeated")
        rule_ids.add(rule["id"])
        if rule.get("level") not in LEVELS:
            fail(f"flag {rule['id']}: level must be urgent or review")
        _check_condition(
            rule.get("when"), seen, score_ids, lambda m, r=rule: fail(f"flag {r['id']}: {m}")
        )


def _check_condition(
    cond: Any, item_ids: set[str], score_ids: set[str], fail: Callable[[str], None]
) -> None:
    if not isinstance(cond, dict) or len(cond.keys() & CONDITION_KEYS) != 1:
        fail(f"a condition needs exactly one of {sorted(CONDITION_KEYS)}: {cond!r}")
        return
    if "all" in cond or "any" in cond:
        for sub in cond.get("all", cond.get("any")):
            _check_condition(sub, item_ids, score_ids, fail)
        return
    if "not" in cond:
        _check_condition(cond["not"], item_ids, score_ids, fail)
        return
    if "context" in cond:
        if "includes" not in cond:
            fail("a context condition needs 'includes'")
        return
    key = next(k for k in ("answer", "score", "change") if k in cond)
    refs = cond[key] if isinstance(cond[key], list) else [cond[key]]
    known = item_ids if key == "answer" else score_ids
    for ref in refs:
        if ref not in known:
            fail(f"unknown {key} {ref!r}")
    if cond.get("op") not in OPS or "value" not in cond:
        fail(f"a comparison needs op (one of {sorted(OPS)}) and value")
