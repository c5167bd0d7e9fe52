"""Turn what the Google SDK raises into a BackendError the UI and CLI explain; keep secrets out of it.

| raised | kind |
|---|---|
| APIError 400 with ErrorInfo reason API_KEY_INVALID, 401, 403 | AUTH |
| APIError 429 (``retry_after`` from google.rpc.RetryInfo ``retryDelay``) | QUOTA |
| APIError 400, 404, 409 and other 4xx | INVALID |
| APIError 408, 5xx; timeouts, connection errors, a reply that is not JSON | TRANSIENT |
| ValueError from the SDK (a field or call the backend does not support) | UNSUPPORTED |
| google.auth: no credentials, refresh failed | AUTH |
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from curator.core.errors import BackendError, BackendErrorKind

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)s\s*$")
RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret replaced by ``***`` (secrets shorter than 4 characters are ignored)."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def parse_duration(value: Any) -> float | None:
    """Seconds from a protobuf Duration in JSON ("15s", "0.5s") or {"seconds": .., "nanos": ..}."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        return float(match.group(1)) if match else None
    if isinstance(value, dict):
        try:
            return float(value.get("seconds", 0)) + float(value.get("nanos", 0)) / 1e9
        except (TypeError, ValueError):
            return None
    return None


def _error_details(body: Any) -> list[dict]:
    if isinstance(body, dict):
        inner = body.get("error", body)
        details = inner.get("details") if isinstance(inner, dict) else None
        if isinstance(details, list):
            return [d for d in details if isinstance(d, dict)]
    return []


def retry_delay(body: Any) -> float | None:
    """The server's RetryInfo.retryDelay in seconds, if the error body carries one."""
    for detail in _error_details(body):
        if detail.get("@type") == RETRY_INFO:
            return parse_duration(detail.get("retryDelay"))
    return None


def error_reasons(body: Any) -> list[str]:
    """The ErrorInfo reasons of an error body (e.g. API_KEY_INVALID)."""
    return [str(d.get("reason")) for d in _error_details(body) if d.get("@type") == ERROR_INFO and d.get("reason")]


def _api_error(exc, what: str, secrets: tuple[str | None, ...]) -> BackendError:
    code = int(getattr(exc, "code", 0) or 0)
    status = getattr(exc, "status", None) or ""
    message = redact(str(getattr(exc, "message", None) or status or f"HTTP {code}"), secrets).strip()
    message = message[:500]
    body = getattr(exc, "details", None)
    said = f"{what}: the server said {code} {status}: {message}".replace("  ", " ")
    if code == 429:
        after = retry_delay(body)
        hint = f"; retry after {after:g} s" if after is not None else ""
        return BackendError(BackendErrorKind.QUOTA, f"{said} (quota or rate limit{hint})", retry_after=after)
    if code in (401, 403) or "API_KEY_INVALID" in error_reasons(body):
        return BackendError(BackendErrorKind.AUTH, f"{said} (check the API key or the account's permissions)")
    if code == 408 or code >= 500:
        return BackendError(BackendErrorKind.TRANSIENT, said)
    return BackendError(BackendErrorKind.INVALID, said)


def _transport_types() -> tuple[type[BaseException], ...]:
    types: list[type[BaseException]] = [TimeoutError, ConnectionError]
    try:
        import httpx2

        types.append(httpx2.TransportError)
    except ImportError:  # pragma: no cover - google-genai 3.x depends on httpx2
        pass
    try:
        import httpx

        types.append(httpx.TransportError)
    except ImportError:
        pass
    return tuple(types)


def to_backend_error(exc: BaseException, what: str, secrets: Iterable[str | None] = ()) -> BackendError | None:
    """The BackendError for an exception raised while doing ``what`` (e.g. "generate with gemini-2.5-flash");
    None for an exception that is not about the backend (a bug: let it propagate)."""
    from google.genai import errors as genai_errors

    secrets = tuple(secrets)
    if isinstance(exc, BackendError):
        return exc
    if isinstance(exc, genai_errors.APIError):
        return _api_error(exc, what, secrets)
    if isinstance(exc, _transport_types()):
        kind = "timed out" if "timeout" in type(exc).__name__.lower() or isinstance(exc, TimeoutError) else "failed"
        detail = redact(str(exc), secrets)[:200]
        said = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
        return BackendError(BackendErrorKind.TRANSIENT, f"{what}: the request {kind} ({said})")
    if isinstance(exc, json.JSONDecodeError):
        return BackendError(BackendErrorKind.TRANSIENT, f"{what}: the server sent a reply that is not JSON")
    try:
        from google.auth import exceptions as auth_errors

        if isinstance(exc, auth_errors.DefaultCredentialsError):
            return BackendError(
                BackendErrorKind.AUTH,
                f"{what}: no Google Cloud credentials; run `gcloud auth application-default login` "
                "or set CURATOR_VERTEX_ACCESS_TOKEN",
            )
        if isinstance(exc, auth_errors.GoogleAuthError):
            return BackendError(BackendErrorKind.AUTH, f"{what}: {redact(str(exc), secrets)[:300]}")
    except ImportError:  # pragma: no cover - google-auth comes with google-genai
        pass
    if isinstance(exc, ValueError):
        return BackendError(BackendErrorKind.UNSUPPORTED, f"{what}: {redact(str(exc), secrets)[:300]}")
    return None
