"""A patient answers a pre-visit check from the link in their email, in a real browser."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from intake.models import QuestionnaireRequest
from tests.browser.conftest import (
    assert_accessible,
    assert_fits_narrow_screen,
    browser_db,
    live_path,
    save_screenshots,
    watched_page,
)
from tests.factories import PatientFactory, sent_check

pytestmark = [pytest.mark.browser, browser_db]
DOB = "1980-03-27"  # PatientFactory's date of birth
CODES = ("safety_check", "phq9", "gad7")  # three pages: safety, PHQ-9, GAD-7


def _emailed_link(**patient) -> str:
    patient = PatientFactory(email="patient@example.test", **patient)
    sent_check(patient=patient, codes=CODES, email=True)
    invite = next(m for m in mail.outbox if m.to == ["patient@example.test"])
    return live_path(invite.body)


def _pass_the_date_of_birth_check(page, link: str, dob: str = DOB) -> None:
    page.goto(link)
    page.get_by_label(re.compile("date of birth|fecha de nacimiento", re.I)).fill(dob)
    page.get_by_role("button", name=re.compile("Continue|Continuar")).click()
    page.wait_for_load_state()


def _answer_every_question(page, answer: str) -> None:
    for item in page.locator("fieldset.questionnaire-item").all():
        choice = item.get_by_label(answer, exact=True)
        if choice.count():
            choice.check()


def test_a_patient_answers_saves_comes_back_later_and_finishes(new_context, path_done):
    link = _emailed_link()
    first_visit = watched_page(new_context())

    # A wrong date of birth first: the error is announced and tied to the field.
    _pass_the_date_of_birth_check(first_visit, link, dob="1980-03-28")
    assert first_visit.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert_accessible(first_visit, "date of birth check with an error")
    _pass_the_date_of_birth_check(first_visit, link)
    assert_accessible(first_visit, "questionnaire start")
    assert_fits_narrow_screen(first_visit, "questionnaire start")
    save_screenshots(first_visit, "questionnaire-start")
    first_visit.get_by_role("link", name="Start").click()

    # Page 1: the safety check.
    first_visit.wait_for_url(re.compile(r"/step/1/$"))
    assert_accessible(first_visit, "questionnaire step 1")
    assert_fits_narrow_screen(first_visit, "questionnaire step 1")
    save_screenshots(first_visit, "questionnaire-step")
    _answer_every_question(first_visit, "No")
    first_visit.get_by_role("button", name="Continue").click()

    # Page 2: PHQ-9, then save and stop.
    first_visit.wait_for_url(re.compile(r"/step/2/$"))
    assert_accessible(first_visit, "questionnaire step 2")
    _answer_every_question(first_visit, "Not at all")
    first_visit.get_by_role("button", name="Save and finish later").click()
    first_visit.wait_for_url(re.compile(r"/saved/$"))
    assert_accessible(first_visit, "questionnaire saved")
    save_screenshots(first_visit, "questionnaire-saved")
    first_visit.context.close()

    # Later, in a new browser: the date of birth again, then on from where they stopped.
    later = watched_page(new_context())
    _pass_the_date_of_birth_check(later, link)
    later.get_by_role("link", name="Continue where you left off").click()
    later.wait_for_url(re.compile(r"/step/3/$"))
    # Submitting an unanswered page shows what is missing, tied to each question.
    later.get_by_role("button", name="Continue").click()
    later.wait_for_load_state()
    assert later.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert_accessible(later, "questionnaire step with errors")
    save_screenshots(later, "questionnaire-step-errors", full_page=False)
    _answer_every_question(later, "Not at all")
    later.get_by_role("button", name="Continue").click()

    later.wait_for_url(re.compile(r"/review/$"))
    assert_accessible(later, "questionnaire review")
    later.get_by_role("button", name="Send my answers").click()
    later.wait_for_url(re.compile(r"/done/$"))
    assert_accessible(later, "questionnaire done")
    save_screenshots(later, "questionnaire-done")

    qreq = QuestionnaireRequest.objects.get()
    assert qreq.submitted_at is not None
    path_done("questionnaire: emailed link, date of birth, two pages, save, come back, finish")


def test_the_questionnaire_questions_are_tied_to_their_errors(new_context):
    page = watched_page(new_context())
    _pass_the_date_of_birth_check(page, _emailed_link())
    page.get_by_role("link", name="Start").click()
    page.wait_for_url(re.compile(r"/step/1/$"))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()

    summary_links = page.locator("[data-error-summary] a")
    assert summary_links.count() > 0
    for link in summary_links.all():
        target = (link.get_attribute("href") or "").lstrip("#")
        assert target and page.locator(f"[id='{target}']").count() == 1, target
    for group in page.locator("fieldset.questionnaire-item.has-error").all():
        ids = (group.get_attribute("aria-describedby") or "").split()
        assert ids, "a question with an error does not point to it"
        assert all(page.locator(f"[id='{ident}']").inner_text().strip() for ident in ids)
    summary_links.first.click()
    assert page.evaluate("document.activeElement.type") == "radio"


def test_a_patient_answers_a_page_with_the_keyboard_alone(new_context):
    page = watched_page(new_context())
    _pass_the_date_of_birth_check(page, _emailed_link())
    page.get_by_role("link", name="Start").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/step/1/$"))

    def focused(expression: str):
        return page.evaluate(
            f"(() => {{ const el = document.activeElement; return {expression}; }})()"
        )

    for _ in range(30):
        page.keyboard.press("Tab")
        if focused("el.type") == "radio":
            break
    questions = page.locator("fieldset.questionnaire-item").count()
    for number in range(questions):
        assert focused("el.type") == "radio", f"question {number + 1} is not reachable"
        # The focus ring is drawn on the choice.
        assert focused("getComputedStyle(el).outlineStyle") not in {"none", ""}
        page.keyboard.press("ArrowDown")  # from "Yes" to "No", which selects it
        assert focused("el.checked && el.labels[0].textContent.trim()") == "No"
        page.keyboard.press("Tab")
    assert focused("el.textContent.trim()") == "Continue"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/step/2/$"))
