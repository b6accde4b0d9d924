"""Patients get Spanish from their browser or the switch on the page, and keep it."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_accessible, browser_db, save_screenshots, watched_page

pytestmark = [pytest.mark.browser, browser_db]


def test_a_spanish_browser_gets_spanish_pages(new_context, path_done):
    page = watched_page(new_context(locale="es-MX"))
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "es"
    page.get_by_role("link", name="Referir a un paciente").click()
    page.wait_for_url("**/refer/")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Referir a un paciente para tratamiento de infusión"
    )
    assert_accessible(page, "referral form in Spanish")
    save_screenshots(page, "referral-form-es", full_page=False)
    path_done("language: a Spanish browser gets the referral form in Spanish")


def test_a_patient_switches_to_spanish_and_it_is_remembered(page, path_done):
    page.goto("/refer/")
    page.get_by_label("Language", exact=True).select_option("es")
    # Choosing alone changes nothing (no surprise reload); the button does.
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name="Change").click()
    page.wait_for_function("document.documentElement.lang === 'es'")
    assert page.url.endswith("/refer/")
    assert page.get_by_role("button", name="Enviar referido").is_visible()
    # A later page in the same browser stays Spanish.
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "es"
    page.get_by_label("Idioma", exact=True).select_option("en")
    page.get_by_role("button", name="Cambiar").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.get_by_role("link", name="Refer a patient").is_visible()
    path_done("language: switch to Spanish on the page, stays Spanish, switch back")
