"""Staff scheduling in admin: sessions (the nurse's screen, workflow, move, cancel).

The session page is the nurse's screen: who (name and date of birth for the identity
check), what (therapy, dose, chair time), where and when, the per-visit checks still
outstanding, and the visit's next steps as buttons. Every session change goes through
`scheduling.booking`; the admin only parses and renders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin_dates import CheapDateHierarchyMixin
from clinic.admin_kit import AccessLoggedAdmin, NoAddInline, clinic_datetime, patient_link
from clinic.clock import datetime_label, time_label
from clinic.roles import NeedsPermission
from intake.questionnaire_forms import Visit
from scheduling import booking, planning, selectors, workflow
from scheduling.admin.board import DayBoardMixin
from scheduling.courses import visit_check_record
from scheduling.forms import PickForm, ReasonForm, decode_picks, encode_pick
from scheduling.models import (
    Chair,
    Session,
    SessionStatus,
    VisitCheck,
)

RUN_PERM = "scheduling.run_session"
BOOK_PERM = "scheduling.book_session"
# Per-visit checks are recorded before the infusion starts; afterwards they are history.
CHECKS_OPEN = (SessionStatus.BOOKED, SessionStatus.CHECKED_IN)


@dataclass(frozen=True)
class Step:
    """One button of the visit workflow: the service it calls, from which status."""

    move: str
    label: str
    done: str  # what the message says happened
    service: Callable[..., Session]
    source: str  # the status the button is offered in


WORKFLOW = {
    step.move: step
    for step in (
        Step("check_in", "Check in", "checked in", workflow.session_check_in, "booked"),
        Step(
            "seat", "In chair: infusion starts", "in the chair", workflow.session_seat, "checked_in"
        ),
        Step("complete", "Complete the visit", "completed", workflow.session_complete, "in_chair"),
        Step("no_show", "No-show", "marked as a no-show", workflow.session_no_show, "booked"),
    )
}


def duration_label(minutes: int) -> str:
    """Return a chair time in words: "45 min", "2 h", "3 h 30 min"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _person(user: Any) -> str:
    if user is None:
        return "-"
    return user.get_full_name() or user.get_username()


