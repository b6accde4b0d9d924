"""The staff triage queue: filters, search, and a fixed number of queries at any size."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db


def _queries_for_changelist(client, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as captured:
        response = client.get("/admin/intake/referral/")
    assert response.status_code == 200
    return len(captured)


def test_the_queue_costs_the_same_number_of_queries_for_5_or_60_referrals(
    client, coordinator, django_assert_max_num_queries
):
    client.force_login(coordinator)
    ReferralFactory.create_batch(5)
    small = _queries_for_changelist(client, django_assert_max_num_queries, 20)
    ReferralFactory.create_batch(55)
    large = _queries_for_changelist(client, django_assert_max_num_queries, 20)
    assert large == small


def test_the_queue_searches_by_reference_name_and_npi(client, coordinator):
    wanted = ReferralFactory(family_name="Searchable", provider_npi="1245319599")
    other = ReferralFactory()
    client.force_login(coordinator)
    for term in (wanted.reference, "Searchable", "1245319599"):
        page = client.get("/admin/intake/referral/", {"q": term}).content.decode()
        assert wanted.reference in page
        assert other.reference not in page


def test_the_queue_filters_by_status_and_waiting_time(client, coordinator):
    old = ReferralFactory(received_at=timezone.now() - timedelta(days=9))
    fresh = ReferralFactory()
    declined = ReferralFactory(status="declined")
    client.force_login(coordinator)
    page = client.get("/admin/intake/referral/", {"waiting": "7"}).content.decode()
    assert old.reference in page and fresh.reference not in page
    page = client.get("/admin/intake/referral/", {"status__exact": "declined"}).content.decode()
    assert declined.reference in page and fresh.reference not in page


def test_the_dashboard_lists_new_referrals_oldest_first(client, coordinator):
    newer = ReferralFactory(received_at=timezone.now() - timedelta(hours=1))
    older = ReferralFactory(received_at=timezone.now() - timedelta(days=3))
    client.force_login(coordinator)
    page = client.get("/admin/").content.decode()
    assert page.index(older.reference) < page.index(newer.reference)
