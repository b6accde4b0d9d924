from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import InlineModelAdmin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin_kit import (
    AccessLoggedAdmin,
    AdminPagesMixin,
    ReadOnlyAdminMixin,
    clinic_datetime,
    patient_inlines,
    patient_link,
    patient_panel,
    patient_panels,
)
from clinic.clock import datetime_label
from clinic.dashboard import dashboard_panel
from clinic.links import LinkError, link_reissue
from clinic.models import (
    AccessLog,
    ClinicSettings,
    Patient,
    PrivateLink,
    Therapy,
    TherapyMonitoring,
    TherapyRequirement,
    TherapyStep,
)
from clinic.roles import ROLE_GUIDE
from clinic.services import MergeError, patient_merge


class PatientAdminForm(forms.ModelForm):
    # Not in the page's fieldsets: the patient page shows it under the duplicate error only
    # (`duplicate_found`), the one time the tick box means anything.
    not_a_duplicate = forms.BooleanField(required=False, label="This is a different person")
    duplicate_found = False

    class Meta:
        model = Patient
        fields = [
            "legal_given_name",
            "legal_family_name",
            "preferred_name",
            "date_of_birth",
            "sex",
            "preferred_language",
            "email",
            "phone",
            "address_line1",
            "address_line2",
            "city",
            "region",
            "postal_code",
            "guardian_name",
            "guardian_phone",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        given, family = cleaned.get("legal_given_name"), cleaned.get("legal_family_name")
        dob = cleaned.get("date_of_birth")
        if given and family and dob and not cleaned.get("not_a_duplicate"):
            same = Patient.objects.same_person(
                given_name=given, family_name=family, date_of_birth=dob
            )
            if self.instance.pk:
                same = same.exclude(pk=self.instance.pk)
            if same.exists():
                self.duplicate_found = True
                records = ", ".join(p.record_number for p in same[:5])
                raise forms.ValidationError(
                    f"A patient with this name and date of birth already exists ({records}). "
                    "Open that record or merge them instead of creating a duplicate."
                )
        return cleaned


@admin.register(Patient)
class PatientAdmin(AccessLoggedAdmin, AdminPagesMixin, SimpleHistoryAdmin):
    """The patient hub: who they are, then a panel per thing the clinic holds about them."""

    form = PatientAdminForm
    change_form_template = "admin/clinic/patient/change_form.html"
    list_display = [
        "record_number",
        "name",
        "date_of_birth",
        "phone",
        "preferred_language",
        "merged_into",
    ]
    list_display_links = ["record_number", "name"]
    list_filter = ["preferred_language", "sex", ("merged_into", admin.EmptyFieldListFilter)]
    search_fields = [
        "record_number",
        "legal_family_name",
        "legal_given_name",
        "preferred_name",
        "email",
        "phone",
    ]
    list_select_related = ["merged_into"]
    readonly_fields = [
        "record_number",
        "possible_duplicates",
        "merged_into",
        "created",
        "locked_links",
    ]
    created = clinic_datetime("created_at", "Created")
    actions = ["merge_patients"]
    fieldsets = [
        (
            None,
            {"fields": ["record_number", "possible_duplicates", "merged_into", "locked_links"]},
        ),
        (
            "Name",
            {
                "fields": [
                    "legal_given_name",
                    "legal_family_name",
                    "preferred_name",
                ]
            },
        ),
        ("Details", {"fields": ["date_of_birth", "sex", "preferred_language"]}),
        (
            "Contact",
            {
                "fields": [
                    "email",
                    "phone",
                    "address_line1",
                    "address_line2",
                    "city",
                    "region",
                    "postal_code",
                    "guardian_name",
                    "guardian_phone",
                ]
            },
        ),
    ]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Patient], search_term: str
    ) -> tuple[QuerySet[Patient], bool]:
        # A patient picker (autocomplete) never offers a record merged into another.
        if request.path == reverse("admin:autocomplete"):
            queryset = queryset.filter(merged_into__isnull=True)
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="Name", ordering="legal_family_name")
    def name(self, obj: Patient) -> str:
        return obj.display_name

    def change_view_context(self, request: HttpRequest, obj: Patient) -> dict[str, Any]:
        return {
            "title": obj.display_name,
            "subtitle": f"Record {obj.record_number}",
            "patient_panels": patient_panels(request, obj),
        }

    @admin.display(description="Possible duplicates")
    def possible_duplicates(self, obj: Patient) -> str:
        if not obj.pk:
            return "-"
        dupes = list(obj.possible_duplicates())
        if not dupes:
            return "None found"
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((reverse("admin:clinic_patient_change", args=[d.pk]), d.record_number) for d in dupes),
        )

    @admin.display(description="Locked private links")
    def locked_links(self, obj: Patient) -> str:
        """Links that wrong dates of birth locked for good: the patient can't open them."""
        if not obj.pk:
            return "-"
        locked = list(
            obj.links.filter(locked_at__isnull=False, revoked_at__isnull=True).order_by(
                "-locked_at"
            )
        )
        if not locked:
            return "None"
        changelist = reverse("admin:clinic_privatelink_changelist")
        rows = format_html_join(
            "",
            "<li><strong>{} locked</strong> {} after {} wrong dates of birth</li>",
            ((str(link), datetime_label(link.locked_at), link.failed_attempts) for link in locked),
        )
        return format_html(
            '<ul class="locked-links">{}</ul><a href="{}?patient__id__exact={}&amp;'
            'locked_at__isempty=0">Re-issue from the list of links</a>',
            rows,
            changelist,
            obj.pk,
        )

    def get_inlines(
        self, request: HttpRequest, obj: Patient | None
    ) -> list[type[InlineModelAdmin]]:
        # Other apps' records of the patient (questionnaire responses, ...), see admin_kit.
        return patient_inlines()

    @admin.action(description="Merge two records of the same person", permissions=["merge"])
    def merge_patients(
        self, request: HttpRequest, queryset: QuerySet[Patient]
    ) -> TemplateResponse | None:
        patients = list(queryset.order_by("created_at"))
        if len(patients) != 2:
            self.message_user(
                request, "Select exactly two patient records to merge.", messages.ERROR
            )
            return None
        if request.POST.get("keep"):
            keep = next((p for p in patients if str(p.pk) == request.POST["keep"]), None)
            if keep is None:
                self.message_user(request, "Choose which record to keep.", messages.ERROR)
                return None
            duplicate = next(p for p in patients if p.pk != keep.pk)
            try:
                moved = patient_merge(keep=keep, duplicate=duplicate)
            except MergeError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return None
            self.message_user(
                request,
                f"Merged {duplicate.record_number} into {keep.record_number} "
                f"({moved} linked records moved).",
                messages.SUCCESS,
            )
            return None
        return self.admin_page(
            request,
            "admin/clinic/patient/merge.html",
            title="Merge patient records",
            patients=patients,
            action_checkbox_name=admin.helpers.ACTION_CHECKBOX_NAME,
        )

    def has_merge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("clinic.merge_patient")


