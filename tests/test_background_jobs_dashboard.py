"""The staff dashboard tells on-call staff when background jobs have stopped, and shows the
notices that could not be sent; the outbox is read-only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from clinic.jobs import heartbeat
from clinic.models import Notice
from tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db

BANNER = "Background jobs have not run for 7 minutes: urgent flags are not being escalated"


@pytest.mark.parametrize("role", ["clinician", "nurse"])
def test_on_call_staff_see_a_red_banner_when_the_scheduler_is_stale(client, request, role):
    heartbeat(timezone.now() - timedelta(minutes=7, seconds=30))
    client.force_login(request.getfixturevalue(role))
    page = client.get("/admin/").content.decode()
    assert BANNER in page
    assert 'class="errornote" role="alert" id="jobs-stale"' in page


def test_no_banner_while_the_scheduler_runs(client, clinician):
    heartbeat(timezone.now() - timedelta(seconds=50))
    client.force_login(clinician)
    page = client.get("/admin/").content.decode()
    assert "Background jobs have not run" not in page
    assert 'id="panel-jobs"' not in page


def test_a_scheduler_that_never_ran_is_called_out_too(client, clinician):
    client.force_login(clinician)
    page = client.get("/admin/").content.decode()
    assert "Background jobs have not run yet: urgent flags are not being escalated" in page


@pytest.mark.parametrize("role", ["scheduler", "coordinator"])
def test_staff_who_do_not_handle_flags_get_no_banner(client, request, role):
    heartbeat(timezone.now() - timedelta(minutes=7, seconds=30))
    client.force_login(request.getfixturevalue(role))
    assert "Background jobs have not run" not in client.get("/admin/").content.decode()


def test_failed_notices_are_listed_for_staff_who_read_the_outbox(client, coordinator, scheduler):
    heartbeat()
    referral = ReferralFactory()
    failed = Notice.objects.create(
        kind="referral_received",
        recipients="office@example.test",
        status="failed",
        attempts=5,
        last_error="ConnectionRefusedError: could not connect",
        target=referral,
    )
    client.force_login(coordinator)
    page = client.get("/admin/").content.decode()
    assert "Notices that could not be sent" in page
    assert f"/admin/clinic/notice/{failed.pk}/change/" in page
    assert f"/admin/intake/referral/{referral.pk}/change/" in page
    client.force_login(scheduler)
    assert "Notices that could not be sent" not in client.get("/admin/").content.decode()


def test_the_outbox_is_read_only(client, coordinator):
    notice = Notice.objects.create(kind="referral_intake", recipients="intake@example.test")
    client.force_login(coordinator)
    assert client.get("/admin/clinic/notice/add/").status_code == 403
    page = client.get(f"/admin/clinic/notice/{notice.pk}/change/")
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert client.get(f"/admin/clinic/notice/{notice.pk}/delete/").status_code == 403


def test_the_dashboard_panel_costs_two_queries(client, clinician, django_assert_num_queries):
    heartbeat()
    client.force_login(clinician)
    from clinic.admin_queue import background_jobs_panel

    request = client.get("/admin/").wsgi_request
    with django_assert_num_queries(2):
        assert background_jobs_panel(request) is None
