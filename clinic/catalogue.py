"""The therapy catalogue of DOMAIN.md section 1, as data.

Loaded by the data migration `0002_therapy_catalogue` so every install starts with it;
clinicians then review and change it in admin. Numbers marked "(confirm)" in DOMAIN.md were
found in one secondary source only and say so in the therapy's notes.

Step keys: label, phase, dose, day (0 = day 1), repeats (0 = until stopped), interval_days,
consecutive_days, premed, infusion, observation (minutes), short_infusion, window_before,
window_after, min_gap (days). Therapy key `rxnorm`: the ingredient's RxNorm code (RXCUI),
with its source in the comment above it.
"""

from __future__ import annotations

from typing import Any

THERAPIES: list[dict[str, Any]] = [
    {
        "code": "ocrelizumab",
        "name": "Ocrelizumab",
        "brand": "Ocrevus",
        "route": "iv",
        # RxNorm ingredient RXCUI, from memory of NLM RxNav; not re-checked here (confirm).
        "rxnorm": "1876366",
        "notes": (
            "Shorter 2 h maintenance infusion only for patients with no serious infusion "
            "reaction to a previous dose (per-course flag). A late dose restarts the 24-week "
            "clock."
        ),
        "steps": [
            {
                "label": "Dose 1 (300 mg)",
                "phase": "loading",
                "dose": "300 mg",
                "day": 0,
                "premed": 30,
                "infusion": 150,
                "observation": 60,
            },
            {
                "label": "Dose 2 (300 mg)",
                "phase": "loading",
                "dose": "300 mg",
                "day": 14,
                "premed": 30,
                "infusion": 150,
                "observation": 60,
                "window_before": 0,
                "window_after": 3,
                "min_gap": 13,
            },
            {
                "label": "Maintenance (600 mg every 24 weeks)",
                "phase": "maintenance",
                "dose": "600 mg",
                "day": 168,
                "repeats": 0,
                "interval_days": 168,
                "premed": 30,
                "infusion": 210,
                "observation": 60,
                "short_infusion": 120,
                "window_before": 28,
                "window_after": 28,
                "min_gap": 140,
            },
        ],
        "requirements": [
            ("prerequisite", "hbv", "Hepatitis B screen (HBsAg, anti-HBc)"),
            ("prerequisite", "immunoglobulins", "Serum immunoglobulins"),
            ("prerequisite", "liver", "Liver tests"),
            ("prerequisite", "vaccines", "Vaccines done (live ≥4 weeks, non-live ≥2 weeks before)"),
            ("visit_check", "no_infection", "No active infection (postpone if present)"),
        ],
    },
    {
        "code": "natalizumab",
        "name": "Natalizumab",
        "brand": "Tysabri",
        "route": "iv",
        # RxNorm ingredient RXCUI, from memory of NLM RxNav; not re-checked here (confirm).
        "rxnorm": "354770",
        "safety_programme": "TOUCH",
        "notes": (
            "Every 28 days; the ±7 day window is a common clinic allowance (confirm). From the "
            "13th infusion observation is the clinician's call (per-course setting, default "
            "none). JCV antibody not within 2 weeks of plasma exchange or 6 months of IVIG; "
            "negative patients retested every 6 months."
        ),
        "steps": [
            {
                "label": "Infusions 1–12",
                "phase": "maintenance",
                "dose": "300 mg",
                "day": 0,
                "repeats": 12,
                "interval_days": 28,
                "premed": 0,
                "infusion": 60,
                "observation": 60,
                "window_before": 7,
                "window_after": 7,
                "min_gap": 21,
            },
            {
                "label": "Infusion 13 onwards",
                "phase": "maintenance",
                "dose": "300 mg",
                "day": 336,
                "repeats": 0,
                "interval_days": 28,
                "premed": 0,
                "infusion": 60,
                "observation": 0,
                "window_before": 7,
                "window_after": 7,
                "min_gap": 21,
            },
        ],
        "requirements": [
            ("prerequisite", "jcv", "JCV antibody result"),
            ("prerequisite", "mri", "MRI"),
            ("prerequisite", "cbc", "CBC"),
            ("prerequisite", "touch", "Enrolled in TOUCH (patient, prescriber, site)"),
            (
                "visit_check",
                "touch_checklist",
                "TOUCH pre-infusion checklist completed and patient authorised",
            ),
        ],
    },
    {
        "code": "ublituximab",
        "name": "Ublituximab",
        "brand": "Briumvi",
        "route": "iv",
        # RxNorm: not confirmed in any source we could reach: left blank.
        "rxnorm": "",
        "notes": (
            "Observation after the first two infusions only (confirm); later doses are 1 h "
            "infusions."
        ),
        "steps": [
            {
                "label": "Dose 1 (150 mg)",
                "phase": "loading",
                "dose": "150 mg",
                "day": 0,
                "premed": 30,
                "infusion": 240,
                "observation": 60,
            },
            {
                "label": "Dose 2 (450 mg)",
                "phase": "loading",
                "dose": "450 mg",
                "day": 14,
                "premed": 30,
                "infusion": 60,
                "observation": 60,
                "window_before": 0,
                "window_after": 3,
                "min_gap": 13,
            },
            {
                "label": "Maintenance (450 mg every 24 weeks)",
                "phase": "maintenance",
                "dose": "450 mg",
                "day": 168,
                "repeats": 0,
                "interval_days": 168,
                "premed": 30,
                "infusion": 60,
                "observation": 0,
                "window_before": 14,
                "window_after": 28,
                "min_gap": 150,
            },
        ],
        "requirements": [
            ("prerequisite", "hbv", "Hepatitis B screen"),
            ("prerequisite", "immunoglobulins", "Serum immunoglobulins"),
            ("prerequisite", "liver", "Liver tests"),
            ("prerequisite", "pregnancy", "Pregnancy status"),
            ("prerequisite", "vaccines", "Vaccines done"),
            ("visit_check", "no_infection", "No active infection"),
        ],
    },
    {
        "code": "alemtuzumab",
        "name": "Alemtuzumab",
        "brand": "Lemtrada",
        "route": "iv",
        # RxNorm ingredient RXCUI, from memory of NLM RxNav; not re-checked here (confirm).
        "rxnorm": "117055",
        "safety_programme": "Lemtrada REMS",
        "notes": (
            "1 g methylprednisolone premedication on the first 3 days of each course. Monthly "
            "labs for 48 months after the last dose. Each course is one block of consecutive "
            "days."
        ),
        "steps": [
            {
                "label": "Course 1 (5 consecutive days)",
                "phase": "loading",
                "dose": "12 mg/day",
                "day": 0,
                "repeats": 5,
                "interval_days": 1,
                "consecutive_days": True,
                "premed": 30,
                "infusion": 240,
                "observation": 120,
            },
            {
                "label": "Course 2 (3 consecutive days)",
                "phase": "loading",
                "dose": "12 mg/day",
                "day": 365,
                "repeats": 3,
                "interval_days": 1,
                "consecutive_days": True,
                "premed": 30,
                "infusion": 240,
                "observation": 120,
                "window_before": 0,
                "window_after": 60,
                "min_gap": 361,
            },
        ],
        "requirements": [
            ("prerequisite", "certified_site", "Certified site"),
            ("prerequisite", "tb", "TB screen"),
            ("prerequisite", "varicella", "Varicella serology"),
            ("prerequisite", "vaccines", "Vaccines ≥6 weeks before"),
            ("prerequisite", "baseline_labs", "Baseline CBC, creatinine, urinalysis"),
        ],
    },
    {
        "code": "methylprednisolone",
        "name": "IV methylprednisolone (relapse)",
        "brand": "",
        "route": "iv",
        # RxNorm ingredient RXCUI, from memory of NLM RxNav; not re-checked here (confirm).
        "rxnorm": "6902",
        "book_within_hours": 48,
        "notes": "3 to 5 consecutive days per the order. Per-visit checks (confirm).",
        "steps": [
            {
                "label": "Daily pulse (3 days)",
                "phase": "single",
                "dose": "1 g",
                "day": 0,
                "repeats": 3,
                "interval_days": 1,
                "consecutive_days": True,
                "premed": 0,
                "infusion": 60,
                "observation": 0,
            },
        ],
        "requirements": [
            ("visit_check", "glucose_bp", "Glucose and blood pressure (confirm)"),
        ],
    },
    {
        "code": "ivig",
        "name": "IVIG (off-label)",
        "brand": "",
        "route": "iv",
        # RxNorm: each immune globulin product has its own concept: set per product.
        "rxnorm": "",
        "needs_weight_on_order": True,
        "notes": (
            "Dose per kg; chair time is set per order (confirm): 4 h is a placeholder default."
        ),
        "steps": [
            {
                "label": "Maintenance (every 4–6 weeks)",
                "phase": "maintenance",
                "dose": "per kg, per order",
                "day": 0,
                "repeats": 0,
                "interval_days": 28,
                "premed": 0,
                "infusion": 240,
                "observation": 0,
                "window_before": 0,
                "window_after": 14,
                "min_gap": 21,
            },
        ],
        "requirements": [("prerequisite", "weight", "Weight on the order")],
    },
    {
        "code": "rituximab",
        "name": "Rituximab (off-label)",
        "brand": "",
        "route": "iv",
        # RxNorm ingredient RXCUI, from memory of NLM RxNav; not re-checked here (confirm).
        "rxnorm": "121191",
        "notes": "Premedication and infusion time set per order (confirm): defaults shown.",
        "steps": [
            {
                "label": "Dose 1 (1000 mg)",
                "phase": "loading",
                "dose": "1000 mg",
                "day": 0,
                "premed": 30,
                "infusion": 240,
                "observation": 30,
            },
            {
                "label": "Dose 2 (1000 mg)",
                "phase": "loading",
                "dose": "1000 mg",
                "day": 14,
                "premed": 30,
                "infusion": 240,
                "observation": 30,
                "window_after": 3,
                "min_gap": 13,
            },
            {
                "label": "Maintenance (every 6 months)",
                "phase": "maintenance",
                "dose": "1000 mg",
                "day": 182,
                "repeats": 0,
                "interval_days": 182,
                "premed": 30,
                "infusion": 180,
                "observation": 30,
                "window_before": 14,
                "window_after": 28,
                "min_gap": 150,
            },
        ],
        "requirements": [
            ("prerequisite", "hbv", "Hepatitis B screen"),
            ("prerequisite", "cbc", "CBC"),
            ("prerequisite", "immunoglobulins", "Serum immunoglobulins"),
            ("prerequisite", "pregnancy", "Pregnancy test"),
            ("visit_check", "no_infection", "No active infection"),
        ],
    },
    {
        "code": "ofatumumab",
        "name": "Ofatumumab",
        "brand": "Kesimpta",
        "route": "teaching",
        # RxNorm ingredient RXCUI, from memory of NLM RxNav; not re-checked here (confirm).
        "rxnorm": "712566",
        "notes": "Self-injected at home; the clinic books one teaching visit.",
        "steps": [
            {
                "label": "Teaching visit",
                "phase": "single",
                "dose": "20 mg SC",
                "day": 0,
                "premed": 0,
                "infusion": 60,
                "observation": 0,
            },
        ],
        "requirements": [("prerequisite", "anti_cd20_checks", "Anti-CD20 checks")],
    },
    {
        "code": "glatiramer",
        "name": "Glatiramer acetate",
        "brand": "",
        "route": "teaching",
        # RxNorm: not confirmed in any source we could reach: left blank.
        "rxnorm": "",
        "notes": "Self-injected at home; the clinic books one teaching visit.",
        "steps": [
            {
                "label": "Teaching visit",
                "phase": "single",
                "dose": "",
                "day": 0,
                "premed": 0,
                "infusion": 60,
                "observation": 0,
            },
        ],
        "requirements": [],
    },
]


