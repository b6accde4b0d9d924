"""Private patient links: unguessable tokens, stored hashed, expiring, guarded by date of birth.

Every patient view (questionnaire, manage sessions) is decorated with `@private_link`, so
the checks live in one place: unknown token -> 404, expired/revoked/used -> 410, locked ->
429, and no health data before the patient has given the right date of birth in this browser
session. The view itself runs only with a verified link.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.audit import access_log
from clinic.forms import DateOfBirthForm
from clinic.models import Patient, PrivateLink
from clinic.ratelimit import address_of, rate_limit_hit, too_many_requests

_SESSION_KEY = "verified_links"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def link_create(
    *,
    patient: Patient,
    purpose: str,
    days: int,
    target: models.Model | None = None,
) -> tuple[PrivateLink, str]:
    """Create a link and return it with the raw token, which is never stored."""
    token = secrets.token_urlsafe(32)
    link = PrivateLink.objects.create(
        patient=patient,
        purpose=purpose,
        token_hash=hash_token(token),
        content_type=ContentType.objects.get_for_model(target) if target is not None else None,
        object_id=str(target.pk) if target is not None else "",
        expires_at=timezone.now() + timedelta(days=days),
    )
    return link, token


def link_url(purpose: str, token: str) -> str:
    prefix = {PrivateLink.Purpose.QUESTIONNAIRE: "q", PrivateLink.Purpose.MANAGE: "my"}[purpose]
    return f"{settings.SITE_URL}/{prefix}/{token}/"


def link_revoke(link: PrivateLink) -> None:
    PrivateLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def link_find(token: str, purpose: str) -> PrivateLink | None:
    """Return the link for a raw token, or None. Compares hashes in constant time."""
    if not token or len(token) > 100:
        return None
    digest = hash_token(token)
    link = (
        PrivateLink.objects.select_related("patient")
        .filter(token_hash=digest, purpose=purpose)
        .first()
    )
    if link is None or not hmac.compare_digest(link.token_hash, digest):
        return None
    return link


def link_check_dob(*, link: PrivateLink, date_of_birth: date) -> bool:
    """Check the date of birth; five wrong answers lock the link for 15 minutes."""
    with transaction.atomic():
        locked = PrivateLink.objects.select_for_update().get(pk=link.pk)
        now = timezone.now()
        if locked.is_locked(now):
            return False
        if locked.patient.date_of_birth == date_of_birth:
            locked.failed_attempts = 0
            locked.locked_until = None
            locked.save(update_fields=["failed_attempts", "locked_until"])
            return True
        locked.failed_attempts += 1
        if locked.failed_attempts >= settings.PRIVATE_LINK_MAX_TRIES:
            locked.locked_until = now + timedelta(seconds=settings.PRIVATE_LINK_LOCK_SECONDS)
            locked.failed_attempts = 0
        locked.save(update_fields=["failed_attempts", "locked_until"])
    link.refresh_from_db(fields=["failed_attempts", "locked_until"])
    return False


def _is_verified(request: HttpRequest, link: PrivateLink) -> bool:
    return link.pk in request.session.get(_SESSION_KEY, [])


def _mark_verified(request: HttpRequest, link: PrivateLink) -> None:
    verified = [pk for pk in request.session.get(_SESSION_KEY, []) if pk != link.pk]
    request.session.cycle_key()
    request.session[_SESSION_KEY] = [*verified[-9:], link.pk]


def _dob_rate_limited(request: HttpRequest, link: PrivateLink) -> bool:
    """Count a date-of-birth answer per address and per link; True when either is over."""
    by_address = rate_limit_hit(scope="link-dob-address", ident=address_of(request))
    by_link = rate_limit_hit(scope="link-dob-link", ident=str(link.pk))
    return by_address or by_link


class LinkRefused(Exception):
    """The link can't show its page (yet); `response` is the page to show instead."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


def _error(request: HttpRequest, template: str, status: int) -> LinkRefused:
    return LinkRefused(render(request, template, {}, status=status))


def link_verified(
    request: HttpRequest, token: str, *, purpose: str, allow_used: bool = False
) -> PrivateLink:
    """Return the verified link, or raise LinkRefused with the DOB form or an error page."""
    link = link_find(token, purpose)
    if link is None:
        raise _error(request, "clinic/link_unknown.html", 404)
    now = timezone.now()
    if link.revoked_at is not None or link.is_expired(now):
        raise _error(request, "clinic/link_expired.html", 410)
    if link.used_at is not None and not allow_used:
        raise _error(request, "clinic/link_used.html", 410)
    if _is_verified(request, link):
        return link
    if link.is_locked(now):
        raise _error(request, "clinic/link_locked.html", 429)

    if request.method == "POST" and _dob_rate_limited(request, link):
        raise LinkRefused(too_many_requests(request, scope="link-dob-address"))
    form = DateOfBirthForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if link_check_dob(link=link, date_of_birth=form.cleaned_data["date_of_birth"]):
            _mark_verified(request, link)
            access_log(request, link.patient, action="link-open", actor="patient link")
            # Redirect so the page behind the gate starts from a clean GET.
            raise LinkRefused(redirect(request.path))
        if link.is_locked():
            raise _error(request, "clinic/link_locked.html", 429)
        form.add_error(
            "date_of_birth",
            _("That date of birth does not match our records. Please check it and try again."),
        )
    raise LinkRefused(render(request, "clinic/link_dob.html", {"form": form}, status=200))


# A patient view behind a private link: (request, verified link, token=..., **url kwargs).
LinkView = Callable[..., HttpResponse]


def private_link(*, purpose: str, allow_used: bool = False) -> Callable[[LinkView], LinkView]:
    """Decorate a patient view so it runs only with a verified link of `purpose`.

    The view is called as `view(request, link, token=token, **kwargs)`. Until the link is
    verified (and whenever the view raises LinkRefused) the patient gets the refusal's page:
    the date-of-birth form, or 404 / 410 / 429.
    """

    def decorate(view: LinkView) -> LinkView:
        @wraps(view)
        def wrapped(request: HttpRequest, token: str, **kwargs: Any) -> HttpResponse:
            try:
                link = link_verified(request, token, purpose=purpose, allow_used=allow_used)
                return view(request, link, token=token, **kwargs)
            except LinkRefused as refused:
                return refused.response

        return wrapped

    return decorate
