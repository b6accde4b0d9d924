"""Intake in the staff admin: one module per area, registered here.

`referrals` (the triage queue, documents), `questionnaires` (instruments, pre-visit checks,
responses, and the patient hub's checks and scores), `flags` (the open-flags inbox,
acknowledging) and `oncall` (the roster).
"""

from django.contrib import admin

from clinic.admin_kit import patient_panel
from clinic.dashboard import dashboard_panel
from clinic.reports import report
from intake import reports
from intake.admin import flags, oncall, questionnaires, referrals
from intake.models import (
    Flag,
    Instrument,
    OnCallShift,
    QuestionnaireRequest,
    QuestionnaireResponse,
    Referral,
    ReferralDocument,
)

admin.site.register(Referral, referrals.ReferralAdmin)
admin.site.register(ReferralDocument, referrals.ReferralDocumentAdmin)
admin.site.register(Instrument, questionnaires.InstrumentAdmin)
admin.site.register(QuestionnaireRequest, questionnaires.QuestionnaireRequestAdmin)
admin.site.register(QuestionnaireResponse, questionnaires.QuestionnaireResponseAdmin)
admin.site.register(Flag, flags.FlagAdmin)
admin.site.register(OnCallShift, oncall.OnCallShiftAdmin)
patient_panel(order=10)(referrals.patient_referrals_panel)
patient_panel(order=40)(questionnaires.patient_questionnaires_panel)
patient_panel(order=50)(flags.patient_flags_panel)
dashboard_panel(order=10)(flags.open_flags_panel)
dashboard_panel(order=12)(oncall.on_call_panel)
dashboard_panel(order=30)(referrals.new_referrals_panel)
report(
    "urgent-flags",
    title="Urgent flags",
    summary="Urgent flags raised, acknowledged and escalated; time to acknowledge (median, 90th "
    "percentile, spread) by rule.",
    order=30,
)(reports.flags_report)
report(
    "referrals",
    title="Referrals",
    summary="Referrals received, accepted and declined; days from received to accepted and to "
    "the first infusion.",
    order=40,
)(reports.referrals_report)
