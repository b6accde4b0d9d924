"""API tokens for system clients: issue, check, revoke. Stored hashed like private links.

A token is shown once, when staff issue it; the database keeps its SHA-256 only
(`clinic.links.hash_token`). `token_check` answers with the token or raises `TokenRefused`
carrying the HTTP status (401: no, unknown, expired or revoked token; 403: the token is good
but does not cover the resource type asked for), so the API's views check in one place.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clinic.links import hash_token
from interop.models import SCOPE_CHOICES, ApiClient, ApiToken

TOKEN_PREFIX = "chs_"  # noqa: S105 - a visible marker, not a secret
VALID_SCOPES = {value for value, _label in SCOPE_CHOICES}
# last_used_at is written at most this often, so a busy client doesn't write on every read.
_TOUCH_EVERY = timedelta(minutes=1)


class TokenRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def token_issue(
    *,
    client: ApiClient,
    scopes: list[str],
    days: int,
    label: str = "",
    by: AbstractBaseUser | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for `client` and return it with the raw token, which is never stored."""
    unknown = set(scopes) - VALID_SCOPES
    if unknown:
        raise ValueError(f"Unknown scopes: {', '.join(sorted(unknown))}")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        client=client,
        label=label,
        token_hash=hash_token(raw),
        prefix=raw[: len(TOKEN_PREFIX) + 4],
        scopes=sorted(set(scopes)),
        created_by=by,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return token, raw


def token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token for good (idempotent)."""
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked._change_reason = "revoked"
            locked.save(update_fields=["revoked_at"])
    return locked


def bearer_token(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return ""
    return value.strip()


def token_check(request: HttpRequest, *, scope: str) -> ApiToken:
    """Return the request's token if it is valid and covers `scope`; else raise TokenRefused."""
    raw = bearer_token(request)
    if not raw:
        raise TokenRefused(401, "An API token is required (Authorization: Bearer ...).")
    token = ApiToken.objects.select_related("client").filter(token_hash=hash_token(raw)).first()
    if token is None:
        raise TokenRefused(401, "This API token is not known.")
    now = timezone.now()
    state = token.state(now)
    if state != "active":
        raise TokenRefused(401, f"This API token is {state}.")
    if scope not in token.scopes:
        raise TokenRefused(403, f"This API token does not cover {scope}.")
    if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
