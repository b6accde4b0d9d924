"""Staff scheduling in admin: treatment courses (prerequisites, book a course or a dose).

Every session change goes through `scheduling.booking`; the admin only parses and renders.
"""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Model, Prefetch, Q, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin_kit import (
    AccessLoggedAdmin,
    AdminPagesMixin,
    NoAddInline,
    clinic_datetime,
    patient_link,
)
from clinic.clock import date_label, datetime_label, local_day
from clinic.roles import NeedsPermission, roles_with
from scheduling import booking, planning, selectors
from scheduling.admin.authorisations import course_authorisations
from scheduling.admin.clinical import CourseClinicalMixin, switch_target
from scheduling.courses import (
    CourseError,
    course_override,
    prerequisite_record,
)
from scheduling.forms import PickForm, PlanSearchForm, ReasonForm, decode_picks, encode_pick
from scheduling.models import (
    CoursePrerequisite,
    PlannedDose,
    Session,
    TreatmentCourse,
)


class CoursePrerequisiteInline(NoAddInline):
    model = CoursePrerequisite
    verbose_name_plural = "Prerequisites before the first dose"
    # Stacked: each tick box and note get their own labels (a tabular row has none).
    template = "admin/edit_inline/stacked.html"
    fields = ["requirement", "met", "met_on", "note", "recorded_by_name"]
    readonly_fields = ["requirement", "met_on", "recorded_by_name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CoursePrerequisite]:
        return super().get_queryset(request).select_related("requirement", "recorded_by")

    @admin.display(description="Recorded by")
    def recorded_by_name(self, item: CoursePrerequisite) -> str:
        user = item.recorded_by
        return (user.get_full_name() or user.get_username()) if user else "-"


def dose_when(
    dose: PlannedDose, window: tuple[date, date] | None, after: PlannedDose | None = None
) -> str:
    """Say when a dose is: its booked session, or "not yet placed" with its open days.

    A dose's target can fall on a day the clinic is closed; before booking, staff see the
    window's first and last open days instead, never a closed day. A later day of a block
    (`after` is the dose before it in the block) goes wherever the block starts.
    """
    active = [s for s in dose.sessions.all() if s.is_active]
    if active:
        session = active[0]
        url = reverse("admin:scheduling_session_change", args=[session.pk])
        return format_html(
            '<a href="{}">{}</a>, {} ({})',
            url,
            datetime_label(session.start),
            session.chair.name,
            session.get_status_display(),
        )
    if after is not None:
        return format_html(
            '<span class="not-placed">Not yet placed: the open day after dose {}</span>',
            after.sequence,
        )
    if window is None:
        return format_html('<span class="not-placed">{}</span>', "Not yet placed: no open day")
    first, last = window
    if first == last:
        return format_html('<span class="not-placed">Not yet placed: {}</span>', date_label(first))
    return format_html(
        '<span class="not-placed">Not yet placed: an open day from {} to {}</span>',
        date_label(first),
        date_label(last),
    )


def block_predecessors(doses: list[PlannedDose]) -> dict[int, PlannedDose]:
    """Map each later day of a consecutive-day block to the dose before it (sequence order)."""
    return {
        dose.pk: previous
        for previous, dose in pairwise(doses)
        if dose.block is not None and dose.block == previous.block
    }


class PlannedDoseInline(NoAddInline):
    model = PlannedDose
    verbose_name_plural = "Doses"
    fields = ["sequence", "label", "when", "book", "authorisation"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[PlannedDose]:
        return (
            super()
            .get_queryset(request)
            .select_related("authorisation_override__by")
            .prefetch_related("sessions__chair")
        )

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        # Inline instances are made per request: what the display methods need is kept here.
        self._can_book = request.user.has_perm("scheduling.book_session")
        self._can_override = request.user.has_perm("scheduling.override_authorisation")
        self._needs_auth = bool(obj and obj.authorisation_required)
        doses = list(obj.doses.order_by("sequence")) if obj else []
        self._windows = planning.open_windows(doses)
        self._after = block_predecessors(doses)
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description="When")
    def when(self, dose: PlannedDose) -> str:
        return dose_when(dose, self._windows.get(dose.pk), self._after.get(dose.pk))

    @admin.display(description="")
    def book(self, dose: PlannedDose) -> str:
        if not self._can_book or any(s.is_active for s in dose.sessions.all()):
            return ""
        url = reverse("admin:scheduling_dose_book", args=[dose.course_id, dose.pk])
        return format_html('<a href="{}">Book this dose</a>', url)

    @admin.display(description="Authorisation override")
    def authorisation(self, dose: PlannedDose) -> str:
        override = getattr(dose, "authorisation_override", None)
        if override is not None:
            who = override.by.get_full_name() or override.by.get_username()
            return f"Overridden by {who}: {override.reason}"
        if not self._needs_auth or not self._can_override:
            return ""
        url = reverse("admin:scheduling_authorisation_override", args=[dose.pk])
        return format_html('<a href="{}">Override the authorisation</a>', url)


class TreatmentCourseAdmin(
    CourseClinicalMixin, AccessLoggedAdmin, AdminPagesMixin, SimpleHistoryAdmin
):
    list_display = [
        "__str__",
        "patient_name",
        "therapy",
        "status",
        "prerequisites_state",
        "created",
    ]
    list_filter = ["status", "therapy"]
    list_select_related = ["patient", "therapy"]
    search_fields = [
        "patient__legal_family_name",
        "patient__legal_given_name",
        "patient__record_number",
    ]
    readonly_fields = [
        "patient_name",
        "therapy",
        "referral",
        "referral_reference",
        "override_reason",
        "override_by_name",
        "overridden",
        "created",
        "safety_state",
        "monitoring_state",
        "authorisations",
    ]
    fields = [
        "patient_name",
        "therapy",
        "referral",
        "status",
        "start_after",
        "part_of_day",
        "chair_kind",
        "short_infusion",
        "observation_minutes",
        "reaction_on_record",
        "order_days",
        "safety_authorised_until",
        "safety_state",
        "monitoring_state",
        "authorisation_required",
        "authorisations",
        "override_reason",
        "override_by_name",
        "overridden",
        "created",
    ]
    created = clinic_datetime("created_at", "Created")
    overridden = clinic_datetime("override_at", "Overridden at")
    inlines = [CoursePrerequisiteInline, PlannedDoseInline]
    change_form_template = "admin/scheduling/treatmentcourse/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[TreatmentCourse]:
        return (
            super()
            .get_queryset(request)
            .select_related("patient", "therapy", "referral", "override_by")
            .annotate(unmet=Count("prerequisites", filter=Q(prerequisites__met=False)))
        )

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        # Referrals hold clinical documents some roles may not open: name it, link it only
        # for those who can (a link to a refusal is a dead end).
        fields = list(super().get_fields(request, obj))
        if not request.user.has_perm("intake.view_referral"):
            fields[fields.index("referral")] = "referral_reference"
        return fields

    @admin.display(description="Patient", ordering="patient__legal_family_name")
    def patient_name(self, course: TreatmentCourse) -> str:
        return patient_link(course.patient)

    @admin.display(description="Authorisations")
    def authorisations(self, course: TreatmentCourse) -> str:
        return course_authorisations(course)

    @admin.display(description="Referral")
    def referral_reference(self, course: TreatmentCourse) -> str:
        return course.referral.reference if course.referral else "-"

    @admin.display(description="Overridden by")
    def override_by_name(self, course: TreatmentCourse) -> str:
        user = course.override_by
        return (user.get_full_name() or user.get_username()) if user else "-"

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

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Whoever records prerequisites saves this page, even without changing the course.
        return super().has_change_permission(request, obj) or request.user.has_perm(
            "scheduling.change_courseprerequisite"
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        if request.user.has_perm("scheduling.change_treatmentcourse"):
            return list(self.readonly_fields)
        return list(dict.fromkeys([*self.readonly_fields, *self.fields]))

    def change_view_context(self, request: HttpRequest, obj: TreatmentCourse) -> dict[str, Any]:
        return {
            "title": f"{obj.therapy.name} for {obj.patient.display_name}",
            "subtitle": str(obj),
            "can_book": request.user.has_perm("scheduling.book_session"),
            "can_override": request.user.has_perm("scheduling.override_prerequisites"),
            "switch_to": switch_target(obj),
        }

    def response_change(self, request: HttpRequest, obj: TreatmentCourse) -> HttpResponse:
        # Back to the course, where "Book the course" is the next step, not to the list.
        self.message_user(request, "The course is saved.", messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:scheduling_treatmentcourse_change", args=[obj.pk])
        )

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
            path("<int:pk>/switch/", view(self.switch_view), name="scheduling_course_switch"),
            *super().get_urls(),
        ]

    def _course(self, request: HttpRequest, pk: int, perm: str) -> TreatmentCourse:
        """Return the course if the user holds `perm` (the one access helper here)."""
        if not request.user.has_perm(perm):
            raise NeedsPermission(perm)
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
            times = "; ".join(datetime_label(o.start) for o in exc.options)
            self.message_user(request, f"{exc} {times}." if times else str(exc), messages.ERROR)
            return False
        self.message_user(request, f"Booked {len(choices)} session(s).", messages.SUCCESS)
        return True

    def _outstanding(
        self, course: TreatmentCourse, doses: list[PlannedDose]
    ) -> list[CoursePrerequisite]:
        """Return the prerequisites that stop the first dose being booked (none if not in it)."""
        if not doses or doses[0].sequence != 1 or course.override_reason:
            return []
        return list(course.prerequisites.filter(met=False).select_related("requirement"))

    def _prerequisite_help(self, request: HttpRequest, course: TreatmentCourse) -> dict[str, Any]:
        return {
            "recorders": roles_with("scheduling.change_courseprerequisite"),
            "overriders": roles_with("scheduling.override_prerequisites"),
            "can_override": request.user.has_perm("scheduling.override_prerequisites"),
        }

    def course_book_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        course = self._course(request, pk, "scheduling.book_session")
        wanted = planning.course_doses_to_book(course)
        outstanding = self._outstanding(course, wanted)
        search = PlanSearchForm(request.GET or None)
        wish = search.cleaned_data if search.is_valid() else {}
        plans = []
        if wanted and not outstanding:
            plans = planning.course_plans(
                doses=wanted, start_from=wish.get("start"), part_of_day=wish.get("part") or None
            )
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
            title=f"Book {course.therapy.name} for {course.patient.display_name}",
            course=course,
            plans=[
                (value, [(c, loads.get(local_day(c.start), 0)) for c in plan])
                for (value, _label), plan in zip(choices, plans, strict=True)
            ],
            doses=wanted,
            first_window=planning.dose_bounds(wanted[0]) if wanted else None,
            outstanding=outstanding,
            search=search,
            **self._prerequisite_help(request, course),
        )

    def dose_book_view(self, request: HttpRequest, pk: int, dose_pk: int) -> HttpResponse:
        course = self._course(request, pk, "scheduling.book_session")
        dose = get_object_or_404(course.doses.select_related("step", "course"), pk=dose_pk)
        outstanding = self._outstanding(course, [dose])
        options = [] if outstanding else planning.dose_options(dose=dose, limit=6)
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
            outstanding=outstanding,
            **self._prerequisite_help(request, course),
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


