"""The staff AdminSite: one site, a dashboard index that apps add panels to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest

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
