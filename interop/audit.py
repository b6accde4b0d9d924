"""Every read through the API is in the clinic's access log, under the client's name."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest

from clinic.client import client_ip
from clinic.models import AccessLog
from interop.models import ApiToken


def actor_name(token: ApiToken) -> str:
    return f"API client: {token.client.name}"[:150]


def reads_log(
    request: HttpRequest, token: ApiToken, objects: Iterable[models.Model], *, action: str
) -> None:
    """Record one access-log row per record read, in one INSERT."""
    ip = client_ip(request)
    actor = actor_name(token)
    rows = [
        AccessLog(
            user=None,
            actor=actor,
            ip_address=ip,
            action=action[:30],
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
            object_id=str(obj.pk),
            object_repr=f"{obj._meta.verbose_name} #{obj.pk}"[:200],
        )
        for obj in objects
    ]
    if rows:
        AccessLog.objects.bulk_create(rows)
