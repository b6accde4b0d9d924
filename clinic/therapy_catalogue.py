"""The therapy catalogue of DOMAIN.md section 1, read from one JSON file per therapy.

`clinic/therapies/<code>.json` holds a therapy, its dose steps, requirements and monitoring,
each value with a short source note (a label section, DOMAIN.md, or "clinic choice") so a
clinician reviews one file per therapy. `clinic/therapies/shipped/` keeps every catalogue
release as it was shipped: the first one is what migration 0002 loaded, and an update
compares the database against the previous release to tell a clinic's own edits (kept) from
values nobody changed (updated to the new release).

Functions take the model registry (`apps`) so data migrations can use them with
historical models; fields a historical model does not have yet are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent / "therapies"
SHIPPED = HERE / "shipped"
THERAPY_FIELDS = (
    "name",
    "brand",
    "patient_name",
    "route",
    "safety_programme",
    "book_within_hours",
    "needs_weight_on_order",
    "dose_clock",
    "reauthorise_every_months",
    "rxnorm_code",
    "notes",
)
STEP_FIELDS = (
    "label",
    "phase",
    "dose",
    "day",
    "repeats",
    "repeats_max",
    "interval_days",
    "consecutive_days",
    "continues_block",
    "premed_minutes",
    "premedication",
    "drowsy_premedication",
    "infusion_minutes",
    "observation_minutes",
    "observation_optional",
    "short_infusion_minutes",
    "window_before_days",
    "window_after_days",
    "min_gap_days",
    "min_gap_months",
)
REQUIREMENT_FIELDS = ("kind", "name")
MONITORING_FIELDS = ("name", "every_months", "months_after_last")


def catalogue_read(folder: Path = HERE) -> list[dict[str, Any]]:
    """Return the therapies of the catalogue files in `folder`, in file-name order."""
    return [json.loads(path.read_text("utf-8")) for path in sorted(folder.glob("*.json"))]


def shipped_read(release: str) -> list[dict[str, Any]]:
    """Return one shipped release of the catalogue (e.g. "2026-11")."""
    return json.loads((SHIPPED / f"{release}.json").read_text("utf-8"))["therapies"]


def _registry(apps: Any) -> Any:
    from django.apps import apps as global_apps

    return apps or global_apps


def _fields(model: Any, spec: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    have = {f.name for f in model._meta.get_fields()}
    return {name: spec[name] for name in names if name in spec and name in have}


def _has_model(registry: Any, name: str) -> bool:
    try:
        registry.get_model("clinic", name)
    except LookupError:
        return False
    return True


def catalogue_load(apps: Any = None, therapies: list[dict[str, Any]] | None = None) -> int:
    """Create every catalogue therapy that is missing; never touch an existing one.

    Return how many therapies were created.
    """
    registry = _registry(apps)
    Therapy = registry.get_model("clinic", "Therapy")
    created = 0
    for spec in catalogue_read() if therapies is None else therapies:
        if Therapy.objects.filter(code=spec["code"]).exists():
            continue
        therapy = Therapy.objects.create(
            code=spec["code"], **_fields(Therapy, spec, THERAPY_FIELDS)
        )
        for position, step in enumerate(spec["steps"], start=1):
            _step_create(registry, therapy, position, step)
        for requirement in spec["requirements"]:
            _requirement_create(registry, therapy, requirement)
        for monitoring in spec.get("monitoring", []):
            _monitoring_create(registry, therapy, monitoring)
        created += 1
    return created


def _step_create(registry: Any, therapy: Any, position: int, spec: dict[str, Any]) -> Any:
    TherapyStep = registry.get_model("clinic", "TherapyStep")
    values = _fields(TherapyStep, spec, ("key", *STEP_FIELDS))
    return TherapyStep.objects.create(therapy=therapy, position=position, **values)


def _requirement_create(registry: Any, therapy: Any, spec: dict[str, Any]) -> Any:
    TherapyRequirement = registry.get_model("clinic", "TherapyRequirement")
    return TherapyRequirement.objects.create(
        therapy=therapy, code=spec["code"], kind=spec["kind"], name=spec["name"]
    )


def _monitoring_create(registry: Any, therapy: Any, spec: dict[str, Any]) -> Any:
    if not _has_model(registry, "TherapyMonitoring"):
        return None
    TherapyMonitoring = registry.get_model("clinic", "TherapyMonitoring")
    return TherapyMonitoring.objects.create(
        therapy=therapy, **{k: spec[k] for k in ("code", *MONITORING_FIELDS)}
    )


def _default(model: Any, name: str) -> Any:
    field = model._meta.get_field(name)
    return field.get_default()


class _Changes:
    """The update's report: one line per changed value, and the clinic's edits it kept."""

    def __init__(self) -> None:
        self.changed: list[str] = []
        self.kept: list[str] = []

    def merge(
        self, where: str, row: Any, names: Iterable[str], old: dict[str, Any], new: dict[str, Any]
    ) -> list[str]:
        """Set each field whose value is still the previous release's; return those set."""
        updated = []
        for name in names:
            if name not in new:
                continue
            previous = old.get(name, _default(type(row), name))
            current = getattr(row, name)
            if new[name] == current:
                continue
            if current != previous:
                self.kept.append(f"{where}: {name} kept at {current!r} (changed by the clinic)")
                continue
            setattr(row, name, new[name])
            updated.append(name)
            self.changed.append(f"{where}: {name} {current!r} -> {new[name]!r}")
        if updated:
            row.save(update_fields=updated)
        return updated


