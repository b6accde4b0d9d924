"""Staff scheduling in admin: treatment courses (prerequisites, book a course or a dose).

Every session change goes through `scheduling.booking`; the admin only parses and renders.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Model, Q, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin_kit import AccessLoggedAdmin, AdminPagesMixin, NoAddInline
from clinic.clock import datetime_label, local_day
from scheduling import booking, planning, selectors
from scheduling.courses import CourseError, course_override, prerequisite_record
from scheduling.forms import PickForm, ReasonForm, decode_picks, encode_pick
from scheduling.models import (
    CoursePrerequisite,
    PlannedDose,
    TreatmentCourse,
)


class CoursePrerequisiteInline(NoAddInline):
    model = CoursePrerequisite
    fields = ["requirement", "met", "met_on", "note", "recorded_by"]
    readonly_fields = ["requirement", "met_on", "recorded_by"]


class PlannedDoseInline(NoAddInline):
    model = PlannedDose
    fields = ["sequence", "label", "target", "earliest", "latest", "booked", "book"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[PlannedDose]:
        return super().get_queryset(request).prefetch_related("sessions__chair")

    @admin.display(description="Session")
    def booked(self, dose: PlannedDose) -> str:
        active = [s for s in dose.sessions.all() if s.is_active]
        if not active:
            return "—"
        session = active[0]
        status = session.get_status_display()
        return f"{datetime_label(session.start)}, {session.chair.name} ({status})"

    @admin.display(description="")
    def book(self, dose: PlannedDose) -> str:
        if any(s.is_active for s in dose.sessions.all()):
            return ""
        url = reverse("admin:scheduling_dose_book", args=[dose.course_id, dose.pk])
        return format_html('<a href="{}">Book this dose</a>', url)


class TreatmentCourseAdmin(AccessLoggedAdmin, AdminPagesMixin, SimpleHistoryAdmin):
    list_display = ["__str__", "patient", "therapy", "status", "prerequisites_state", "created_at"]
    list_filter = ["status", "therapy"]
    list_select_related = ["patient", "therapy"]
    search_fields = [
        "patient__legal_family_name",
        "patient__legal_given_name",
        "patient__record_number",
    ]
    readonly_fields = [
        "patient",
        "therapy",
        "referral",
        "override_reason",
        "override_by",
        "override_at",
        "created_at",
    ]
    fields = [
        "patient",
        "therapy",
        "referral",
        "status",
        "start_after",
        "part_of_day",
        "chair_kind",
        "short_infusion",
        "observation_minutes",
        "override_reason",
        "override_by",
        "override_at",
        "created_at",
    ]
    inlines = [CoursePrerequisiteInline, PlannedDoseInline]
    change_form_template = "admin/scheduling/treatmentcourse/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[TreatmentCourse]:
        return (
            super()
            .get_queryset(request)
            .annotate(unmet=Count("prerequisites", filter=Q(prerequisites__met=False)))
        )

    @admin.display(description="Prerequisites", ordering="unmet")
    def prerequisites_state(self, course: TreatmentCourse) -> str:
        if course.override_reason:
            return "overridden by a clinician"
        return f"{course.unmet} outstanding" if course.unmet else "all met"

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Courses come from accepted referrals so every one has its doses and prerequisites.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def change_view_context(self, request: HttpRequest, obj: TreatmentCourse) -> dict[str, Any]:
        return {
            "can_book": request.user.has_perm("scheduling.book_session"),
            "can_override": request.user.has_perm("scheduling.override_prerequisites"),
        }

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        if formset.model is not CoursePrerequisite:
            return super().save_formset(request, form, formset, change)
        for item in formset.save(commit=False):
            prerequisite_record(prerequisite=item, met=item.met, by=request.user, note=item.note)
        return None

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/book/", view(self.course_book_view), name="scheduling_course_book"),
            path(
                "<int:pk>/dose/<int:dose_pk>/book/",
                view(self.dose_book_view),
                name="scheduling_dose_book",
            ),
            path("<int:pk>/override/", view(self.override_view), name="scheduling_course_override"),
            *super().get_urls(),
        ]

    def _course(self, request: HttpRequest, pk: int, perm: str) -> TreatmentCourse:
        """Return the course if the user holds `perm` (the one access helper here)."""
        if not request.user.has_perm(perm):
            raise PermissionDenied
        return get_object_or_404(
            TreatmentCourse.objects.select_related("patient", "therapy"), pk=pk
        )

    def _book(self, request: HttpRequest, course: TreatmentCourse, form: PickForm) -> bool:
        """Book the picked option(s) through the booking service; say what happened."""
        try:
            picks = decode_picks(form.cleaned_data["pick"])
        except ValueError:
            return False
        doses = {d.pk: d for d in course.doses.select_related("step", "course")}
        chairs = selectors.chairs_by_id()
        try:
            choices = [planning.Choice(doses[d], chairs[c], start) for d, c, start in picks]
            booking.course_book(choices=choices, by=request.user)
        except (KeyError, TypeError):
            self.message_user(request, "That option is no longer valid.", messages.ERROR)
            return False
        except booking.BookingError as exc:
            times = ", ".join(datetime_label(o.start) for o in exc.options)
            self.message_user(request, f"{exc} {times}".strip(), messages.ERROR)
            return False
        self.message_user(request, f"Booked {len(choices)} session(s).", messages.SUCCESS)
        return True

    def course_book_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        course = self._course(request, pk, "scheduling.book_session")
        wanted = planning.course_doses_to_book(course)
        plans = planning.course_plans(doses=wanted) if wanted else []
        choices = [
            (";".join(encode_pick(c.chair.pk, c.start, c.dose.pk) for c in plan), f"Plan {i}")
            for i, plan in enumerate(plans, 1)
        ]
        form = PickForm(request.POST or None, choices=choices)
        loads = planning.plan_day_loads(plans)
        return self.pick_then_confirm(
            request,
            form=form,
            confirm=lambda: self._book(request, course, form),
            done_url=reverse("admin:scheduling_treatmentcourse_change", args=[pk]),
            template="admin/scheduling/course_book.html",
            title=f"Book {course}",
            course=course,
            plans=[
                (value, [(c, loads.get(local_day(c.start), 0)) for c in plan])
                for (value, _label), plan in zip(choices, plans, strict=True)
            ],
            doses=wanted,
        )

    def dose_book_view(self, request: HttpRequest, pk: int, dose_pk: int) -> HttpResponse:
        course = self._course(request, pk, "scheduling.book_session")
        dose = get_object_or_404(course.doses.select_related("step", "course"), pk=dose_pk)
        options = planning.dose_options(dose=dose, limit=6)
        choices = [
            (encode_pick(o.chair_id, o.start, dose.pk), datetime_label(o.start)) for o in options
        ]
        form = PickForm(request.POST or None, choices=choices)
        chairs = selectors.chairs_by_id()
        return self.pick_then_confirm(
            request,
            form=form,
            confirm=lambda: self._book(request, course, form),
            done_url=reverse("admin:scheduling_treatmentcourse_change", args=[pk]),
            template="admin/scheduling/dose_book.html",
            title=f"Book {dose}",
            course=course,
            dose=dose,
            window=planning.dose_bounds(dose),
            options=[
                (value, o, chairs[o.chair_id])
                for (value, _l), o in zip(choices, options, strict=True)
            ],
        )

    def override_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        course = self._course(request, pk, "scheduling.override_prerequisites")
        form = ReasonForm(request.POST or None)

        def confirm() -> bool:
            try:
                course_override(course=course, by=request.user, reason=form.cleaned_data["reason"])
            except CourseError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return False
            self.message_user(
                request, "Prerequisites overridden; reason recorded.", messages.SUCCESS
            )
            return True

        return self.pick_then_confirm(
            request,
            form=form,
            confirm=confirm,
            done_url=reverse("admin:scheduling_treatmentcourse_change", args=[pk]),
            template="admin/scheduling/reason.html",
            title="Override prerequisites",
            course=course,
        )