class VisitCheckInline(NoAddInline):
    model = VisitCheck
    verbose_name_plural = "Per-visit checks"
    # Stacked: each check's tick box and note get their own labels (a tabular row has none).
    template = "admin/edit_inline/stacked.html"
    fields = ["requirement", "done", "note", "recorded_by_name", "recorded"]
    readonly_fields = ["requirement", "recorded_by_name", "recorded"]
    recorded = clinic_datetime("recorded_at", "Recorded at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[VisitCheck]:
        return super().get_queryset(request).select_related("requirement", "recorded_by")

    @admin.display(description="Recorded by")
    def recorded_by_name(self, check: VisitCheck) -> str:
        return _person(check.recorded_by)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if obj is not None and obj.status not in CHECKS_OPEN:
            return False
        return request.user.has_perm("scheduling.change_visitcheck")


class SessionAdmin(AccessLoggedAdmin, DayBoardMixin, CheapDateHierarchyMixin, SimpleHistoryAdmin):
    list_display = [
        "local_start",
        "patient",
        "therapy",
        "dose_label",
        "chair",
        "status",
        "confirmed",
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
    fieldsets = [
        (
            "The visit's record",
            {
                "fields": [
                    "course",
                    "dose",
                    "chair",
                    "booked_by_name",
                    "created",
                    "confirmed",
                    "checked_in",
                    "in_chair",
                    "completed",
                    "cancelled",
                    "cancel_reason",
                ],
                "classes": ["collapse"],
            },
        )
    ]
    readonly_fields = [
        "course",
        "dose",
        "chair",
        "booked_by_name",
        "created",
        "confirmed",
        "checked_in",
        "in_chair",
        "completed",
        "cancelled",
        "cancel_reason",
    ]
    created = clinic_datetime("created_at", "Booked at")
    confirmed = clinic_datetime("confirmed_at", "Confirmed by the patient")
    checked_in = clinic_datetime("checked_in_at", "Checked in at")
    in_chair = clinic_datetime("in_chair_at", "In chair at")
    completed = clinic_datetime("completed_at", "Completed at")
    cancelled = clinic_datetime("cancelled_at", "Cancelled at")

    @admin.display(description="Start (clinic time)", ordering="start")
    def local_start(self, session: Session) -> str:
        return datetime_label(session.start)

    @admin.display(description="Patient", ordering="course__patient__legal_family_name")
    def patient(self, session: Session) -> str:
        return patient_link(session.course.patient)

    @admin.display(description="Therapy")
    def therapy(self, session: Session) -> str:
        return session.course.therapy.name

    @admin.display(description="Dose")
    def dose_label(self, session: Session) -> str:
        return session.dose.label

    @admin.display(description="Booked by")
    def booked_by_name(self, session: Session) -> str:
        return _person(session.booked_by)

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Session | None:
        # Everything the nurse's screen shows, in one query.
        queryset = self.get_queryset(request).select_related(
            "course__patient", "course__therapy", "chair", "dose__step", "dose__course", "booked_by"
        )
        try:
            return queryset.get(pk=object_id)
        except (Session.DoesNotExist, ValueError):
            return None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # booked from the course page, through the booking service

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Every session field is read-only; "change" only lets nurses save the visit checks.
        return request.user.has_perm("scheduling.change_visitcheck")

    def has_run_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(RUN_PERM)

    def has_book_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(BOOK_PERM)

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        # Schedulers cancel ahead; the nurse postpones on the day (fever, infection).
        return self.has_run_permission(request) or self.has_book_permission(request)

    def change_view_context(self, request: HttpRequest, obj: Session) -> dict[str, Any]:
        checks = list(obj.checks.select_related("requirement").order_by("requirement_id"))
        outstanding = [c for c in checks if not c.done]
        run = self.has_run_permission(request)
        steps = [s for s in WORKFLOW.values() if s.source == obj.status] if run else []
        editable_checks = bool(checks) and self.inlines[0](
            self.model, self.admin_site
        ).has_change_permission(request, obj)
        return {
            "visit": {
                "patient": obj.course.patient,
                "therapy": obj.course.therapy,
                "dose": obj.dose,
                "duration": duration_label(int((obj.end - obj.start).total_seconds() // 60)),
                "outstanding": outstanding,
                "checks_open": obj.status in CHECKS_OPEN,
                "steps": steps,
                "can_cancel": obj.status in CHECKS_OPEN and self.has_cancel_permission(request),
                "can_move": (
                    obj.status == SessionStatus.BOOKED and self.has_book_permission(request)
                ),
            },
            "title": f"Visit: {obj.course.patient.display_name}",
            "subtitle": f"{datetime_label(obj.start)}, {obj.chair.name}",
            # The only thing to save on this page is the per-visit checks.
            "show_save": editable_checks,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete_link": False,
        }

    def save_model(self, request: HttpRequest, obj: Session, form: ModelForm, change: bool) -> None:
        """Write nothing: sessions change only through the booking service."""

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        for check in formset.save(commit=False):
            visit_check_record(check=check, done=check.done, by=request.user, note=check.note)

    def response_change(self, request: HttpRequest, obj: Session) -> HttpResponse:
        self.message_user(request, "Per-visit checks recorded.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:scheduling_session_change", args=[obj.pk]))

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
        self._advance(request, queryset, workflow.session_check_in, "checked in")

    @admin.action(description="In chair (infusion starts)", permissions=["run"])
    def seat(self, request: HttpRequest, queryset: QuerySet[Session]) -> None:
        self._advance(request, queryset, workflow.session_seat, "in chair")

    @admin.action(description="Completed", permissions=["run"])
    def complete(self, request: HttpRequest, queryset: QuerySet[Session]) -> None:
        self._advance(request, queryset, workflow.session_complete, "completed")

    @admin.action(description="No-show", permissions=["run"])
    def no_show(self, request: HttpRequest, queryset: QuerySet[Session]) -> None:
        self._advance(request, queryset, workflow.session_no_show, "marked no-show")

    @admin.action(description="Cancel with a reason", permissions=["cancel"])
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
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/move/", view(self.move_view), name="scheduling_session_move"),
            path(
                "<int:pk>/step/<str:move>/",
                view(self.workflow_view),
                name="scheduling_session_step",
            ),
            path("<int:pk>/cancel/", view(self.cancel_view), name="scheduling_session_cancel"),
            *super().get_urls(),
        ]

    def _session(self, request: HttpRequest, pk: int, allowed: bool, perm: str) -> Session:
        """Return the session if the user may act on it (the one access helper here)."""
        if not allowed:
            raise NeedsPermission(perm)
        return get_object_or_404(
            Session.objects.select_related(
                "course__patient", "course__therapy", "chair", "dose__step", "dose__course"
            ),
            pk=pk,
        )

    def workflow_view(self, request: HttpRequest, pk: int, move: str) -> HttpResponse:
        """Run one step of the visit (a button on the session page) through the booking service."""
        step = WORKFLOW.get(move)
        if step is None:
            raise Http404("No such step.")
        session = self._session(request, pk, self.has_run_permission(request), RUN_PERM)
        change_url = reverse("admin:scheduling_session_change", args=[pk])
        if request.method != "POST":
            return HttpResponseRedirect(change_url)
        try:
            step.service(session=session)
        except booking.BookingError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(
                request,
                f"{session.course.patient.display_name} {step.done} at "
                f"{time_label(timezone.now())}.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(change_url)

    def cancel_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = self._session(request, pk, self.has_cancel_permission(request), BOOK_PERM)
        form = ReasonForm(request.POST or None)

        def confirm() -> bool:
            try:
                booking.session_cancel(
                    session=session, reason=form.cleaned_data["reason"], by=request.user
                )
            except booking.BookingError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return False
            self.message_user(request, "The session is cancelled; its chair is free.")
            return True

        return self.pick_then_confirm(
            request,
            form=form,
            confirm=confirm,
            done_url=reverse("admin:scheduling_session_change", args=[pk]),
            template="admin/scheduling/session_cancel.html",
            title=f"Cancel {session.course.patient.display_name}'s session",
            session=session,
        )

    def move_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = self._session(request, pk, self.has_book_permission(request), BOOK_PERM)
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


def patient_sessions_panel(request: HttpRequest, patient: Any) -> dict | None:
    """The patient hub's visits: the coming ones first, then the latest ones before."""
    if not request.user.has_perm("scheduling.view_session"):
        return None
    sessions = list(
        Session.objects.filter(course__patient=patient)
        .select_related("chair", "course__therapy", "dose")
        .order_by("-start")[:40]
    )
    now = timezone.now()
    coming = sorted((s for s in sessions if s.end >= now), key=lambda s: s.start)
    return {
        "id": "sessions",
        "title": "Visits",
        "template": "admin/scheduling/patient_sessions_panel.html",
        "sessions": coming + [s for s in sessions if s.end < now],
        "coming": len(coming),
    }


def coming_visits(patient: Any) -> list[Visit]:
    """Return the patient's booked sessions still to come, for the pre-visit check form."""
    sessions = (
        Session.objects.filter(
            course__patient=patient, status=SessionStatus.BOOKED, start__gt=timezone.now()
        )
        .select_related("course__therapy", "dose")
        .order_by("start")[:12]
    )
    return [
        Visit(
            key=str(s.pk),
            start=s.start,
            label=f"{datetime_label(s.start)}: {s.course.therapy.name}, {s.dose.label}",
        )
        for s in sessions
    ]
