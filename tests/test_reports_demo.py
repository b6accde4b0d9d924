"""The demo history (`seed_demo --history-weeks N`): past visits, flags and referrals for the
reports, written through the services, once."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from clinic.models import Notice, Patient
from clinic.reports import default_period
from intake.models import Flag, Referral
from intake.reports import flags_tables, referrals_tables
from scheduling.models import Session, SessionStatus
from scheduling.reports import attendance_tables

pytestmark = pytest.mark.django_db


def test_the_demo_history_fills_every_report_once(settings):
    settings.DEBUG = True
    call_command("seed_demo", "--quiet", "--history-weeks", "3")
    counts = (Patient.objects.count(), Session.objects.count(), Flag.objects.count())
    call_command("seed_demo", "--quiet", "--history-weeks", "3")
    assert (Patient.objects.count(), Session.objects.count(), Flag.objects.count()) == counts

    past = Session.objects.filter(start__lt=default_period().end)
    assert past.filter(status=SessionStatus.COMPLETED, checked_in_at__isnull=False).exists()
    assert past.filter(status=SessionStatus.NO_SHOW).exists()
    period = default_period()
    weeks, _, _ = attendance_tables(period)
    assert sum(row[1] for row in weeks.rows) > 20
    overall, _, _ = flags_tables(period)
    assert overall.rows[0][1] > 0 and overall.rows[0][2] > 0
    assert referrals_tables(period)[0].rows[0][1] > 0
    assert Referral.objects.filter(transitions__to_status="accepted").exists()
    # The replay's notices are history: none is left for the worker to send.
    assert not Notice.objects.filter(
        status=Notice.Status.QUEUED, recipients__contains="history"
    ).exists()
