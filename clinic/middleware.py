"""Request middleware shared by every app."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers

from clinic.clock import clinic_tz


class NoStoreMiddleware:
    """Tell every cache to keep no copy of staff pages and private-link pages.

    Covers every response under `NO_STORE_PATH_PREFIXES` (the admin, staff downloads, the
    patients' links), error pages and lockouts included, whatever the view did: a shared
    proxy must not store them and a shared computer's back button must not show them.
    Must sit before every middleware that may answer on its own.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefixes = tuple(settings.NO_STORE_PATH_PREFIXES)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(self.prefixes):
            add_never_cache_headers(response)
        return response


class RetryAfterMiddleware:
    """Make every 429 say when to come back.

    The rate limits set their own window (`clinic.ratelimit.too_many_requests`); anything
    else answering 429 without it (django-axes' sign-in lockout) gets the sign-in cool-off.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 429 and not response.has_header("Retry-After"):
            response["Retry-After"] = str(round(settings.AXES_COOLOFF_TIME * 60 * 60))
        return response


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
