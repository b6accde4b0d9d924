"""Request middleware shared by every app."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation

from clinic.clock import clinic_tz


class StaffEnglishMiddleware:
    """Serve the staff admin in English whatever the browser asks for.

    LocaleMiddleware picks the patient's language from the cookie or Accept-Language; staff
    share workstations and the admin's clinical vocabulary is English-only, so it stays
    English. Must sit after LocaleMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.admin_prefix = ""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.admin_prefix:
            self.admin_prefix = reverse("admin:index")
        if request.path_info.startswith(self.admin_prefix):
            translation.activate("en")
            request.LANGUAGE_CODE = "en"
        return self.get_response(request)


class ClinicTimeMiddleware:
    """Show and read every date and time in the clinic's time zone (stored values stay UTC).

    Pages, forms and emails sent while answering a request then agree with the clinic's
    wall clock, for patients and for staff entering times in the admin.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with timezone.override(clinic_tz()):
            return self.get_response(request)
