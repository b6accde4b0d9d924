"""System checks of Chairside's own (run by `manage.py check`; `--deploy` for production)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.checks import CheckMessage, Tags, Warning, register
from django.core.files.storage import storages


@register(Tags.staticfiles, deploy=True)
def static_manifest_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when production would serve pages without the static files manifest."""
    storage = storages["staticfiles"]
    if settings.DEBUG or not isinstance(storage, ManifestFilesMixin):
        return []
    if storage.exists(storage.manifest_name):
        return []
    return [
        Warning(
            f"The static files manifest ({storage.manifest_name}) is missing from "
            f"{settings.STATIC_ROOT}: pages will be unstyled.",
            hint="Run `python manage.py collectstatic --noinput` as part of every deploy.",
            id="chairside.W001",
        )
    ]
