"""Staff scheduling in admin: sessions (workflow actions, move, cancel).

Every session change goes through `scheduling.booking`; the admin only parses and renders.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin_dates import CheapDateHierarchyMixin
from clinic.admin_kit import AccessLoggedAdmin, NoAddInline
from clinic.clock import datetime_label
from scheduling import booking, planning, selectors
from scheduling.admin.board import DayBoardMixin
from scheduling.courses import visit_check_record
from scheduling.forms import PickForm, ReasonForm, decode_picks, encode_pick
from scheduling.models import (
    Chair,
    Session,
    VisitCheck,
)


class VisitCheckInline(NoAddInline):
    model = VisitCheck
    fields = ["requirement", "done", "note", "recorded_by", "recorded_at"]
    readonly_fields = ["requirement", "recorded_by", "recorded_at"]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.has_perm("scheduling.change_visitcheck")


class SessionAdmin(AccessLoggedAdmin, DayBoardMixin, CheapDateHierarchyMixin, SimpleHistoryAdmin):
    list_display = [
        "local_start",
        "patient",
        "therapy",
        "dose_label",
        "chair",
        "status",
        "confirmed_at",
    ]
    list_filter = ["status", "chair", "course__therapy"]
    list_select_related = ["course__patient", "course__therapy", "chair", "dose"]
    date_hierarchy = "start"
    search_fields = ["course__patient__legal_family_name", "course__patient__record_number"]
    ordering = ["start"]
    list_per_page = 100
    inlines = [VisitCheckInline]
    change_form_template = "admin/scheduling/session/change_form.html"
    actions = ["check_in", "seat", "complete", "no_show", "cancel"]
    fields = [
        "course",
        "dose",
        "chair",
        "start",
        "end",
        "status",
        "confirmed_at",
        "checked_in_at",
        "in_chair_at",
        "completed_at",
        "cancelled_at",
        "cancel_reason",
        "booked_by",
    ]
    readonly_fields = fields

    @admin.display(description="Start (clinic time)", ordering="start")
    def local_start(self, session: Session) -> str:
        return datetime_label(session.start)

    @admin.display(description="Patient", ordering="course__patient__legal_family_name")
    def patient(self, session: Session) -> str:
        return session.course.patient.display_name

    @admin.display(description="Therapy")
    def therapy(self, session: Session) -> str:
        return session.course.therapy.name

    @admin.display(description="Dose")
    def dose_label(self, session: Session) -> str:
        return session.dose.label

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # booked from the course page, through the booking service

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Every session field is read-only; "change" only lets nurses save the visit checks.
        return request.user.has_perm("scheduling.change_visitcheck")

    def has_run_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("scheduling.run_session")

    def has_book_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("scheduling.book_session")

    def save_model(self, request: HttpRequest, obj: Session, form: ModelForm, change: bool) -> None:
        """Write nothing: sessions change only through the booking service."""

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        for check in formset.save(commit=False):
            visit_check_record(check=check, done=check.done, by=request.user, note=check.note)

    def _advance(
        self,
        request: HttpRequest,
        queryset: QuerySet[Session],
        service: Callable[..., Session],
        done: str,
    ) -> None:
        moved = 0
        for session in queryset:
            try:
                service(session=session)
                moved += 1
            except booking.BookingError as exc:
                self.message_user(request, str(exc), messages.WARNING)
        if moved:
            self.message_user(request, f"{moved} session(s) {done}.", messages.SUCCESS)

    @admin.action(description="Check in", permissions=["run"])
    def check_in(self, request: HttpRequest, queryset: QuerySet[Session]) -> None:
        self._advance(request, queryset, booking.session_check_in, "checked in")

    @admin.action(description="In chair (infusion starts)", permissions=["run"])
    def seat(self, request: HttpRequest, queryset: QuerySet[Session]) -> None:
        self._advance(request, queryset, booking.session_seat, "in chair")

    @admin.action(description="Completed", permissions=["run"])
    def complete(self, request: HttpRequest, queryset: QuerySet[Session]) -> None:
        self._advance(request, queryset, booking.session_complete, "completed")

    @admin.action(description="No-show", permissions=["run"])
    def no_show(self, request: HttpRequest, queryset: QuerySet[Session]) -> None:
        self._advance(request, queryset, booking.session_no_show, "marked no-show")

    @admin.action(description="Cancel with a reason", permissions=["book"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Session]) -> TemplateResponse | None:
        form = ReasonForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._advance(
                request,
                queryset,
                lambda session: booking.session_cancel(
                    session=session, reason=form.cleaned_data["reason"], by=request.user
                ),
                "cancelled",
            )
            return None
        return self.admin_page(
            request,
            "admin/scheduling/cancel.html",
            title="Cancel sessions",
            form=form,
            sessions=queryset,
            action_checkbox_name=admin.helpers.ACTION_CHECKBOX_NAME,
        )

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:pk>/move/",
                self.admin_site.admin_view(self.move_view),
                name="scheduling_session_move",
            ),
            *super().get_urls(),
        ]

    def move_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_book_permission(request):
            raise PermissionDenied
        session = get_object_or_404(
            Session.objects.select_related(
                "course__patient", "course__therapy", "chair", "dose__step", "dose__course"
            ),
            pk=pk,
        )
        options = planning.dose_options(dose=session.dose, exclude=session.pk, limit=6)
        choices = [(encode_pick(o.chair_id, o.start), datetime_label(o.start)) for o in options]
        form = PickForm(request.POST or None, choices=choices)

        def confirm() -> bool:
            (_dose, chair_id, start), *_rest = decode_picks(form.cleaned_data["pick"])
            try:
                booking.session_move(
                    session=session,
                    chair=Chair.objects.get(pk=chair_id),
                    start=start,
                    by=request.user,
                )
            except booking.BookingError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return False
            self.message_user(request, f"Moved to {datetime_label(start)}.", messages.SUCCESS)
            return True

        chairs = selectors.chairs_by_id()
        return self.pick_then_confirm(
            request,
            form=form,
            confirm=confirm,
            done_url=reverse("admin:scheduling_session_change", args=[pk]),
            template="admin/scheduling/dose_book.html",
            title=f"Move session #{session.pk}",
            course=session.course,
            dose=session.dose,
            moving=session,
            window=planning.dose_bounds(session.dose, exclude=session.pk),
            options=[
                (value, o, chairs[o.chair_id])
                for (value, _l), o in zip(choices, options, strict=True)
            ],
        )
