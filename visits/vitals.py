"""Vitals checks as pure functions (DOMAIN.md section 7): plain values in, messages out.

A value outside the plausible range is a typing error and is refused; a plausible value past
the clinic's hold thresholds is saved with a warning that asks for the clinician.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

# name: (label, unit, lowest plausible, highest plausible)
PLAUSIBLE: dict[str, tuple[str, str, Decimal, Decimal]] = {
    "systolic": ("Systolic", "mmHg", Decimal(60), Decimal(260)),
    "diastolic": ("Diastolic", "mmHg", Decimal(30), Decimal(160)),
    "pulse": ("Pulse", "/min", Decimal(30), Decimal(220)),
    "temperature": ("Temperature", "°C", Decimal(33), Decimal(43)),
    "spo2": ("SpO2", "%", Decimal(50), Decimal(100)),
    "weight": ("Weight", "kg", Decimal(20), Decimal(350)),
}


@dataclass(frozen=True)
class HoldThresholds:
    temperature_hold: Decimal = Decimal("38.0")
    systolic_high: int = 180
    systolic_low: int = 90
    pulse_high: int = 120
    pulse_low: int = 50
    spo2_low: int = 92


def vitals_errors(values: Mapping[str, Decimal | int | None]) -> dict[str, str]:
    """Return {field: message} for values outside the plausible range (typing errors)."""
    errors = {}
    for name, (label, unit, low, high) in PLAUSIBLE.items():
        value = values.get(name)
        if value is not None and not low <= Decimal(value) <= high:
            errors[name] = (
                f"{label} {value} {unit} is not a plausible reading ({low}–{high} {unit}): "
                "check the value."
            )
    return errors


def vitals_warnings(
    values: Mapping[str, Decimal | int | None], limits: HoldThresholds
) -> list[str]:
    """Return a warning for each value past the hold thresholds (saved, clinician asked)."""
    found = []

    def get(name: str) -> Decimal | None:
        value = values.get(name)
        return None if value is None else Decimal(value)

    temperature, systolic, pulse, spo2 = (
        get("temperature"),
        get("systolic"),
        get("pulse"),
        get("spo2"),
    )
    if temperature is not None and temperature >= limits.temperature_hold:
        found.append(f"Temperature {temperature} °C (hold at {limits.temperature_hold} °C or more)")
    if systolic is not None and systolic > limits.systolic_high:
        found.append(f"Systolic {systolic} mmHg (hold above {limits.systolic_high})")
    if systolic is not None and systolic < limits.systolic_low:
        found.append(f"Systolic {systolic} mmHg (hold below {limits.systolic_low})")
    if pulse is not None and pulse > limits.pulse_high:
        found.append(f"Pulse {pulse}/min (hold above {limits.pulse_high})")
    if pulse is not None and pulse < limits.pulse_low:
        found.append(f"Pulse {pulse}/min (hold below {limits.pulse_low})")
    if spo2 is not None and spo2 < limits.spo2_low:
        found.append(f"SpO2 {spo2} % (hold below {limits.spo2_low} %)")
    return found
