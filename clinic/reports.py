"""The reports' frame: the registry apps fill, the date range, tables, charts and CSV.

A report is a function (Period) -> list[Section]; each section is one table (what the CSV
holds, cell for cell), the sentence that says its key figure, and a chart of the same
numbers (drawn by `clinic.plots`). Apps register their reports with `report(...)` without
the site importing them, as dashboard panels do. Every figure is an aggregate: counts,
hours and times, never a patient.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django import forms
from django.utils import timezone

from clinic.clock import clinic_tz, day_bounds

DEFAULT_DAYS = 28
LONGEST_DAYS = 366


@dataclass(frozen=True)
class Period:
    """Local dates from `first` to `last`, both included."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return day_bounds(self.first)[0]

    @property
    def end(self) -> datetime:
        return day_bounds(self.last)[1]

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def __str__(self) -> str:
        return f"{self.first:%Y-%m-%d} to {self.last:%Y-%m-%d}"


def default_period(today: date | None = None) -> Period:
    """Return the last four weeks, today included."""
    today = today or timezone.localdate(timezone=clinic_tz())
    return Period(today - timedelta(days=DEFAULT_DAYS - 1), today)


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end date must be on or after the start date.")
            elif (end - start).days + 1 > LONGEST_DAYS:
                self.add_error("end", f"Choose at most {LONGEST_DAYS} days.")
        return cleaned

    def period(self) -> Period:
        return Period(self.cleaned_data["start"], self.cleaned_data["end"])


def period_form(params: dict, today: date | None = None) -> PeriodForm:
    """Bind the query string's range, or the default range when none was given."""
    if "start" in params or "end" in params:
        return PeriodForm(params)
    period = default_period(today)
    return PeriodForm({"start": period.first.isoformat(), "end": period.last.isoformat()})


Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    slug: str
    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Cell]]

    def csv_text(self) -> str:
        """Return the table as CSV: its header, then each row as the page shows it."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.columns)
        writer.writerows([cell_text(c) for c in row] for row in self.rows)
        return out.getvalue()


def cell_text(value: Cell) -> str:
    """Return a cell as the table and the CSV show it: 1 decimal for fractions, – for none."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]
    # "bar" (side by side, or stacked with the chart's `stacked`), "line" or "step".
    style: str = "bar"


@dataclass(frozen=True)
class Chart:
    """What to draw: one value per category for each series."""

    categories: Sequence[str]
    series: Sequence[Series]
    y_label: str
    description: str  # the image's alt text: what kind of chart of what
    stacked: bool = False
    horizontal: bool = False


@dataclass(frozen=True)
class Section:
    title: str
    caption: str  # the key figure, in a sentence
    table: Table
    chart: Chart | None = None
    note: str = ""


ReportBuilder = Callable[[Period], list[Section]]


@dataclass(frozen=True)
class ReportDef:
    slug: str
    title: str
    summary: str
    build: ReportBuilder
    order: int = 100
    notes: Sequence[str] = field(default_factory=tuple)


_reports: dict[str, ReportDef] = {}


def report(
    slug: str, *, title: str, summary: str, order: int = 100, notes: Sequence[str] = ()
) -> Callable[[ReportBuilder], ReportBuilder]:
    """Register a report under `slug`; lower `order` lists first."""

    def register(build: ReportBuilder) -> ReportBuilder:
        _reports[slug] = ReportDef(slug, title, summary, build, order, tuple(notes))
        return build

    return register


def reports() -> list[ReportDef]:
    return sorted(_reports.values(), key=lambda r: (r.order, r.slug))


def report_get(slug: str) -> ReportDef | None:
    return _reports.get(slug)


def percent(part: float, whole: float) -> float | None:
    """Return part / whole as a percentage, or None when there is no whole."""
    return round(100 * part / whole, 1) if whole else None


def hours(value: timedelta | None) -> float:
    """Return a duration in hours (0 for none), to one decimal."""
    return round(value.total_seconds() / 3600, 1) if value else 0.0


def minutes(value: timedelta | None) -> float | None:
    return round(value.total_seconds() / 60, 1) if value is not None else None


def days(value: timedelta | None) -> float | None:
    return round(value.total_seconds() / 86400, 1) if value is not None else None
