"""The FHIR interface in the staff site: API clients, their tokens, a patient's record export.

Tokens are issued from "Add API token": the page that follows shows the token once (it is
stored hashed and can't be shown again). Tokens are revoked with the list's action. Only
superusers manage clients and tokens; clinical staff download a patient's `$everything`
Bundle from the patient's page (the "FHIR record" panel).
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin_kit import AdminPagesMixin, ReadOnlyInline, clinic_datetime, patient_panel
from clinic.audit import access_log
from clinic.models import Patient
from clinic.roles import NeedsPermission
from interop.everything import patient_everything
from interop.models import SCOPE_CHOICES, ApiClient, ApiToken
from interop.responses import CONTENT_TYPE, base_url, bundle, validated
from interop.tokens import token_issue, token_revoke

EXPORT_PERMISSION = "interop.export_patient_record"


class ApiTokenInline(ReadOnlyInline):
    model = ApiToken
    fields = ["prefix", "label", "scopes", "expires_at", "revoked_at", "last_used_at"]
    readonly_fields = fields
    show_change_link = True


@admin.register(ApiClient)
class ApiClientAdmin(AdminPagesMixin, SimpleHistoryAdmin):
    list_display = ["name", "contact", "notify_email", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "contact"]
    inlines = [ApiTokenInline]

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "export/<int:patient_pk>/",
                self.admin_site.admin_view(self.export_view),
                name="interop_patient_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest, patient_pk: int) -> HttpResponse:
        """Download the patient's `$everything` Bundle (access-logged)."""
        if not request.user.has_perm(EXPORT_PERMISSION):
            raise NeedsPermission(EXPORT_PERMISSION)
        patient = get_object_or_404(Patient, pk=patient_pk)
        resources, _rows = patient_everything(patient)
        access_log(request, patient, action="FHIR export")
        self_url = f"{base_url()}/Patient/{patient.pk}/$everything"
        body = validated(
            bundle("searchset", resources, total=len(resources), links={"self": self_url})
        )
        response = HttpResponse(
            json.dumps(body, ensure_ascii=False, indent=1), content_type=CONTENT_TYPE
        )
        response["Content-Disposition"] = f'attachment; filename="patient-{patient.pk}-fhir.json"'
        return response


class ApiTokenIssueForm(forms.Form):
    client = forms.ModelChoiceField(queryset=ApiClient.objects.filter(is_active=True))
    label = forms.CharField(max_length=100, required=False, help_text="e.g. 'production server'.")
    scopes = forms.MultipleChoiceField(
        choices=SCOPE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="The resource types this token may read; Bundle lets it send referrals.",
    )
    days = forms.IntegerField(label="Valid for (days)", min_value=1, max_value=730, initial=365)


@admin.register(ApiToken)
class ApiTokenAdmin(AdminPagesMixin, SimpleHistoryAdmin):
    list_display = ["__str__", "label", "scope_list", "expires", "state", "last_used"]
    list_filter = ["client", "revoked_at"]
    list_select_related = ["client"]
    search_fields = ["client__name", "label", "prefix"]
    readonly_fields = [
        "client",
        "label",
        "prefix",
        "scopes",
        "created_at",
        "created_by",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    actions = ["revoke"]

    expires = clinic_datetime("expires_at", "Expires")
    last_used = clinic_datetime("last_used_at", "Last used")

    @admin.display(description="Scopes")
    def scope_list(self, obj: ApiToken) -> str:
        return ", ".join(obj.scopes)

    @admin.display(description="State")
    def state(self, obj: ApiToken) -> str:
        return obj.state()

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        # Tokens are never edited: issue a new one and revoke the old (the list's action).
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise NeedsPermission("interop.add_apitoken")
        form = ApiTokenIssueForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            token, raw = token_issue(
                client=form.cleaned_data["client"],
                scopes=form.cleaned_data["scopes"],
                days=form.cleaned_data["days"],
                label=form.cleaned_data["label"],
                by=request.user,
            )
            # Shown on this page only: the token is not stored, not in a message, not logged.
            return self.admin_page(
                request,
                "admin/interop/token_issued.html",
                title=f"API token for {token.client}",
                token=token,
                raw=raw,
                list_url=reverse("admin:interop_apitoken_changelist"),
            )
        return self.admin_page(
            request, "admin/interop/token_issue.html", title="Issue an API token", form=form
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            token_revoke(token=token)
            count += 1
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)


@patient_panel(order=80)
def fhir_record_panel(request: HttpRequest, patient: Patient) -> dict[str, Any] | None:
    if not request.user.has_perm(EXPORT_PERMISSION):
        return None
    return {
        "id": "fhir",
        "title": "FHIR record",
        "template": "admin/interop/patient_fhir_panel.html",
        "download_url": reverse("admin:interop_patient_export", args=[patient.pk]),
        "generated": timezone.now(),
    }
