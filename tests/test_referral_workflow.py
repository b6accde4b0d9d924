"""Triage moves a referral through the workflow; each move is recorded; illegal ones refused."""

from __future__ import annotations

import pytest

from clinic.models import Patient
from intake.models import Referral, ReferralTransition
from intake.models import ReferralStatus as S
from intake.referrals import WorkflowError, referral_transition
from intake.workflow import allowed_targets
from tests.factories import PatientFactory, ReferralFactory

pytestmark = pytest.mark.django_db

LEGAL_MOVES = [
    (S.RECEIVED, S.IN_REVIEW),
    (S.IN_REVIEW, S.NEEDS_INFO),
    (S.IN_REVIEW, S.BENEFITS_CHECK),
    (S.NEEDS_INFO, S.IN_REVIEW),
    (S.BENEFITS_CHECK, S.PRIOR_AUTH),
    (S.BENEFITS_CHECK, S.NEEDS_INFO),
    (S.PRIOR_AUTH, S.ACCEPTED),
    (S.PRIOR_AUTH, S.NEEDS_INFO),
    *[
        (open_status, end)
        for open_status in (S.RECEIVED, S.IN_REVIEW, S.NEEDS_INFO, S.BENEFITS_CHECK, S.PRIOR_AUTH)
        for end in (S.DECLINED, S.WITHDRAWN)
    ],
]
ALL_MOVES = [(a, b) for a in S.values for b in S.values if a != b]
ILLEGAL_MOVES = [m for m in ALL_MOVES if m not in LEGAL_MOVES]


@pytest.mark.parametrize(("start", "target"), LEGAL_MOVES)
def test_every_legal_move_is_made_and_recorded(coordinator, start, target):
    referral = ReferralFactory(status=start)
    referral_transition(referral=referral, to_status=target, by=coordinator, note="Because")
    referral.refresh_from_db()
    assert referral.status == target
    move = ReferralTransition.objects.get(referral=referral)
    assert (move.from_status, move.to_status, move.by, move.note) == (
        start,
        target,
        coordinator,
        "Because",
    )
    assert move.at is not None


@pytest.mark.parametrize(("start", "target"), ILLEGAL_MOVES)
def test_every_illegal_move_is_refused(coordinator, start, target):
    referral = ReferralFactory(status=start)
    with pytest.raises(WorkflowError):
        referral_transition(referral=referral, to_status=target, by=coordinator, note="x")
    referral.refresh_from_db()
    assert referral.status == start
    assert not ReferralTransition.objects.exists()


def test_the_workflow_table_matches_the_domain():
    assert sorted(allowed_targets(S.RECEIVED)) == sorted([S.IN_REVIEW, S.DECLINED, S.WITHDRAWN])
    assert allowed_targets(S.ACCEPTED) == []


def test_benefits_check_goes_through_prior_authorisation_before_acceptance():
    assert S.ACCEPTED not in allowed_targets(S.BENEFITS_CHECK)
    assert S.PRIOR_AUTH in allowed_targets(S.BENEFITS_CHECK)
    assert S.ACCEPTED in allowed_targets(S.PRIOR_AUTH)


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (S.IN_REVIEW, S.NEEDS_INFO),
        (S.IN_REVIEW, S.DECLINED),
        (S.IN_REVIEW, S.WITHDRAWN),
        (S.RECEIVED, S.IN_REVIEW),
        (S.IN_REVIEW, S.BENEFITS_CHECK),
        (S.BENEFITS_CHECK, S.PRIOR_AUTH),
        (S.PRIOR_AUTH, S.ACCEPTED),
    ],
)
def test_every_move_needs_a_reason(coordinator, start, target):
    referral = ReferralFactory(status=start)
    with pytest.raises(WorkflowError, match="Say why"):
        referral_transition(referral=referral, to_status=target, by=coordinator, note="  ")


