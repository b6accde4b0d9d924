"""A new patient or referring office sends a referral in a real browser."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from intake.models import Referral
from tests.browser.conftest import (
    assert_accessible,
    assert_fits_narrow_screen,
    browser_db,
    fill_form,
    save_screenshots,
)
from tests.factories import PDF_BYTES, referral_form_data

pytestmark = [pytest.mark.browser, browser_db]

PDF_UPLOAD = {"name": "order.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}


def _open_referral_form(page):
    page.goto("/")
    page.get_by_role("link", name="Refer a patient").click()
    page.wait_for_url("**/refer/")


def test_a_referrer_sends_a_referral_with_a_pdf_and_sees_the_reference(page, path_done):
    _open_referral_form(page)
    assert_accessible(page, "referral form")
    assert_fits_narrow_screen(page, "referral form")
    save_screenshots(page, "referral-form", full_page=False)

    fill_form(page, referral_form_data())
    page.set_input_files("[name='documents_order']", PDF_UPLOAD)
    page.get_by_role("button", name="Send referral").click()

    page.wait_for_url("**/refer/thanks/")
    reference = page.locator("[data-reference]").inner_text().strip()
    assert re.fullmatch(r"R-[A-Z0-9]{4}-[A-Z0-9]{4}", reference)
    referral = Referral.objects.get(reference=reference)
    assert referral.documents.count() == 1
    assert any(reference in message.body for message in mail.outbox)
    assert_accessible(page, "referral received")
    assert_fits_narrow_screen(page, "referral received")
    save_screenshots(page, "referral-received")
    path_done("referral: fill the form, attach a PDF, send, see the reference")


def test_a_referrer_fixes_a_mistake_from_the_error_summary(page, path_done):
    _open_referral_form(page)
    fill_form(page, referral_form_data(provider_npi="1234567890"))
    page.get_by_role("button", name="Send referral").click()
    page.wait_for_load_state()

    summary = page.locator("[data-error-summary]")
    assert summary.is_visible()
    # Focus moves to the summary, so a screen reader reads out what went wrong.
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    npi = page.locator("#id_provider_npi")
    assert npi.get_attribute("aria-invalid") == "true"
    described = (npi.get_attribute("aria-describedby") or "").split()
    assert any("NPI" in page.locator(f"#{ident}").inner_text() for ident in described), (
        "the NPI error is not tied to its field"
    )
    assert_accessible(page, "referral form with errors")
    save_screenshots(page, "referral-form-errors", full_page=False)

    summary.get_by_role("link", name=re.compile("NPI")).click()
    assert page.evaluate("document.activeElement.id") == "id_provider_npi"
    page.keyboard.press("Control+A")
    page.keyboard.type("1234567893")
    page.set_input_files("[name='documents_order']", PDF_UPLOAD)
    page.get_by_role("button", name="Send referral").click()

    page.wait_for_url("**/refer/thanks/")
    assert Referral.objects.filter(provider_npi="1234567893").count() == 1
    path_done("referral: a wrong NPI, follow the error summary link, fix it, send")


def test_every_error_on_the_referral_form_is_tied_to_its_field(page):
    _open_referral_form(page)
    page.get_by_role("button", name="Send referral").click()
    page.wait_for_load_state()

    invalid = page.locator("[aria-invalid='true']")
    assert invalid.count() > 5
    for index in range(invalid.count()):
        field = invalid.nth(index)
        # A group of radios is described as a group, on its fieldset.
        ids = field.evaluate(
            "el => (el.closest('[aria-describedby]')?.getAttribute('aria-describedby') || '')"
        ).split()
        texts = [page.locator(f"[id='{ident}']").inner_text() for ident in ids]
        assert any(text.strip() for text in texts), (
            f"{field.get_attribute('name')} has an error that is not tied to it"
        )
    # Every link in the summary leads to a field that exists.
    for link in page.locator("[data-error-summary] a").all():
        target = (link.get_attribute("href") or "").lstrip("#")
        assert target and page.locator(f"[id='{target}']").count() == 1, target


def test_the_referral_form_can_be_sent_with_the_keyboard_alone(page):
    _open_referral_form(page)
    # The skip link is the first thing a keyboard user reaches, and it is visible then.
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.classList.contains('skip-link')")
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # The focus outline is drawn (not removed by a reset).
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in {"none", ""}


def test_a_referral_can_be_sent_after_a_long_pause(page, new_context):
    """No time limit: the form still goes through after the session cookie has lapsed."""
    _open_referral_form(page)
    fill_form(page, referral_form_data())
    page.context.clear_cookies(name="sessionid")
    page.get_by_role("button", name="Send referral").click()
    page.wait_for_url("**/refer/thanks/")


def test_the_home_and_error_pages_are_accessible(page):
    page.goto("/")
    assert_accessible(page, "home")
    assert_fits_narrow_screen(page, "home")
    save_screenshots(page, "home")
    page.goto("/no-such-page/")
    assert_accessible(page, "page not found")
