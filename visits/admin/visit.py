"""The visit page: the nurse's chairside record of one session, laid out for a tablet.

Opened from the session page (itself opened from the day board). Each section posts its own
form (`action`); the view parses it, calls one service of `visits.records`, and redirects
with what happened (vitals warnings included) or shows the form again with its errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin_kit import AccessLoggedAdmin, AdminPagesMixin, clinic_datetime, patient_link
from clinic.audit import access_log
from clinic.clock import clinic_tz, local_day
from clinic.roles import NeedsPermission
from scheduling.models import Session, SessionStatus
from visits import forms, records, selectors
from visits.admin.drift import DriftMixin
from visits.learning import duration_label
from visits.models import VisitRecord

RECORD_PERM = "visits.record_visit"
VIEW_PERM = "visits.view_visitrecord"


def _now_time() -> str:
    return timezone.now().astimezone(clinic_tz()).strftime("%H:%M")


class VisitPage:
    """The forms of one visit page, bound to a POST for the section being saved."""

    def __init__(self, session: Session, record: VisitRecord | None, request: HttpRequest):
        self.session, self.record = session, record
        self.day = local_day(session.start)
        self.action = request.POST.get("action", "") if request.method == "POST" else ""
        self.post = request.POST
        self.checks = list(session.checks.select_related("requirement"))
        self.rows = selectors.record_rows(record) if record else {}

    def form(self, action: str, cls: type[forms.VisitForm], **kwargs: Any) -> forms.VisitForm:
        data = self.post if self.action == action else None
        initial = kwargs.pop("initial", {})
        if "at" in cls.base_fields:
            initial.setdefault("at", _now_time())
        return cls(data, day=self.day, prefix=action, initial=initial, **kwargs)

    def all_forms(self) -> dict[str, forms.VisitForm]:
        dose = self.session.dose
        record = self.record
        made: dict[str, forms.VisitForm] = {
            "open": self.form("open", forms.ArrivalForm),
            "checks": self.form("checks", forms.ChecksForm, checks=self.checks),
        }
        if record is None:
            return made
        made |= {
            "vitals": self.form("vitals", forms.VitalsForm),
            "premeds": self.form("premeds", forms.PremedsForm, premeds=self.rows["premeds"]),
            "start": self.form(
                "start",
                forms.StartForm,
                initial={"product": self.session.course.therapy.name, "dose": dose.step.dose},
            ),
            "rate": self.form("rate", forms.RateForm),
            "stop": self.form("stop", forms.TimeForm),
            "reaction": self.form("reaction", forms.ReactionForm),
            "observation": self.form("observation", forms.TimeForm),
            "discharge": self.form("discharge", forms.TimeForm),
            "amend": self.form(
                "amend",
                forms.AmendForm,
                initial={
                    "product": record.product,
                    "dose_given": record.dose_given,
                    "lot_number": record.lot_number,
                    "lot_expiry": record.lot_expiry,
                    "notes": record.notes,
                },
            ),
        }
        return made


def _save(page: VisitPage, form: forms.VisitForm, by: Any) -> str:
    """Call the service for the posted section; return the message to show."""
    record, action, data = page.record, page.action, form.cleaned_data
    if action == "open":
        opened = records.visit_open(session=page.session, by=by)
        records.visit_check_in(record=opened, at=form.instant())
        return "Visit record opened; the patient is checked in."
    if action == "checks":
        target = record or records.visit_open(session=page.session, by=by)
        records.visit_checks_record(record=target, done=form.done(), by=by)
        return "Per-visit checks recorded."
    assert record is not None
    reason = data.get("reason", "")
    if action == "vitals":
        _reading, warnings = records.vitals_record(
            record=record,
            phase=data["phase"],
            taken_at=form.instant(),
            values=form.values(),
            by=by,
            reason=reason,
        )
        if warnings:
            return "Vitals saved. Past the hold thresholds, ask the clinician: " + "; ".join(
                warnings
            )
        return "Vitals saved."
    if action == "premeds":
        by_pk = {p.pk: p for p in page.rows["premeds"]}
        for pk, when in form.given().items():
            if by_pk[pk].given_at != when:
                records.premedication_give(premed=by_pk[pk], given_at=when, by=by, reason=reason)
        return "Premedications recorded."
    if action == "start":
        records.administration_start(
            record=record,
            product=data["product"],
            dose=data["dose"],
            lot_number=data["lot_number"],
            lot_expiry=data["lot_expiry"],
            started_at=form.instant(),
            rate_ml_per_hour=data["rate"],
            by=by,
        )
        return "Infusion started: the patient is in the chair."
    if action == "rate":
        records.rate_change(
            record=record,
            at=form.instant(),
            rate_ml_per_hour=data["rate"],
            note=data["note"],
            by=by,
        )
        return "Rate change recorded."
    if action == "stop":
        records.administration_stop(record=record, at=form.instant(), by=by)
        return "Infusion stopped; observation runs."
    if action == "reaction":
        reaction = records.reaction_record(
            record=record,
            at=form.instant(),
            symptoms=data["symptoms"],
            grade=data["grade"],
            action=data["action"],
            medicines=data["medicines"],
            outcome=data["outcome"],
            by=by,
            reason=reason,
        )
        if reaction.flag_id:
            return "Reaction recorded. An urgent flag went to the clinician on call."
        return "Reaction recorded."
    if action == "observation":
        records.observation_end(record=record, at=form.instant(), by=by, reason=reason)
        return "End of observation recorded."
    if action == "discharge":
        done = records.visit_discharge(record=record, at=form.instant(), by=by)
        return f"Discharged: {duration_label(done.chair_minutes)} in the chair."
    changes = {k: data[k] for k in ("product", "dose_given", "lot_number", "lot_expiry", "notes")}
    records.administration_amend(record=record, changes=changes, by=by, reason=reason)
    return "Record amended."


class VisitRecordAdmin(AccessLoggedAdmin, DriftMixin, AdminPagesMixin, SimpleHistoryAdmin):
    list_display = ["opened", "patient", "therapy", "dose_kind", "chair_time", "discharged"]
    list_filter = ["therapy", "dose_kind"]
    list_select_related = ["session__course__patient", "therapy"]
    search_fields = [
        "session__course__patient__legal_family_name",
        "session__course__patient__record_number",
    ]
    date_hierarchy = None
    opened = clinic_datetime("opened_at", "Opened")
    discharged = clinic_datetime("discharged_at", "Discharged")

    @admin.display(description="Patient")
    def patient(self, obj: VisitRecord) -> str:
        return patient_link(obj.session.course.patient)

    @admin.display(description="Chair time", ordering="chair_minutes")
    def chair_time(self, obj: VisitRecord) -> str:
        return duration_label(obj.chair_minutes)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_record_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(RECORD_PERM)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("session/<int:pk>/", view(self.visit_view), name="visits_visit"),
            path("<int:pk>/change/", view(self.record_redirect), name="visits_visitrecord_change"),
            *self.drift_urls(),
            *super().get_urls(),
        ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[VisitRecord]:
        return super().get_queryset(request).select_related("session__course__patient", "therapy")

    def record_redirect(self, request: HttpRequest, pk: int) -> HttpResponse:
        """A record's own address (flags and history link here) opens its visit page."""
        if not self.has_view_permission(request):
            raise NeedsPermission(VIEW_PERM)
        record = get_object_or_404(VisitRecord, pk=pk)
        return HttpResponseRedirect(reverse("admin:visits_visit", args=[record.session_id]))

    def _session(self, request: HttpRequest, pk: int) -> Session:
        """Return the session whose record the user may see (the one access helper here)."""
        if not self.has_view_permission(request):
            raise NeedsPermission(VIEW_PERM)
        return get_object_or_404(
            Session.objects.select_related(
                "course__patient", "course__therapy", "chair", "dose__step", "dose__course"
            ),
            pk=pk,
        )

    def visit_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = self._session(request, pk)
        record = selectors.visit_record(session)
        url = reverse("admin:visits_visit", args=[pk])
        if request.method == "POST":
            if not self.has_record_permission(request):
                raise NeedsPermission(RECORD_PERM)
            response = self._post(request, session, record, url)
            if response is not None:
                return response
            record = selectors.visit_record(session)
        if record is not None and request.method == "GET":
            access_log(request, record)
        page = VisitPage(session, record, request)
        return self._render(request, page)

    def _post(
        self, request: HttpRequest, session: Session, record: VisitRecord | None, url: str
    ) -> HttpResponse | None:
        action = request.POST.get("action", "")
        if record is None and action not in ("open", "checks"):
            self.message_user(request, "Open the visit record first.", messages.ERROR)
            return HttpResponseRedirect(url)
        page = VisitPage(session, record, request)
        form = page.all_forms().get(action)
        if form is None or not form.is_valid():
            request._visit_page = page  # show the page again with this form's errors
            return None
        return self._run(request, url, lambda: _save(page, form, request.user))

    def _run(self, request: HttpRequest, url: str, write: Callable[[], str]) -> HttpResponse:
        try:
            text = write()
        except records.VisitError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            level = messages.WARNING if "hold thresholds" in text else messages.SUCCESS
            self.message_user(request, text, level)
        return HttpResponseRedirect(url + "#" + request.POST.get("action", ""))

    def _render(self, request: HttpRequest, page: VisitPage) -> HttpResponse:
        posted = getattr(request, "_visit_page", None)
        forms_ = page.all_forms()
        if posted is not None:
            # Keep the nurse's input and errors in the section they sent.
            forms_ |= {posted.action: posted.all_forms()[posted.action]}
            for form in forms_.values():
                form.is_bound and form.is_valid()
        session, record = page.session, page.record
        status = session.status
        return self.admin_page(
            request,
            "admin/visits/visit.html",
            title=f"Visit record: {session.course.patient.display_name}",
            session=session,
            record=record,
            rows=page.rows,
            checks=page.checks,
            forms=forms_,
            top=selectors.visit_top(session),
            can_record=self.has_record_permission(request),
            checks_open=status in (SessionStatus.BOOKED, SessionStatus.CHECKED_IN),
            template_time=duration_label(int((session.end - session.start).total_seconds() // 60)),
            chair_time=duration_label(record.chair_minutes) if record else "",
            infusion_time=duration_label(record.infusion_minutes) if record else "",
        )
