"""Staff scheduling in admin: the clinic's capacity (chairs, opening hours, closures, nurses)."""

from __future__ import annotations

from django.contrib import admin

from clinic.admin_kit import clinic_wall_time


class ChairAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]


class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ["weekday", "opening", "last", "closing"]
    opening = clinic_wall_time("opens", "Opens")
    last = clinic_wall_time("last_start", "Last start")
    closing = clinic_wall_time("closes", "Closes")


class ClosedDateAdmin(admin.ModelAdmin):
    list_display = ["day", "reason"]
    date_hierarchy = "day"


class NurseShiftAdmin(admin.ModelAdmin):
    list_display = ["weekday", "from_", "until", "nurses"]
    from_ = clinic_wall_time("starts", "From")
    until = clinic_wall_time("ends", "Until")
    list_filter = ["weekday"]


class NurseOverrideAdmin(admin.ModelAdmin):
    list_display = ["day", "from_", "until", "nurses", "reason"]
    from_ = clinic_wall_time("starts", "From")
    until = clinic_wall_time("ends", "Until")
    date_hierarchy = "day"
