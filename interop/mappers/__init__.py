"""Chairside records -> FHIR R4 resources (plain dicts), one module per area.

Mappers take model instances whose related rows were loaded by `interop.selectors` and return
the resource as JSON-ready dicts; they run no queries of their own and read no request.
The view layer validates every resource with fhir.resources (R4B models) before answering.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any


def instant(value: datetime | None) -> str | None:
    """Return an aware datetime as a FHIR instant (UTC, seconds)."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def ref(resource_type: str, pk: Any, display: str = "") -> dict[str, str]:
    out = {"reference": f"{resource_type}/{pk}"}
    if display:
        out["display"] = display
    return out


def compact(data: dict[str, Any]) -> dict[str, Any]:
    """Drop keys whose value is None, "" or an empty list/dict (FHIR has no empty values)."""
    out = {}
    for key, value in data.items():
        if isinstance(value, dict):
            value = compact(value)
        elif isinstance(value, list):
            value = [compact(v) if isinstance(v, dict) else v for v in value]
            value = [v for v in value if v not in (None, "", {}, [])]
        if value in (None, "", {}, []):
            continue
        out[key] = value
    return out
