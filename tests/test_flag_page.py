"""The flag page for on-call: what raised it in the patient's words, how to reach them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from intake.models import Flag, QuestionnaireRequest
from intake.questionnaires import questionnaire_save_page, questionnaire_submit, request_steps
from tests.factories import OnCallShiftFactory, PatientFactory, sent_check

pytestmark = pytest.mark.django_db
ITEM9 = "Thoughts that you would be better off dead or of hurting yourself in some way"


def phq9_answers(*, item: int, item9: int) -> dict:
    """Items 1-8 all answered `item`, item 9 answered `item9`."""
    return {f"phq9_{i}": item for i in range(1, 9)} | {"phq9_9": item9}


def _submitted(patient, codes=("phq9",), answers=None) -> QuestionnaireRequest:
    qreq, _ = sent_check(codes=codes, patient=patient)
    for step in request_steps(qreq):
        questionnaire_save_page(qreq=qreq, step=step, answers=answers or {})
    questionnaire_submit(qreq=qreq)
    return qreq


def test_the_flag_page_shows_the_answer_score_phone_and_language(client, clinician):
    patient = PatientFactory(phone="(555) 010-0142", preferred_language="es")
    _submitted(patient, answers=phq9_answers(item=0, item9=2))
    flag = Flag.objects.get(patient=patient, rule="phq9_item9")
    client.force_login(clinician)
    html = client.get(f"/admin/intake/flag/{flag.pk}/change/").content.decode()
    evidence = html.split("What raised it")[1].split("</table>")[0]
    assert ITEM9 in evidence and "More than half the days" in evidence
    assert "PHQ-9 total" in evidence and ">2 (Minimal)<" in evidence
    assert "(555) 010-0142" in html and "Español" in html
    assert f'href="/admin/clinic/patient/{patient.pk}/change/"' in html


def test_the_flag_page_says_what_the_patient_was_shown_in_their_language(client, nurse):
    patient = PatientFactory(preferred_language="es")
    _submitted(patient, answers=phq9_answers(item=0, item9=1))
    flag = Flag.objects.get(patient=patient, rule="phq9_item9")
    client.force_login(nurse)
    html = client.get(f"/admin/intake/flag/{flag.pk}/change/").content.decode()
    assert "Shown to the patient when they sent their answers (Español)" in html
    assert "911" in html.split("Shown to the patient")[1].split("</p>")[0]


def test_the_flag_page_lists_the_other_flags_raised_by_the_same_answers(client, nurse):
    patient = PatientFactory()
    _submitted(patient, answers=phq9_answers(item=3, item9=3))
    item9 = Flag.objects.get(patient=patient, rule="phq9_item9")
    severe = Flag.objects.get(patient=patient, rule="phq9_severe")
    client.force_login(nurse)
    html = client.get(f"/admin/intake/flag/{item9.pk}/change/").content.decode()
    assert "Also raised by the same answers" in html
    assert f'href="/admin/intake/flag/{severe.pk}/change/"' in html


def test_flag_lists_and_filters_name_rules_and_questionnaires_in_plain_words(client, clinician):
    _submitted(PatientFactory(), answers=phq9_answers(item=0, item9=1))
    client.force_login(clinician)
    html = client.get("/admin/intake/flag/").content.decode()
    assert "PHQ-9 item 9 (thoughts of self-harm) answered above 0" in html
    text = re.sub(r"<[^>]+>", " ", html)
    for code in ("phq9_item9", "phq9_severe", "fever_infection", "domain_worse_3"):
        assert code not in text, code
    assert "By questionnaire" in html and "PHQ-9" in html
    flag = Flag.objects.get()
    page = re.sub(
        r"<[^>]+>", " ", client.get(f"/admin/intake/flag/{flag.pk}/change/").content.decode()
    )
    assert "phq9_item9" not in page
    filtered = client.get("/admin/intake/flag/", {"rule": "phq9_item9"}).content.decode()
    assert f"/admin/intake/flag/{flag.pk}/change/" in filtered


def test_one_submission_with_several_urgent_flags_is_one_email_with_one_link(
    clinician, django_capture_on_commit_callbacks
):
    clinician.email = "dr.oncall@staff.chairside.test"
    clinician.save()
    OnCallShiftFactory(clinician=clinician, starts_at=timezone.now() - timedelta(hours=1))
    patient = PatientFactory()
    with django_capture_on_commit_callbacks(execute=True):
        _submitted(patient, answers=phq9_answers(item=3, item9=3))
    assert Flag.objects.filter(patient=patient, level="urgent").count() == 2
    (notice,) = mail.outbox
    links = re.findall(r"https?://\S+", notice.body)
    assert links == [
        f"https://chairside.test/admin/intake/flag/{Flag.objects.order_by('pk').first().pk}/change/"
    ]
    assert "2 urgent flags" in notice.body
    assert "PHQ" not in notice.body and "harm" not in notice.body and "PHQ" not in notice.subject
