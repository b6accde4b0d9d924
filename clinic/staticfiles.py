"""Static files in production: whitenoise's compressed manifest storage, forgiving when stale.

With the stock storage, a page that names a static file missing from the manifest (no
`collectstatic` yet, or a file added since) raises, so every page answers 500 and the 500
page fails the same way. This storage logs the problem and falls back to the plain,
unhashed URL: pages and error pages still render (unstyled at worst), and
`manage.py check --deploy` warns that the manifest is missing (clinic/checks.py).
"""

from __future__ import annotations

import logging

from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


class ForgivingManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._reported: set[str] = set()

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:
            # Once per file and process: every page names the same few files.
            if name not in self._reported:
                self._reported.add(name)
                logger.error("static file %r is not in the manifest: run collectstatic", name)
            return name
