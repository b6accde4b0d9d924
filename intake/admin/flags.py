"""Staff side of flags: the open-flags inbox, acknowledging with a note, notices sent."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from clinic.admin_kit import AccessLoggedAdmin, AdminPagesMixin, NoAddInline, ReadOnlyHistoryAdmin
from clinic.admin_queue import delivery_state
from clinic.models import Notice
from intake.flags import FlagError, flag_acknowledge
from intake.models import Flag, FlagLevel, FlagNotification
from intake.questionnaire_forms import FlagAcknowledgeForm

ACK_PERM = "intake.acknowledge_flag"


def flag_notices(flag: Flag) -> list[Notice]:
    """Every notice about the flag: its emails (level 0 may cover several flags) and pages."""
    via_rows = FlagNotification.objects.filter(flag=flag).values("notice_id")
    return list(
        Notice.objects.filter(
            Q(pk__in=via_rows)
            | Q(content_type=ContentType.objects.get_for_model(Flag), object_id=str(flag.pk))
        ).order_by("created_at", "pk")
    )


class FlagOpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("open", "Open"), ("acknowledged", "Acknowledged")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "open":
            return queryset.filter(acknowledged_at__isnull=True)
        if self.value() == "acknowledged":
            return queryset.filter(acknowledged_at__isnull=False)
        return queryset


class FlagNotificationInline(NoAddInline):
    model = FlagNotification
    verbose_name = "email to on-call staff"
    verbose_name_plural = "emails to on-call staff"
    fields = ["level", "sent_at", "recipients", "delivery"]
    readonly_fields = fields

    def has_view_permission(self, request: HttpRequest, obj: Flag | None = None) -> bool:
        # Whoever may see the flag sees who was told about it, and whether it reached them.
        return request.user.has_perm("intake.view_flag")

    def get_queryset(self, request: HttpRequest) -> QuerySet[FlagNotification]:
        return super().get_queryset(request).select_related("notice")

    @admin.display(description="Delivery")
    def delivery(self, obj: FlagNotification) -> str:
        return delivery_state(obj.notice)


class FlagAdmin(AccessLoggedAdmin, AdminPagesMixin, ReadOnlyHistoryAdmin):
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
        "pages",
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

    @admin.display(description="On-call pages")
    def pages(self, obj: Flag) -> str:
        sent = [
            f"{n.params.get('action', 'trigger')}: {delivery_state(n)}"
            for n in flag_notices(obj)
            if n.channel == Notice.Channel.PAGE
        ]
        return "; ".join(sent) or "–"

    def has_acknowledge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ACK_PERM)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:pk>/acknowledge/",
                self.admin_site.admin_view(self.acknowledge_view),
                name="intake_flag_acknowledge",
            ),
            *super().get_urls(),
        ]

    def change_view_context(self, request: HttpRequest, obj: Flag) -> dict[str, Any]:
        return {
            "can_acknowledge": obj.is_open and self.has_acknowledge_permission(request),
            "failed_notices": [n for n in flag_notices(obj) if n.status == Notice.Status.FAILED],
        }

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
        return self.admin_page(
            request,
            "admin/intake/flag/acknowledge.html",
            title=f"Acknowledge {flag}",
            flags=[flag],
            form=form,
        )

    @admin.action(
        description="Acknowledge selected flags (with a note)", permissions=["acknowledge"]
    )
    def acknowledge_selected(
        self, request: HttpRequest, queryset: QuerySet[Flag]
    ) -> TemplateResponse | None:
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
        return self.admin_page(
            request,
            "admin/intake/flag/acknowledge.html",
            title="Acknowledge flags",
            flags=list(queryset.select_related("patient")),
            form=form,
            action="acknowledge_selected",
        )


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
