"""Patients manage their sessions from a private link: see, confirm, cancel, reschedule, ICS."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from clinic.clock import datetime_label, time_label
from clinic.links import private_link
from clinic.models import ClinicSettings, PrivateLink
from scheduling import booking, planning, workflow
from scheduling.calendar import session_ics
from scheduling.forms import PatientCancelForm, PickForm, decode_picks, encode_pick
from scheduling.models import Chair, Session, SessionStatus
from scheduling.visit_guide import visit_guide
from scheduling.waitlist_views import can_wait, manage_extras, with_waitlist

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
    clinic = ClinicSettings.load()
    sessions = list(
        with_waitlist(
            Session.objects.filter(
                course__patient=link.patient,
                status__in=(*UPCOMING, SessionStatus.CANCELLED),
                end__gt=now,
            ),
            now,
        )
        .select_related("chair", "dose__step", "dose__course__therapy")
        .order_by("start")
    )
    upcoming = [s for s in sessions if s.status in UPCOMING]
    blocks = planning.blocks_of(s.dose for s in upcoming)
    extras = manage_extras(upcoming, now)
    rows = [
        {
            "session": s,
            "when": datetime_label(s.start, localized=True),
            "until": time_label(s.end, localized=True),
            "changeable": s.status == SessionStatus.BOOKED
            and s.start - now >= booking.PATIENT_CUTOFF,
            "guide": visit_guide(
                session=s, block=blocks.get((s.course_id, s.dose.block), [s.dose]), clinic=clinic
            ),
            "waiting": s.dose_id in extras["waiting"],
        }
        for s in upcoming
    ]
    for row in rows:
        # Only a single dose, still changeable, with an earlier day in its window may wait.
        session = row["session"]
        row["can_wait"] = (
            row["changeable"]
            and session.dose.block is None
            and (row["waiting"] or can_wait(session, now))
        )
    cancelled = [
        {"session": s, "when": datetime_label(s.start, localized=True)}
        for s in sessions
        if s.status == SessionStatus.CANCELLED
    ]
    return render(
        request,
        "scheduling/manage.html",
        {
            "token": token,
            "rows": rows,
            "cancelled": cancelled,
            "offers": extras["offers"],
            "clinic": clinic,
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
        workflow.session_confirm(session=session)
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


def _moved_message(start: datetime) -> str:
    # "(clinic time)" after the time also keeps "8 a.m." from ending in a second full stop.
    return _("Your appointment is now on %(when)s (clinic time).") % {
        "when": datetime_label(start, localized=True)
    }


@private_link(purpose=_MANAGE)
def session_reschedule_view(
    request: HttpRequest, link: PrivateLink, token: str, pk: int
) -> HttpResponse:
    session = _session_of(link, pk)
    if session.dose.block is not None:
        return _block_reschedule(request, token, session)
    too_late = session.start - timezone.now() < booking.PATIENT_CUTOFF
    options = [] if too_late else planning.move_options(session=session, limit=8)
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
            messages.success(request, _moved_message(start))
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
            "too_late": too_late,
        },
    )


def _block_reschedule(request: HttpRequest, token: str, session: Session) -> HttpResponse:
    """Reschedule one day of a consecutive-day block: the whole block moves, or none of it."""
    now = timezone.now()
    doses = planning.block_doses(session.dose)
    sessions = planning.block_sessions(doses)
    # Every day still booked and the first at least 24 hours away, or it is the clinic's call.
    movable = (
        len(sessions) == len(doses)
        and all(s.status == SessionStatus.BOOKED for s in sessions)
        and sessions[0].start - now >= booking.PATIENT_CUTOFF
    )
    plans = planning.block_move_options(doses=doses, sessions=sessions, now=now) if movable else []
    following = len(doses) - 1
    choices = [
        (
            encode_pick(plan[0].chair_id, plan[0].start),
            ngettext(
                "%(when)s, and the next day at the same time",
                "%(when)s, and the next %(count)d days at the same time",
                following,
            )
            % {"when": datetime_label(plan[0].start, localized=True), "count": following},
        )
        for plan in plans
    ]
    form = PickForm(request.POST or None, choices=choices)
    if request.method == "POST" and form.is_valid():
        (_dose, chair_id, start), *_rest = decode_picks(form.cleaned_data["pick"])
        try:
            booking.block_move(
                session=session, chair=Chair.objects.get(pk=chair_id), start=start, by_patient=True
            )
        except booking.BookingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _(
                    "All %(count)d days are moved: the first is now on %(when)s (clinic time), "
                    "and the others follow on the next days at the same time."
                )
                % {"count": len(doses), "when": datetime_label(start, localized=True)},
            )
            return redirect("scheduling:manage", token=token)
    return render(
        request,
        "scheduling/reschedule_block.html",
        {
            "token": token,
            "session": session,
            "day": [d.pk for d in doses].index(session.dose_id) + 1,
            "days": len(doses),
            "current": [datetime_label(s.start, localized=True) for s in sessions],
            "movable": movable,
            "form": form,
            "clinic": ClinicSettings.load(),
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
