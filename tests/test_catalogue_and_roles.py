"""Every install has the therapy catalogue and the six staff roles."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from clinic import roles
from clinic.models import Therapy, TherapyStep

pytestmark = pytest.mark.django_db


def test_the_catalogue_has_every_therapy_of_the_domain():
    codes = set(Therapy.objects.values_list("code", flat=True))
    assert {
        "ocrelizumab",
        "natalizumab",
        "ublituximab",
        "alemtuzumab",
        "methylprednisolone",
        "ivig",
        "rituximab",
        "ofatumumab",
        "glatiramer",
    } <= codes


@pytest.mark.parametrize(
    ("code", "label", "minutes"),
    [
        ("ocrelizumab", "Dose 1 (300 mg)", 30 + 150 + 60),
        ("ocrelizumab", "Maintenance (600 mg every 24 weeks)", 30 + 210 + 60),
        ("natalizumab", "Infusions 1–12", 60 + 60),
        ("natalizumab", "Infusion 13 onwards", 60 + 60),
        ("ublituximab", "Dose 1 (150 mg)", 30 + 240 + 60),
        ("alemtuzumab", "Course 1, days 1–3 (with steroid)", 30 + 240 + 120),
        ("alemtuzumab", "Course 1, days 4–5", 30 + 240 + 120),
        ("methylprednisolone", "Daily pulse (3 to 5 days, per the order)", 60),
    ],
)
def test_chair_times_follow_the_domain(code, label, minutes):
    step = TherapyStep.objects.get(therapy__code=code, label=label)
    assert step.chair_minutes == minutes


def test_ocrelizumab_has_its_series_and_prerequisites():
    ocr = Therapy.objects.get(code="ocrelizumab")
    steps = list(
        ocr.steps.values_list("day", "repeats", "interval_days", "min_gap_days", "min_gap_months")
    )
    assert steps == [(0, 1, 0, 0, 0), (14, 1, 0, 13, 0), (168, 0, 168, 0, 5)]
    assert ocr.requirements.filter(kind="prerequisite", code="hbv").exists()


def test_lemtrada_days_are_consecutive_blocks():
    steps = TherapyStep.objects.filter(therapy__code="alemtuzumab")
    rows = [(s.repeats, s.consecutive_days, s.continues_block) for s in steps]
    # Course 1 is one block of 5 days split for the steroid (days 1-3, 4-5), then course 2.
    assert rows == [(3, True, False), (2, True, True), (3, True, False)]


def test_the_six_roles_exist_with_permissions_that_exist():
    assert len(roles.ROLES) == 6
    for name, perms in roles.ROLES.items():
        group = Group.objects.get(name=name)
        assert group.permissions.count() == len(set(perms)), name
        for perm in perms:
            app_label, codename = perm.split(".")
            assert Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).exists(), perm


def test_only_coordinators_may_change_referral_status():
    holders = Group.objects.filter(permissions__codename="change_referral_status")
    assert list(holders.values_list("name", flat=True)) == [roles.INTAKE_COORDINATOR]


def test_seed_demo_runs_twice_without_doubling(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo", "--quiet")
    from intake.models import Referral

    first = Referral.objects.count()
    call_command("seed_demo", "--quiet")
    assert Referral.objects.count() == first >= 12


def test_seed_demo_refuses_to_run_in_production(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
