from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)


def home_view(request: HttpRequest) -> HttpResponse:
    return render(request, "clinic/home.html")


def bad_request_view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/400.html", status=400)


def permission_denied_view(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


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