def test_accepting_creates_the_patient(coordinator):
    referral = ReferralFactory(status=S.PRIOR_AUTH, given_name="Unique", family_name="Fakeperson")
    referral_transition(referral=referral, to_status=S.ACCEPTED, by=coordinator, note="Test move")
    referral.refresh_from_db()
    assert referral.patient.legal_family_name == "Fakeperson"
    assert referral.patient.record_number.startswith("CS")


def test_accepting_links_an_existing_patient_instead_of_duplicating(coordinator):
    existing = PatientFactory(legal_given_name="José", legal_family_name="Núñez-Demo")
    referral = ReferralFactory(
        status=S.PRIOR_AUTH,
        given_name="jose",
        family_name="NUNEZ DEMO",
        date_of_birth=existing.date_of_birth,
    )
    referral_transition(referral=referral, to_status=S.ACCEPTED, by=coordinator, note="Test move")
    referral.refresh_from_db()
    assert referral.patient == existing
    assert Patient.objects.count() == 1


# --- through the admin ------------------------------------------------------------------


def test_a_coordinator_moves_a_referral_from_the_admin_page(client, coordinator):
    referral = ReferralFactory()
    client.force_login(coordinator)
    page = client.get(f"/admin/intake/referral/{referral.pk}/change/")
    assert f"/admin/intake/referral/{referral.pk}/transition/in_review/" in page.content.decode()
    response = client.post(
        f"/admin/intake/referral/{referral.pk}/transition/in_review/", {"note": "Looks complete"}
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == S.IN_REVIEW
    assert ReferralTransition.objects.get().note == "Looks complete"


def test_the_admin_refuses_an_illegal_move_with_a_message(client, coordinator):
    referral = ReferralFactory(status=S.RECEIVED)
    client.force_login(coordinator)
    response = client.post(
        f"/admin/intake/referral/{referral.pk}/transition/accepted/",
        {"note": "skip"},
        follow=True,
    )
    assert "can&#x27;t move from Received" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == S.RECEIVED


def test_the_admin_asks_for_a_reason_before_declining(client, coordinator):
    referral = ReferralFactory(status=S.IN_REVIEW)
    client.force_login(coordinator)
    response = client.post(f"/admin/intake/referral/{referral.pk}/transition/declined/", {})
    assert response.status_code == 200
    assert response.context["form"].errors["note"]
    referral.refresh_from_db()
    assert referral.status == S.IN_REVIEW


def test_a_nurse_can_read_but_not_change_status(client, nurse):
    referral = ReferralFactory()
    client.force_login(nurse)
    page = client.get(f"/admin/intake/referral/{referral.pk}/change/")
    assert page.status_code == 200
    assert "/transition/" not in page.content.decode()
    response = client.post(
        f"/admin/intake/referral/{referral.pk}/transition/in_review/", {"note": "x"}
    )
    assert response.status_code == 403
    referral.refresh_from_db()
    assert referral.status == S.RECEIVED


def test_a_nurse_cannot_use_the_bulk_start_review_action(client, nurse):
    referral = ReferralFactory()
    client.force_login(nurse)
    client.post(
        "/admin/intake/referral/", {"action": "start_review", "_selected_action": [referral.pk]}
    )
    referral.refresh_from_db()
    assert referral.status == S.RECEIVED


def test_the_bulk_action_starts_review_of_new_referrals(client, coordinator):
    new = ReferralFactory.create_batch(3)
    closed = ReferralFactory(status=S.DECLINED)
    client.force_login(coordinator)
    client.post(
        "/admin/intake/referral/",
        {"action": "start_review", "_selected_action": [r.pk for r in [*new, closed]]},
    )
    assert Referral.objects.filter(status=S.IN_REVIEW).count() == 3
    assert Referral.objects.get(pk=closed.pk).status == S.DECLINED


def test_staff_cannot_add_or_delete_referrals_in_admin(client, superuser):
    client.force_login(superuser)
    assert client.get("/admin/intake/referral/add/").status_code == 403
