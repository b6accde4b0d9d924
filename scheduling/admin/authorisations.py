"""Staff side of authorisations: records with their private letters, the list of those
expiring or running out, the per-dose override, and the course page's list."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin_kit import (
    AccessLoggedAdmin,
    AdminPagesMixin,
    clinic_datetime,
    patient_link,
)
from clinic.audit import access_log
from clinic.clock import date_label
from clinic.roles import NeedsPermission
from intake.forms import check_document
from scheduling.authorisations import (
    EXPIRING_DAYS,
    AuthorisationError,
    authorisation_override,
    needing_attention,
    touch_sync,
    with_doses_left,
)
from scheduling.forms import ReasonForm
from scheduling.models import Authorisation, PlannedDose, TreatmentCourse

_LETTER_TYPES = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}


class AuthorisationForm(forms.ModelForm):
    class Meta:
        model = Authorisation
        fields = [
            "course",
            "kind",
            "payer",
            "number",
            "drug_code",
            "approved_doses",
            "approved_units",
            "valid_from",
            "valid_to",
            "site_of_care",
            "status",
            "document",
            "note",
        ]
        widgets = {"document": forms.FileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A plain select (the admin's autocomplete widget has no accessible name).
        field = self.fields.get("course")
        if field is None:  # read-only for this user
            return
        field.queryset = TreatmentCourse.objects.select_related("patient", "therapy").order_by(
            "patient__legal_family_name", "pk"
        )
        field.label_from_instance = lambda c: (
            f"{c.patient.display_name} ({c.patient.record_number}): {c}"
        )

    def clean_document(self) -> Any:
        upload = self.cleaned_data.get("document")
        if upload and hasattr(upload, "content_type"):
            # A new upload: checked by content as referral documents are.
            self.letter_type, _digest = check_document(upload)
        return upload


class AuthorisationAdmin(AccessLoggedAdmin, AdminPagesMixin, SimpleHistoryAdmin):
    form = AuthorisationForm
    list_display = [
        "number",
        "patient_name",
        "kind",
        "payer",
        "valid_from",
        "valid_to",
        "status",
        "doses_left",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["course__patient", "course__therapy"]
    search_fields = [
        "number",
        "payer",
        "course__patient__legal_family_name",
        "course__patient__legal_given_name",
        "course__patient__record_number",
    ]
    readonly_fields = ["letter", "letter_on_file", "recorded_by", "created"]
    created = clinic_datetime("created_at", "Recorded at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Authorisation]:
        return with_doses_left(super().get_queryset(request))

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        fields = list(AuthorisationForm.Meta.fields)
        if obj is None:
            return fields
        if not self.has_change_permission(request, obj):
            # Read-only, Django would link the file by its URL: private files have none.
            fields.remove("document")
        # A payer's letter can name the diagnosis: the same bar as referral documents.
        reads = request.user.has_perm("intake.view_referraldocument")
        return [*fields, "letter" if reads else "letter_on_file", "recorded_by", "created"]

    @admin.display(description="Patient", ordering="course__patient__legal_family_name")
    def patient_name(self, auth: Authorisation) -> str:
        return patient_link(auth.course.patient)

    @admin.display(description="Doses left", ordering="left")
    def doses_left(self, auth: Authorisation) -> str:
        if auth.approved_doses is None:
            return f"no limit ({auth.used} used)"
        return f"{auth.left} of {auth.approved_doses}"

    @admin.display(description="Approval letter")
    def letter(self, auth: Authorisation) -> str:
        if not auth.document:
            return "-"

        url = reverse("admin:scheduling_authorisation_letter", args=[auth.pk])
        return format_html('<a href="{}">Download the letter</a>', url)

    @admin.display(description="Approval letter")
    def letter_on_file(self, auth: Authorisation) -> str:
        return "on file (coordinators, nurses and clinicians open it)" if auth.document else "-"

    def save_model(self, request: HttpRequest, obj: Authorisation, form: Any, change: bool) -> None:
        letter_type = getattr(form, "letter_type", None)
        if letter_type:
            obj.document_type = letter_type
        obj.recorded_by = request.user
        super().save_model(request, obj, form, change)
        if obj.kind == Authorisation.Kind.TOUCH:
            touch_sync(obj.course)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "attention/",
                view(self.attention_view),
                name="scheduling_authorisation_attention",
            ),
            path(
                "<int:pk>/letter/", view(self.letter_view), name="scheduling_authorisation_letter"
            ),
            path(
                "override/<int:dose_pk>/",
                view(self.override_view),
                name="scheduling_authorisation_override",
            ),
            *super().get_urls(),
        ]

    def attention_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise NeedsPermission("scheduling.view_authorisation")
        return self.admin_page(
            request,
            "admin/scheduling/authorisation_attention.html",
            title=f"Authorisations ending within {EXPIRING_DAYS} days or with one dose left",
            rows=[(a, date_label(a.valid_to)) for a in needing_attention()],
        )

    def letter_view(self, request: HttpRequest, pk: int) -> FileResponse:
        """Serve an approval letter, access-logged, to staff who may open referral documents
        (a payer's letter can name the diagnosis: the same bar as the referral's own)."""
        if not request.user.has_perm("intake.view_referraldocument"):
            raise NeedsPermission("intake.view_referraldocument")
        auth = get_object_or_404(Authorisation, pk=pk)
        if not auth.document:
            raise NeedsPermission("scheduling.view_authorisation")
        access_log(request, auth, action="download")
        response = FileResponse(
            auth.document.open("rb"),
            content_type=auth.document_type or "application/octet-stream",
            as_attachment=True,
            filename=f"authorisation-{auth.pk}{_LETTER_TYPES.get(auth.document_type, '')}",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    def override_view(self, request: HttpRequest, dose_pk: int) -> HttpResponse:
        if not request.user.has_perm("scheduling.override_authorisation"):
            raise NeedsPermission("scheduling.override_authorisation")
        dose = get_object_or_404(
            PlannedDose.objects.select_related("course__patient", "course__therapy"), pk=dose_pk
        )
        form = ReasonForm(request.POST or None)

        def confirm() -> bool:
            try:
                authorisation_override(
                    dose=dose, by=request.user, reason=form.cleaned_data["reason"]
                )
            except AuthorisationError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return False
            self.message_user(
                request, f"{dose} may be booked outside its authorisation; reason recorded."
            )
            return True

        return self.pick_then_confirm(
            request,
            form=form,
            confirm=confirm,
            done_url=reverse("admin:scheduling_treatmentcourse_change", args=[dose.course_id]),
            template="admin/scheduling/authorisation_override.html",
            title=f"Override the authorisation for {dose}",
            course=dose.course,
            dose=dose,
        )


def course_authorisations(course: TreatmentCourse) -> str:
    """The course page's list of authorisations (a read-only field, not an inline: posting
    the course form needs no formset for them), each linking to its own page."""
    auths = list(course.authorisations.order_by("valid_to"))
    if not auths:
        return "None recorded (Scheduling › Authorisations)."
    items = format_html_join(
        "",
        '<li><a href="{}">{}</a>: {}, {} to {} ({}{})</li>',
        (
            (
                reverse("admin:scheduling_authorisation_change", args=[auth.pk]),
                auth.number,
                auth.get_kind_display(),
                date_label(auth.valid_from),
                date_label(auth.valid_to),
                auth.get_status_display().lower(),
                f", {auth.approved_doses} doses" if auth.approved_doses else "",
            )
            for auth in auths
        ),
    )
    return format_html('<ul class="course-authorisations">{}</ul>', items)


def authorisations_panel(request: HttpRequest) -> dict | None:
    """The dashboard's count of authorisations needing attention, linking to their list."""
    if not request.user.has_perm("scheduling.view_authorisation"):
        return None
    count = needing_attention().count()
    return {
        "id": "authorisations",
        "title": "Authorisations to renew",
        "template": "admin/scheduling/authorisations_panel.html",
        "count": count,
        "days": EXPIRING_DAYS,
        "url": reverse("admin:scheduling_authorisation_attention"),
    }
