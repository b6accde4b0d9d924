"""Search parameters, read without the database: `_count`, `_offset`, `date`, `status`, ids.

`date` takes FHIR's prefixes (eq, ne is not supported, gt, lt, ge, le) on a date
(YYYY, YYYY-MM, YYYY-MM-DD, read as clinic-local days) or an instant with its offset; each
value becomes a half-open range [start, end) and the prefix says which side to compare.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

DEFAULT_COUNT = 20
MAX_COUNT = 100
_DATE = re.compile(
    r"^(?P<prefix>eq|gt|lt|ge|le)?(?P<value>\d{4}(-\d{2}(-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2}))?)?)?)$"
)
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


class SearchError(ValueError):
    """A search parameter this server can't use; the message names it."""


@dataclass(frozen=True)
class DateBound:
    op: str  # one of gte, gt, lt, lte applied to the field
    at: datetime


@dataclass
class Search:
    count: int = DEFAULT_COUNT
    offset: int = 0
    patient: str | None = None
    ids: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    dates: list[DateBound] = field(default_factory=list)


def _span(value: str, tz: tzinfo) -> tuple[datetime, datetime]:
    """Return the half-open range [start, end) a FHIR date or instant covers."""
    if "T" in value:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment, moment + timedelta(seconds=1)
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 1:
        first, after = date(parts[0], 1, 1), date(parts[0] + 1, 1, 1)
    elif len(parts) == 2:
        first = date(parts[0], parts[1], 1)
        after = date(parts[0] + (parts[1] == 12), parts[1] % 12 + 1, 1)
    else:
        first = date(parts[0], parts[1], parts[2])
        after = first + timedelta(days=1)
    return datetime.combine(first, datetime.min.time(), tz), datetime.combine(
        after, datetime.min.time(), tz
    )


def date_bounds(value: str, tz: tzinfo) -> list[DateBound]:
    """Return the comparisons one `date` value stands for."""
    match = _DATE.match(value)
    if not match:
        raise SearchError(f"date: {value[:40]!r} is not a FHIR date with an optional prefix.")
    try:
        start, end = _span(match["value"], tz)
    except (ValueError, OverflowError):
        raise SearchError(f"date: {value[:40]!r} is not a real date.") from None
    prefix = match["prefix"] or "eq"
    return {
        "eq": [DateBound("gte", start), DateBound("lt", end)],
        "ge": [DateBound("gte", start)],
        "gt": [DateBound("gte", end)],
        "le": [DateBound("lt", end)],
        "lt": [DateBound("lt", start)],
    }[prefix]


def resource_id(value: str, resource_type: str = "") -> str:
    """Return a resource id, accepting 'Type/id' for references; refuse anything else."""
    if resource_type and value.startswith(resource_type + "/"):
        value = value[len(resource_type) + 1 :]
    if not _ID.match(value):
        raise SearchError(f"{value[:40]!r} is not a resource id.")
    return value


def _int(name: str, value: str, low: int, high: int) -> int:
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise SearchError(f"{name} must be a whole number.")
    number = int(value)
    if not low <= number <= high:
        raise SearchError(f"{name} must be between {low} and {high}.")
    return number


def search_parse(params: dict[str, list[str]], *, allowed: set[str], tz: tzinfo) -> Search:
    """Return the search a query string asks for; refuse parameters the type doesn't have."""
    search = Search()
    for name, values in params.items():
        if name in ("_format",):
            if any(v not in ("json", "application/fhir+json", "application/json") for v in values):
                raise SearchError("_format: this server answers JSON only.")
            continue
        if name not in allowed | {"_count", "_offset"}:
            raise SearchError(f"Unknown or unsupported search parameter {name[:40]!r}.")
        if name == "_count":
            search.count = _int("_count", values[-1], 1, MAX_COUNT)
        elif name == "_offset":
            search.offset = _int("_offset", values[-1], 0, 10**8)
        elif name == "patient":
            search.patient = resource_id(values[-1], "Patient")
        elif name == "_id":
            search.ids = [resource_id(v) for value in values for v in value.split(",")]
        elif name == "status":
            search.statuses = [v for value in values for v in value.split(",") if v]
        elif name == "date":
            search.dates = [bound for value in values for bound in date_bounds(value, tz)]
    return search
