"""The read-access log: who opened which record holding health data, when, from where."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest

from clinic.client import client_ip
from clinic.models import AccessLog


def access_log(
    request: HttpRequest, obj: models.Model, *, action: str = "view", actor: str = ""
) -> AccessLog:
    """Record one read of `obj` by the request's user (or the named actor)."""
    user = (
        request.user if getattr(request, "user", None) and request.user.is_authenticated else None
    )
    return AccessLog.objects.create(
        user=user,
        actor=actor or (user.get_username() if user else "anonymous"),
        ip_address=client_ip(request),
        action=action,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=f"{obj._meta.verbose_name} #{obj.pk}"[:200],
    )