def patient_courses_panel(request: HttpRequest, patient: Any) -> dict | None:
    """The patient hub's treatment courses, each with its doses booked or still to place."""
    if not request.user.has_perm("scheduling.view_treatmentcourse"):
        return None
    courses = list(
        patient.courses.select_related("therapy")
        .prefetch_related(
            Prefetch("doses", queryset=PlannedDose.objects.order_by("sequence")),
            Prefetch(
                "doses__sessions",
                queryset=Session.objects.active().select_related("chair").order_by("start"),
            ),
        )
        .order_by("-created_at")
    )
    windows = planning.open_windows([d for c in courses for d in c.doses.all()])
    after = {k: v for c in courses for k, v in block_predecessors(list(c.doses.all())).items()}
    return {
        "id": "courses",
        "title": "Treatment courses",
        "template": "admin/scheduling/patient_courses_panel.html",
        "wide": True,
        "courses": [
            (
                course,
                [
                    (dose, dose_when(dose, windows.get(dose.pk), after.get(dose.pk)))
                    for dose in course.doses.all()
                ],
            )
            for course in courses
        ],
        "can_book": request.user.has_perm("scheduling.book_session"),
    }


def accepted_referral_note(request: HttpRequest, referral: Any) -> str:
    """Say, after a referral is accepted, where its new course is and who books it."""
    course = TreatmentCourse.objects.filter(referral=referral).select_related("therapy").first()
    if course is None:
        return ""
    if request.user.has_perm("scheduling.book_session"):
        return format_html(
            'Its {} course is ready: <a href="{}">book it now</a>.',
            course.therapy.name,
            reverse("admin:scheduling_course_book", args=[course.pk]),
        )
    return format_html(
        'Its {} course, <a href="{}">{}</a>, is ready for the {} to book.',
        course.therapy.name,
        reverse("admin:scheduling_treatmentcourse_change", args=[course.pk]),
        course,
        " or ".join(name.lower() for name in roles_with("scheduling.book_session")),
    )
