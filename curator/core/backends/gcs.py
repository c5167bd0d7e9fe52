"""Cloud Storage for the Vertex backend: training files uploaded with the same credentials and project that
google-genai uses, and storage failures told in curator's error kinds with what to do about them.

google-cloud-storage is an optional extra (``pip install 'curator[gcs]'``); without it the user uploads the
files and gives their ``gs://`` URIs.
"""

from __future__ import annotations

from pathlib import Path

from curator.core.backends.errors import redact, to_backend_error
from curator.core.errors import BackendError, BackendErrorKind

INSTALL_HINT = ("uploading to Cloud Storage needs google-cloud-storage: pip install 'curator[gcs]', or upload the "
                "exported files yourself and give their gs:// URIs")


def split_uri(uri: str) -> tuple[str, str]:
    """(bucket, object name) of ``gs://bucket/name``; a BackendError (invalid) for anything else."""
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    if not uri.startswith("gs://") or not bucket or not name:
        raise BackendError(BackendErrorKind.INVALID, f"{uri!r} is not a Cloud Storage object URI (gs://bucket/name)")
    return bucket, name


def storage_client(project: str, credentials=None, endpoint: str | None = None):
    """A google-cloud-storage Client for ``project`` with ``credentials`` (None: application default
    credentials, as google-genai finds them); ``endpoint`` replaces https://storage.googleapis.com (tests)."""
    import importlib

    try:
        storage = importlib.import_module("google.cloud.storage")
    except ImportError:
        raise BackendError(BackendErrorKind.UNSUPPORTED, INSTALL_HINT) from None
    options = {"api_endpoint": endpoint} if endpoint else None
    return storage.Client(project=project, credentials=credentials, client_options=options)


def storage_error(exc: BaseException, what: str, uri: str, *, location: str | None = None,
                  secrets: tuple[str | None, ...] = ()) -> BackendError | None:
    """The BackendError for ``exc`` raised by google-cloud-storage while doing ``what`` on ``uri``; None for an
    exception that is not about storage (a bug: let it propagate)."""
    from google.api_core import exceptions as api

    bucket = uri.removeprefix("gs://").partition("/")[0]
    if isinstance(exc, api.GoogleAPICallError):
        said = redact(str(getattr(exc, "message", "") or exc), secrets)[:300]
        code = getattr(exc, "code", None) or 0
        if code == 401:
            return BackendError(BackendErrorKind.AUTH, f"{what}: Cloud Storage refused the credentials ({said}); run "
                                                       "`gcloud auth application-default login` or set "
                                                       "CURATOR_VERTEX_ACCESS_TOKEN")
        if code == 403:
            return BackendError(BackendErrorKind.AUTH, f"{what}: permission denied on gs://{bucket} ({said}); grant "
                                                       "the account the Storage Object Admin role on that bucket "
                                                       "(roles/storage.objectAdmin) or choose a staging folder in a "
                                                       "bucket it can write")
        if code == 404:
            where = f" --location={location}" if location else ""
            return BackendError(BackendErrorKind.INVALID, f"{what}: the bucket gs://{bucket} does not exist or this "
                                                          f"project cannot see it ({said}); create it with `gcloud "
                                                          f"storage buckets create gs://{bucket}{where}` or choose "
                                                          "another staging folder")
        if code == 429:
            return BackendError(BackendErrorKind.QUOTA, f"{what}: Cloud Storage rate limit ({said})")
        if code == 408 or code >= 500:
            return BackendError(BackendErrorKind.TRANSIENT, f"{what}: Cloud Storage failed ({code}: {said})")
        return BackendError(BackendErrorKind.INVALID, f"{what}: Cloud Storage refused the request ({code}: {said})")
    try:
        from google.cloud.storage import exceptions as storage_errors

        if isinstance(exc, storage_errors.DataCorruption):
            return BackendError(BackendErrorKind.TRANSIENT, f"{what}: the copy in Cloud Storage does not match the "
                                                            "file (checksum); try again")
        if isinstance(exc, storage_errors.InvalidResponse):
            return BackendError(BackendErrorKind.TRANSIENT, f"{what}: Cloud Storage sent an unexpected reply")
    except ImportError:  # pragma: no cover - older google-cloud-storage
        pass
    try:
        import requests

        if isinstance(exc, requests.exceptions.RequestException):
            return BackendError(BackendErrorKind.TRANSIENT, f"{what}: could not reach Cloud Storage "
                                                            f"({type(exc).__name__})")
    except ImportError:  # pragma: no cover - google-cloud-storage depends on requests
        pass
    return to_backend_error(exc, what, secrets)


def upload(client, local: Path, uri: str, *, location: str | None = None,
           secrets: tuple[str | None, ...] = ()) -> None:
    """Copy ``local`` to ``uri`` (``gs://bucket/name``); storage failures become BackendErrors."""
    bucket, name = split_uri(uri)
    what = f"upload {local.name} to {uri}"
    try:
        # one attempt: curator's RetryPolicy retries (the client's own retry would wait up to 120 s offline)
        client.bucket(bucket).blob(name).upload_from_filename(str(local), content_type="application/jsonl",
                                                               retry=None)
    except Exception as exc:  # noqa: BLE001 - mapped, or re-raised when it is not about storage
        error = storage_error(exc, what, uri, location=location, secrets=secrets)
        if error is None:
            raise
        raise error from None
