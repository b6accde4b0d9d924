"""Rate limits on the public surface, counted in Django's cache (Redis in production).

Fixed windows: the first hit in a window creates the counter with the window as its timeout,
later hits increment it. Keys are hashed so neither addresses nor link tokens are stored in
the cache in the clear. Limits are settings (`RATE_LIMITS`), "count/seconds" per scope.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clinic.client import client_ip

# scope: (hits allowed, window in seconds)
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    # Referral form posts per address: a busy referring office sends a few an hour.
    "referral-post": (30, 60 * 60),
    # Wrong dates of birth per address, over every link: a brake on one address trying many
    # links. Each link has its own budget in the database (10 wrong in total, then locked for
    # good, clinic/links.py), so this only has to stop wholesale guessing, and stays high
    # enough that others on a patient's Wi-Fi can't lock the patient out.
    "link-dob-address": (30, 15 * 60),
}


def _limit(scope: str) -> tuple[int, int]:
    return getattr(settings, "RATE_LIMITS", {}).get(scope) or DEFAULT_LIMITS[scope]


def _key(scope: str, ident: str) -> str:
    digest = hashlib.sha256(f"{scope}:{ident}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"rl:{scope}:{digest[:40]}"


def rate_limit_hit(*, scope: str, ident: str) -> bool:
    """Count one hit for `ident` in `scope`; return True when it is over the limit."""
    limit, window = _limit(scope)
    key = _key(scope, ident)
    if cache.add(key, 1, timeout=window):
        return limit < 1
    try:
        count = cache.incr(key)
    except ValueError:
        # The counter expired between add() and incr(): this hit opens a new window.
        cache.add(key, 1, timeout=window)
        count = 1
    return count > limit


def rate_limit_exceeded(*, scope: str, ident: str) -> bool:
    """Return True when `ident` has used up `scope`'s budget (without counting a hit)."""
    limit, _window = _limit(scope)
    return (cache.get(_key(scope, ident)) or 0) >= limit


def address_of(request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def too_many_requests(request: HttpRequest, *, scope: str) -> HttpResponse:
    """Return the friendly 429 page, telling clients when to come back."""
    _limit_count, window = _limit(scope)
    response = render(request, "errors/429.html", status=429)
    response["Retry-After"] = str(window)
    return response
