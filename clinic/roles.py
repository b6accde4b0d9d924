"""Staff roles as Django groups, each with only the permissions it needs.

The groups are created by a migration; their permissions are kept equal to this table
after every `migrate` (permissions only exist once every app has migrated).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

INTAKE_COORDINATOR = "Intake coordinator"
NURSE = "Nurse"
ON_CALL_CLINICIAN = "On-call clinician"
SCHEDULER = "Scheduler"
CLINIC_MANAGER = "Clinic manager"
ON_CALL_LEAD = "On-call lead"

_READ_PATIENTS = [
    "clinic.view_patient",
    "clinic.view_therapy",
    "clinic.view_therapystep",
    "clinic.view_therapyrequirement",
    "clinic.view_therapymonitoring",
    "clinic.view_clinicsettings",
]

# Everyone who works the floor can see the schedule; who may change what is per role below.
_SCHEDULING_READ = [
    "scheduling.view_chair",
    "scheduling.view_openinghours",
    "scheduling.view_closeddate",
    "scheduling.view_nurseshift",
    "scheduling.view_nurseoverride",
    "scheduling.view_treatmentcourse",
    "scheduling.view_courseprerequisite",
    "scheduling.view_planneddose",
    "scheduling.view_session",
    "scheduling.view_visitcheck",
    "scheduling.view_monitoringtask",
    # The front desk must see a missing authorisation before the patient sits.
    "scheduling.view_authorisation",
    "scheduling.view_authorisationoverride",
    "scheduling.view_waitlistentry",
    "scheduling.view_waitlistoffer",
]
# Keeping the waitlist: add, pause, remove entries, offer a freed time by hand.
_WAITLIST_KEEP = [
    "scheduling.add_waitlistentry",
    "scheduling.change_waitlistentry",
    "scheduling.offer_waitlist",
]

# Questionnaires: coordinators only send them; clinical staff read the answers and flags;
# nurses and on-call clinicians acknowledge flags; on-call clinicians keep the roster.
# Chairside visit records are clinical: nurses write them, clinicians read them. The drift
# page (learned chair times, no patient data) is for whoever books; coordinators adopt.
_VISIT_RECORDS_READ = [
    "visits.view_visitrecord",
    "visits.view_premedicationprotocol",
    "visits.view_visitsettings",
    "scheduling.view_chairtimeadoption",
]
_QUESTIONNAIRE_SEND = [
    "intake.add_questionnairerequest",
    "intake.view_questionnairerequest",
    "intake.view_instrument",
    "intake.view_oncallshift",
]
_QUESTIONNAIRE_CLINICAL = [
    *_QUESTIONNAIRE_SEND,
    "intake.view_questionnaireresponse",
    "intake.view_flag",
    "intake.acknowledge_flag",
]

# The outbox: staff who deal with patients and flags see what was (not) sent and may send a
# failed notice again. Rows hold addresses and links, never health details.
_OUTBOX = ["clinic.view_notice", "clinic.retry_notice"]
# The task queue's own pages (schedules, successful and failed tasks, the queue): looked
# at, not changed, by the on-call clinician; superusers may resubmit tasks.
# The patient's whole record as a FHIR Bundle (interop): for those who read clinical records.
_RECORD_EXPORT = ["interop.export_patient_record"]

_TASK_QUEUE_READ = [
    "django_q.view_schedule",
    "django_q.view_success",
    "django_q.view_failure",
    "django_q.view_ormq",
]

# The reports are aggregates (counts, hours, medians): no patient's name or record on them.
_REPORTS = ["clinic.view_reports"]

ROLES: dict[str, list[str]] = {
    INTAKE_COORDINATOR: [
        # Coordinators accept referrals and book the course that acceptance creates, so the
        # patient leaves the call with dates; they see the schedule but don't run the chairs.
        *_READ_PATIENTS,
        *_SCHEDULING_READ,
        "scheduling.book_session",
        "scheduling.change_courseprerequisite",
        "scheduling.view_chairtimeadoption",
        "scheduling.add_chairtimeadoption",
        # Coordinators run benefits checks: they record authorisations and may override one.
        "scheduling.add_authorisation",
        "scheduling.change_authorisation",
        "scheduling.override_authorisation",
        *_WAITLIST_KEEP,
        "clinic.add_patient",
        "clinic.change_patient",
        "clinic.merge_patient",
        "intake.view_referral",
        "intake.change_referral",
        "intake.change_referral_status",
        "intake.view_referraldocument",
        "intake.view_referraltransition",
        # Coordinators look after patients' links: they may see and revoke them.
        "clinic.view_privatelink",
        "clinic.change_privatelink",
        *_QUESTIONNAIRE_SEND,
        *_OUTBOX,
        *_REPORTS,
        *_RECORD_EXPORT,
    ],
    NURSE: [
        *_READ_PATIENTS,
        "intake.view_referral",
        "intake.view_referraldocument",
        "intake.view_referraltransition",
        *_SCHEDULING_READ,
        "scheduling.run_session",
        "scheduling.change_visitcheck",
        *_VISIT_RECORDS_READ,
        "visits.record_visit",
        "scheduling.change_monitoringtask",
        *_QUESTIONNAIRE_CLINICAL,
        *_OUTBOX,
        *_RECORD_EXPORT,
    ],
    ON_CALL_CLINICIAN: [
        *_READ_PATIENTS,
        "clinic.change_therapy",
        "clinic.add_therapystep",
        "clinic.change_therapystep",
        "clinic.add_therapyrequirement",
        "clinic.change_therapyrequirement",
        "clinic.add_therapymonitoring",
        "clinic.change_therapymonitoring",
        "clinic.view_accesslog",
        "intake.view_referral",
        "intake.view_referraldocument",
        "intake.view_referraltransition",
        *_SCHEDULING_READ,
        "scheduling.override_prerequisites",
        "scheduling.override_authorisation",
        "scheduling.change_courseprerequisite",
        *_VISIT_RECORDS_READ,
        "visits.add_premedicationprotocol",
        "visits.change_premedicationprotocol",
        "visits.change_visitsettings",
        "scheduling.change_monitoringtask",
        *_QUESTIONNAIRE_CLINICAL,
        "intake.add_oncallshift",
        "intake.change_oncallshift",
        "intake.delete_oncallshift",
        *_OUTBOX,
        *_TASK_QUEUE_READ,
        *_RECORD_EXPORT,
    ],
    SCHEDULER: [
        # No referrals: they hold diagnoses, medications and documents, and a scheduler books
        # from the treatment course, which carries the therapy and its prerequisites.
        *_READ_PATIENTS,
        *_SCHEDULING_READ,
        "scheduling.change_treatmentcourse",
        "scheduling.change_courseprerequisite",
        "scheduling.book_session",
        "scheduling.view_chairtimeadoption",
        *_WAITLIST_KEEP,
        "scheduling.add_chair",
        "scheduling.change_chair",
        "scheduling.add_openinghours",
        "scheduling.change_openinghours",
        "scheduling.add_closeddate",
        "scheduling.change_closeddate",
        "scheduling.delete_closeddate",
        "scheduling.add_nurseshift",
        "scheduling.change_nurseshift",
        "scheduling.delete_nurseshift",
        "scheduling.add_nurseoverride",
        "scheduling.change_nurseoverride",
        "scheduling.delete_nurseoverride",
    ],
    CLINIC_MANAGER: [
        # Managers look at how the clinic runs, not at patients: the schedule's set-up and
        # the reports, no referrals, answers or flags.
        "clinic.view_clinicsettings",
        "clinic.view_therapy",
        "scheduling.view_chair",
        "scheduling.view_openinghours",
        "scheduling.view_closeddate",
        "scheduling.view_nurseshift",
        "scheduling.view_nurseoverride",
        *_REPORTS,
    ],
    ON_CALL_LEAD: [
        # The lead of the on-call clinicians: keeps the roster and watches how fast urgent
        # flags are answered (the reports); answering flags is the on-call clinician's role.
        "clinic.view_clinicsettings",
        "intake.view_oncallshift",
        "intake.add_oncallshift",
        "intake.change_oncallshift",
        "intake.delete_oncallshift",
        *_REPORTS,
    ],
}


# Who does what, and where: the dashboard's "Your work" panel and the README's role guide
# (tests/test_role_guide.py keeps the two the same). Each task names the admin page to start.
ROLE_GUIDE: dict[str, list[tuple[str, str]]] = {
    INTAKE_COORDINATOR: [
        (
            "Triage new referrals: review, ask for information, check benefits, accept or decline",
            "admin:intake_referral_changelist",
        ),
        (
            "Book the treatment course an accepted referral creates, from its course page",
            "admin:scheduling_treatmentcourse_changelist",
        ),
        (
            "Record a course's prerequisites (labs, screens) as they arrive",
            "admin:scheduling_treatmentcourse_changelist",
        ),
        ("Send a pre-visit check for a booked visit", "admin:intake_questionnairerequest_add"),
        (
            "Keep patients' details and private links; merge duplicate records",
            "admin:clinic_patient_changelist",
        ),
        ("See referral times and attendance in the reports", "admin:clinic_reports"),
        (
            "Compare chair times learned from real visits with the templates; adopt one for "
            "new bookings",
            "admin:visits_chair_times",
        ),
        (
            "Record payer and TOUCH authorisations; renew those ending within 30 days or down "
            "to one dose",
            "admin:scheduling_authorisation_attention",
        ),
    ],
    NURSE: [
        ("See the day's chairs and nurse load on the day board", "admin:scheduling_session_board"),
        (
            "Run each visit from its session page: check in, record the per-visit checks, "
            "in chair, complete, no-show, or cancel with a reason",
            "admin:scheduling_session_board",
        ),
        (
            "Keep the chairside record from the session page's visit record: vitals, "
            "premedications, the infusion, reactions, discharge",
            "admin:scheduling_session_board",
        ),
        (
            "Read pre-visit answers and acknowledge flags with a note",
            "admin:intake_flag_changelist",
        ),
    ],
    ON_CALL_CLINICIAN: [
        (
            "Answer urgent flags: open the emailed link, call the patient, acknowledge with a note",
            "admin:intake_flag_changelist",
        ),
        ("Keep the on-call roster", "admin:intake_oncallshift_changelist"),
        (
            "Override a course's prerequisites, with a reason, when the first dose can't wait",
            "admin:scheduling_treatmentcourse_changelist",
        ),
        (
            "Override a dose's authorisation, with a reason, when it can't wait",
            "admin:scheduling_treatmentcourse_changelist",
        ),
        ("Keep the therapy catalogue; read the access log", "admin:clinic_therapy_changelist"),
    ],
    SCHEDULER: [
        (
            "Book courses and single doses; move and cancel sessions",
            "admin:scheduling_treatmentcourse_changelist",
        ),
        ("Watch the load on the day board", "admin:scheduling_session_board"),
        (
            "Keep the waitlist for earlier times; offer a freed time by hand",
            "admin:scheduling_waitlistentry_changelist",
        ),
        (
            "Keep chairs, opening hours, closed days and nurse shifts",
            "admin:scheduling_openinghours_changelist",
        ),
    ],
    CLINIC_MANAGER: [
        (
            "Look at chair use, attendance, urgent flags and referral times in the reports; "
            "download any table as CSV",
            "admin:clinic_reports",
        ),
        (
            "Look up chairs, opening hours and nurse shifts behind the figures",
            "admin:scheduling_openinghours_changelist",
        ),
    ],
    ON_CALL_LEAD: [
        (
            "Watch how fast urgent flags are acknowledged, by rule, in the reports",
            "admin:clinic_reports",
        ),
        ("Keep the on-call roster", "admin:intake_oncallshift_changelist"),
    ],
}


class NeedsPermission(PermissionDenied):
    """A staff page refused for want of one permission; the staff 403 page names its roles."""

    def __init__(self, perm: str) -> None:
        super().__init__(perm)
        self.perm = perm


def roles_with(perm: str) -> list[str]:
    """Return the roles whose members hold `perm`, in the order of ROLES."""
    return [name for name, perms in ROLES.items() if perm in perms]


def sync_roles(apps: Any = None) -> None:
    """Give each role group exactly the permissions in ROLES (those that exist yet)."""
    from django.apps import apps as global_apps

    registry = apps or global_apps
    Group = registry.get_model("auth", "Group")
    Permission = registry.get_model("auth", "Permission")
    for name, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".", 1)
            found = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found is not None:
                wanted.append(found)
        group.permissions.set(wanted)


def sync_roles_after_migrate(sender: Any, **kwargs: Any) -> None:
    sync_roles(kwargs.get("apps"))
