"""The patient's language for instrument wording: overlays in intake/instruments/<language>/.

An instrument definition holds its English wording; `<language>/<code>.json` beside it gives
the same instrument's title, page titles and intros, item texts and scale ends, and choice
labels (by value) in another language. An overlay marked `"unavailable": true` says no
verified translation exists (a published instrument must not be translated by us): the
English form is shown with its `language_note`. Structure, values, scoring and flags always
come from the definition itself, so a translation can't change what an answer means. Pure:
no ORM.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import Any

from intake.instruments import DEFINITIONS_DIR

_TOP_LEVEL = ("title", "short_title", "attribution")


@lru_cache(maxsize=64)
def overlay(language: str, code: str) -> dict[str, Any]:
    """Return the wording overlay for an instrument in a language, or {} if there is none."""
    base = (language or "").split("-")[0].lower()
    if not base.isalpha():
        return {}
    path = DEFINITIONS_DIR / base / f"{code}.json"
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def localized(definition: dict[str, Any], language: str | None) -> dict[str, Any]:
    """Return a copy of the definition with its wording in `language` where translated."""
    words = overlay(language or "", definition.get("code", ""))
    if not words:
        return definition
    result = copy.deepcopy(definition)
    if words.get("unavailable"):
        # No verified translation: the published English form, with a note in the language.
        result["language_note"] = words.get("language_note", "")
        return result
    for key in _TOP_LEVEL:
        if words.get(key):
            result[key] = words[key]
    for name, labels in words.get("choice_sets", {}).items():
        for choice in result.get("choice_sets", {}).get(name, []):
            choice["label"] = labels.get(str(choice["value"]), choice["label"])
    for page in result.get("pages", []):
        page.update({k: v for k, v in words.get("pages", {}).get(page["id"], {}).items() if v})
        for item in page["items"]:
            item.update({k: v for k, v in words.get("items", {}).get(item["id"], {}).items() if v})
    return result


def untranslated(definition: dict[str, Any], language: str) -> list[str]:
    """Return the wording of a definition that has no translation in `language`."""
    words = overlay(language, definition.get("code", ""))
    if words.get("unavailable"):
        return []
    missing = [key for key in _TOP_LEVEL if definition.get(key) and not words.get(key)]
    for name, choices in definition.get("choice_sets", {}).items():
        labels = words.get("choice_sets", {}).get(name, {})
        missing += [f"{name}:{c['value']}" for c in choices if str(c["value"]) not in labels]
    for page in definition.get("pages", []):
        page_words = words.get("pages", {}).get(page["id"], {})
        missing += [
            f"{page['id']}.{k}" for k in ("title", "intro") if page.get(k) and not page_words.get(k)
        ]
        for item in page["items"]:
            item_words = words.get("items", {}).get(item["id"], {})
            missing += [
                f"{item['id']}.{k}"
                for k in ("text", "min_label", "max_label")
                if item.get(k) and not item_words.get(k)
            ]
    return missing
