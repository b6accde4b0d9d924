"""Intake in the staff admin: one module per area, registered here.

`referrals` (the triage queue, documents), `questionnaires` (instruments, pre-visit checks,
responses, and the responses shown on the patient page), `flags` (the open-flags inbox,
acknowledging) and `oncall` (the roster).
"""

from django.contrib import admin

from clinic.admin_kit import patient_inline
from clinic.dashboard import dashboard_panel
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
patient_inline(order=10)(questionnaires.PatientResponseInline)
dashboard_panel(order=10)(flags.open_flags_panel)
dashboard_panel(order=12)(oncall.on_call_panel)
dashboard_panel(order=30)(referrals.new_referrals_panel)
