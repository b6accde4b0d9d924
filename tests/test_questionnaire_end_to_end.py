"""Must show 2: from staff sending a check to a clinician acknowledging its urgent flag."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from clinic.models import PrivateLink
from intake.models import Flag, QuestionnaireRequest, QuestionnaireResponse
from tests.factories import OnCallShiftFactory, PatientFactory, instrument

pytestmark = pytest.mark.django_db

DOB = "1980-03-27"


def answer_all(client: Client, base: str, start: int, steps: dict[int, dict]) -> None:
    for number in sorted(steps):
        if number < start:
            continue
        response = client.post(f"{base}step/{number}/", {**steps[number], "action": "next"})
        assert response.status_code == 302, response.content.decode()[:2000]


def all_steps(*, item9: int = 1, fever: int = 1) -> dict[int, dict]:
    domains = ["fatigue", "motor", "sensory", "visual", "cognitive", "emotional", "bladder_bowel"]
    body = {f"{d}_severity": "2" for d in domains[:4]} | {
        f"{d}_change": "same" for d in domains[:4]
    }
    mind = {f"{d}_severity": "3" for d in domains[4:]} | {
        f"{d}_change": "same" for d in domains[4:]
    }
    return {
        1: {
            "fever_infection": str(fever),
            "antibiotics": "0",
            "vaccine": "0",
            "pregnant": "9",
            "reaction_last": "0",
            "new_neuro": "0",
        },
        2: body,
        3: mind,
        4: {"new_symptom": "0", "notes": ""},
        5: {f"phq9_{i}": "1" for i in range(1, 9)} | {"phq9_9": str(item9)},
        6: {f"gad7_{i}": "0" for i in range(1, 8)},
    }


def test_staff_send_patient_answers_on_call_is_told_and_flag_is_acknowledged_once(
    client, coordinator, clinician, django_capture_on_commit_callbacks
):
    clinician.email = "dr.oncall@staff.chairside.test"
    clinician.save()
    OnCallShiftFactory(clinician=clinician, starts_at=timezone.now() - timedelta(hours=1))
    patient = PatientFactory(email="testy@example.test")

    # Staff send a check from admin; the patient is emailed a private link.
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            "/admin/intake/questionnairerequest/add/",
            {
                "patient": patient.pk,
                "instruments": [
                    instrument(c).pk for c in ("safety_check", "ms_symptoms", "phq9", "gad7")
                ],
            },
        )
    assert sent.status_code == 302
    qreq = QuestionnaireRequest.objects.get(patient=patient)
    assert len(mail.outbox) == 1
    invite = mail.outbox[0]
    assert invite.to == ["testy@example.test"]
    url = re.search(r"https://chairside\.test(/q/[\w-]+/)", invite.body).group(1)

    # Wrong dates of birth are refused and counted on the link (10 in total lock it).
    patient_client = Client()
    assert patient_client.get(url).status_code == 200
    for _ in range(4):
        refused = patient_client.post(url, {"date_of_birth": "1999-01-01"})
        assert refused.status_code == 200
        assert "does not match" in refused.content.decode()
    assert PrivateLink.objects.get(pk=qreq.link_id).failed_attempts == 4

    # Right date of birth, first page, then part of the second and "save and finish later".
    assert patient_client.post(url, {"date_of_birth": DOB}).status_code == 302
    assert "Start" in patient_client.get(url).content.decode()
    steps = all_steps()
    answer_all(patient_client, url, 1, {1: steps[1]})
    partial = {"fatigue_severity": "2", "fatigue_change": "same"}
    saved = patient_client.post(f"{url}step/2/", {**partial, "action": "save"})
    assert saved.status_code == 302 and saved["Location"].endswith("/saved/")
    qreq.refresh_from_db()
    assert qreq.draft[str(instrument("ms_symptoms").pk)]["fatigue_severity"] == 2
    assert not any("fatigue" in (v.value or "") for v in patient_client.cookies.values())

    # A new browser session: date of birth again, then it resumes at step 2 with answers kept.
    resumed = Client()
    assert resumed.get(url).status_code == 200
    assert resumed.post(url, {"date_of_birth": DOB}).status_code == 302
    page = resumed.get(url).content.decode()
    assert f"{url}step/2/" in page
    step2 = resumed.get(f"{url}step/2/").content.decode()
    assert "Step 2 of 7" in step2
    assert re.search(r'name="fatigue_severity"[^>]*value="2"[^>]*checked', step2)

    answer_all(resumed, url, 2, steps)
    assert "Check your answers" in resumed.get(f"{url}review/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = resumed.post(f"{url}review/")
    assert done.status_code == 302 and done["Location"].endswith("/done/")
    assert resumed.get(done["Location"]).status_code == 200

    # Responses and flags saved; the link now says "already submitted".
    assert QuestionnaireResponse.objects.filter(request=qreq).count() == 4
    urgent = Flag.objects.filter(patient=patient, level="urgent")
    assert set(urgent.values_list("rule", flat=True)) == {"phq9_item9", "fever_infection"}
    assert resumed.get(url).status_code == 410
    assert resumed.post(f"{url}review/").status_code == 410

    # The on-call clinician (with the on-call address in copy) got one notice: links only.
    notice = mail.outbox[-1]
    assert notice.to == ["dr.oncall@staff.chairside.test"]
    assert notice.cc == ["on-call@chairside.example"]
    assert "/admin/intake/flag/" in notice.body

    # The flag is in the admin inbox; acknowledge it with a note, and only once.
    client.force_login(clinician)
    index = client.get("/admin/").content.decode()
    assert "Open flags" in index
    flag = urgent.get(rule="phq9_item9")
    assert flag.label in index
    assert (
        client.post(f"/admin/intake/flag/{flag.pk}/acknowledge/", {"note": ""}).status_code == 200
    )
    flag.refresh_from_db()
    assert flag.is_open
    client.post(
        f"/admin/intake/flag/{flag.pk}/acknowledge/",
        {"note": "Called the patient; safe, GP informed."},
    )
    flag.refresh_from_db()
    assert flag.acknowledged_by == clinician
    assert flag.acknowledgement_note == "Called the patient; safe, GP informed."
    first_ack = flag.acknowledged_at
    again = client.post(
        f"/admin/intake/flag/{flag.pk}/acknowledge/", {"note": "Second try"}, follow=True
    )
    assert "already acknowledged" in again.content.decode()
    flag.refresh_from_db()
    assert flag.acknowledged_at == first_ack
    assert flag.acknowledgement_note == "Called the patient; safe, GP informed."