class TherapyStepInline(admin.StackedInline):
    """One stacked form per step, grouped as a clinician reads a protocol (the catalogue
    files in clinic/therapies/ say where each value comes from)."""

    model = TherapyStep
    extra = 0
    fieldsets = [
        (None, {"fields": [("position", "key"), ("label", "phase", "dose")]}),
        (
            "Series",
            {
                "fields": [
                    ("day", "repeats", "repeats_max", "interval_days"),
                    ("consecutive_days", "continues_block"),
                ]
            },
        ),
        (
            "Chair time (minutes)",
            {
                "fields": [
                    ("premed_minutes", "drowsy_premedication"),
                    "premedication",
                    ("infusion_minutes", "short_infusion_minutes"),
                    ("observation_minutes", "observation_optional"),
                ]
            },
        ),
        (
            "Window and minimum gap",
            {
                "fields": [
                    ("window_before_days", "window_after_days"),
                    ("min_gap_days", "min_gap_months"),
                ]
            },
        ),
    ]


class TherapyMonitoringInline(admin.StackedInline):
    # Stacked: each field gets its own label (a tabular row has none for screen readers).
    model = TherapyMonitoring
    extra = 0
    fields = [("code", "name"), ("every_months", "months_after_last")]


class TherapyRequirementInline(admin.StackedInline):
    # Stacked: the name and detail are long text, wider than a table row at 1280 px.
    model = TherapyRequirement
    extra = 0
    fields = [("kind", "code"), "name", "detail"]


@admin.register(Therapy)
class TherapyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "brand", "route", "safety_programme", "is_active"]
    list_filter = ["route", "is_active"]
    fields = [
        "code",
        "name",
        "brand",
        "patient_name",
        "route",
        "safety_programme",
        "reauthorise_every_months",
        "book_within_hours",
        "needs_weight_on_order",
        "dose_clock",
        "notes",
        "is_active",
    ]
    search_fields = ["name", "brand", "code"]
    inlines = [TherapyStepInline, TherapyRequirementInline, TherapyMonitoringInline]


