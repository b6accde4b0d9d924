"""Private patient links: unguessable tokens, stored hashed, expiring, guarded by date of birth.

Every patient view (questionnaire, manage sessions) is decorated with `@private_link`, so
the checks live in one place: unknown token -> 404, expired/revoked/used -> 410, locked ->
403, and no health data before the patient has given the right date of birth in this browser
session. The view itself runs only with a verified link.

Guessing budget: the link itself counts wrong dates of birth in the database, and the 10th
wrong answer in total (`PRIVATE_LINK_MAX_TRIES`) locks it for good; staff re-issue it, which
sends the patient a new link. There is no cool-down that resets: a total of 10 guesses out of
~36,500 plausible birth dates is what bounds an attacker, and a pause would only slow the
patient who mistyped. Per address, wrong answers over every link are also counted in the
cache (`link-dob-address`): a brake on one address trying many links, high enough that
someone else on the same Wi-Fi can't lock a patient out.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
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
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from simple_history.models import HistoricalChanges

from clinic.audit import access_log
from clinic.forms import DateOfBirthForm
from clinic.models import ClinicSettings, Notice, Patient, PrivateLink
from clinic.notices import Email, notice_enqueue, notice_kind
from clinic.ratelimit import address_of, rate_limit_exceeded, rate_limit_hit, too_many_requests

logger = logging.getLogger(__name__)

_SESSION_KEY = "verified_links"
# Below this many tries left, the patient is told how many remain.
_WARN_WHEN_LEFT = 3


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


class LinkError(Exception):
    """A link change staff asked for that can't be done; the message is for staff."""


LINK_REISSUED = "link_reissued"


def link_reissue(*, link: PrivateLink) -> Notice:
    """Revoke a link (typically one locked by wrong answers) and email a new one.

    The new link is made when the email is sent (`render_link_reissued`, run by the task
    queue), so its token is never stored: same patient, purpose and target, a fresh guessing
    budget, and as many days as the old one had; rows that pointed at the old link (a
    pre-visit check's `link`) then point at the new one. The email is in the patient's
    language and carries only the link. Return the queued notice.
    """
    with transaction.atomic():
        old = PrivateLink.objects.select_for_update().select_related("patient").get(pk=link.pk)
        if old.revoked_at is not None:
            raise LinkError(f"{old} was already revoked or re-issued.")
        if not old.patient.email:
            raise LinkError(
                f"{old}: the patient has no email address. Add one to the patient, then "
                "re-issue the link."
            )
        old.revoked_at = timezone.now()
        old._change_reason = "re-issued"
        old.save(update_fields=["revoked_at"])
        notice = notice_enqueue(kind=LINK_REISSUED, to=[old.patient.email], target=old)
    logger.info("private link %s revoked to be re-issued", old.pk)
    return notice


@notice_kind(LINK_REISSUED, "Re-issued private link (to the patient)")
def render_link_reissued(notice: Notice) -> Email:
    """Make the replacement link now, move what pointed at the old one, and render."""
    old = PrivateLink.objects.select_related("patient").get(pk=notice.object_id)
    days = max((old.expires_at - old.created_at).days, 1)
    new, token = link_create(patient=old.patient, purpose=old.purpose, days=days, target=old.target)
    # Rows pointing at the link move over (also hidden `related_name="+"` ones); history
    # tables keep what was.
    for relation in PrivateLink._meta.get_fields(include_hidden=True):
        pointing_here = relation.auto_created and (relation.one_to_many or relation.one_to_one)
        if not pointing_here or issubclass(relation.related_model, HistoricalChanges):
            continue
        manager: models.Manager = relation.related_model._base_manager
        manager.filter(**{relation.field.name: old}).update(**{relation.field.name: new})
    with translation.override(old.patient.preferred_language):
        context = {
            "url": link_url(new.purpose, token),
            "expires_at": new.expires_at,
            "clinic": ClinicSettings.load(),
        }
        subject = render_to_string("clinic/email/link_reissued_subject.txt", context)
        body = render_to_string("clinic/email/link_reissued.txt", context)
    logger.info("private link %s re-issued as %s", old.pk, new.pk)
    return Email(subject.strip(), body)


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
    """Check the date of birth; the 10th wrong answer in total locks the link for good."""
    with transaction.atomic():
        locked = PrivateLink.objects.select_for_update().select_related("patient").get(pk=link.pk)
        if locked.locked_at is not None:
            return False
        if locked.patient.date_of_birth == date_of_birth:
            return True
        locked.failed_attempts += 1
        if locked.failed_attempts >= settings.PRIVATE_LINK_MAX_TRIES:
            locked.locked_at = timezone.now()
            logger.warning(
                "private link %s locked after %s wrong dates of birth",
                locked.pk,
                locked.failed_attempts,
            )
        locked.save(update_fields=["failed_attempts", "locked_at"])
    link.failed_attempts, link.locked_at = locked.failed_attempts, locked.locked_at
    return False


