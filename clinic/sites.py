"""The staff AdminSite: one site, a dashboard index that apps add panels to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import path

# A panel is a function (request) -> dict with "title", "template" and its context, or None.
DashboardPanel = Callable[[HttpRequest], dict[str, Any] | None]
_panels: list[tuple[int, DashboardPanel]] = []


def dashboard_panel(order: int) -> Callable[[DashboardPanel], DashboardPanel]:
    """Register a panel for the admin index; lower `order` shows first."""

    def register(func: DashboardPanel) -> DashboardPanel:
        _panels.append((order, func))
        _panels.sort(key=lambda item: item[0])
        return func

    return register


class ChairsideAdminSite(admin.AdminSite):
    site_header = "Chairside staff"
    site_title = "Chairside"
    index_title = "Today"
    index_template = "admin/chairside_index.html"
    login_template = "admin/otp/login.html"

    @property
    def login_form(self):  # type: ignore[override]
        # Imported late: the form module imports the admin, which imports this site.
        from clinic.twofactor import StaffLoginForm

        return StaffLoginForm

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """Sign in; staff without an authenticator yet go on to set one up (when 2FA is on)."""
        from clinic.twofactor import setup_redirect

        if request.method == "GET" and (to_setup := setup_redirect(request)):
            return to_setup
        response = super().login(request, extra_context)
        if request.method == "POST" and (to_setup := setup_redirect(request)):
            return to_setup
        return response

    def get_urls(self):
        from clinic import twofactor

        return [
            path("two-factor/setup/", twofactor.two_factor_setup_view, name="two_factor_setup"),
            path(
                "two-factor/backup-codes/",
                self.admin_view(twofactor.backup_codes_view),
                name="two_factor_backup_codes",
            ),
            *super().get_urls(),
        ]

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        if getattr(settings, "OTP_REQUIRED", False):
            is_verified = getattr(request.user, "is_verified", None)
            return bool(is_verified and is_verified())
        return True

    def index(self, request: HttpRequest, extra_context: dict | None = None):
        panels = []
        for _, panel in _panels:
            result = panel(request)
            if result:
                panels.append(result)
        extra_context = {**(extra_context or {}), "dashboard_panels": panels}
        return super().index(request, extra_context)
