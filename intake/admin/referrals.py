"""Staff side of referrals: the triage queue, status moves, documents, the new-referrals panel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin_dates import CheapDateHierarchyMixin
from clinic.admin_kit import (
    AccessLoggedAdmin,
    AdminPagesMixin,
    NoAddInline,
    ReadOnlyHistoryAdmin,
    ReadOnlyInline,
    clinic_datetime,
    patient_link,
)
from clinic.roles import NeedsPermission
from intake.forms import REFERRAL_SECTIONS, ReferralStaffForm
from intake.models import (
    OPEN_STATUSES,
    Referral,
    ReferralDocument,
    ReferralStatus,
    ReferralTransition,
)
from intake.referrals import WorkflowError, referral_transition
from intake.workflow import NOTE_REQUIRED, allowed_targets

# What happens after an acceptance, said by the apps that act on it (scheduling: the course
# just created, and who books it), without intake importing them. Each returns safe HTML.
AcceptedNote = Callable[[HttpRequest, Referral], str]
_accepted_notes: list[AcceptedNote] = []


def after_acceptance(note: AcceptedNote) -> AcceptedNote:
    """Register a note added to the "moved to Accepted" message."""
    _accepted_notes.append(note)
    return note


class TransitionForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 60}), required=False)

    def __init__(self, *args, note_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].required = note_required
        self.fields["note"].help_text = (
            "Required: say why." if note_required else "Optional: anything the team should know."
        )


class ReferralDocumentInline(NoAddInline):
    model = ReferralDocument
    fields = ["kind", "download", "content_type", "size", "uploaded"]
    readonly_fields = fields
    uploaded = clinic_datetime("uploaded_at", "Uploaded")

    @admin.display(description="File")
    def download(self, obj: ReferralDocument) -> str:
        url = reverse("intake:document_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)


class ReferralTransitionInline(ReadOnlyInline):
    model = ReferralTransition
    fields = ["when", "from_status", "to_status", "by_name", "note"]
    readonly_fields = fields
    when = clinic_datetime("at", "When")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReferralTransition]:
        return super().get_queryset(request).select_related("by")

    @admin.display(description="By")
    def by_name(self, obj: ReferralTransition) -> str:
        return obj.by.get_full_name() or obj.by.get_username()


class AgeFilter(admin.SimpleListFilter):
    title = "waiting"
    parameter_name = "waiting"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("2", "More than 2 days"), ("7", "More than a week")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in {"2", "7"}:
            cutoff = timezone.now() - timezone.timedelta(days=int(self.value()))
            return queryset.filter(received_at__lt=cutoff, status__in=OPEN_STATUSES)
        return queryset


class ReferralAdmin(
    AccessLoggedAdmin, AdminPagesMixin, CheapDateHierarchyMixin, SimpleHistoryAdmin
):
    list_display = [
        "reference",
        "status",
        "age",
        "patient_name",
        "therapy_name",
        "provider_practice",
        "provider_npi",
        "received",
    ]
    list_filter = ["status", AgeFilter, "therapy", "submitter_kind"]
    search_fields = [
        "reference",
        "family_name",
        "given_name",
        "provider_npi",
        "provider_practice",
        "patient__record_number",
    ]
    list_select_related = ["therapy", "patient"]
    date_hierarchy = "received_at"
    ordering = ["received_at"]
    list_per_page = 50
    inlines = [ReferralDocumentInline, ReferralTransitionInline]
    # The public form's rules (intake.referral_rules): NPI, diagnosis code, dates, ranges.
    form = ReferralStaffForm
    actions = ["start_review"]
    readonly_fields = [
        "reference",
        "status",
        "status_changed",
        "received",
        "patient",
        "transitions_summary",
    ]
    received = clinic_datetime("received_at", "Received")
    status_changed = clinic_datetime("status_changed_at", "Status changed")
    fieldsets = [
        (
            "Triage",
            {
                "fields": [
                    "reference",
                    "status",
                    "status_changed",
                    "received",
                    "patient",
                    "transitions_summary",
                ]
            },
        ),
        # The same groups as the public form, so staff read a referral as it was sent.
        *((title, {"fields": names}) for title, names in REFERRAL_SECTIONS),
    ]

    @admin.display(description="Waiting", ordering="received_at")
    def age(self, obj: Referral) -> str:
        days = (timezone.now() - obj.received_at).days
        return "today" if days == 0 else f"{days} d"

    @admin.display(description="Patient", ordering="family_name")
    def patient_name(self, obj: Referral) -> str:
        # Linked to the patient's hub once the referral has a patient record (on acceptance).
        return patient_link(obj.patient) if obj.patient_id else obj.patient_name

    @admin.display(description="Therapy", ordering="therapy__name")
    def therapy_name(self, obj: Referral) -> str:
        return obj.therapy.name

    @admin.display(description="Moves")
    def transitions_summary(self, obj: Referral) -> str:
        targets = allowed_targets(obj.status) if obj.pk else []
        if not targets:
            return "None: this referral is closed."
        return format_html_join(", ", "{}", ((ReferralStatus(t).label,) for t in targets))

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:pk>/transition/<str:target>/",
                self.admin_site.admin_view(self.transition_view),
                name="intake_referral_transition",
            ),
            *super().get_urls(),
        ]

    def change_view_context(self, request: HttpRequest, obj: Referral) -> dict[str, Any]:
        if not self.has_status_permission(request):
            return {}
        return {"transitions": [(t, ReferralStatus(t).label) for t in allowed_targets(obj.status)]}

    def has_status_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("intake.change_referral_status")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Referrals come in through the public form, so every one has the same checks.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def transition_view(self, request: HttpRequest, pk: int, target: str) -> HttpResponse:
        if not self.has_status_permission(request):
            raise NeedsPermission("intake.change_referral_status")
        referral = get_object_or_404(Referral, pk=pk)
        change_url = reverse("admin:intake_referral_change", args=[pk])
        if target not in ReferralStatus.values or target not in allowed_targets(referral.status):
            self.message_user(
                request,
                f"{referral.reference} can't move from {referral.get_status_display()} to that "
                "status.",
                messages.ERROR,
            )
            return HttpResponseRedirect(change_url)
        form = TransitionForm(
            request.POST if request.method == "POST" else None,
            note_required=target in NOTE_REQUIRED,
        )

        def confirm() -> bool:
            try:
                referral_transition(
                    referral=referral,
                    to_status=target,
                    by=request.user,
                    note=form.cleaned_data["note"],
                )
            except WorkflowError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                notes = []
                if target == ReferralStatus.ACCEPTED:
                    notes = [note(request, referral) for note in _accepted_notes]
                self.message_user(
                    request,
                    format_html_join(
                        " ",
                        "{}",
                        [(f"{referral.reference} moved to {ReferralStatus(target).label}.",)]
                        + [(note,) for note in notes if note],
                    ),
                    messages.SUCCESS,
                )
            return True  # back to the referral either way: the message says what happened

        return self.pick_then_confirm(
            request,
            form=form,
            confirm=confirm,
            done_url=change_url,
            template="admin/intake/referral/transition.html",
            title=f"Change status of {referral.reference}",
            referral=referral,
            target_label=ReferralStatus(target).label,
        )

    @admin.action(description="Start review of selected new referrals", permissions=["status"])
    def start_review(self, request: HttpRequest, queryset: QuerySet[Referral]) -> None:
        moved, refused = 0, []
        for referral in queryset:
            try:
                referral_transition(
                    referral=referral,
                    to_status=ReferralStatus.IN_REVIEW,
                    by=request.user,
                    note="Review started from the referral list.",
                )
                moved += 1
            except WorkflowError:
                refused.append(referral.reference)
        if moved:
            self.message_user(request, f"{moved} referral(s) moved to In review.", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                f"Not moved (not new): {', '.join(refused)}.",
                messages.WARNING,
            )


class ReferralDocumentAdmin(ReadOnlyHistoryAdmin):
    list_display = ["id", "referral", "kind", "download", "content_type", "size", "uploaded_at"]
    list_filter = ["kind", "content_type"]
    search_fields = ["referral__reference"]
    list_select_related = ["referral"]
    readonly_fields = [
        "referral",
        "kind",
        "download",
        "content_type",
        "size",
        "sha256",
        "uploaded_at",
        "original_name",
    ]
    exclude = ["file"]

    @admin.display(description="File")
    def download(self, obj: ReferralDocument) -> str:
        url = reverse("intake:document_download", args=[obj.pk])
        return format_html('<a href="{}">Download</a>', url)


def new_referrals_panel(request: HttpRequest) -> dict | None:
    if not request.user.has_perm("intake.view_referral"):
        return None
    waiting = Referral.objects.filter(status=ReferralStatus.RECEIVED)
    return {
        "id": "referrals",
        "title": "New referrals",
        "template": "admin/intake/new_referrals_panel.html",
        "referrals": waiting.select_related("therapy").order_by("received_at")[:10],
        "count": waiting.count(),
    }


def patient_referrals_panel(request: HttpRequest, patient: Any) -> dict | None:
    """The patient hub's referrals: reference, status, therapy, when received."""
    if not request.user.has_perm("intake.view_referral"):
        return None
    return {
        "id": "referrals",
        "title": "Referrals",
        "template": "admin/intake/patient_referrals_panel.html",
        "referrals": list(
            patient.referrals.select_related("therapy").order_by("-received_at")[:20]
        ),
    }
