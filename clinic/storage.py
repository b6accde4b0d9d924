"""Where referral documents live: never in a public URL space, on one host or in a bucket.

DOCUMENT_STORAGE=local (the default) keeps them under PRIVATE_MEDIA_ROOT, fine for one app
server. With several app servers, DOCUMENT_STORAGE=s3 keeps them in a private bucket on any
S3-compatible store (django-storages), with the DOCUMENT_S3_* settings. Either way a document
has no URL: staff fetch it through the checked, access-logged view.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage


class PrivateFileSystemStorage(FileSystemStorage):
    """Files outside every URL space: they have no URL; staff fetch them through a view."""

    def url(self, name: str | None) -> str:
        raise ValueError("Private documents have no public URL.")


def _s3_storage(options: dict[str, Any]) -> Storage:
    from storages.backends.s3 import S3Storage

    class PrivateS3Storage(S3Storage):
        """A private bucket: objects readable only with the keys, never by URL."""

        def url(self, name: str | None, *args: Any, **kwargs: Any) -> str:
            raise ValueError("Private documents have no public URL.")

    return PrivateS3Storage(
        **options,
        default_acl="private",
        querystring_auth=True,
        file_overwrite=False,
        object_parameters={"ServerSideEncryption": "AES256"},
    )


def private_document_storage() -> Storage:
    """Return the storage for referral documents, as settings say now."""
    if settings.DOCUMENT_STORAGE == "s3":
        return _s3_storage(settings.DOCUMENT_S3)
    return PrivateFileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT)
