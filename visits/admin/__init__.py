"""Visits in the staff admin: the visit page and records (`visit`), the chair-time drift page
(`drift`), and the premedication protocols and vitals thresholds clinicians keep."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from visits.admin import visit
from visits.models import PremedicationProtocol, VisitRecord, VisitSettings


class PremedicationProtocolAdmin(SimpleHistoryAdmin):
    list_display = ["therapy", "medicine", "dose", "route", "minutes_before", "first_block_days"]
    list_filter = ["therapy"]
    list_select_related = ["therapy"]


class VisitSettingsAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request: object) -> bool:
        return False  # one row, made by the migration (and by VisitSettings.load)

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


admin.site.register(VisitRecord, visit.VisitRecordAdmin)
admin.site.register(PremedicationProtocol, PremedicationProtocolAdmin)
admin.site.register(VisitSettings, VisitSettingsAdmin)
