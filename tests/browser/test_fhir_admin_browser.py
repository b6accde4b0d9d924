"""The FHIR pages of the staff site in Chromium: issue a token (shown once), export a record.

At 1280 x 900 with the admin sidebar open: nothing overlaps or spills, axe finds nothing
serious. The issued token works against the API; the nurse downloads a patient's Bundle.
"""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.bundle import Bundle

from clinic.models import AccessLog, Patient
from interop.models import ApiClient, ApiToken
from tests.browser.conftest import assert_accessible, browser_db, save_screenshots
from tests.browser.test_staff_layout_browser import (
    _seed,
    _sign_in,
    assert_fits,
    assert_no_overlaps,
    assert_sidebar_open,
)

pytestmark = [pytest.mark.browser, browser_db]


def test_a_superuser_issues_a_token_that_is_shown_once_and_works(
    new_context, settings, live_server
):
    _seed(settings)
    client = ApiClient.objects.create(name="Example EHR", notify_email="ehr@example.test")
    page = _sign_in(new_context, "admin")
    page.goto("/admin/interop/apitoken/add/")
    assert_sidebar_open(page)
    assert_no_overlaps(page, "#nav-sidebar, #content form .form-row", "token issue page")
    assert_fits(page, "#content", "token issue page")
    assert_accessible(page, "token issue page")
    page.get_by_label("Client").select_option(str(client.pk))
    page.get_by_label("Label").fill("test server")
    page.get_by_label("Patient", exact=True).check()
    page.get_by_label("Appointment", exact=True).check()
    page.get_by_role("button", name="Issue token").click()
    token_box = page.get_by_label("Token for Example EHR")
    raw = token_box.input_value()
    assert raw.startswith("chs_")
    assert_sidebar_open(page)
    assert_accessible(page, "token issued page")
    save_screenshots(page, "staff-api-token-issued", full_page=False)
    token = ApiToken.objects.get()
    assert token.scopes == ["Appointment", "Patient"]
    # Not shown again: the token's own page has its prefix only.
    page.goto(f"/admin/interop/apitoken/{token.pk}/change/")
    assert raw not in page.content()
    assert token.prefix in page.content()
    assert_accessible(page, "token page")
    patient = Patient.objects.first()
    api = new_context().request
    answer = api.get(
        f"{live_server.url}/fhir/R4/Patient/{patient.pk}",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert answer.status == 200
    assert answer.json()["id"] == str(patient.pk)


def test_a_nurse_downloads_a_patients_fhir_record_from_the_hub(new_context, settings):
    _seed(settings)
    patient = Patient.objects.filter(courses__sessions__isnull=False).first()
    page = _sign_in(new_context, "nurse")
    page.goto(f"/admin/clinic/patient/{patient.pk}/change/")
    assert_sidebar_open(page)
    panel = page.locator("#hub-fhir")
    assert panel.is_visible()
    assert_no_overlaps(page, "#nav-sidebar, .hub-panels > section, #hub-fhir a", "patient hub")
    assert_accessible(page, "patient hub with the FHIR panel")
    with page.expect_download() as download:
        panel.get_by_role("link", name="Download FHIR record (JSON)").click()
    body = json.loads(download.value.path().read_text(encoding="utf-8"))
    Bundle.model_validate(body)
    assert body["entry"][0]["resource"]["id"] == str(patient.pk)
    assert AccessLog.objects.filter(action="FHIR export", object_id=str(patient.pk)).exists()
