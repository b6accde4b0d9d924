"""Staff side of the waitlist: entries per dose (add, pause, resume, remove, offer by hand)
and every offer with its outcome. Writes go through `scheduling.waitlist`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin_kit import (
    AdminPagesMixin,
    ReadOnlyHistoryAdmin,
    ReadOnlyInline,
    clinic_datetime,
    patient_link,
)
from clinic.clock import datetime_label
from clinic.roles import NeedsPermission
from scheduling import planning, selectors
from scheduling.forms import PickForm, decode_picks, encode_pick
from scheduling.models import PlannedDose, Session, SessionStatus, WaitlistEntry, WaitlistOffer
from scheduling.waitlist import (
    NOTICE_CHOICES,
    WaitlistError,
    booked_session,
    offer_by_hand,
    waitlist_join,
    waitlist_pause,
    waitlist_remove,
    waitlist_resume,
)

WEEKDAYS = [
    (str(i), name) for i, name in enumerate(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
]


class WaitlistEntryForm(forms.ModelForm):
    weekday_choices = forms.MultipleChoiceField(
        label="Weekdays",
        choices=WEEKDAYS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any weekday.",
    )
    notice_hours = forms.TypedChoiceField(
        coerce=int, choices=[(h, f"{h} hours") for h in NOTICE_CHOICES], initial=24
    )

    class Meta:
        model = WaitlistEntry
        fields = ["dose", "part_of_day", "notice_hours"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "dose" in self.fields:
            booked = Session.objects.filter(
                status=SessionStatus.BOOKED, start__gt=timezone.now()
            ).values("dose_id")
            self.fields["dose"].queryset = (
                PlannedDose.objects.filter(pk__in=booked)
                .select_related("course__patient")
                .order_by("course__patient__legal_family_name", "sequence")
            )
            self.fields["dose"].label_from_instance = lambda d: (
                f"{d.course.patient.display_name} ({d.course.patient.record_number}): {d}"
            )
        if self.instance.pk:
            self.fields["weekday_choices"].initial = list(self.instance.weekdays)


class WaitlistOfferInline(ReadOnlyInline):
    model = WaitlistOffer
    verbose_name_plural = "Offers"
    fields = ["offered", "chair", "status", "expires", "responded", "offered_by"]
    readonly_fields = fields
    offered = clinic_datetime("start", "Time offered")
    expires = clinic_datetime("expires_at", "Held until")
    responded = clinic_datetime("responded_at", "Answered")


class WaitlistEntryAdmin(AdminPagesMixin, SimpleHistoryAdmin):
    form = WaitlistEntryForm
    list_display = [
        "__str__",
        "patient_name",
        "dose_label",
        "booked_for",
        "status",
        "part_of_day",
        "notice_hours",
        "waiting_since",
        "open_offers",
    ]
    list_filter = ["status", "part_of_day"]
    list_select_related = ["dose__course__patient"]
    search_fields = [
        "dose__course__patient__legal_family_name",
        "dose__course__patient__legal_given_name",
        "dose__course__patient__record_number",
    ]
    actions = ["pause", "resume", "remove"]
    inlines = [WaitlistOfferInline]
    waiting_since = clinic_datetime("created_at", "Waiting since")
    change_form_template = "admin/scheduling/waitlistentry/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[WaitlistEntry]:
        return (
            super()
            .get_queryset(request)
            .annotate(open=Count("offers", filter=Q(offers__status=WaitlistOffer.Status.OPEN)))
        )

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        if obj is None:
            return ["dose", "part_of_day", "weekday_choices", "notice_hours"]
        return [
            "patient_name",
            "dose_label",
            "booked_for",
            "status",
            "part_of_day",
            "weekday_choices",
            "notice_hours",
            "waiting_since",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        if obj is None:
            return []
        return ["patient_name", "dose_label", "booked_for", "status", "waiting_since"]

    @admin.display(description="Patient")
    def patient_name(self, entry: WaitlistEntry) -> str:
        return patient_link(entry.dose.course.patient)

    @admin.display(description="Dose", ordering="dose__sequence")
    def dose_label(self, entry: WaitlistEntry) -> str:
        return str(entry.dose)

    @admin.display(description="Booked for")
    def booked_for(self, entry: WaitlistEntry) -> str:
        session = booked_session(entry.dose)
        return datetime_label(session.start) if session else "-"

    @admin.display(description="Open offers", ordering="open")
    def open_offers(self, entry: WaitlistEntry) -> int:
        return entry.open

    def save_model(self, request: HttpRequest, obj: WaitlistEntry, form: Any, change: bool) -> None:
        days = [int(d) for d in form.cleaned_data.get("weekday_choices", [])]
        try:
            entry = waitlist_join(
                dose=obj.dose,
                part_of_day=obj.part_of_day,
                weekdays=days,
                notice_hours=obj.notice_hours,
                by=request.user,
            )
        except WaitlistError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        obj.pk = entry.pk

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def _each(self, request: HttpRequest, queryset: QuerySet, service: Any, done: str) -> None:
        count = 0
        for entry in queryset:
            try:
                service(entry=entry)
                count += 1
            except WaitlistError:
                continue
        self.message_user(request, f"{count} entr{'y' if count == 1 else 'ies'} {done}.")

    @admin.action(description="Pause the selected entries", permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, waitlist_pause, "paused")

    @admin.action(description="Resume the selected entries", permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, waitlist_resume, "resumed")

    @admin.action(
        description="Remove the selected entries from the waitlist", permissions=["change"]
    )
    def remove(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, waitlist_remove, "removed")

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = {
            **(extra_context or {}),
            "can_offer": request.user.has_perm("scheduling.offer_waitlist"),
        }
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:pk>/offer/",
                self.admin_site.admin_view(self.offer_view),
                name="scheduling_waitlistentry_offer",
            ),
            *super().get_urls(),
        ]

    def offer_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Offer one of the free earlier times to this patient by hand."""
        if not request.user.has_perm("scheduling.offer_waitlist"):
            raise NeedsPermission("scheduling.offer_waitlist")
        entry = get_object_or_404(
            WaitlistEntry.objects.select_related("dose__step", "dose__course__patient"), pk=pk
        )
        session = booked_session(entry.dose)
        options = []
        if session is not None and entry.status == WaitlistEntry.Status.ACTIVE:
            session = Session.objects.select_related("dose__step", "dose__course").get(
                pk=session.pk
            )
            options = [
                o
                for o in planning.move_options(session=session, limit=12)
                if o.start < session.start
            ]
        chairs = selectors.chairs_by_id()
        choices = [
            (
                encode_pick(o.chair_id, o.start),
                f"{datetime_label(o.start)}, {chairs[o.chair_id].name}",
            )
            for o in options
        ]
        form = PickForm(request.POST or None, choices=choices)

        def confirm() -> bool:
            (_dose, chair_id, start), *_rest = decode_picks(form.cleaned_data["pick"])
            try:
                offer_by_hand(entry=entry, chair=chairs[chair_id], start=start, by=request.user)
            except WaitlistError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return False
            self.message_user(request, "Offered; the patient is emailed a link to accept.")
            return True

        return self.pick_then_confirm(
            request,
            form=form,
            confirm=confirm,
            done_url=reverse("admin:scheduling_waitlistentry_change", args=[pk]),
            template="admin/scheduling/waitlist_offer.html",
            title=f"Offer an earlier time to {entry.dose.course.patient.display_name}",
            entry=entry,
            session=session,
        )


