"""Must-show 2: the whole catalogue, walked against DOMAIN.md section 1.

The table below is written from DOMAIN.md by hand (not from the catalogue files): each
therapy's steps in order, as (day, doses, interval days, premed + infusion + observation
minutes, minimum gap in days, minimum gap in calendar months). A therapy in the database
that the table does not know fails, and so does any value that differs.
"""

from __future__ import annotations

import pytest

from clinic.models import Therapy
from clinic.therapy_catalogue import HERE, STEP_FIELDS, catalogue_read

pytestmark = pytest.mark.django_db

# therapy: [(day, repeats, interval, (premed, infusion, observation), gap days, gap months)]
DOMAIN_TABLE = {
    # 300 mg day 1 and day 15 (30 + 2 h 30 + 60), then 600 mg every 24 weeks from day 1
    # (30 + 3 h 30 + 60), doses at least 5 calendar months apart.
    "ocrelizumab": [
        (0, 1, 0, (30, 150, 60), 0, 0),
        (14, 1, 0, (30, 150, 60), 13, 0),
        (168, 0, 168, (30, 210, 60), 0, 5),
    ],
    # 920 mg every 6 months, no loading; premedication at least 30 min before, about 10 min
    # of injection, 60 min observation after the first injection and 15 min after later ones.
    "ocrelizumab_sc": [
        (0, 1, 0, (30, 10, 60), 0, 0),
        (182, 0, 182, (30, 10, 15), 0, 5),
    ],
    # 300 mg every 4 weeks: 0 + 60 + 60 for the first 12, and from the 13th the hour stays
    # unless the clinician drops it (a per-course setting).
    "natalizumab": [
        (0, 12, 28, (0, 60, 60), 21, 0),
        (336, 0, 28, (0, 60, 60), 21, 0),
    ],
    # 150 mg day 1 (30 + 4 h + 60), 450 mg day 15 (30 + 60 + 60), then every 24 weeks
    # (30 + 60, no observation), at least 5 months between maintenance doses.
    "ublituximab": [
        (0, 1, 0, (30, 240, 60), 0, 0),
        (14, 1, 0, (30, 60, 60), 13, 0),
        (168, 0, 168, (30, 60, 0), 0, 5),
    ],
    # Course 1: 5 consecutive days (days 1-3 with the steroid, days 4-5 without), course 2:
    # 3 consecutive days 12 months later; 30 + 4 h + 2 h each day.
    "alemtuzumab": [
        (0, 3, 1, (30, 240, 120), 0, 0),
        (3, 2, 1, (30, 240, 120), 0, 0),
        (365, 3, 1, (30, 240, 120), 361, 0),
    ],
    # 1 g a day for 3 to 5 consecutive days (the order says how many): 0 + 60 + 0.
    "methylprednisolone": [(0, 3, 1, (0, 60, 0), 0, 0)],
    # Weight-based, every 4-6 weeks; chair time per order (4 h placeholder, confirm).
    "ivig": [(0, 0, 28, (0, 240, 0), 21, 0)],
    # 1000 mg day 1 and day 15, then every 6 months; first about 30 + 4 h 15, later about
    # 30 + 3 h 15; no observation in DOMAIN.md.
    "rituximab": [
        (0, 1, 0, (30, 255, 0), 0, 0),
        (14, 1, 0, (30, 195, 0), 13, 0),
        (182, 0, 182, (30, 195, 0), 150, 0),
    ],
    # Self-injected at home: one teaching visit of about 60 min.
    "ofatumumab": [(0, 1, 0, (0, 60, 0), 0, 0)],
    "glatiramer": [(0, 1, 0, (0, 60, 0), 0, 0)],
}


def _walk(therapy: Therapy) -> list[tuple]:
    return [
        (
            s.day,
            s.repeats,
            s.interval_days,
            (s.premed_minutes, s.infusion_minutes, s.observation_minutes),
            s.min_gap_days,
            s.min_gap_months,
        )
        for s in therapy.steps.order_by("position")
    ]


def test_the_catalogue_has_exactly_the_therapies_of_the_domain_table():
    assert set(Therapy.objects.values_list("code", flat=True)) == set(DOMAIN_TABLE)


@pytest.mark.parametrize("code", sorted(DOMAIN_TABLE))
def test_each_therapy_matches_the_domain_table(code):
    assert _walk(Therapy.objects.get(code=code)) == DOMAIN_TABLE[code]


def test_rules_beyond_the_table_match_the_domain():
    ocrelizumab = Therapy.objects.get(code="ocrelizumab")
    assert ocrelizumab.steps.get(key="maintenance").short_infusion_minutes == 120
    natalizumab = Therapy.objects.get(code="natalizumab")
    assert natalizumab.reauthorise_every_months == 6
    assert [s.observation_optional for s in natalizumab.steps.order_by("position")] == [
        False,
        True,
    ]
    # Only natalizumab's step leaves observation to the clinician.
    assert set(
        Therapy.objects.filter(steps__observation_optional=True).values_list("code", flat=True)
    ) == {"natalizumab"}
    pulse = Therapy.objects.get(code="methylprednisolone")
    assert (pulse.book_within_hours, pulse.steps.get().repeats_max) == (48, 5)
    alemtuzumab = Therapy.objects.get(code="alemtuzumab")
    assert "methylprednisolone" in alemtuzumab.steps.get(key="course1").premedication
    assert "No steroid" in alemtuzumab.steps.get(key="course1_late").premedication
    assert alemtuzumab.steps.get(key="course1_late").continues_block
    assert {"thyroid", "skin_exam"} <= set(
        alemtuzumab.requirements.filter(kind="prerequisite").values_list("code", flat=True)
    )
    assert alemtuzumab.requirements.filter(kind="visit_check", code="antiviral").exists()
    assert sorted(
        alemtuzumab.monitoring.values_list("code", "every_months", "months_after_last")
    ) == [
        ("blood_urine", 1, 48),
        ("skin_exam", 12, 48),
        ("thyroid", 3, 48),
    ]
    sc = Therapy.objects.get(code="ocrelizumab_sc")
    assert sc.dose_clock == ocrelizumab.dose_clock == "ocrelizumab"
    assert set(sc.requirements.values_list("code", flat=True)) == set(
        ocrelizumab.requirements.values_list("code", flat=True)
    )


def test_every_catalogue_file_says_where_its_changed_values_come_from():
    for spec in catalogue_read(HERE):
        for step in spec["steps"]:
            assert set(step["sources"]) <= set(STEP_FIELDS), (spec["code"], step["key"])
            assert step["sources"], (spec["code"], step["key"])
        for requirement in spec["requirements"]:
            assert requirement["source"], (spec["code"], requirement["code"])
        for monitoring in spec["monitoring"]:
            assert monitoring["source"], (spec["code"], monitoring["code"])
