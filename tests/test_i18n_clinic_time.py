"""Dates and times on patient pages are the clinic's wall clock, in the patient's language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from clinic.models import PrivateLink
from tests.factories import PatientFactory, sent_check

pytestmark = pytest.mark.django_db
DOB = "1980-03-27"  # PatientFactory's date of birth
# 03:00 UTC on 5 January is still 4 January in New York (the clinic's zone in tests).
LATE_EVENING_IN_NEW_YORK = datetime(2027, 1, 5, 3, 0, tzinfo=UTC)


def _saved_page(language: str) -> str:
    qreq, url = sent_check(patient=PatientFactory(), codes=("safety_check",))
    PrivateLink.objects.filter(pk=qreq.link_id).update(expires_at=LATE_EVENING_IN_NEW_YORK)
    client = Client(headers={"accept-language": language})
    link = url.replace("https://chairside.test", "")
    assert client.post(link, {"date_of_birth": DOB}).status_code == 302
    return client.get(f"{link}saved/").content.decode()


def test_the_link_expiry_date_is_the_clinics_date(settings):
    settings.CLINIC_TIME_ZONE = "America/New_York"
    assert "The link works until Monday, Jan. 4, 2027, 10 p.m. (clinic time)." in _saved_page("en")


def test_the_link_expiry_date_is_the_clinics_date_in_spanish(settings):
    settings.CLINIC_TIME_ZONE = "America/New_York"
    assert "El enlace funciona hasta el lunes, 4 de enero de 2027, 22:00 (hora de la clínica)." in (
        _saved_page("es")
    )
