"""The clinical side of a treatment course in admin (issue 14): the safety programme's
authorisation (TOUCH), the monitoring tasks after Lemtrada, the order's number of days, and
switching ocrelizumab between IV and SC with the dose clock kept. Mixed into the course
admin; writes go through `scheduling.courses`."""

from __future__ import annotations

from django.contrib import admin, messages
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from clinic.clock import date_label, local_day
from clinic.models import Therapy
from scheduling.courses import CourseError, course_order_days_set, course_switch
from scheduling.forms import ReasonForm
from scheduling.models import TreatmentCourse


def switch_target(course: TreatmentCourse) -> Therapy | None:
    """Return the same drug by its other route (ocrelizumab IV <-> SC), if the catalogue has it."""
    if not course.therapy.dose_clock or course.status != TreatmentCourse.Status.ACTIVE:
        return None
    return (
        Therapy.objects.filter(dose_clock=course.therapy.dose_clock, is_active=True)
        .exclude(pk=course.therapy_id)
        .first()
    )


class CourseClinicalMixin:
    """Course admin pages and columns for the clinical rules of the catalogue."""

    @admin.display(description="Safety authorisation")
    def safety_state(self, course: TreatmentCourse) -> str:
        therapy = course.therapy
        if not therapy.reauthorise_every_months:
            return "-"
        until = course.safety_authorised_until
        if course.safety_lapsed(local_day(timezone.now())):
            when = f" on {date_label(until)}" if until else ""
            return f"{therapy.safety_programme}: LAPSED{when}: no infusion until re-authorised"
        return (
            f"{therapy.safety_programme}: authorised until {date_label(until)} "
            f"(re-authorise every {therapy.reauthorise_every_months} months)"
        )

    @admin.display(description="Monitoring")
    def monitoring_state(self, course: TreatmentCourse) -> str:
        today = local_day(timezone.now())
        tasks = [t for t in course.monitoring_tasks.all() if not t.done_on]
        if not tasks:
            return "-"
        overdue = sum(1 for t in tasks if t.due < today)
        url = (
            reverse("admin:scheduling_monitoringtask_changelist")
            + f"?course__id__exact={course.pk}"
        )
        return format_html(
            '<a href="{}">{} open test(s), {} overdue; next {}</a>',
            url,
            len(tasks),
            overdue,
            date_label(min(t.due for t in tasks)),
        )

    def save_model(
        self, request: HttpRequest, obj: TreatmentCourse, form: ModelForm, change: bool
    ) -> None:
        order_days = obj.order_days
        if change and "order_days" in form.changed_data:
            obj.order_days = form.initial.get("order_days")
        super().save_model(request, obj, form, change)
        if change and "order_days" in form.changed_data:
            try:
                course_order_days_set(course=obj, days=order_days)
            except CourseError as exc:
                self.message_user(request, str(exc), messages.ERROR)

    def switch_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Switch a course between IV and SC ocrelizumab, keeping its dose clock."""
        course = self._course(request, pk, "scheduling.override_prerequisites")
        target = switch_target(course)
        done_url = reverse("admin:scheduling_treatmentcourse_change", args=[pk])
        if target is None:
            self.message_user(
                request, "This course has no other route to switch to.", messages.ERROR
            )
            return HttpResponseRedirect(done_url)
        form = ReasonForm(request.POST or None)

        def confirm() -> bool:
            try:
                course_switch(course=course, therapy=target, reason=form.cleaned_data["reason"])
            except CourseError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return False
            self.message_user(
                request, f"Switched to {target}; the dose dates are kept.", messages.SUCCESS
            )
            return True

        return self.pick_then_confirm(
            request,
            form=form,
            confirm=confirm,
            done_url=done_url,
            template="admin/scheduling/switch.html",
            title=f"Switch to {target}",
            course=course,
            switch_to=target,
        )
