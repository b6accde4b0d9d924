"""Staff side of the background work: the outbox, django-q's task pages, the dashboard alert.

django-q registers its Schedule / Success / Failure / queue pages on the default site, which
is the staff site; here they are re-registered so that only superusers can resubmit tasks
(the on-call clinician role may look, see clinic.roles).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django_q import admin as q_admin
from django_q.models import Failure, OrmQ, Schedule, Success

from clinic.admin_kit import clinic_datetime
from clinic.clock import datetime_label, time_label
from clinic.dashboard import dashboard_panel
from clinic.health import scheduler_stale_minutes
from clinic.models import Notice
from clinic.notices import flag_kinds, kind_label, notice_requeue

VIEW_NOTICE_PERM = "clinic.view_notice"
RETRY_NOTICE_PERM = "clinic.retry_notice"
# Who sees the red "background jobs have not run" banner: staff who look after flags.
ON_CALL_PERM = "intake.view_flag"
FAILED_SHOWN_FOR = timedelta(days=7)


def target_admin_url(notice: Notice) -> str | None:
    if not notice.content_type_id or not notice.object_id:
        return None
    ct = notice.content_type
    try:
        return reverse(f"admin:{ct.app_label}_{ct.model}_change", args=[notice.object_id])
    except NoReverseMatch:
        return None


def delivery_state(notice: Notice | None) -> str:
    """One line for staff: sent when, retrying, or failed, with the kind of error."""
    if notice is None:
        return "–"
    if notice.status == Notice.Status.SENT and notice.sent_at:
        return f"Sent {datetime_label(notice.sent_at)}"
    if notice.status == Notice.Status.FAILED:
        return f"FAILED after {notice.attempts} tries ({notice.last_error})"
    if notice.status == Notice.Status.CANCELLED:
        return "Not sent: no longer needed"
    if notice.attempts:
        return (
            f"Retrying: {notice.attempts} failed, next try "
            f"{time_label(notice.next_try_at)} ({notice.last_error})"
        )
    return "Queued"


class KindFilter(admin.SimpleListFilter):
    title = "kind"
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        from clinic.notices import _kinds

        return sorted(((code, kind.label) for code, kind in _kinds.items()), key=lambda x: x[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[Notice]) -> QuerySet[Notice]:
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    """The outbox: read-only; a failed notice can be sent again (custom permission)."""

    list_display = [
        "created",
        "kind_name",
        "to",
        "delivery",
        "about",
    ]
    list_filter = ["status", "channel", KindFilter]
    search_fields = ["recipients", "subject"]
    list_select_related = ["content_type"]
    fields = [
        "kind_name",
        "channel",
        "recipients",
        "cc",
        "subject",
        "status",
        "attempts",
        "next_try",
        "last_error",
        "sent",
        "created",
        "about",
    ]
    readonly_fields = fields
    # Staff pages show instants one way, on the clinic clock (clinic.admin_kit).
    created = clinic_datetime("created_at", "Created")
    sent = clinic_datetime("sent_at", "Sent")
    next_try = clinic_datetime("next_try_at", "Next try")
    actions = ["send_again"]
    show_full_result_count = False

    @admin.display(description="Kind", ordering="kind")
    def kind_name(self, obj: Notice) -> str:
        return kind_label(obj.kind)

    @admin.display(description="To")
    def to(self, obj: Notice) -> str:
        return ", ".join(obj.recipient_list + obj.cc_list)

    @admin.display(description="Delivery", ordering="status")
    def delivery(self, obj: Notice) -> str:
        state = delivery_state(obj)
        return format_html("<strong>{}</strong>", state) if obj.status == "failed" else state

    @admin.display(description="About")
    def about(self, obj: Notice) -> str:
        if not obj.content_type_id:
            return "–"
        label = f"{obj.content_type.name.capitalize()} #{obj.object_id}"
        url = target_admin_url(obj)
        return format_html('<a href="{}">{}</a>', url, label) if url else label

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Notice | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Notice | None = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(RETRY_NOTICE_PERM)

    @admin.action(description="Send selected notices again now", permissions=["retry"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[Notice]) -> None:
        done = 0
        for notice in queryset.exclude(status=Notice.Status.SENT):
            if notice_requeue(notice=notice):
                self.log_change(request, notice, "Sent again by staff")
                done += 1
        self.message_user(request, f"{done} notice(s) queued to be sent again.", messages.SUCCESS)


# --- django-q's own pages, resubmitting for superusers only -------------------------------------


@admin.action(description="Resubmit selected tasks to the queue", permissions=["change"])
def resubmit(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    q_admin.resubmit_task(model_admin, request, queryset)


class SuccessAdmin(q_admin.TaskAdmin):
    actions = [resubmit]


class FailureAdmin(q_admin.FailAdmin):
    actions = [resubmit]


for model, model_admin in [
    (Success, SuccessAdmin),
    (Failure, FailureAdmin),
    (Schedule, q_admin.ScheduleAdmin),
    (OrmQ, q_admin.QueueAdmin),
]:
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)


# --- Dashboard: jobs stale, notices failed -----------------------------------------------------


@dashboard_panel(order=0)
def background_jobs_panel(request: HttpRequest) -> dict | None:
    """A red banner when the scheduler is stale; the notices that could not be sent."""
    user = request.user
    stale = scheduler_stale_minutes() if user.has_perm(ON_CALL_PERM) else None
    failed: list[dict[str, Any]] = []
    if user.has_perm(VIEW_NOTICE_PERM):
        since = timezone.now() - FAILED_SHOWN_FOR
        rows = (
            Notice.objects.filter(status=Notice.Status.FAILED, created_at__gte=since)
            .select_related("content_type")
            .order_by("-created_at")[:10]
        )
        urgent = set(flag_kinds())
        failed = [
            {
                "notice": n,
                "kind": kind_label(n.kind),
                "urgent": n.kind in urgent,
                "about_url": target_admin_url(n),
                "about": f"{n.content_type.name.capitalize()} #{n.object_id}"
                if n.content_type_id
                else "",
            }
            for n in rows
        ]
    if stale is None and not failed:
        return None
    return {
        "id": "jobs",
        "title": "Background jobs" if stale is not None else "Notices not sent",
        "template": "admin/clinic/jobs_panel.html",
        # A stale scheduler is a banner across the dashboard's grid, not one panel among many.
        "wide": stale is not None,
        "stale_minutes": stale,
        "failed": failed,
    }
