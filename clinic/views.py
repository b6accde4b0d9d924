from __future__ import annotations

import logging

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.response import TemplateResponse

from clinic import roles

logger = logging.getLogger(__name__)


def home_view(request: HttpRequest) -> HttpResponse:
    return render(request, "clinic/home.html")


def bad_request_view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/400.html", status=400)


def permission_denied_view(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    """Refuse a page: staff get the staff site's page naming the roles that may open it."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return staff_permission_denied(request, exception)
    return render(request, "errors/403.html", status=403)


_VIEW_SUFFIXES = (
    ("_changelist", "view"),
    ("_change", "view"),
    ("_history", "view"),
    ("_add", "add"),
    ("_delete", "delete"),
)


def needed_permissions(request: HttpRequest, exception: Exception | None) -> list[str]:
    """Return the permission(s) the refused page needed, any of which would have done.

    Chairside's own pages say it (`roles.NeedsPermission`); for the admin's standard pages it
    follows from the URL's name (`intake_referral_change` needs to view or change referrals).
    """
    perm = getattr(exception, "perm", None)
    if perm:
        return [perm]
    match = getattr(request, "resolver_match", None)
    name = match.url_name if match else ""
    for model in admin.site._registry:
        opts = model._meta
        for suffix, action in _VIEW_SUFFIXES:
            if name == f"{opts.app_label}_{opts.model_name}{suffix}":
                perms = [f"{opts.app_label}.{action}_{opts.model_name}"]
                if action == "view":
                    perms.append(f"{opts.app_label}.change_{opts.model_name}")
                return perms
    return []


def staff_permission_denied(request: HttpRequest, exception: Exception | None) -> HttpResponse:
    perms = needed_permissions(request, exception)
    allowed = [role for role in roles.ROLES if any(role in roles.roles_with(p) for p in perms)]
    mine = [group.name for group in request.user.groups.all()]
    return TemplateResponse(
        request,
        "admin/403.html",
        {
            **admin.site.each_context(request),
            "title": "You can't open this page",
            "allowed_roles": allowed,
            "my_roles": mine,
        },
        status=403,
    )


def not_found_view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


# The last resort when even the 500 page can't render (no template, no static, no database).
_BARE_500 = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    "<title>Sorry, something went wrong on our side</title></head><body>"
    "<h1>Sorry, something went wrong on our side</h1>"
    "<p>Please try again in a few minutes. If it keeps happening, call the clinic.</p>"
    '<p><a href="/">Go to the clinic\'s home page</a></p></body></html>'
)


def server_error_view(request: HttpRequest) -> HttpResponse:
    try:
        return render(request, "errors/500.html", status=500)
    except Exception:
        logger.exception("the 500 page failed to render; answering with the bare page")
        return HttpResponse(_BARE_500, status=500)
