"""Store the instrument definition files as versioned Instrument rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction

from intake.instruments import definition_checksum, definition_files, definition_read


def instruments_load(*, directory: Path | None = None, apps: Any = None) -> list[str]:
    """Load every definition file; return what changed, e.g. ["phq9 v2"].

    An unchanged file does nothing. A changed file becomes a new version and the old one
    stops being offered; responses keep pointing at the version they were answered on.
    """
    from django.apps import apps as global_apps

    Instrument = (apps or global_apps).get_model("intake", "Instrument")
    changed = []
    for path in definition_files(directory):
        definition = definition_read(path)
        checksum = definition_checksum(definition)
        with transaction.atomic():
            latest = (
                Instrument.objects.select_for_update()
                .filter(code=definition["code"])
                .order_by("-version")
                .first()
            )
            if latest is not None and latest.checksum == checksum:
                if not latest.is_current:
                    Instrument.objects.filter(pk=latest.pk).update(is_current=True)
                continue
            Instrument.objects.filter(code=definition["code"]).update(is_current=False)
            version = latest.version + 1 if latest else 1
            Instrument.objects.create(
                code=definition["code"],
                version=version,
                title=definition["title"],
                short_title=definition.get("short_title", definition["title"])[:60],
                position=definition.get("position", 100),
                definition=definition,
                checksum=checksum,
                is_current=True,
            )
            changed.append(f"{definition['code']} v{version}")
    return changed


def load_after_migrate(sender: Any, **kwargs: Any) -> None:
    """Keep instruments equal to the files after every `migrate` (and in the test database)."""
    apps = kwargs.get("apps")
    if apps is None:
        return
    try:
        apps.get_model("intake", "Instrument")
    except LookupError:
        # Migrating backwards to before the questionnaire tables existed.
        return
    instruments_load(apps=apps)
