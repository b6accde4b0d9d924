"""Staff scheduling in admin: the clinic's capacity (chairs, opening hours, closures, nurses)."""

from __future__ import annotations

from django.contrib import admin


class ChairAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]


class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ["weekday", "opens", "last_start", "closes"]


class ClosedDateAdmin(admin.ModelAdmin):
    list_display = ["day", "reason"]
    date_hierarchy = "day"


class NurseShiftAdmin(admin.ModelAdmin):
    list_display = ["weekday", "starts", "ends", "nurses"]
    list_filter = ["weekday"]


class NurseOverrideAdmin(admin.ModelAdmin):
    list_display = ["day", "starts", "ends", "nurses", "reason"]
    date_hierarchy = "day"
