"""Cloud Storage's JSON and upload API as the fake Google server serves it (google-cloud-storage reaches it with
``client_options={"api_endpoint": fake.url}``).

| call | path |
|---|---|
| bucket get | GET /storage/v1/b/{bucket} |
| object metadata / media | GET /storage/v1/b/{bucket}/o/{object} (``?alt=media`` for the bytes), GET /download/storage/v1/… |
| multipart upload | POST /upload/storage/v1/b/{bucket}/o?uploadType=multipart (multipart/related: JSON metadata, content) |
| resumable upload | POST …/o?uploadType=resumable (Location header), then PUT chunks with Content-Range (308 until done) |

As Cloud Storage does: no Bearer token → 401; a bucket in ``forbidden`` → 403 naming the missing permission;
a bucket that does not exist → 404 "The specified bucket does not exist."; a crc32c or md5 sent with an upload
that does not match the bytes → 400; objects come back with ``size`` as a string and base64 ``crc32c``/``md5Hash``.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qs, quote, unquote, urlsplit

PREFIXES = ("/storage/v1/", "/upload/storage/v1/", "/download/storage/v1/")
_RANGE = re.compile(r"^bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)$")


def crc32c(data: bytes) -> str:
    """The base64 big-endian CRC32C Cloud Storage reports."""
    import google_crc32c

    return base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode()


def md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def _error(code: int, message: str, reason: str) -> tuple[int, dict, bytes]:
    body = {"error": {"code": code, "message": message, "errors": [{"message": message, "domain": "global",
                                                                      "reason": reason}]}}
    return code, {"Content-Type": "application/json; charset=UTF-8"}, json.dumps(body).encode()


def _json(data: dict, code: int = 200, headers: dict | None = None) -> tuple[int, dict, bytes]:
    return code, {"Content-Type": "application/json; charset=UTF-8", **(headers or {})}, json.dumps(data).encode()


@dataclass
class _Session:
    bucket: str
    name: str
    content_type: str
    data: bytearray = field(default_factory=bytearray)


class FakeStorage:
    """Buckets of objects. ``buckets`` maps a bucket to its objects (name → bytes); ``forbidden`` lists buckets
    the caller may not write or read (403); ``tokens`` are the Bearer tokens seen, for tests to check."""

    def __init__(self, buckets: tuple[str, ...] = ("curator-staging",)) -> None:
        self.buckets: dict[str, dict[str, bytes]] = {b: {} for b in buckets}
        self.forbidden: set[str] = set()
        self.tokens: list[str] = []
        self._sessions: dict[str, _Session] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def put(self, uri: str, data: bytes) -> None:
        """Store ``data`` at ``gs://bucket/name`` (creating the bucket), as a job writing its output would."""
        bucket, _, name = uri.removeprefix("gs://").partition("/")
        with self._lock:
            self.buckets.setdefault(bucket, {})[name] = data

    def get(self, uri: str) -> bytes | None:
        bucket, _, name = uri.removeprefix("gs://").partition("/")
        return self.buckets.get(bucket, {}).get(name)

    def handle(self, method: str, raw_path: str, headers: dict, raw: bytes, base_url: str) -> tuple[int, dict, bytes]:
        """(status, headers, body) for one request; ``headers`` have lower-case names."""
        parts = urlsplit(raw_path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return _error(401, "Anonymous caller does not have storage.objects.create access to the Google Cloud "
                               "Storage object. Permission 'storage.objects.create' denied on resource (or it may "
                               "not exist).", "required")
        with self._lock:
            self.tokens.append(auth.removeprefix("Bearer "))
        path = parts.path
        if method == "PUT" and path.startswith("/upload/storage/v1/") and "upload_id" in query:
            return self._chunk(query["upload_id"], headers, raw)
        match = re.fullmatch(r"/(?:upload/|download/)?storage/v1/b/([^/]+)(?:/o(?:/(.+))?)?", path)
        if not match:
            return _error(404, f"Not Found: {method} {path}", "notFound")
        bucket, name = match.group(1), unquote(match.group(2)) if match.group(2) else None
        verb = "create" if method == "POST" else "get"
        if bucket not in self.buckets:
            return _error(404, "The specified bucket does not exist.", "notFound")
        if bucket in self.forbidden:
            what = "storage.objects." + verb if name or method == "POST" else "storage.buckets.get"
            return _error(403, f"caller does not have {what} access to the Google Cloud Storage "
                               f"{'bucket' if what.startswith('storage.buckets') else 'object'}. Permission "
                               f"'{what}' denied on resource (or it may not exist).", "forbidden")
        if method == "POST" and path.startswith("/upload/"):
            kind = query.get("uploadType")
            target = query.get("name")
            if kind == "multipart":
                return self._multipart(bucket, headers, raw)
            if kind == "resumable":
                return self._start_resumable(bucket, target, headers, raw, base_url)
            return _error(400, f"Unsupported uploadType {kind!r}.", "invalid")
        if method == "GET" and name is None:
            return _json({"kind": "storage#bucket", "id": bucket, "name": bucket, "location": "US-CENTRAL1"})
        if method == "GET":
            data = self.buckets[bucket].get(name)
            if data is None:
                return _error(404, f"No such object: {bucket}/{name}", "notFound")
            if query.get("alt") == "media":
                return 200, {"Content-Type": "application/octet-stream", "x-goog-hash":
                             f"crc32c={crc32c(data)},md5={md5(data)}"}, data
            return _json(self._resource(bucket, name, data, "application/octet-stream"))
        return _error(405, f"{method} is not allowed on {path}", "invalid")

    # -- uploads -----------------------------------------------------------------------------------

    def _resource(self, bucket: str, name: str, data: bytes, content_type: str) -> dict:
        return {"kind": "storage#object", "id": f"{bucket}/{name}/1", "name": name, "bucket": bucket,
                "size": str(len(data)), "contentType": content_type, "crc32c": crc32c(data), "md5Hash": md5(data),
                "generation": "1", "metageneration": "1",
                "selfLink": f"/storage/v1/b/{bucket}/o/{quote(name, safe='')}"}

    def _store(self, bucket: str, name: str, data: bytes, content_type: str, sent: dict) -> tuple[int, dict, bytes]:
        for key, digest in (("crc32c", crc32c), ("md5Hash", md5)):
            if sent.get(key) and sent[key] != digest(data):
                return _error(400, f"Provided {key.upper().removesuffix('HASH')} \"{sent[key]}\" doesn't match "
                                   f"calculated \"{digest(data)}\".", "invalid")
        with self._lock:
            self.buckets[bucket][name] = data
        return _json(self._resource(bucket, name, data, content_type))

    def _multipart(self, bucket: str, headers: dict, raw: bytes) -> tuple[int, dict, bytes]:
        head = f"Content-Type: {headers.get('content-type', '')}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + raw)
        parts = list(message.iter_parts()) if message.is_multipart() else []
        if len(parts) != 2:
            return _error(400, "Multipart upload must have a metadata part and a media part.", "invalid")
        meta = json.loads(parts[0].get_payload(decode=True) or b"{}")
        if not meta.get("name"):
            return _error(400, "Required object name is missing.", "required")
        data = parts[1].get_payload(decode=True) or b""
        return self._store(bucket, meta["name"], data, parts[1].get_content_type(), meta)

    def _start_resumable(self, bucket: str, name: str | None, headers: dict, raw: bytes,
                         base_url: str) -> tuple[int, dict, bytes]:
        meta = json.loads(raw or b"{}")
        name = meta.get("name") or name
        if not name:
            return _error(400, "Required object name is missing.", "required")
        upload_id = f"fake-upload-{next(self._ids)}"
        with self._lock:
            self._sessions[upload_id] = _Session(bucket, name, headers.get("x-upload-content-type",
                                                                           "application/octet-stream"))
        location = f"{base_url}/upload/storage/v1/b/{bucket}/o?uploadType=resumable&upload_id={upload_id}"
        return 200, {"Location": location, "Content-Length": "0"}, b""

    def _chunk(self, upload_id: str, headers: dict, raw: bytes) -> tuple[int, dict, bytes]:
        session = self._sessions.get(upload_id)
        if session is None:
            return _error(404, "No such upload session.", "notFound")
        match = _RANGE.match(headers.get("content-range", ""))
        if not match:
            return _error(400, "Content-Range header is missing or malformed.", "invalid")
        if match.group(1) is not None:
            if int(match.group(1)) != len(session.data):
                return _error(400, "Content-Range does not continue the bytes received.", "invalid")
            session.data.extend(raw)
        total = match.group(3)
        if total != "*" and len(session.data) == int(total):
            with self._lock:
                del self._sessions[upload_id]
            sent = dict(p.split("=", 1) for p in headers.get("x-goog-hash", "").split(",") if "=" in p)
            return self._store(session.bucket, session.name, bytes(session.data), session.content_type,
                               {"crc32c": sent.get("crc32c"), "md5Hash": sent.get("md5")})
        extra = {"Range": f"bytes=0-{len(session.data) - 1}"} if session.data else {}
        return 308, {"Content-Length": "0", **extra}, b""