def _is_verified(request: HttpRequest, link: PrivateLink) -> bool:
    return link.pk in request.session.get(_SESSION_KEY, [])


def _mark_verified(request: HttpRequest, link: PrivateLink) -> None:
    verified = [pk for pk in request.session.get(_SESSION_KEY, []) if pk != link.pk]
    request.session.cycle_key()
    request.session[_SESSION_KEY] = [*verified[-9:], link.pk]


def _dob_rate_limited(request: HttpRequest) -> bool:
    """Return True when this address has given too many wrong answers, over every link."""
    return rate_limit_exceeded(scope="link-dob-address", ident=address_of(request))


def _dob_count_wrong(request: HttpRequest) -> None:
    rate_limit_hit(scope="link-dob-address", ident=address_of(request))


class LinkRefused(Exception):
    """The link can't show its page (yet); `response` is the page to show instead."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


def _locked(request: HttpRequest) -> LinkRefused:
    """The page for a link locked by wrong answers: it won't open again; call the clinic."""
    context = {"clinic": ClinicSettings.load()}
    return LinkRefused(render(request, "clinic/link_locked.html", context, status=403))


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
        raise _locked(request)

    if request.method == "POST" and _dob_rate_limited(request):
        raise LinkRefused(too_many_requests(request, scope="link-dob-address"))
    form = DateOfBirthForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if link_check_dob(link=link, date_of_birth=form.cleaned_data["date_of_birth"]):
            _mark_verified(request, link)
            access_log(request, link.patient, action="link-open", actor="patient link")
            # Redirect so the page behind the gate starts from a clean GET.
            raise LinkRefused(redirect(request.path))
        _dob_count_wrong(request)
        if link.is_locked():
            raise _locked(request)
        form.add_error("date_of_birth", _wrong_answer_message(link))
    raise LinkRefused(render(request, "clinic/link_dob.html", {"form": form}, status=200))


def _wrong_answer_message(link: PrivateLink) -> str:
    message = _("That date of birth does not match our records. Please check it and try again.")
    left = settings.PRIVATE_LINK_MAX_TRIES - link.failed_attempts
    if left > _WARN_WHEN_LEFT:
        return message
    warning = ngettext(
        "After %(count)d more wrong answer this link will be locked.",
        "After %(count)d more wrong answers this link will be locked.",
        left,
    ) % {"count": left}
    return f"{message} {warning}"


# A patient view behind a private link: (request, verified link, token=..., **url kwargs).
LinkView = Callable[..., HttpResponse]


def private_link(*, purpose: str, allow_used: bool = False) -> Callable[[LinkView], LinkView]:
    """Decorate a patient view so it runs only with a verified link of `purpose`.

    The view is called as `view(request, link, token=token, **kwargs)`. Until the link is
    verified (and whenever the view raises LinkRefused) the patient gets the refusal's page:
    the date-of-birth form, or 404 / 410, 403 for a locked link, 429 for a busy address.
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