class WaitlistOfferAdmin(ReadOnlyHistoryAdmin):
    list_display = [
        "__str__",
        "patient_name",
        "offered",
        "chair",
        "status",
        "expires",
        "responded",
        "by",
    ]
    list_filter = ["status"]
    list_select_related = ["entry__dose__course__patient", "chair", "offered_by"]
    search_fields = [
        "entry__dose__course__patient__legal_family_name",
        "entry__dose__course__patient__record_number",
    ]
    fields = [
        "entry_link",
        "patient_name",
        "offered",
        "chair",
        "status",
        "expires",
        "responded",
        "by",
    ]
    readonly_fields = fields
    offered = clinic_datetime("start", "Time offered")
    expires = clinic_datetime("expires_at", "Held until")
    responded = clinic_datetime("responded_at", "Answered")

    @admin.display(description="Patient")
    def patient_name(self, offer: WaitlistOffer) -> str:
        return patient_link(offer.entry.dose.course.patient)

    @admin.display(description="Waitlist entry")
    def entry_link(self, offer: WaitlistOffer) -> str:
        url = reverse("admin:scheduling_waitlistentry_change", args=[offer.entry_id])
        return format_html('<a href="{}">{}</a>', url, offer.entry)

    @admin.display(description="Offered by")
    def by(self, offer: WaitlistOffer) -> str:
        user = offer.offered_by
        return (user.get_full_name() or user.get_username()) if user else "backfill worker"
