"""The PML question asks for the label's signs, and a patient on natalizumab by any course
(not only an accepted referral) who answers yes raises an urgent flag and an on-call notice."""

from __future__ import annotations

import pytest
from django.core import mail

from intake.instruments import item_map
from intake.instruments.translations import localized
from intake.models import Flag
from intake.questionnaires import patient_context, questionnaire_submit
from scheduling.models import TreatmentCourse
from scheduling.patient_facts import current_therapies
from tests.factories import OnCallShiftFactory, UserFactory, instrument, ready_course, sent_check
from tests.test_flags_notify import fill

pytestmark = pytest.mark.django_db

LABEL_SIGNS_EN = [
    "weakness on one side of your body",
    "clumsiness of your arms or legs",
    "vision",
    "balance",
    "speech",
    "thinking",
    "memory",
    "orientation",
    "personality",
]
LABEL_SIGNS_ES = [
    "debilidad en un lado del cuerpo",
    "torpeza en los brazos o las piernas",
    "la vista",
    "el equilibrio",
    "el habla",
    "forma de pensar",
    "memoria",
    "orientación",
    "personalidad",
]


@pytest.mark.parametrize(("language", "signs"), [("en", LABEL_SIGNS_EN), ("es", LABEL_SIGNS_ES)])
def test_the_pml_question_names_every_sign_of_the_label(language, signs):
    definition = localized(instrument("safety_check").definition, language)
    text = item_map(definition)["new_neuro"]["text"]
    assert [sign for sign in signs if sign not in text] == []


def test_current_therapies_come_from_active_courses_whatever_created_them():
    course = ready_course("natalizumab")  # no referral
    ready_course("ocrelizumab", patient=course.patient, status=TreatmentCourse.Status.STOPPED)
    assert current_therapies(course.patient) == ["natalizumab"]
    assert patient_context(course.patient) == {"therapies": ["natalizumab"]}


def test_a_natalizumab_patient_without_a_referral_raises_the_urgent_pml_flag(
    django_capture_on_commit_callbacks,
):
    OnCallShiftFactory(clinician=UserFactory(email="oncall@staff.chairside.test"))
    course = ready_course("natalizumab")
    qreq, _url = sent_check(patient=course.patient)
    fill(qreq)
    safety = qreq.ordered_instruments()[0]
    qreq.draft[str(safety.pk)]["new_neuro"] = 1
    qreq.save()
    with django_capture_on_commit_callbacks(execute=True):
        questionnaire_submit(qreq=qreq)
    flag = Flag.objects.get(patient=course.patient)
    assert (flag.rule, flag.level) == ("possible_pml", "urgent")
    assert [m.to for m in mail.outbox] == [["oncall@staff.chairside.test"]]
