"""Urgent-flag and referral reports, on a fixture worked out by hand (tests/report_fixtures.py).

Percentiles interpolate as PostgreSQL's percentile_cont does: the value at position
fraction × (n − 1) of the sorted values. The same figures are expected on SQLite (a Python
aggregate) and on PostgreSQL (the database's own), each suite running on its database.
"""

from __future__ import annotations

import pytest

from clinic.aggregates import percentile_of
from clinic.reports import Period
from intake.reports import flags_report, flags_tables, referrals_tables
from tests.report_fixtures import MONDAY, TUESDAY, referrals, urgent_flags

PERIOD = Period(MONDAY, TUESDAY)


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([4, 20, 50], 0.5, 20),
        ([4, 20, 50], 0.9, 44),  # position 1.8: 20 + 0.8 × 30
        ([20, 4], 0.5, 12),
        ([7], 0.9, 7),
        ([], 0.5, None),
    ],
)
def test_the_percentile_interpolates_between_neighbours(values, fraction, expected):
    got = percentile_of(values, fraction)
    assert got == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.django_db
@pytest.mark.parametrize("fraction", [0.0, 0.25, 0.5, 0.9, 1.0])
def test_the_database_percentile_equals_the_python_one(fraction):
    from django.db.models import Q

    from clinic.aggregates import PercentileCont
    from clinic.models import TherapyStep

    minutes = list(TherapyStep.objects.values_list("infusion_minutes", flat=True))
    long_ones = [m for m in minutes if m >= 60]
    got = TherapyStep.objects.aggregate(
        every=PercentileCont("infusion_minutes", fraction),
        long=PercentileCont("infusion_minutes", fraction, filter=Q(infusion_minutes__gte=60)),
    )
    assert len(set(minutes)) > 3
    assert got["every"] == pytest.approx(percentile_of(minutes, fraction))
    assert got["long"] == pytest.approx(percentile_of(long_ones, fraction))


@pytest.mark.django_db
def test_urgent_flags_raised_acknowledged_escalated_and_time_to_acknowledge(nurse):
    urgent_flags(nurse)
    overall, rules, spread = flags_tables(PERIOD)
    # 4 urgent in the period; acknowledged after 4, 20 and 50 min; 2 escalated; 1 open.
    assert list(overall.rows) == [("All urgent flags", 4, 3, 2, 1, 20.0, 44.0)]
    assert list(rules.rows) == [
        ("Rule phq9_item9", 2, 2, 0, 0, 12.0, 18.4),
        ("Rule relapse", 2, 1, 2, 1, 50.0, 50.0),
    ]
    assert list(spread.rows) == [
        ("≤ 5 min", 1, 33.3),
        ("5–15 min", 0, 0.0),
        ("15–30 min", 1, 33.3),
        ("30–60 min", 1, 33.3),
        ("1–4 h", 0, 0.0),
        ("> 4 h", 0, 0.0),
    ]
    caption = flags_report(PERIOD)[0].caption
    assert caption == (
        "4 urgent flags raised, 3 acknowledged (median 20 min, 90th percentile 44 min), "
        "2 escalated, 1 still open."
    )


@pytest.mark.django_db
def test_referrals_received_decided_and_days_to_accepted_and_first_infusion(coordinator):
    referrals(coordinator)
    overall, therapies, spread = referrals_tables(PERIOD)
    # Received 4; accepted R1 (3 days) and R3 (20 days): median 11.5, p90 3 + 0.9 × 17 =
    # 18.3; declined R2; R4 open. First infusion only R1: 10 days.
    assert list(overall.rows) == [("All referrals", 4, 2, 1, 0, 1, 11.5, 18.3, 10.0, 10.0)]
    assert list(therapies.rows) == [
        ("Natalizumab", 2, 1, 0, 0, 1, 20.0, 20.0, None, None),
        ("Ocrelizumab", 2, 1, 1, 0, 0, 3.0, 3.0, 10.0, 10.0),
    ]
    assert list(spread.rows) == [
        ("≤ 7 days", 1, 50.0),
        ("8–14 days", 0, 0.0),
        ("15–28 days", 1, 50.0),
        ("29–56 days", 0, 0.0),
        ("> 56 days", 0, 0.0),
    ]
