"""The staff dashboard: panels that apps add to the admin index without the site importing them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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


def dashboard_panels(request: HttpRequest) -> list[dict[str, Any]]:
    """Return the panels that have something for this user, in order."""
    panels = []
    for _, panel in _panels:
        result = panel(request)
        if result:
            panels.append(result)
    return panels
