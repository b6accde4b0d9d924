"""Scheduling in the staff admin: one module per area, registered here.

`capacity` (chairs, hours, closures, nurses), `courses` (prerequisites, booking a course or a
dose), `sessions` (the visit workflow, move, cancel) and `board` (the day board, a page of the
session admin, and today's dashboard panel).
"""

from django.contrib import admin

from clinic.admin_kit import patient_panel
from clinic.dashboard import dashboard_panel
from intake.admin.referrals import after_acceptance
from intake.questionnaire_forms import visit_source
from scheduling.admin import board, capacity, courses, monitoring, sessions
from scheduling.models import (
    Chair,
    ClosedDate,
    MonitoringTask,
    NurseOverride,
    NurseShift,
    OpeningHours,
    Session,
    TreatmentCourse,
)

admin.site.register(Chair, capacity.ChairAdmin)
admin.site.register(OpeningHours, capacity.OpeningHoursAdmin)
admin.site.register(ClosedDate, capacity.ClosedDateAdmin)
admin.site.register(NurseShift, capacity.NurseShiftAdmin)
admin.site.register(NurseOverride, capacity.NurseOverrideAdmin)
admin.site.register(TreatmentCourse, courses.TreatmentCourseAdmin)
admin.site.register(MonitoringTask, monitoring.MonitoringTaskAdmin)
admin.site.register(Session, sessions.SessionAdmin)
dashboard_panel(order=20)(board.today_panel)
patient_panel(order=20)(courses.patient_courses_panel)
patient_panel(order=30)(sessions.patient_sessions_panel)
after_acceptance(courses.accepted_referral_note)
visit_source(sessions.coming_visits)
