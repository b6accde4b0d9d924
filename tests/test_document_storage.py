"""Where referral documents live: local files on one host, or a private S3-compatible bucket
(DOCUMENT_STORAGE=s3) for several app servers. Settings only: nothing talks to a bucket."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.utils.functional import empty

from clinic.storage import PrivateFileSystemStorage
from intake.models import private_storage

ROOT = Path(__file__).resolve().parents[1]
S3 = {
    "bucket_name": "clinic-documents",
    "endpoint_url": "https://s3.example.test",
    "region_name": "us-east-1",
    "access_key": "AKIAEXAMPLE",
    "secret_key": "example-secret",
    "location": "referral-documents",
}


@pytest.fixture
def fresh_storage():
    private_storage._wrapped = empty
    yield private_storage
    private_storage._wrapped = empty


def test_by_default_documents_are_files_under_the_private_root(settings, fresh_storage):
    assert settings.DOCUMENT_STORAGE == "local"
    fresh_storage._setup()
    assert isinstance(fresh_storage._wrapped, PrivateFileSystemStorage)
    assert Path(fresh_storage.location) == Path(settings.PRIVATE_MEDIA_ROOT)
    with pytest.raises(ValueError, match="no public URL"):
        fresh_storage.url("x.pdf")


def test_with_s3_documents_go_to_a_private_encrypted_bucket_with_no_urls(settings, fresh_storage):
    from storages.backends.s3 import S3Storage

    settings.DOCUMENT_STORAGE = "s3"
    settings.DOCUMENT_S3 = S3
    fresh_storage._setup()
    storage = fresh_storage._wrapped
    assert isinstance(storage, S3Storage)
    assert storage.bucket_name == "clinic-documents"
    assert storage.endpoint_url == "https://s3.example.test"
    assert storage.location == "referral-documents"
    assert storage.default_acl == "private"
    assert storage.querystring_auth is True
    assert storage.file_overwrite is False
    assert storage.object_parameters == {"ServerSideEncryption": "AES256"}
    with pytest.raises(ValueError, match="no public URL"):
        storage.url("x.pdf")


def _settings_with(env: dict[str, str]) -> subprocess.CompletedProcess:
    code = "import clinic.settings as s; print(s.DOCUMENT_STORAGE, s.DOCUMENT_S3['bucket_name'])"
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_environment_chooses_the_bucket_and_a_missing_bucket_is_refused():
    chosen = _settings_with({"DOCUMENT_STORAGE": "s3", "DOCUMENT_S3_BUCKET": "docs"})
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout.split() == ["s3", "docs"]
    missing = _settings_with({"DOCUMENT_STORAGE": "s3"})
    assert missing.returncode != 0
    assert "DOCUMENT_STORAGE=s3 needs DOCUMENT_S3_BUCKET" in missing.stderr
    wrong = _settings_with({"DOCUMENT_STORAGE": "ftp"})
    assert "DOCUMENT_STORAGE must be local or s3" in wrong.stderr
