"""Staff two-factor sign-in: password + a code from an authenticator app (TOTP) or a backup code.

The flow, all inside the staff admin:

1. `/admin/login/` asks for username, password and the code. A user who has a confirmed
   device must give a valid code; django-otp then marks the session verified.
2. A staff user with no device yet signs in with the password alone and is sent to
   `/admin/two-factor/setup/` (a QR code to scan, then one code to confirm). Confirming
   verifies the session and shows ten single-use backup codes, once.
3. While `OTP_REQUIRED` is on, `ChairsideAdminSite.has_permission` refuses every admin page
   to an unverified session, and `staff_verified_required` does the same for staff views
   outside the admin (document downloads).

Setup is offered only to accounts without a confirmed device, so a stolen password alone
can't add a second authenticator to an account that already has one.
"""

from __future__ import annotations

import re
from base64 import b32encode
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

import segno
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.dashboard import dashboard_panel

BACKUP_CODE_COUNT = 10
_TOTP_SHAPE = re.compile(r"^\d{6}$")
_DEVICE_NAME = "Authenticator app"
_BACKUP_NAME = "Backup codes"


def otp_required() -> bool:
    return bool(getattr(settings, "OTP_REQUIRED", False))


def is_verified(user: Any) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def needs_setup(user: Any) -> bool:
    """Return True for signed-in staff who have no confirmed device yet."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and not is_verified(user)
        and not user_has_device(user, confirmed=True)
    )


def setup_redirect(request: HttpRequest) -> HttpResponse | None:
    """Send a signed-in staff member without a device to the setup page, when 2FA is on."""
    if otp_required() and needs_setup(request.user):
        target = reverse("admin:two_factor_setup")
        next_url = request.POST.get("next") or request.GET.get("next")
        if next_url:
            target += "?" + urlencode({"next": next_url})
        return redirect(target)
    return None


class StaffLoginForm(AdminAuthenticationForm):
    """The admin sign-in: password, then the code from the user's authenticator or a backup code."""

    otp_token = forms.CharField(
        label=_("Code from your authenticator app"),
        required=False,
        max_length=32,
        strip=True,
        help_text=_("Six digits, or one of your backup codes. Leave empty on your first sign-in."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 32}
        ),
    )

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "token_required": _("Enter the code from your authenticator app."),
        "invalid_token": _("That code did not work. Check it and try again."),
    }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        user = self.get_user()
        if user is not None and user_has_device(user, confirmed=True):
            user.otp_device = self._verify(user, cleaned.get("otp_token") or "")
        return cleaned

    def _verify(self, user: Any, token: str) -> Any:
        """Return the device that accepts `token`; TOTP for six digits, else backup codes."""
        token = token.replace(" ", "")
        if not token:
            raise forms.ValidationError(
                self.error_messages["token_required"], code="token_required"
            )
        kind = TOTPDevice if _TOTP_SHAPE.match(token) else StaticDevice
        # Try only the devices of the matching kind, so a typo doesn't throttle the other kind.
        with transaction.atomic():
            for device in devices_for_user(user, confirmed=True, for_verify=True):
                if isinstance(device, kind) and device.verify_token(token):
                    return device
        raise forms.ValidationError(self.error_messages["invalid_token"], code="invalid_token")


class ConfirmDeviceForm(forms.Form):
    otp_token = forms.CharField(
        label=_("The six-digit code your app shows now"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 6}
        ),
    )

    def __init__(self, *args: Any, device: TOTPDevice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_otp_token(self) -> str:
        token = self.cleaned_data["otp_token"].strip()
        if not _TOTP_SHAPE.match(token) or not self.device.verify_token(token):
            raise forms.ValidationError(
                _("That code did not match. Wait for the next code and try again.")
            )
        return token


def qr_data_uri(text: str) -> str:
    """Return an SVG QR code as a data: URI (the CSP allows data: images, no inline script)."""
    return segno.make(text, error="m").svg_data_uri(scale=5, border=2)


def backup_codes_issue(*, user: Any) -> list[str]:
    """Replace the user's backup codes with fresh ones and return them (shown once)."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name=_BACKUP_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def _pending_device(user: Any) -> TOTPDevice:
    """Return the user's unconfirmed device, so reloading the page keeps the same QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_DEVICE_NAME, confirmed=False)
    return device


def _safe_next(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return reverse("admin:index")


def _staff_context(request: HttpRequest, title: str) -> dict[str, Any]:
    return {
        **admin.site.each_context(request),
        "title": title,
        "next": _safe_next(request),
    }


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_setup_view(request: HttpRequest) -> HttpResponse:
    """Show the QR code for a new authenticator; confirm it with one code."""
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return redirect(f"{reverse('admin:login')}?{urlencode({'next': request.path})}")
    if user_has_device(user, confirmed=True):
        # Already enrolled: a second device would need the first one, so sign in with it.
        return redirect(reverse("admin:index") if is_verified(user) else reverse("admin:login"))
    device = _pending_device(user)
    form = ConfirmDeviceForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            codes = backup_codes_issue(user=user)
        otp_login(request, device)
        context = _staff_context(request, "Your backup codes")
        return render(request, "admin/otp/backup_codes.html", {**context, "codes": codes})
    context = _staff_context(request, "Set up two-factor sign-in")
    context.update(
        {
            "form": form,
            "qr_code": qr_data_uri(device.config_url),
            "secret": _b32_secret(device),
        }
    )
    return render(request, "admin/otp/setup.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def backup_codes_view(request: HttpRequest) -> HttpResponse:
    """Let a verified staff member replace their backup codes (the old ones stop working)."""
    codes = backup_codes_issue(user=request.user) if request.method == "POST" else None
    context = _staff_context(request, "Backup codes")
    return render(request, "admin/otp/backup_codes.html", {**context, "codes": codes})


def _b32_secret(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def staff_verified_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let through only requests the staff admin would let through (staff, and 2FA when on)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not admin.site.has_permission(request):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        return view(request, *args, **kwargs)

    return wrapped


def sign_in_panel(request: HttpRequest) -> dict[str, Any] | None:
    """The dashboard's "Your sign-in" panel: two-factor state and backup codes left."""
    user = request.user
    if not user.is_authenticated:
        return None
    totp = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    backup = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
    if totp and backup >= 4:
        # Nothing to do: keep the dashboard for the day's work.
        return None
    return {
        "id": "sign-in",
        "title": "Your sign-in",
        "template": "admin/otp/panel.html",
        "has_device": totp,
        "backup_left": backup,
    }


def register_panel() -> None:
    dashboard_panel(order=900)(sign_in_panel)
