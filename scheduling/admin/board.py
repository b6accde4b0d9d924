"""The day board in the staff admin (a page of the session admin) and today's dashboard panel."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from clinic import clock
from clinic.admin_kit import AdminPagesMixin
from scheduling.board import board_build, parse_day
from scheduling.models import Session, SessionStatus


class DayBoardMixin(AdminPagesMixin):
    """Adds the day board (chairs by 15-minute slots, nurse load) to the session admin."""

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "board/",
                self.admin_site.admin_view(self.board_view),
                name="scheduling_session_board",
            ),
            *super().get_urls(),
        ]

    def board_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate(timezone=clock.clinic_tz())
        day = parse_day(request.GET.get("day"), today)
        board = board_build(day)
        return self.admin_page(
            request,
            "admin/scheduling/board.html",
            title=f"Day board {day:%A %d %B %Y}",
            board=board,
            previous=day - timedelta(days=1),
            next=day + timedelta(days=1),
            today=today,
        )


def today_panel(request: HttpRequest) -> dict | None:
    if not request.user.has_perm("scheduling.view_session"):
        return None
    today = timezone.localdate(timezone=clock.clinic_tz())
    start, end = clock.day_bounds(today)
    sessions = (
        Session.objects.filter(start__gte=start, start__lt=end)
        .exclude(status=SessionStatus.CANCELLED)
        .select_related("course__patient", "chair")
        .order_by("start")
    )
    return {
        "id": "today",
        "title": "Today's sessions",
        "template": "admin/scheduling/today_panel.html",
        "sessions": [(clock.time_label(s.start), s) for s in sessions[:40]],
        "board_url": reverse("admin:scheduling_session_board"),
    }
