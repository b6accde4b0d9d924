"""Scheduling in the staff admin: one module per area, registered here.

`capacity` (chairs, hours, closures, nurses), `courses` (prerequisites, booking a course or a
dose), `sessions` (the visit workflow, move, cancel) and `board` (the day board, a page of the
session admin, and today's dashboard panel).
"""

from django.contrib import admin

from clinic.admin_kit import patient_panel
from clinic.dashboard import dashboard_panel
from clinic.reports import report
from intake.admin.referrals import after_acceptance
from intake.questionnaire_forms import visit_source
from scheduling import reports
from scheduling.admin import (
    authorisations,
    board,
    capacity,
    courses,
    monitoring,
    sessions,
    waitlist,
)
from scheduling.models import (
    Authorisation,
    Chair,
    ClosedDate,
    MonitoringTask,
    NurseOverride,
    NurseShift,
    OpeningHours,
    Session,
    TreatmentCourse,
    WaitlistEntry,
    WaitlistOffer,
)

admin.site.register(Chair, capacity.ChairAdmin)
admin.site.register(OpeningHours, capacity.OpeningHoursAdmin)
admin.site.register(ClosedDate, capacity.ClosedDateAdmin)
admin.site.register(NurseShift, capacity.NurseShiftAdmin)
admin.site.register(NurseOverride, capacity.NurseOverrideAdmin)
admin.site.register(TreatmentCourse, courses.TreatmentCourseAdmin)
admin.site.register(MonitoringTask, monitoring.MonitoringTaskAdmin)
admin.site.register(Session, sessions.SessionAdmin)
admin.site.register(Authorisation, authorisations.AuthorisationAdmin)
admin.site.register(WaitlistEntry, waitlist.WaitlistEntryAdmin)
admin.site.register(WaitlistOffer, waitlist.WaitlistOfferAdmin)
dashboard_panel(order=25)(authorisations.authorisations_panel)
dashboard_panel(order=20)(board.today_panel)
patient_panel(order=20)(courses.patient_courses_panel)
patient_panel(order=30)(sessions.patient_sessions_panel)
after_acceptance(courses.accepted_referral_note)
visit_source(sessions.coming_visits)
report(
    "utilisation",
    title="Chair utilisation",
    summary="Booked and actual chair-hours against open chair-hours: per day, per hour of day "
    "against the nurse cap, per chair.",
    order=10,
)(reports.utilisation_report)
report(
    "attendance",
    title="Attendance",
    summary="No-shows and late cancellations (less than 24 hours before) by week, therapy and "
    "weekday.",
    order=20,
)(reports.attendance_report)