def _has_field(model: Any, name: str) -> bool:
    return any(f.name == name for f in model._meta.get_fields())


def load_catalogue(apps: Any = None) -> None:
    """Create any catalogue therapy that is missing; never overwrite a clinician's edits."""
    from django.apps import apps as global_apps

    registry = apps or global_apps
    Therapy = registry.get_model("clinic", "Therapy")
    TherapyStep = registry.get_model("clinic", "TherapyStep")
    TherapyRequirement = registry.get_model("clinic", "TherapyRequirement")
    for spec in THERAPIES:
        if Therapy.objects.filter(code=spec["code"]).exists():
            continue
        therapy = Therapy.objects.create(
            code=spec["code"],
            name=spec["name"],
            brand=spec.get("brand", ""),
            route=spec.get("route", "iv"),
            safety_programme=spec.get("safety_programme", ""),
            book_within_hours=spec.get("book_within_hours"),
            needs_weight_on_order=spec.get("needs_weight_on_order", False),
            notes=spec.get("notes", ""),
            # The code field arrived in a later migration (0007), which fills it itself.
            **(
                {"rxnorm_code": spec.get("rxnorm", "")}
                if _has_field(Therapy, "rxnorm_code")
                else {}
            ),
        )
        for position, step in enumerate(spec["steps"], start=1):
            TherapyStep.objects.create(
                therapy=therapy,
                position=position,
                label=step["label"],
                phase=step["phase"],
                dose=step.get("dose", ""),
                day=step["day"],
                repeats=step.get("repeats", 1),
                interval_days=step.get("interval_days", 0),
                consecutive_days=step.get("consecutive_days", False),
                premed_minutes=step.get("premed", 0),
                infusion_minutes=step["infusion"],
                observation_minutes=step.get("observation", 0),
                short_infusion_minutes=step.get("short_infusion"),
                window_before_days=step.get("window_before", 0),
                window_after_days=step.get("window_after", 0),
                min_gap_days=step.get("min_gap", 0),
            )
        for kind, code, name in spec["requirements"]:
            TherapyRequirement.objects.create(therapy=therapy, kind=kind, code=code, name=name)
