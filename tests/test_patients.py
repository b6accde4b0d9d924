"""Patients: record numbers, the same person twice is detected, and merged rather than doubled."""

from __future__ import annotations

from datetime import date

import pytest

from clinic.models import Patient
from clinic.services import MergeError, patient_merge
from intake.models import Referral
from tests.factories import PatientFactory, ReferralFactory

pytestmark = pytest.mark.django_db


def test_each_patient_gets_a_distinct_record_number():
    numbers = {PatientFactory().record_number for _ in range(20)}
    assert len(numbers) == 20
    assert all(n.startswith("CS") and len(n) == 9 for n in numbers)


def test_the_same_name_and_birth_date_is_found_whatever_the_accents_and_case():
    first = PatientFactory(legal_given_name="María", legal_family_name="O'Demo-Núñez")
    second = PatientFactory(legal_given_name="MARIA", legal_family_name="odemo nunez")
    assert list(first.possible_duplicates()) == [second]
    other_birthday = PatientFactory(
        legal_given_name="Maria", legal_family_name="ODemo Nunez", date_of_birth=date(1990, 1, 1)
    )
    assert other_birthday not in first.possible_duplicates()


def test_the_admin_refuses_to_add_a_duplicate_unless_told_it_is_another_person(client, coordinator):
    existing = PatientFactory(legal_given_name="Testy", legal_family_name="Twice")
    client.force_login(coordinator)
    data = {
        "legal_given_name": "testy",
        "legal_family_name": "TWICE",
        "date_of_birth": existing.date_of_birth.isoformat(),
        "sex": "female",
        "preferred_language": "en",
    }
    response = client.post("/admin/clinic/patient/add/", data)
    assert response.status_code == 200
    assert existing.record_number in response.content.decode()
    assert Patient.objects.count() == 1
    response = client.post("/admin/clinic/patient/add/", {**data, "not_a_duplicate": "on"})
    assert response.status_code == 302
    assert Patient.objects.count() == 2


def test_merging_moves_referrals_and_marks_the_duplicate():
    keep = PatientFactory(email="")
    duplicate = PatientFactory(email="dupe@example.test")
    referral = ReferralFactory(patient=duplicate)
    moved = patient_merge(keep=keep, duplicate=duplicate)
    assert moved >= 1
    assert Referral.objects.get(pk=referral.pk).patient == keep
    duplicate.refresh_from_db()
    keep.refresh_from_db()
    assert duplicate.merged_into == keep
    assert keep.email == "dupe@example.test"


def test_a_record_cannot_be_merged_twice_or_into_itself():
    keep, duplicate = PatientFactory(), PatientFactory()
    with pytest.raises(MergeError):
        patient_merge(keep=keep, duplicate=keep)
    patient_merge(keep=keep, duplicate=duplicate)
    with pytest.raises(MergeError):
        patient_merge(keep=keep, duplicate=duplicate)


def test_the_merge_action_in_admin(client, coordinator):
    a = PatientFactory(legal_given_name="Same", legal_family_name="Person")
    b = PatientFactory(legal_given_name="Same", legal_family_name="Person")
    client.force_login(coordinator)
    selection = {"action": "merge_patients", "_selected_action": [a.pk, b.pk]}
    confirm = client.post("/admin/clinic/patient/", selection)
    assert "Merge patient records" in confirm.content.decode()
    client.post("/admin/clinic/patient/", {**selection, "keep": a.pk})
    b.refresh_from_db()
    assert b.merged_into == a


def test_a_nurse_cannot_merge(client, nurse):
    a, b = PatientFactory(), PatientFactory()
    client.force_login(nurse)
    client.post(
        "/admin/clinic/patient/",
        {"action": "merge_patients", "_selected_action": [a.pk, b.pk], "keep": a.pk},
    )
    b.refresh_from_db()
    assert b.merged_into is None