@admin.register(ClinicSettings)
class ClinicSettingsAdmin(SimpleHistoryAdmin):
    list_display = ["name", "phone", "patients_per_nurse"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not ClinicSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["when", "actor", "action", "object_repr", "ip_address"]
    when = clinic_datetime("at", "At")
    list_filter = ["action", "content_type", ("at", admin.DateFieldListFilter)]
    search_fields = ["actor", "object_repr", "object_id", "ip_address"]
    date_hierarchy = "at"
    list_select_related = ["user", "content_type"]


@admin.register(PrivateLink)
class PrivateLinkAdmin(SimpleHistoryAdmin):
    list_display = ["id", "purpose", "patient_name", "created", "expires", "state"]
    list_filter = ["purpose", ("locked_at", admin.EmptyFieldListFilter)]
    search_fields = ["patient__record_number", "patient__legal_family_name"]
    list_select_related = ["patient"]
    fields = [
        "patient_name",
        "purpose",
        "content_type",
        "object_id",
        "created",
        "expires",
        "revoked",
        "used",
        "failed_attempts",
        "locked",
    ]
    readonly_fields = fields
    created = clinic_datetime("created_at", "Created")
    expires = clinic_datetime("expires_at", "Expires")
    revoked = clinic_datetime("revoked_at", "Revoked")
    used = clinic_datetime("used_at", "Used")
    locked = clinic_datetime("locked_at", "Locked")
    actions = ["revoke", "reissue"]

    @admin.display(description="Patient", ordering="patient__legal_family_name")
    def patient_name(self, obj: PrivateLink) -> str:
        return patient_link(obj.patient)

    @admin.display(description="State")
    def state(self, obj: PrivateLink) -> str:
        state = link_state(obj)
        return format_html("<strong>{}</strong>", state) if state == "locked" else state

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.action(description="Revoke selected links", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[PrivateLink]) -> None:
        from django.utils import timezone

        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} link(s).", messages.SUCCESS)

    @admin.action(
        description="Re-issue: revoke and email the patient a new link", permissions=["change"]
    )
    def reissue(self, request: HttpRequest, queryset: QuerySet[PrivateLink]) -> None:
        for link in queryset.select_related("patient"):
            try:
                link_reissue(link=link)
            except LinkError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                continue
            self.message_user(
                request,
                f"{link} re-issued: a new link is being emailed to {link.patient.record_number}.",
                messages.SUCCESS,
            )


def link_state(link: PrivateLink) -> str:
    """Return a private link's state in a word: revoked, expired, used, locked or active."""
    if link.revoked_at:
        return "revoked"
    if link.is_expired():
        return "expired"
    if link.used_at:
        return "used"
    if link.is_locked():
        return "locked"
    return "active"


@patient_panel(order=60)
def private_links_panel(request: HttpRequest, patient: Patient) -> dict[str, Any] | None:
    if not request.user.has_perm("clinic.view_privatelink"):
        return None
    links = list(patient.links.order_by("-created_at")[:10])
    return {
        "id": "links",
        "title": "Private links",
        "template": "admin/clinic/patient/links_panel.html",
        "links": [(link, link_state(link)) for link in links],
    }


@patient_panel(order=90)
def history_panel(request: HttpRequest, patient: Patient) -> dict[str, Any] | None:
    changes = list(patient.history.select_related("history_user").order_by("-history_date")[:5])
    return {
        "id": "history",
        "title": "Changes to this record",
        "template": "admin/clinic/patient/history_panel.html",
        "changes": changes,
        "history_url": reverse("admin:clinic_patient_history", args=[patient.pk]),
    }


def role_guide_panel(request: HttpRequest) -> dict[str, Any] | None:
    """The dashboard's "Your work": what each of the user's roles does, and where to start."""
    user = request.user
    if user.is_superuser:
        names = list(ROLE_GUIDE)
    else:
        mine = {group.name for group in user.groups.all()}
        names = [name for name in ROLE_GUIDE if name in mine]
    return {
        "id": "your-work",
        "title": "Your work",
        "template": "admin/clinic/role_guide_panel.html",
        "superuser": user.is_superuser,
        "roles": [
            (name, [(task, reverse(url_name)) for task, url_name in ROLE_GUIDE[name]])
            for name in names
        ],
    }


dashboard_panel(order=5)(role_guide_panel)


# The outbox, the task queue's pages and the background-jobs dashboard panel.
from clinic import admin_queue  # noqa: E402, F401