def catalogue_update(
    apps: Any = None,
    *,
    previous: list[dict[str, Any]],
    current: list[dict[str, Any]] | None = None,
    write: Callable[[str], Any] = print,
) -> list[str]:
    """Bring the database's catalogue from the `previous` release to `current`.

    A value still equal to the previous release's is updated; a value the clinic changed by
    hand is kept (and said so). Missing therapies, steps (matched by key), requirements and
    monitoring (by code) are added. Writes "Therapy catalogue: N change(s)" and one line per
    change through `write`; returns the change lines.
    """
    registry = _registry(apps)
    Therapy = registry.get_model("clinic", "Therapy")
    current = catalogue_read() if current is None else current
    old_by_code = {t["code"]: t for t in previous}
    report = _Changes()
    for spec in current:
        therapy = Therapy.objects.filter(code=spec["code"]).first()
        if therapy is None:
            catalogue_load(registry, [spec])
            report.changed.append(f"{spec['code']}: therapy added")
            continue
        old = old_by_code.get(spec["code"], {})
        report.merge(spec["code"], therapy, THERAPY_FIELDS, old, spec)
        _steps_update(registry, therapy, old.get("steps", []), spec["steps"], report)
        _rows_update(
            therapy.requirements.all(),
            old.get("requirements", []),
            spec["requirements"],
            REQUIREMENT_FIELDS,
            f"{spec['code']} requirement",
            lambda s, t=therapy: _requirement_create(registry, t, s),
            report,
        )
        if _has_model(registry, "TherapyMonitoring"):
            _rows_update(
                therapy.monitoring.all(),
                old.get("monitoring", []),
                spec.get("monitoring", []),
                MONITORING_FIELDS,
                f"{spec['code']} monitoring",
                lambda s, t=therapy: _monitoring_create(registry, t, s),
                report,
            )
    write(f"Therapy catalogue: {len(report.changed)} change(s)")
    for line in report.changed + report.kept:
        write(f"  {line}")
    return report.changed


def _steps_update(
    registry: Any,
    therapy: Any,
    old_steps: list[dict[str, Any]],
    new_steps: list[dict[str, Any]],
    report: _Changes,
) -> None:
    """Update steps matched by key, add new ones, and put them in the release's order."""
    rows = list(therapy.steps.order_by("position"))
    # Installs from before step keys: the previous release's steps, in order, name them.
    for row, old in zip(rows, old_steps, strict=False):
        if not row.key:
            row.key = old["key"]
            row.save(update_fields=["key"])
    by_key = {row.key: row for row in rows}
    old_by_key = {s["key"]: s for s in old_steps}
    ordered = []
    for spec in new_steps:
        row = by_key.get(spec["key"])
        where = f"{therapy.code} step {spec['key']}"
        if row is None:
            row = _step_create(registry, therapy, 1000 + len(rows) + len(ordered), spec)
            report.changed.append(f"{where}: step added")
        else:
            report.merge(where, row, STEP_FIELDS, old_by_key.get(spec["key"], {}), spec)
        ordered.append(row)
    ordered += [row for row in rows if row not in ordered]
    if [r.pk for r in ordered] != [r.pk for r in rows]:
        # Two passes: positions are unique per therapy.
        for index, row in enumerate(ordered, start=1):
            row.position = 2000 + index
            row.save(update_fields=["position"])
        for index, row in enumerate(ordered, start=1):
            row.position = index
            row.save(update_fields=["position"])


def _rows_update(
    rows: Iterable[Any],
    old_specs: list[dict[str, Any]],
    new_specs: list[dict[str, Any]],
    names: tuple[str, ...],
    where: str,
    create: Callable[[dict[str, Any]], Any],
    report: _Changes,
) -> None:
    by_code = {row.code: row for row in rows}
    old_by_code = {s["code"]: s for s in old_specs}
    for spec in new_specs:
        row = by_code.get(spec["code"])
        if row is None:
            create(spec)
            report.changed.append(f"{where} {spec['code']}: added")
        else:
            report.merge(
                f"{where} {spec['code']}", row, names, old_by_code.get(spec["code"], {}), spec
            )
