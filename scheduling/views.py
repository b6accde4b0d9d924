"""Patients manage their sessions from a private link: see, confirm, cancel, reschedule, ICS."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.clock import datetime_label, time_label
from clinic.links import private_link
from clinic.models import ClinicSettings, PrivateLink
from scheduling import booking, planning
from scheduling.calendar import session_ics
from scheduling.forms import PatientCancelForm, PickForm, decode_picks, encode_pick
from scheduling.models import Chair, Session, SessionStatus

UPCOMING = (SessionStatus.BOOKED, SessionStatus.CHECKED_IN)
_MANAGE = PrivateLink.Purpose.MANAGE


def _session_of(link: PrivateLink, pk: int) -> Session:
    """Return one of the link's patient's sessions (the one access helper here), or 404."""
    session = (
        Session.objects.filter(pk=pk, course__patient=link.patient)
        .select_related("dose__step", "dose__course", "course", "chair")
        .first()
    )
    if session is None:
        raise Http404
    return session


@private_link(purpose=_MANAGE)
def manage_view(request: HttpRequest, link: PrivateLink, token: str) -> HttpResponse:
    now = timezone.now()
    sessions = (
        Session.objects.filter(course__patient=link.patient, status__in=UPCOMING, end__gt=now)
        .select_related("chair")
        .order_by("start")
    )
    rows = [
        {
            "session": s,
            "when": datetime_label(s.start, localized=True),
            "until": time_label(s.end, localized=True),
            "changeable": s.status == SessionStatus.BOOKED
            and s.start - now >= booking.PATIENT_CUTOFF,
        }
        for s in sessions
    ]
    return render(
        request,
        "scheduling/manage.html",
        {
            "token": token,
            "rows": rows,
            "clinic": ClinicSettings.load(),
            "patient_name": link.patient.preferred_name or link.patient.legal_given_name,
        },
    )


@require_POST
@private_link(purpose=_MANAGE)
def session_confirm_view(
    request: HttpRequest, link: PrivateLink, token: str, pk: int
) -> HttpResponse:
    session = _session_of(link, pk)
    try:
        booking.session_confirm(session=session)
    except booking.BookingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Thank you: your attendance is confirmed."))
    return redirect("scheduling:manage", token=token)


@private_link(purpose=_MANAGE)
def session_cancel_view(
    request: HttpRequest, link: PrivateLink, token: str, pk: int
) -> HttpResponse:
    session = _session_of(link, pk)
    form = PatientCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"] or "Cancelled by the patient"
        try:
            booking.session_cancel(session=session, reason=f"Patient: {reason}", by_patient=True)
        except booking.BookingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Your appointment is cancelled. The clinic will contact you to find a new time."),
            )
        return redirect("scheduling:manage", token=token)
    return render(
        request,
        "scheduling/cancel.html",
        {
            "token": token,
            "session": session,
            "when": datetime_label(session.start, localized=True),
            "form": form,
            "clinic": ClinicSettings.load(),
        },
    )


@private_link(purpose=_MANAGE)
def session_reschedule_view(
    request: HttpRequest, link: PrivateLink, token: str, pk: int
) -> HttpResponse:
    session = _session_of(link, pk)
    options = planning.dose_options(dose=session.dose, exclude=session.pk, limit=8)
    choices = [
        (encode_pick(o.chair_id, o.start), datetime_label(o.start, localized=True)) for o in options
    ]
    form = PickForm(request.POST or None, choices=choices)
    if request.method == "POST" and form.is_valid():
        (_dose, chair_id, start), *_rest = decode_picks(form.cleaned_data["pick"])
        try:
            booking.session_move(
                session=session, chair=Chair.objects.get(pk=chair_id), start=start, by_patient=True
            )
        except booking.BookingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Your appointment is now on %(when)s.")
                % {"when": datetime_label(start, localized=True)},
            )
            return redirect("scheduling:manage", token=token)
    return render(
        request,
        "scheduling/reschedule.html",
        {
            "token": token,
            "session": session,
            "when": datetime_label(session.start, localized=True),
            "form": form,
            "clinic": ClinicSettings.load(),
            "too_late": session.start - timezone.now() < booking.PATIENT_CUTOFF,
        },
    )


@private_link(purpose=_MANAGE)
def session_ics_view(request: HttpRequest, link: PrivateLink, token: str, pk: int) -> HttpResponse:
    session = _session_of(link, pk)
    body = session_ics(
        session=session, clinic=ClinicSettings.load(), language=link.patient.preferred_language
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="appointment.ics"'
    response["Cache-Control"] = "private, no-store"
    return response
