from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from clinic.audit import access_log
from clinic.models import (
    AccessLog,
    ClinicSettings,
    Patient,
    PrivateLink,
    Therapy,
    TherapyRequirement,
    TherapyStep,
)
from clinic.services import MergeError, patient_merge
from intake.questionnaire_admin import PatientResponseInline


class PatientAdminForm(forms.ModelForm):
    not_a_duplicate = forms.BooleanField(
        required=False,
        label="This is a different person",
        help_text="Tick only after checking the records listed in the error above.",
    )

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

    def clean(self):
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
                records = ", ".join(p.record_number for p in same[:5])
                raise forms.ValidationError(
                    f"A patient with this name and date of birth already exists ({records}). "
                    "Open that record or merge them instead of creating a duplicate."
                )
        return cleaned


@admin.register(Patient)
class PatientAdmin(SimpleHistoryAdmin):
    form = PatientAdminForm
    list_display = [
        "record_number",
        "legal_family_name",
        "legal_given_name",
        "date_of_birth",
        "preferred_language",
        "merged_into",
    ]
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
    readonly_fields = ["record_number", "possible_duplicates", "merged_into", "created_at"]
    actions = ["merge_patients"]
    inlines = [PatientResponseInline]
    fieldsets = [
        (None, {"fields": ["record_number", "possible_duplicates", "merged_into"]}),
        (
            "Name",
            {
                "fields": [
                    "legal_given_name",
                    "legal_family_name",
                    "preferred_name",
                    "not_a_duplicate",
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

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ):
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "GET":
            access_log(request, obj)
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Merge two records of the same person", permissions=["merge"])
    def merge_patients(self, request: HttpRequest, queryset: QuerySet[Patient]):
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
        return TemplateResponse(
            request,
            "admin/clinic/patient/merge.html",
            {
                **self.admin_site.each_context(request),
                "patients": patients,
                "opts": self.model._meta,
                "title": "Merge patient records",
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def has_merge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("clinic.merge_patient")


class TherapyStepInline(admin.TabularInline):
    model = TherapyStep
    extra = 0
    fields = [
        "position",
        "label",
        "phase",
        "dose",
        "day",
        "repeats",
        "interval_days",
        "consecutive_days",
        "premed_minutes",
        "infusion_minutes",
        "observation_minutes",
        "short_infusion_minutes",
        "window_before_days",
        "window_after_days",
        "min_gap_days",
    ]


class TherapyRequirementInline(admin.TabularInline):
    model = TherapyRequirement
    extra = 0
    fields = ["kind", "code", "name", "detail"]


@admin.register(Therapy)
class TherapyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "brand", "route", "safety_programme", "is_active"]
    list_filter = ["route", "is_active"]
    search_fields = ["name", "brand", "code"]
    inlines = [TherapyStepInline, TherapyRequirementInline]


@admin.register(ClinicSettings)
class ClinicSettingsAdmin(SimpleHistoryAdmin):
    list_display = ["name", "phone", "patients_per_nurse"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not ClinicSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "object_repr", "ip_address"]
    list_filter = ["action", "content_type", ("at", admin.DateFieldListFilter)]
    search_fields = ["actor", "object_repr", "object_id", "ip_address"]
    date_hierarchy = "at"
    list_select_related = ["user", "content_type"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(PrivateLink)
class PrivateLinkAdmin(SimpleHistoryAdmin):
    list_display = ["id", "purpose", "patient", "created_at", "expires_at", "state"]
    list_filter = ["purpose"]
    search_fields = ["patient__record_number", "patient__legal_family_name"]
    list_select_related = ["patient"]
    readonly_fields = [
        "patient",
        "purpose",
        "content_type",
        "object_id",
        "created_at",
        "expires_at",
        "revoked_at",
        "used_at",
        "failed_attempts",
        "locked_until",
    ]
    actions = ["revoke"]

    @admin.display(description="State")
    def state(self, obj: PrivateLink) -> str:
        if obj.revoked_at:
            return "revoked"
        if obj.is_expired():
            return "expired"
        if obj.used_at:
            return "used"
        if obj.is_locked():
            return format_html("<strong>{}</strong>", "locked")
        return "active"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Revoke selected links", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[PrivateLink]) -> None:
        from django.utils import timezone

        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} link(s).", messages.SUCCESS)


# The outbox, the task queue's pages and the background-jobs dashboard panel.
from clinic import admin_queue  # noqa: E402, F401
