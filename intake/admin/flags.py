"""Staff side of flags: the open-flags inbox, acknowledging with a note, notices sent."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.html import format_html

from clinic.admin_kit import (
    AccessLoggedAdmin,
    AdminPagesMixin,
    NoAddInline,
    ReadOnlyHistoryAdmin,
    clinic_datetime,
    patient_link,
)
from clinic.admin_queue import delivery_state
from clinic.models import Notice
from clinic.roles import NeedsPermission
from intake import instruments as defs
from intake.admin.questionnaires import instrument_filter
from intake.crisis import crisis_in_flags, crisis_text_in
from intake.flags import FlagError, flag_acknowledge
from intake.models import Flag, FlagLevel, FlagNotification, Instrument, QuestionnaireResponse
from intake.questionnaire_forms import FlagAcknowledgeForm
from intake.scoring import main_score, rule_evidence

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


class RuleFilter(admin.SimpleListFilter):
    """Filter by flag rule, named as the instrument files word it (never the rule's code)."""

    title = "reason"
    parameter_name = "rule"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        rules: dict[str, str] = {}
        for instrument in Instrument.objects.filter(is_current=True).order_by("position"):
            for rule in instrument.definition.get("flags", []):
                rules.setdefault(rule["id"], rule["label"])
        return list(rules.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(rule=self.value()) if self.value() else queryset


class FlagNotificationInline(NoAddInline):
    model = FlagNotification
    verbose_name = "email to on-call staff"
    verbose_name_plural = "emails to on-call staff"
    fields = ["level", "sent", "recipients", "delivery"]
    readonly_fields = fields
    sent = clinic_datetime("sent_at", "Sent at")

    def has_view_permission(self, request: HttpRequest, obj: Flag | None = None) -> bool:
        # Whoever may see the flag sees who was told about it, and whether it reached them.
        return request.user.has_perm("intake.view_flag")

    def get_queryset(self, request: HttpRequest) -> QuerySet[FlagNotification]:
        return super().get_queryset(request).select_related("notice")

    @admin.display(description="Delivery")
    def delivery(self, obj: FlagNotification) -> str:
        return delivery_state(obj.notice)


def _person(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user else "-"


def flag_evidence(flag: Flag) -> dict[str, Any]:
    """Return what raised a flag, worded as the patient saw it: answers, scores, changes.

    Reads the rule from the instrument version the patient answered, so the wording is the
    one they read; a change since last time compares with their previous response.
    """
    response = flag.response
    if response is None:
        return {"rows": [], "scores": []}
    definition = response.instrument.definition
    rule = next((r for r in definition.get("flags", []) if r["id"] == flag.rule), None)
    if rule is None:
        return {"rows": [], "scores": []}
    previous = (
        QuestionnaireResponse.objects.filter(
            patient_id=response.patient_id,
            instrument__code=response.instrument.code,
            submitted_at__lt=response.submitted_at,
        )
        .order_by("-submitted_at", "-pk")
        .values_list("scores", flat=True)
        .first()
    )
    found = rule_evidence(
        rule["when"],
        answers=response.answers,
        scores=response.scores,
        previous_scores=previous,
        context=response.context,
    )
    items = defs.item_map(definition)
    score_defs = {s["id"]: s for s in definition.get("scores", [])}
    rows = []
    for kind, ref in found:
        if kind == "answer" and ref in items:
            item = items[ref]
            answer = defs.answer_label(definition, item, response.answers.get(ref))
            rows.append({"question": item["text"], "answer": answer})
        elif kind in ("score", "change") and ref in score_defs:
            label = score_defs[ref].get("label", ref)
            now = response.scores.get(ref)
            band = response.bands.get(ref, "")
            if kind == "change" and previous:
                answer = f"{now} now, {previous.get(ref)} last time"
            else:
                answer = f"{now}{f' ({band})' if band else ''}"
            rows.append({"question": label, "answer": answer})
        elif kind == "context":
            rows.append({"question": "Treatment", "answer": f"On {ref}"})
    main = main_score(definition)
    scores = []
    if main and response.scores.get(main) is not None:
        scores.append(
            {
                "label": score_defs[main].get("label", main),
                "value": response.scores.get(main),
                "band": response.bands.get(main, ""),
            }
        )
    return {"rows": rows, "scores": scores}


def source_link(flag: Flag) -> str:
    """Link the staff page of the record that raised a flag without a questionnaire."""
    if flag.source_type_id is None:
        return "-"
    model = flag.source_type.model_class()
    if model is None:
        return "-"
    opts = model._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[flag.source_id])
    except NoReverseMatch:
        return f"{opts.verbose_name} #{flag.source_id}"
    return format_html('<a href="{}">{} #{}</a>', url, opts.verbose_name, flag.source_id)


def crisis_texts(flag: Flag) -> list[str]:
    """Return the crisis text the patient was shown (intake.crisis), in their language.

    Shown when the same answers raised PHQ-9 item 9's flag: on the page after the PHQ-9 and
    on the finished page.
    """
    if flag.response_id is None:
        return []
    rules = Flag.objects.filter(response__request_id=flag.response.request_id).values_list(
        "rule", flat=True
    )
    if not crisis_in_flags(rules):
        return []
    return [crisis_text_in(flag.patient.preferred_language)]


class FlagAdmin(AccessLoggedAdmin, AdminPagesMixin, ReadOnlyHistoryAdmin):
    list_display = [
        "level",
        "label",
        "patient_name",
        "raised",
        "state",
        "acknowledged_by_name",
        "escalation_level",
    ]
    list_filter = [
        "level",
        FlagOpenFilter,
        RuleFilter,
        instrument_filter("response__instrument__code"),
    ]
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
        "patient_name",
        "response_link",
        "raised",
        "escalation_level",
        "acknowledged",
        "acknowledged_by_name",
        "acknowledgement_note",
        "pages",
    ]
    readonly_fields = fields
    inlines = [FlagNotificationInline]
    actions = ["acknowledge_selected"]
    change_form_template = "admin/intake/flag/change_form.html"
    raised = clinic_datetime("raised_at", "Raised")
    acknowledged = clinic_datetime("acknowledged_at", "Acknowledged at")

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Flag | None:
        # What the on-call page shows, in one query: patient, response and its instrument.
        queryset = self.get_queryset(request).select_related(
            "patient", "response__instrument", "acknowledged_by", "source_type"
        )
        try:
            return queryset.get(pk=object_id)
        except (Flag.DoesNotExist, ValueError):
            return None

    @admin.display(description="Patient", ordering="patient__legal_family_name")
    def patient_name(self, obj: Flag) -> str:
        return patient_link(obj.patient)

    @admin.display(description="Acknowledged by")
    def acknowledged_by_name(self, obj: Flag) -> str:
        return _person(obj.acknowledged_by)

    @admin.display(description="State", ordering="acknowledged_at")
    def state(self, obj: Flag) -> str:
        return "Open" if obj.is_open else "Acknowledged"

    @admin.display(description="Raised by")
    def response_link(self, obj: Flag) -> str:
        if obj.response_id is None:
            return source_link(obj)
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
        siblings = (
            list(
                Flag.objects.filter(response__request_id=obj.response.request_id)
                .exclude(pk=obj.pk)
                .order_by("priority", "pk")
            )
            if obj.response_id
            else []
        )
        return {
            "title": f"{obj.get_level_display()} flag: {obj.patient.display_name}",
            "subtitle": obj.label,
            "can_acknowledge": obj.is_open and self.has_acknowledge_permission(request),
            "failed_notices": [n for n in flag_notices(obj) if n.status == Notice.Status.FAILED],
            "evidence": flag_evidence(obj),
            "crisis_texts": crisis_texts(obj),
            "siblings": siblings,
            "source_link": source_link(obj),
        }

    def acknowledge_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_acknowledge_permission(request):
            raise NeedsPermission(ACK_PERM)
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


def patient_flags_panel(request: HttpRequest, patient: Any) -> dict | None:
    """The patient hub's flags: open ones first, then the most recent."""
    if not request.user.has_perm("intake.view_flag"):
        return None
    return {
        "id": "flags",
        "title": "Flags",
        "template": "admin/intake/patient_flags_panel.html",
        "flags": list(
            patient.flags.select_related("acknowledged_by").order_by(
                F("acknowledged_at").asc(nulls_first=True), "priority", "-raised_at"
            )[:20]
        ),
    }
