from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clinic.audit import access_log
from clinic.ratelimit import address_of, rate_limit_hit, too_many_requests
from clinic.twofactor import staff_verified_required
from intake.forms import ReferralForm
from intake.models import Referral, ReferralDocument
from intake.referrals import referral_submit

_DONE_KEY = "referral_done"


@never_cache
@require_http_methods(["GET", "POST"])
def referral_create_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if rate_limit_hit(scope="referral-post", ident=address_of(request)):
            return too_many_requests(request, scope="referral-post")
        form = ReferralForm(request.POST, request.FILES)
        if form.is_valid():
            referral, _created = referral_submit(data=form.cleaned_data, documents=form.documents)
            request.session[_DONE_KEY] = referral.reference
            return redirect("intake:referral_done")
        status = 400 if _is_garbage(request) else 200
        return render(request, "intake/referral_form.html", {"form": form}, status=status)
    form = ReferralForm(initial={"submission_key": uuid.uuid4()})
    return render(request, "intake/referral_form.html", {"form": form})


def _is_garbage(request: HttpRequest) -> bool:
    """A post without the form's hidden key did not come from our page."""
    return not request.POST.get("submission_key")


@never_cache
def referral_done_view(request: HttpRequest) -> HttpResponse:
    reference = request.session.get(_DONE_KEY)
    if not reference:
        return redirect("intake:referral_create")
    return render(request, "intake/referral_done.html", {"reference": reference})


def _get_document_for_staff(request: HttpRequest, pk: int) -> ReferralDocument:
    """Return the document if this staff user may read referral documents, else refuse."""
    if not request.user.has_perm("intake.view_referraldocument"):
        raise PermissionDenied
    return get_object_or_404(ReferralDocument.objects.select_related("referral"), pk=pk)


@never_cache
@staff_verified_required
def document_download_view(request: HttpRequest, pk: int) -> FileResponse:
    document = _get_document_for_staff(request, pk)
    access_log(request, document, action="download")
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        # Always a download, never shown in the browser: a hostile file can't run in our origin.
        as_attachment=True,
        filename=f"{document.referral.reference}-{document.kind}-{document.pk}"
        + {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}.get(
            document.content_type, ""
        ),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


__all__ = ["Referral"]
