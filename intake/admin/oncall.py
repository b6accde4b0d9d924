"""Staff side of the on-call roster: shifts with overlaps and gaps, and who is on call now."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from intake.models import OnCallShift
from intake.oncall import next_on_call, on_call_at, roster_gaps, roster_overlaps


class OnCallShiftAdmin(SimpleHistoryAdmin):
    list_display = ["clinician", "starts_at", "ends_at", "phone", "overlaps", "note"]
    list_filter = ["clinician"]
    search_fields = ["clinician__username", "clinician__last_name", "phone"]
    list_select_related = ["clinician"]
    date_hierarchy = "starts_at"
    ordering = ["starts_at"]
    change_list_template = "admin/intake/oncallshift/change_list.html"

    @admin.display(description="Overlaps with")
    def overlaps(self, obj: OnCallShift) -> str:
        others = (
            OnCallShift.objects.filter(starts_at__lt=obj.ends_at, ends_at__gt=obj.starts_at)
            .exclude(pk=obj.pk)
            .select_related("clinician")
        )
        return ", ".join(str(s.clinician) for s in others) or "-"

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        now = timezone.now()
        end = now + timedelta(days=14)
        shifts = list(
            OnCallShift.objects.filter(ends_at__gt=now, starts_at__lt=end).select_related(
                "clinician"
            )
        )
        extra_context = {
            **(extra_context or {}),
            "gaps": roster_gaps(shifts, start=now, end=end),
            "overlap_pairs": roster_overlaps(shifts),
        }
        return super().changelist_view(request, extra_context)


def on_call_panel(request: HttpRequest) -> dict | None:
    if not request.user.has_perm("intake.view_oncallshift"):
        return None
    now = timezone.now()
    current = on_call_at(now)
    return {
        "id": "on-call",
        "title": "On call",
        "template": "admin/intake/on_call_panel.html",
        "now": current,
        "next": next_on_call(now),
    }
