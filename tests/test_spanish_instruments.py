"""The PHQ-9 and GAD-7 in Spanish: the published Spanish (US) text could not be found and
cited (DOMAIN.md: never a translation of our own), so the Spanish version is marked
unavailable and a Spanish-speaking patient gets the English form with a Spanish note."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from intake.instruments import item_map
from intake.instruments.translations import localized, overlay, untranslated
from tests.factories import PatientFactory, instrument, sent_check

DOB = "1980-03-27"


@pytest.mark.parametrize("code", ["phq9", "gad7"])
def test_the_spanish_overlay_is_marked_unavailable_with_no_wording_of_its_own(code):
    words = overlay("es", code)
    assert words["unavailable"] is True
    assert not words.get("items") and not words.get("choice_sets")
    assert "inglés" in words["language_note"]


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["phq9", "gad7"])
def test_spanish_speakers_get_the_published_english_form_with_a_note(code):
    definition = instrument(code).definition
    spanish = localized(definition, "es")
    assert item_map(spanish) == item_map(definition)
    assert spanish["title"] == definition["title"]
    assert "inglés" in spanish["language_note"]
    assert untranslated(definition, "es") == []


@pytest.mark.django_db
def test_the_phq9_page_of_a_spanish_speaker_shows_the_english_items_and_the_note():
    patient = PatientFactory(preferred_language="es")
    _qreq, url = sent_check(patient=patient, codes=("phq9",))
    link = re.sub(r"^https?://[^/]+", "", url)
    client = Client(headers={"accept-language": "es"})
    client.cookies["django_language"] = "es"
    client.post(link, {"date_of_birth": DOB})
    html = client.get(f"{link}step/1/").content.decode()
    assert "Little interest or pleasure in doing things" in html
    assert "se muestra en inglés" in html
