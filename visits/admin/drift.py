"""The chair-time drift page: what real visits took beside the template, and adopting a value.

A coordinator adopts the learned median or 80th percentile (or withdraws an adoption) for
one therapy and dose kind; bookings made afterwards use it, sessions already booked keep
their times (`scheduling.chair_times`). Nothing is ever adopted automatically.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse

from clinic.admin_kit import AdminPagesMixin
from clinic.models import Therapy
from clinic.roles import NeedsPermission
from scheduling.chair_times import ChairTimeError, chair_time_adopt, chair_time_withdraw
from scheduling.models import ChairTimeAdoption, DoseKind
from visits import selectors
from visits.learning import duration_label, visits_label

VIEW_PERM = "scheduling.view_chairtimeadoption"
ADOPT_PERM = "scheduling.add_chairtimeadoption"


class AdoptForm(forms.Form):
    therapy = forms.ModelChoiceField(queryset=Therapy.objects.all())
    kind = forms.ChoiceField(choices=DoseKind.choices)
    short_infusion = forms.BooleanField(required=False)
    choice = forms.ChoiceField(choices=[("median", "median"), ("p80", "80th percentile")])


class DriftMixin(AdminPagesMixin):
    def drift_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [path("chair-times/", view(self.drift_view), name="visits_chair_times")]

    def drift_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm(VIEW_PERM):
            raise NeedsPermission(VIEW_PERM)
        can_adopt = request.user.has_perm(ADOPT_PERM)
        if request.method == "POST":
            if not can_adopt:
                raise NeedsPermission(ADOPT_PERM)
            self._adopt(request)
            return HttpResponseRedirect(reverse("admin:visits_chair_times"))
        rows = selectors.drift_rows()
        return self.admin_page(
            request,
            "admin/visits/drift.html",
            title="Chair times: templates and real visits",
            rows=[(row, _sentence(row)) for row in rows],
            can_adopt=can_adopt,
            label=duration_label,
        )

    def _adopt(self, request: HttpRequest) -> None:
        form = AdoptForm(request.POST)
        if not form.is_valid():
            self.message_user(request, "Choose a value to adopt.", messages.ERROR)
            return
        data = form.cleaned_data
        key = {
            "therapy": data["therapy"],
            "kind": data["kind"],
            "short_infusion": data["short_infusion"],
        }
        if request.POST.get("withdraw"):
            adoption = ChairTimeAdoption.objects.filter(**key).first()
            if adoption is not None:
                chair_time_withdraw(adoption=adoption, by=request.user)
            self.message_user(request, "Back to the template's chair time for new bookings.")
            return
        row = next(
            (
                r
                for r in selectors.drift_rows()
                if (r.therapy, r.kind, r.short_infusion) == tuple(key.values())
            ),
            None,
        )
        if row is None or row.chair is None:
            self.message_user(request, "No visits to learn from yet.", messages.ERROR)
            return
        minutes = row.chair.median if data["choice"] == "median" else row.chair.p80
        which = "median" if data["choice"] == "median" else "80th percentile"
        try:
            chair_time_adopt(
                **key,
                minutes=minutes,
                by=request.user,
                basis=f"{which} of {visits_label(row.chair.count)}",
            )
        except ChairTimeError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(
            request,
            f"{row.therapy.name} {row.kind_label.lower()}: new bookings now take "
            f"{duration_label(minutes)} ({which} of {visits_label(row.chair.count)}). "
            "Sessions already booked keep their times.",
            messages.SUCCESS,
        )


def _sentence(row: selectors.DriftRow) -> str:
    """E.g. "Ocrelizumab maintenance: template 5 h, actual median 5 h 22 over 41 visits"."""
    template = duration_label(row.template_minutes)
    head = f"{row.therapy.name} {row.kind_label.lower()}: template {template}"
    if row.chair is None:
        return f"{head}, no completed visits recorded yet"
    median = duration_label(row.chair.median)
    return f"{head}, actual median {median} over {visits_label(row.chair.count)}"
