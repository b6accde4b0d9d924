"""Staff side of questionnaires: send checks, read responses, acknowledge flags, on-call roster.

Imported by intake/admin.py so these register on the staff site. Every write goes through
intake.questionnaires (the same services the patient pages use).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from clinic.audit import access_log
from clinic.sites import dashboard_panel
from intake import instruments as defs
from intake.models import (
    Flag,
    FlagLevel,
    FlagNotification,
    Instrument,
    OnCallShift,
    QuestionnaireRequest,
    QuestionnaireResponse,
)
from intake.oncall import next_on_call, on_call_at, roster_gaps, roster_overlaps
from intake.questionnaire_forms import FlagAcknowledgeForm, QuestionnaireSendForm
from intake.questionnaires import (
    FlagError,
    QuestionnaireError,
    flag_acknowledge,
    questionnaire_send,
)

ACK_PERM = "intake.acknowledge_flag"
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


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Instruments come from the definition files, so each is reviewed in one place.
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class FlagStateFilter(admin.SimpleListFilter):
    title = "flag state"
    parameter_name = "flags"

    def lookups(self, request, model_admin):
        return [("urgent", "Open urgent flag"), ("open", "Any open flag"), ("none", "No flags")]

    def queryset(self, request, queryset):
        if self.value() == "urgent":
            return queryset.filter(
                flags__level=FlagLevel.URGENT, flags__acknowledged_at__isnull=True
            ).distinct()
        if self.value() == "open":
            return queryset.filter(flags__acknowledged_at__isnull=True).distinct()
        if self.value() == "none":
            return queryset.filter(flags__isnull=True)
        return queryset


class _ReadOnlyAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(QuestionnaireResponse)
class QuestionnaireResponseAdmin(_ReadOnlyAdmin):
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

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ):
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "GET" and self.has_view_permission(request, obj):
            access_log(request, obj)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(QuestionnaireRequest)
class QuestionnaireRequestAdmin(_ReadOnlyAdmin):
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

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm("intake.add_questionnairerequest")

    @admin.display(description="Questionnaires")
    def instrument_list(self, obj: QuestionnaireRequest) -> str:
        return ", ".join(i.short_title for i in obj.ordered_instruments())

    @admin.display(description="Link expires")
    def link_expires(self, obj: QuestionnaireRequest):
        return obj.link.expires_at if obj.link else "-"

    @admin.display(description="Responses")
    def responses_summary(self, obj: QuestionnaireRequest) -> str:
        responses = obj.responses.select_related("instrument").order_by("instrument__position")
        if not responses:
            return "Not submitted yet."
        return format_html_join(
            "", "<h3>{}</h3>{}", ((r.instrument.title, render_response(r)) for r in responses)
        )

    def get_fields(self, request: HttpRequest, obj=None) -> list[str]:
        # Coordinators send checks but don't read the answers.
        if request.user.has_perm(VIEW_RESPONSES_PERM):
            return self.fields
        return [f for f in self.fields if f != "responses_summary"]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ):
        obj = self.get_object(request, object_id)
        if obj is not None and request.method == "GET" and self.has_view_permission(request, obj):
            access_log(request, obj)
        return super().change_view(request, object_id, form_url, extra_context)

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
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
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": "Send a pre-visit check",
        }
        return TemplateResponse(request, "admin/intake/questionnaire_send.html", context)


class FlagOpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("acknowledged", "Acknowledged")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(acknowledged_at__isnull=True)
        if self.value() == "acknowledged":
            return queryset.filter(acknowledged_at__isnull=False)
        return queryset


class FlagNotificationInline(admin.TabularInline):
    model = FlagNotification
    extra = 0
    can_delete = False
    fields = ["level", "sent_at", "recipients", "delivered"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Flag)
class FlagAdmin(_ReadOnlyAdmin):
    list_display = [
        "level",
        "label",
        "patient",
        "raised_at",
        "state",
        "acknowledged_by",
        "escalation_level",
    ]
    list_filter = ["level", FlagOpenFilter, "rule", "response__instrument__code"]
    search_fields = [
        "patient__record_number",
        "patient__legal_family_name",
        "patient__legal_given_name",
    ]
    list_select_related = ["patient", "acknowledged_by"]
    ordering = ["priority", "raised_at"]
    fields = [
        "level",
        "label",
        "rule",
        "patient",
        "response_link",
        "raised_at",
        "escalation_level",
        "acknowledged_at",
        "acknowledged_by",
        "acknowledgement_note",
    ]
    readonly_fields = fields
    inlines = [FlagNotificationInline]
    actions = ["acknowledge_selected"]
    change_form_template = "admin/intake/flag/change_form.html"

    @admin.display(description="State", ordering="acknowledged_at")
    def state(self, obj: Flag) -> str:
        return "Open" if obj.is_open else "Acknowledged"

    @admin.display(description="Response")
    def response_link(self, obj: Flag) -> str:
        url = reverse("admin:intake_questionnaireresponse_change", args=[obj.response_id])
        return format_html('<a href="{}">Response #{}</a>', url, obj.response_id)

    def has_acknowledge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ACK_PERM)

    def get_urls(self):
        return [
            path(
                "<int:pk>/acknowledge/",
                self.admin_site.admin_view(self.acknowledge_view),
                name="intake_flag_acknowledge",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ):
        obj = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if obj is not None and request.method == "GET" and self.has_view_permission(request, obj):
            access_log(request, obj)
            extra_context["can_acknowledge"] = obj.is_open and self.has_acknowledge_permission(
                request
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def acknowledge_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_acknowledge_permission(request):
            raise PermissionDenied
        flag = get_object_or_404(Flag.objects.select_related("patient"), pk=pk)
        change_url = reverse("admin:intake_flag_change", args=[pk])
        form = FlagAcknowledgeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                flag_acknowledge(flag=flag, by=request.user, note=form.cleaned_data["note"])
            except FlagError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, f"{flag} acknowledged.", messages.SUCCESS)
            return HttpResponseRedirect(change_url)
        if not flag.is_open:
            self.message_user(request, f"{flag} is already acknowledged.", messages.WARNING)
            return HttpResponseRedirect(change_url)
        return TemplateResponse(
            request,
            "admin/intake/flag/acknowledge.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "flags": [flag],
                "form": form,
                "title": f"Acknowledge {flag}",
            },
        )

    @admin.action(
        description="Acknowledge selected flags (with a note)", permissions=["acknowledge"]
    )
    def acknowledge_selected(self, request: HttpRequest, queryset: QuerySet[Flag]):
        form = FlagAcknowledgeForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done, refused = 0, []
            for flag in queryset:
                try:
                    flag_acknowledge(flag=flag, by=request.user, note=form.cleaned_data["note"])
                    done += 1
                except FlagError:
                    refused.append(f"#{flag.pk}")
            if done:
                self.message_user(request, f"{done} flag(s) acknowledged.", messages.SUCCESS)
            if refused:
                self.message_user(
                    request, f"Already acknowledged: {', '.join(refused)}.", messages.WARNING
                )
            return None
        return TemplateResponse(
            request,
            "admin/intake/flag/acknowledge.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "flags": list(queryset.select_related("patient")),
                "form": form,
                "action": "acknowledge_selected",
                "title": "Acknowledge flags",
            },
        )


@admin.register(OnCallShift)
class OnCallShiftAdmin(SimpleHistoryAdmin):
    list_display = ["clinician", "starts_at", "ends_at", "phone", "overlaps", "note"]
    list_filter = ["clinician"]
    search_fields = ["clinician__username", "clinician__last_name", "phone"]
    list_select_related = ["clinician"]
    date_hierarchy = "starts_at"
    ordering = ["starts_at"]
    change_list_template = "admin/intake/oncallshift/change_list.html"

    @admin.display(description="Overlaps with")
    def overlaps(self, obj: OnCallShift) -> str:
        others = (
            OnCallShift.objects.filter(starts_at__lt=obj.ends_at, ends_at__gt=obj.starts_at)
            .exclude(pk=obj.pk)
            .select_related("clinician")
        )
        return ", ".join(str(s.clinician) for s in others) or "-"

    def changelist_view(self, request: HttpRequest, extra_context=None):
        now = timezone.now()
        end = now + timedelta(days=14)
        shifts = list(
            OnCallShift.objects.filter(ends_at__gt=now, starts_at__lt=end).select_related(
                "clinician"
            )
        )
        extra_context = {
            **(extra_context or {}),
            "gaps": roster_gaps(shifts, start=now, end=end),
            "overlap_pairs": roster_overlaps(shifts),
        }
        return super().changelist_view(request, extra_context)


@dashboard_panel(order=10)
def open_flags_panel(request: HttpRequest) -> dict | None:
    if not request.user.has_perm("intake.view_flag"):
        return None
    open_flags = Flag.objects.filter(acknowledged_at__isnull=True)
    return {
        "id": "flags",
        "title": "Open flags",
        "template": "admin/intake/open_flags_panel.html",
        "flags": open_flags.select_related("patient").order_by("priority", "raised_at")[:15],
        "count": open_flags.count(),
        "urgent_count": open_flags.filter(level=FlagLevel.URGENT).count(),
    }


@dashboard_panel(order=12)
def on_call_panel(request: HttpRequest) -> dict | None:
    if not request.user.has_perm("intake.view_oncallshift"):
        return None
    now = timezone.now()
    current = on_call_at(now)
    return {
        "id": "on-call",
        "title": "On call",
        "template": "admin/intake/on_call_panel.html",
        "now": current,
        "next": next_on_call(now, exclude_user_ids=[s.clinician_id for s in current]),
    }
