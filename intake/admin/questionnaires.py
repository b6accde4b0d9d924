"""Staff side of questionnaires: instruments, sending checks, reading responses (patient page too).

Every write goes through intake.questionnaires (the same services the patient pages use).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from clinic.admin_kit import (
    AccessLoggedAdmin,
    AdminPagesMixin,
    ReadOnlyAdminMixin,
    ReadOnlyHistoryAdmin,
    ReadOnlyInline,
)
from clinic.clock import datetime_label
from intake import instruments as defs
from intake.models import (
    FlagLevel,
    Instrument,
    QuestionnaireRequest,
    QuestionnaireResponse,
)
from intake.questionnaire_forms import QuestionnaireSendForm
from intake.questionnaires import (
    QuestionnaireError,
    questionnaire_send,
)

VIEW_RESPONSES_PERM = "intake.view_questionnaireresponse"


def response_sections(response: QuestionnaireResponse) -> list[dict[str, Any]]:
    """Return the answers page by page, worded as the patient saw them."""
    definition = response.instrument.definition
    sections = []
    for page in definition["pages"]:
        rows = [
            {
                "question": item["text"],
                "answer": defs.answer_label(definition, item, response.answers.get(item["id"])),
            }
            for item in page["items"]
            if defs.item_is_shown(item, response.answers)
        ]
        sections.append(
            {"title": page.get("title", ""), "intro": page.get("intro", ""), "rows": rows}
        )
    return sections


def response_scores(response: QuestionnaireResponse) -> list[dict[str, Any]]:
    return [
        {
            "label": s.get("label", s["id"]),
            "value": response.scores.get(s["id"]),
            "band": response.bands.get(s["id"], ""),
        }
        for s in response.instrument.definition["scores"]
    ]


def render_response(response: QuestionnaireResponse) -> str:
    history = (
        QuestionnaireResponse.objects.filter(
            patient_id=response.patient_id, instrument__code=response.instrument.code
        )
        .select_related("instrument")
        .annotate(flag_count=Count("flags"))
        .order_by("-submitted_at")[:20]
    )
    return render_to_string(
        "admin/intake/questionnaireresponse/summary.html",
        {
            "response": response,
            "sections": response_sections(response),
            "scores": response_scores(response),
            "flags": response.flags.select_related("acknowledged_by").all(),
            "history": history,
            "attribution": response.instrument.definition.get("attribution", ""),
        },
    )


class PatientResponseInline(ReadOnlyInline):
    """The patient's responses with their main scores over time (on the patient page)."""

    model = QuestionnaireResponse
    fk_name = "patient"
    verbose_name_plural = "Questionnaire responses over time"
    fields = ["opened", "instrument", "main_score", "main_band", "open_flags"]
    readonly_fields = fields
    ordering = ["-submitted_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("instrument")
            .annotate(open_flag_count=Count("flags", filter=Q(flags__acknowledged_at__isnull=True)))
        )

    @admin.display(description="Submitted")
    def opened(self, obj: QuestionnaireResponse) -> str:
        url = reverse("admin:intake_questionnaireresponse_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, datetime_label(obj.submitted_at))

    @admin.display(description="Open flags")
    def open_flags(self, obj: QuestionnaireResponse) -> int:
        return obj.open_flag_count


class InstrumentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Instruments come from the definition files, so each is reviewed in one place."""

    list_display = ["short_title", "code", "version", "is_current", "loaded_at"]
    list_filter = ["is_current", "code"]
    search_fields = ["code", "title"]
    readonly_fields = [
        "code",
        "version",
        "title",
        "short_title",
        "position",
        "is_current",
        "loaded_at",
        "checksum",
        "definition",
    ]


class FlagStateFilter(admin.SimpleListFilter):
    title = "flag state"
    parameter_name = "flags"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("urgent", "Open urgent flag"), ("open", "Any open flag"), ("none", "No flags")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "urgent":
            return queryset.filter(
                flags__level=FlagLevel.URGENT, flags__acknowledged_at__isnull=True
            ).distinct()
        if self.value() == "open":
            return queryset.filter(flags__acknowledged_at__isnull=True).distinct()
        if self.value() == "none":
            return queryset.filter(flags__isnull=True)
        return queryset


class QuestionnaireResponseAdmin(AccessLoggedAdmin, ReadOnlyHistoryAdmin):
    list_display = [
        "id",
        "patient",
        "instrument",
        "main_score",
        "main_band",
        "open_flags",
        "submitted_at",
    ]
    list_filter = ["instrument__code", "main_band", FlagStateFilter]
    search_fields = [
        "patient__record_number",
        "patient__legal_family_name",
        "patient__legal_given_name",
    ]
    list_select_related = ["patient", "instrument"]
    date_hierarchy = "submitted_at"
    fields = ["patient", "request", "instrument", "submitted_at", "summary"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(open_flag_count=Count("flags", filter=Q(flags__acknowledged_at__isnull=True)))
        )

    @admin.display(description="Open flags", ordering="open_flag_count")
    def open_flags(self, obj: QuestionnaireResponse) -> int:
        return obj.open_flag_count

    @admin.display(description="Answers, scores and flags")
    def summary(self, obj: QuestionnaireResponse) -> str:
        return render_response(obj)


class QuestionnaireRequestAdmin(AccessLoggedAdmin, AdminPagesMixin, ReadOnlyHistoryAdmin):
    list_display = [
        "__str__",
        "patient",
        "status",
        "instrument_list",
        "sent_by",
        "sent_at",
        "submitted_at",
    ]
    list_filter = ["status", "instruments__code"]
    search_fields = [
        "patient__record_number",
        "patient__legal_family_name",
        "patient__legal_given_name",
    ]
    list_select_related = ["patient", "sent_by"]
    date_hierarchy = "sent_at"
    fields = [
        "patient",
        "status",
        "sent_by",
        "sent_at",
        "due_at",
        "link_expires",
        "draft_saved_at",
        "submitted_at",
        "responses_summary",
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("instruments")

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.has_perm("intake.add_questionnairerequest")

    @admin.display(description="Questionnaires")
    def instrument_list(self, obj: QuestionnaireRequest) -> str:
        return ", ".join(i.short_title for i in obj.ordered_instruments())

    @admin.display(description="Link expires")
    def link_expires(self, obj: QuestionnaireRequest) -> datetime | str:
        return obj.link.expires_at if obj.link else "-"

    @admin.display(description="Responses")
    def responses_summary(self, obj: QuestionnaireRequest) -> str:
        responses = obj.responses.select_related("instrument").order_by("instrument__position")
        if not responses:
            return "Not submitted yet."
        return format_html_join(
            "", "<h3>{}</h3>{}", ((r.instrument.title, render_response(r)) for r in responses)
        )

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        # Coordinators send checks but don't read the answers.
        if request.user.has_perm(VIEW_RESPONSES_PERM):
            return self.fields
        return [f for f in self.fields if f != "responses_summary"]

    def add_view(
        self,
        request: HttpRequest,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """Send a pre-visit check through the service (link + email), not a bare row."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = {"instruments": list(Instrument.objects.filter(is_current=True))}
        if request.GET.get("patient", "").isdigit():
            initial["patient"] = request.GET["patient"]
        form = QuestionnaireSendForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                qreq, _url = questionnaire_send(
                    patient=form.cleaned_data["patient"],
                    instruments=list(form.cleaned_data["instruments"]),
                    sent_by=request.user,
                )
            except QuestionnaireError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request,
                    f"{qreq} sent: the patient has been emailed a private link.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:intake_questionnairerequest_change", args=[qreq.pk])
                )
        return self.admin_page(
            request,
            "admin/intake/questionnaire_send.html",
            title="Send a pre-visit check",
            form=form,
        )
