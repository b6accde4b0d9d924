"""The staff AdminSite: one site, two-factor sign-in, a dashboard index (see `clinic.dashboard`)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path

from clinic import report_views, twofactor
from clinic.dashboard import dashboard_panels


class ChairsideAdminSite(admin.AdminSite):
    site_header = "Chairside staff"
    site_title = "Chairside"
    index_title = "Today"
    index_template = "admin/chairside_index.html"
    login_template = "admin/otp/login.html"

    login_form = twofactor.StaffLoginForm

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """Sign in; staff without an authenticator yet go on to set one up (when 2FA is on)."""
        if request.method == "GET" and (to_setup := twofactor.setup_redirect(request)):
            return to_setup
        response = super().login(request, extra_context)
        if request.method == "POST" and (to_setup := twofactor.setup_redirect(request)):
            return to_setup
        return response

    def get_urls(self) -> list[URLPattern | URLResolver]:
        return [
            path("two-factor/setup/", twofactor.two_factor_setup_view, name="two_factor_setup"),
            path(
                "two-factor/backup-codes/",
                self.admin_view(twofactor.backup_codes_view),
                name="two_factor_backup_codes",
            ),
            path(
                "reports/", self.admin_view(report_views.reports_index_view), name="clinic_reports"
            ),
            path(
                "reports/<slug:slug>/",
                self.admin_view(report_views.report_view),
                name="clinic_report",
            ),
            path(
                "reports/<slug:slug>/<slug:table>.csv",
                self.admin_view(report_views.report_csv_view),
                name="clinic_report_csv",
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

    def index(self, request: HttpRequest, extra_context: dict | None = None) -> TemplateResponse:
        extra_context = {**(extra_context or {}), "dashboard_panels": dashboard_panels(request)}
        return super().index(request, extra_context)
