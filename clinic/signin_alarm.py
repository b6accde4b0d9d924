"""The sign-in alarm: many failed staff sign-ins for one username, from many addresses.

django-axes locks a username only from the address that failed (settings: lockout on the
pair), so nobody can lock a colleague out from elsewhere. What that leaves is a slow or
spread-out attack on one account; it is not locked out but told about: when a username has
`SIGN_IN_ALARM_FAILURES` failures within `SIGN_IN_ALARM_WINDOW_MINUTES`, from at least
`SIGN_IN_ALARM_ADDRESSES` addresses, the clinic lead gets one email and the staff dashboard
shows the alarm. Once per burst: later failures update the same alarm; a failure after a
quiet window starts a new burst.

The failures are axes' own log (`AccessFailureLog`, on with `AXES_ENABLE_ACCESS_FAILURE_LOG`),
written by axes' receiver of the same signal, which runs first (axes is installed before
clinic). The email is an outbox row written with the alarm (clinic.notices); the task queue
sends it after the commit, rendered then (`render_alarm_email`) with the latest counts.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from axes.models import AccessFailureLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.signals import user_login_failed
from django.db import IntegrityError, transaction
from django.db.models import F
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode

from clinic.admin_kit import ReadOnlyAdminMixin
from clinic.dashboard import dashboard_panel
from clinic.models import Notice, SignInAlarm
from clinic.notices import Email, lead_email, notice_enqueue, notice_kind

logger = logging.getLogger(__name__)

SIGN_IN_ALARM = "sign_in_alarm"
# How long the dashboard keeps showing an alarm.
_SHOWN_FOR = timedelta(days=7)


def _clean_username(value: object) -> str:
    """Return a typed username fit for a row and an email body (it is attacker-chosen)."""
    text = value if isinstance(value, str) else ""
    return "".join(ch for ch in text if ch.isprintable())[:150]


@receiver(user_login_failed, dispatch_uid="clinic.signin_alarm")
def _on_sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = _clean_username((credentials or {}).get("username"))
    if username and request is not None:
        sign_in_alarm_update(username=username, now=timezone.now())


def sign_in_alarm_update(*, username: str, now: datetime) -> SignInAlarm | None:
    """Count `username`'s recent failures; raise (once per burst) or update its alarm.

    Return the username's open alarm, or None while the failures are under the threshold.
    """
    window = timedelta(minutes=settings.SIGN_IN_ALARM_WINDOW_MINUTES)
    with transaction.atomic():
        # A burst that has been quiet for a whole window is over.
        SignInAlarm.objects.filter(
            username=username, burst_open=True, last_failure_at__lt=now - window
        ).update(burst_open=False)
        recent = AccessFailureLog.objects.filter(username=username, attempt_time__gte=now - window)
        failures = recent.count()
        addresses = recent.values("ip_address").distinct().count()
        alarm = (
            SignInAlarm.objects.select_for_update()
            .filter(username=username, burst_open=True)
            .first()
        )
        if alarm is not None:
            return _bump(alarm, now=now, addresses=addresses)
        if (
            failures < settings.SIGN_IN_ALARM_FAILURES
            or addresses < settings.SIGN_IN_ALARM_ADDRESSES
        ):
            return None
        try:
            with transaction.atomic():
                alarm = SignInAlarm.objects.create(
                    username=username,
                    raised_at=now,
                    last_failure_at=now,
                    failures=failures,
                    addresses=addresses,
                )
        except IntegrityError:
            # Another failure raised it a moment ago: this one joins that burst.
            alarm = SignInAlarm.objects.select_for_update().get(username=username, burst_open=True)
            return _bump(alarm, now=now, addresses=addresses)
        notice_enqueue(kind=SIGN_IN_ALARM, to=[lead_email()], target=alarm)
    logger.warning("sign-in alarm %s: %s failures from %s addresses", alarm.pk, failures, addresses)
    return alarm


def _bump(alarm: SignInAlarm, *, now: datetime, addresses: int) -> SignInAlarm:
    SignInAlarm.objects.filter(pk=alarm.pk).update(
        failures=F("failures") + 1,
        last_failure_at=now,
        addresses=max(alarm.addresses, addresses),
    )
    alarm.refresh_from_db()
    return alarm


@notice_kind(SIGN_IN_ALARM, "Sign-in alarm (to the clinic lead)")
def render_alarm_email(notice: Notice) -> Email:
    """The username and counts, a link to the staff site, no addresses."""
    alarm = SignInAlarm.objects.get(pk=notice.object_id)
    url = settings.SITE_URL + reverse("admin:clinic_signinalarm_change", args=[alarm.pk])
    body = (
        f"Staff sign-in for the username {alarm.username!r} has failed {alarm.failures} times "
        f"in the last {settings.SIGN_IN_ALARM_WINDOW_MINUTES} minutes, from "
        f"{alarm.addresses} different addresses.\n\n"
        "Each address is locked out of that account after 5 failures, but the account "
        "itself still works, so this may be someone guessing its password from many "
        "places. If the staff member did not do this, ask them to change their password and "
        "check their authenticator, and look at the failed sign-ins:\n\n"
        f"{url}\n\n"
        "You will get one email for this burst; the staff dashboard keeps the count.\n"
    )
    return Email("Chairside: many failed sign-ins for one staff account", body)


def sign_in_alarms_panel(request: HttpRequest) -> dict[str, Any] | None:
    """The dashboard's "Sign-in alarms" panel, for those who may see them, while any is recent."""
    if not request.user.has_perm("clinic.view_signinalarm"):
        return None
    alarms = list(SignInAlarm.objects.filter(last_failure_at__gte=timezone.now() - _SHOWN_FOR))
    if not alarms:
        return None
    return {
        "id": "sign-in-alarms",
        "title": "Sign-in alarms",
        "template": "admin/clinic/sign_in_alarms_panel.html",
        "alarms": alarms,
    }


dashboard_panel(order=5)(sign_in_alarms_panel)


@admin.register(SignInAlarm)
class SignInAlarmAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["username", "raised_at", "last_failure_at", "failures", "addresses"]
    list_filter = ["burst_open", ("raised_at", admin.DateFieldListFilter)]
    search_fields = ["username"]
    readonly_fields = [
        "username",
        "raised_at",
        "last_failure_at",
        "failures",
        "addresses",
        "burst_open",
        "recent_failures",
    ]

    @admin.display(description="Failed sign-ins")
    def recent_failures(self, obj: SignInAlarm) -> str:
        changelist = reverse("admin:axes_accessfailurelog_changelist")
        return format_html(
            '<a href="{}?{}">Every failed sign-in for this username</a>',
            changelist,
            urlencode({"username": obj.username}),
        )
