"""Patients join the waitlist for an earlier time and accept offers, from their manage link."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clinic.clock import datetime_label, local_day
from clinic.links import private_link
from clinic.models import ClinicSettings, PrivateLink
from scheduling.models import Session, SessionStatus, WaitlistEntry, WaitlistOffer
from scheduling.waitlist import (
    NOTICE_CHOICES,
    OPEN_ENTRY,
    Outcome,
    WaitlistError,
    offer_accept,
    open_entry,
    waitlist_join,
    waitlist_remove,
)

_MANAGE = PrivateLink.Purpose.MANAGE
_WEEKDAYS = [
    ("0", gettext_lazy("Monday")),
    ("1", gettext_lazy("Tuesday")),
    ("2", gettext_lazy("Wednesday")),
    ("3", gettext_lazy("Thursday")),
    ("4", gettext_lazy("Friday")),
    ("5", gettext_lazy("Saturday")),
    ("6", gettext_lazy("Sunday")),
]
_NOTICE_LABELS = {
    4: gettext_lazy("4 hours"),
    24: gettext_lazy("1 day"),
    48: gettext_lazy("2 days"),
    72: gettext_lazy("3 days"),
}


class WaitlistJoinForm(forms.Form):
    part_of_day = forms.ChoiceField(
        label=gettext_lazy("When can you come?"),
        choices=WaitlistEntry.PartOfDay.choices,
        initial=WaitlistEntry.PartOfDay.ANY,
        widget=forms.RadioSelect,
    )
    weekdays = forms.MultipleChoiceField(
        label=gettext_lazy("Which days can you come? (none ticked: any weekday)"),
        choices=_WEEKDAYS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    notice_hours = forms.TypedChoiceField(
        label=gettext_lazy("How much notice do you need?"),
        coerce=int,
        choices=[(h, _NOTICE_LABELS[h]) for h in NOTICE_CHOICES],
        initial=24,
        widget=forms.RadioSelect,
    )


def _own_session(link: PrivateLink, pk: int) -> Session:
    """Return one of the link's patient's booked sessions (the one access helper), or 404."""
    session = (
        Session.objects.filter(pk=pk, course__patient=link.patient, status=SessionStatus.BOOKED)
        .select_related("dose__step", "dose__course", "chair")
        .first()
    )
    if session is None:
        raise Http404
    return session


def _own_offer(link: PrivateLink, pk: int) -> WaitlistOffer:
    offer = (
        WaitlistOffer.objects.filter(pk=pk, entry__dose__course__patient=link.patient)
        .select_related("entry__dose")
        .first()
    )
    if offer is None:
        raise Http404
    return offer


def can_wait(session: Session, now: datetime) -> bool:
    """Return whether the dose's window opens before the booked day (and after today).

    Read from the planned window alone, no query per visit on the manage page; the minimum
    gap to the previous dose can narrow it further, which the backfill checks.
    """
    first = max(session.dose.earliest, local_day(now) + timedelta(days=1))
    return first < local_day(session.start)


def with_waitlist(sessions: QuerySet[Session], now: datetime) -> QuerySet[Session]:
    """Annotate each session with whether its dose waits for an earlier time and its open
    offer, if any (start, held until): read with the sessions, no query of its own."""
    entries = WaitlistEntry.objects.filter(dose_id=OuterRef("dose_id"), status__in=OPEN_ENTRY)
    offer = WaitlistOffer.objects.filter(
        entry__dose_id=OuterRef("dose_id"), status=WaitlistOffer.Status.OPEN, expires_at__gt=now
    ).order_by("start")
    return sessions.annotate(
        waiting=Exists(entries),
        offer_pk=Subquery(offer.values("pk")[:1]),
        offer_start=Subquery(offer.values("start")[:1]),
        offer_until=Subquery(offer.values("expires_at")[:1]),
    )


def manage_extras(sessions: list[Session], now: datetime) -> dict[str, Any]:
    """What the manage page shows about the waitlist, from `with_waitlist`'s annotations."""
    offers = [
        {
            "pk": s.offer_pk,
            "when": datetime_label(s.offer_start, localized=True),
            "until": datetime_label(s.offer_until, localized=True),
        }
        for s in sessions
        if s.offer_pk
    ]
    return {"offers": offers, "waiting": {s.dose_id for s in sessions if s.waiting}}


@private_link(purpose=_MANAGE)
def waitlist_join_view(
    request: HttpRequest, link: PrivateLink, token: str, pk: int
) -> HttpResponse:
    session = _own_session(link, pk)
    entry = open_entry(session.dose)
    initial = (
        {
            "part_of_day": entry.part_of_day,
            "weekdays": list(entry.weekdays),
            "notice_hours": entry.notice_hours,
        }
        if entry
        else None
    )
    form = WaitlistJoinForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            waitlist_join(
                dose=session.dose,
                part_of_day=form.cleaned_data["part_of_day"],
                weekdays=[int(d) for d in form.cleaned_data["weekdays"]],
                notice_hours=form.cleaned_data["notice_hours"],
            )
        except WaitlistError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _(
                    "You are on the waitlist. If an earlier time opens we will email you a link; "
                    "your current appointment stays booked until you accept one."
                ),
            )
        return redirect("scheduling:manage", token=token)
    return render(
        request,
        "scheduling/waitlist_join.html",
        {
            "token": token,
            "session": session,
            "when": datetime_label(session.start, localized=True),
            "form": form,
            "on_list": entry is not None,
            "clinic": ClinicSettings.load(),
        },
    )


@require_POST
@private_link(purpose=_MANAGE)
def waitlist_leave_view(
    request: HttpRequest, link: PrivateLink, token: str, pk: int
) -> HttpResponse:
    session = _own_session(link, pk)
    entry = open_entry(session.dose)
    if entry is not None:
        waitlist_remove(entry=entry)
        messages.success(request, _("You have left the waitlist for this appointment."))
    return redirect("scheduling:manage", token=token)


@require_POST
@private_link(purpose=_MANAGE)
def offer_accept_view(request: HttpRequest, link: PrivateLink, token: str, pk: int) -> HttpResponse:
    offer = _own_offer(link, pk)
    outcome = offer_accept(offer=offer)
    if outcome == Outcome.ACCEPTED:
        offer.refresh_from_db()
        messages.success(
            request,
            _("Done: your appointment is now on %(when)s (clinic time).")
            % {"when": datetime_label(offer.start, localized=True)},
        )
        return redirect("scheduling:manage", token=token)
    current = (
        Session.objects.filter(dose=offer.entry.dose, status=SessionStatus.BOOKED)
        .order_by("start")
        .first()
    )
    template, status = {
        Outcome.TAKEN: ("scheduling/offer_taken.html", 409),
        Outcome.EXPIRED: ("scheduling/offer_expired.html", 410),
    }.get(outcome, ("scheduling/offer_expired.html", 410))
    return render(
        request,
        template,
        {
            "token": token,
            "offered": datetime_label(offer.start, localized=True),
            "current": datetime_label(current.start, localized=True) if current else "",
            "clinic": ClinicSettings.load(),
        },
        status=status,
    )
