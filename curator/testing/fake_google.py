"""A fake Google server (Gemini API and Vertex AI) on 127.0.0.1, for tests and for trying the app offline.

Point the real google-genai client at it with ``HttpOptions(base_url=fake.url)``. It answers:

| call | path (after /v1, /v1beta, /v1alpha or /v1beta1) |
|---|---|
| Gemini API models list / get | GET models, GET models/{m} |
| Gemini API generate | POST models/{m}:generateContent, POST tunedModels/{id}:generateContent |
| Gemini API legacy tuned models | GET tunedModels, GET tunedModels/{id}; POST tunedModels is refused (404) |
| Gemini API Batch API (inline) | POST models/{m}:batchGenerateContent, GET batches/{id}, POST batches/{id}:cancel |
| Vertex tuning | POST/GET projects/{p}/locations/{l}/tuningJobs, GET …/tuningJobs/{id}, POST …/tuningJobs/{id}:cancel |
| Vertex generate | POST …/publishers/google/models/{m}:generateContent, POST …/endpoints/{id}:generateContent |
| Vertex experiment of a job (loss curves) | GET …/metadataStores/default/contexts…, …/tensorboards/… (fake_google_metrics) |
| Cloud Storage (``fake.gcs``) | /storage/v1/…, /upload/storage/v1/… (JSON and upload API; see fake_gcs) |

Jobs go PENDING → RUNNING → SUCCEEDED with elapsed time (``Timing``; a base model named ``*fail-tuning*``
fails half-way). A job whose training file is in the fake's Cloud Storage reports that file's example count, billable
tokens and dropped examples (not JSON, no final model turn, over ``max_example_tokens`` words), with a sample
of their lines; labels are checked as Google checks them, and the jobs list honours a ``labels.KEY=VALUE``
filter (any other filter gets a 400). Answers are deterministic: ``"{model}: {prompt}"``, cut at ``maxOutputTokens`` words less
the thinking tokens spent (reported as ``thoughtsTokenCount``); thinking budgets a model refuses get a 400.
Errors are injected by model name (for generation; for tuning, by base model):

| name contains | reply |
|---|---|
| err-429 | 429 RESOURCE_EXHAUSTED with google.rpc.RetryInfo ``retryDelay`` (``retry_delay``) |
| err-403 | 403 PERMISSION_DENIED |
| err-400-key | 400 INVALID_ARGUMENT, ErrorInfo reason API_KEY_INVALID (also for any key in ``invalid_keys``) |
| err-400 | 400 INVALID_ARGUMENT |
| err-500, err-503 | 500 INTERNAL, 503 UNAVAILABLE |
| err-timeout | no answer for ``hang`` seconds |
| flaky-N-CODE | CODE (429, 500, 503 or timeout) for the first N requests naming that model, then success |
| blocked | 200 without candidates, promptFeedback.blockReason SAFETY |

Vertex is regional: under ``{url}/{region}`` (e.g. ``/europe-west4/v1beta1/…``) the fake plays that region's
endpoint and refuses resources of another location with 400 (the real regional endpoints reject them; the
wording is the fake's); ``VertexBackend`` takes ``base_url=fake.url + "/{location}"`` for that.

Run by hand: ``python -m curator.testing.fake_google --port 8765`` prints the settings to use.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from curator.testing.fake_gcs import PREFIXES as GCS_PREFIXES
from curator.testing.fake_gcs import FakeStorage
from curator.testing import fake_google_metrics as fake_metrics
from curator.testing.fake_google_batches import FakeBatch
from curator.testing.fake_google_jobs import (ADAPTER_ORDER, ADAPTERS, TUNING_ADAPTERS, FakeTuningJob, Timing,
                                              label_problems, legacy_tuned_models, matches_filter,
                                              read_training_file)
from curator.testing.fake_google_replies import ApiError, default_answer, error_for, field, generate_reply

BASE_MODELS = ("gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro")
# an optional first segment names the region this "host" serves (http://127.0.0.1:PORT/europe-west4 stands for
# https://europe-west4-aiplatform.googleapis.com); without it the fake serves every region
_VERSION = re.compile(r"^/(?:([a-z]+(?:-[a-z]+\d+)?)/)?(v1|v1beta|v1alpha|v1beta1)/")
_VERTEX = re.compile(r"^projects/([^/]+)/locations/([^/]+)/(.+)$")
_FLAKY = re.compile(r"flaky-(\d+)-(429|500|503|timeout)")


@dataclass(frozen=True)
class Recorded:
    """One request as the fake received it (the tests read these)."""

    method: str
    path: str
    query: dict
    body: dict | None
    headers: dict


class FakeGoogle:
    """The server. Use as a context manager (``with FakeGoogle() as fake: fake.url``) or start()/stop().

    ``clock`` drives job progression (tests pass a settable one); ``latency`` delays every generation;
    ``thinking`` is what a thinking model (Gemini 2.5; a tuned model as its base) spends thinking when the
    request leaves it free (no budget: 2.5 Flash and Pro think, Flash-Lite does not), out of maxOutputTokens;
    ``responder(model, prompt)`` replaces the default answer; ``faults(n)`` names an HTTP error code (429, 500,
    503) for the n-th generation request (counting from 1), or None, to fail requests in the middle of a run.
    """

    def __init__(self, *, port: int = 0, timing: Timing = Timing(), latency: float = 0.0, retry_delay: float = 2.0,
                 hang: float = 5.0, clock: Callable[[], float] = time.monotonic,
                 responder: Callable[[str, str], str] = default_answer, examples_per_job: int = 120,
                 invalid_keys: tuple[str, ...] = ("invalid-key",), verbose: bool = False,
                 faults: Callable[[int], int | None] | None = None, thinking: int = 1000,
                 max_request_bytes: int = 20 * 1024 * 1024) -> None:
        self.thinking = thinking  # tokens a thinking model spends when free to (out of maxOutputTokens)
        self.max_request_bytes = max_request_bytes  # bodies larger than this get 400, as Google's 20 MB limit
        self.max_example_tokens = 131_072  # a training example over this many tokens (words) is dropped
        self.timing, self.latency, self.retry_delay, self.hang = timing, latency, retry_delay, hang
        self.clock, self.responder, self.examples_per_job = clock, responder, examples_per_job
        self.invalid_keys, self.verbose, self.faults = invalid_keys, verbose, faults
        self.generations = 0  # generation requests received
        self.requests: list[Recorded] = []
        self.jobs: dict[str, FakeTuningJob] = {}
        self.batches: dict[str, FakeBatch] = {}
        self.tuned_models = legacy_tuned_models(time.time())
        self.gcs = FakeStorage()  # Cloud Storage, on the same port (see fake_gcs)
        self._failures: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._next_id = 1000
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeGoogle:
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-google",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeGoogle:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def upload(self, local, uri: str) -> None:
        """Put a file in the fake's Cloud Storage at ``uri`` without a storage client (a VertexBackend
        ``uploader`` for tests): jobs trained on a file found there report its real example count, billable
        tokens and dropped examples, however it got there."""
        from pathlib import Path

        self.gcs.put(uri, Path(local).read_bytes())

    def calls(self, method: str | None = None, contains: str = "") -> list[Recorded]:
        """Recorded requests, filtered by method and a substring of the path."""
        return [r for r in self.requests if (method is None or r.method == method) and contains in r.path]

    # -- dispatch ----------------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: dict, body: dict | None) -> tuple[int, dict]:
        parts = urlsplit(raw_path)
        query = {k: v[-1] if len(v) == 1 else v for k, v in parse_qs(parts.query).items()}  # repeated: list
        with self._lock:
            self.requests.append(Recorded(method, parts.path, query, body, headers))
        try:
            match = _VERSION.match(parts.path)
            if not match:
                raise ApiError(404, f"unknown API version in {parts.path}")
            path = parts.path[match.end():]
            vertex = _VERTEX.match(path)
            if vertex:
                self._check_bearer(headers)
                self._check_region(match.group(1), vertex.group(2))
                return 200, self._vertex(method, vertex.group(1), vertex.group(2), vertex.group(3), query, body)
            self._check_key(headers, query)
            return 200, self._gemini(method, path, query, body)
        except ApiError as e:
            return e.code, e.body()

    def oversize(self, method: str, raw_path: str, headers: dict) -> tuple[int, dict]:
        """The reply to a body over ``max_request_bytes`` (recorded without its body)."""
        with self._lock:
            self.requests.append(Recorded(method, urlsplit(raw_path).path, {}, None, headers))
        return 400, ApiError(400, f"Request payload size exceeds the limit: {self.max_request_bytes} bytes.").body()

    def _check_key(self, headers: dict, query: dict) -> None:
        key = headers.get("x-goog-api-key") or query.get("key")
        if not key:
            raise ApiError(403, "Method doesn't allow unregistered callers (callers without established identity). "
                                "Please use API Key or other form of API consumer identity to call this API.")
        if key in self.invalid_keys:
            raise error_for(400, "", retry_delay=self.retry_delay, key_invalid=True)

    def _check_bearer(self, headers: dict) -> None:
        if not headers.get("authorization", "").startswith("Bearer "):
            raise ApiError(401, "Request is missing required authentication credential. Expected OAuth 2 access "
                                "token, login cookie or other valid authentication credential.")

    @staticmethod
    def _check_region(served: str | None, location: str) -> None:
        """Vertex is regional: a resource of ``location`` asked of another region's endpoint is refused (400)."""
        if served is not None and served != location:
            raise ApiError(400, f"Location {location} does not match the location {served} of the endpoint "
                                f"{served}-aiplatform.googleapis.com; send the request to "
                                f"{location}-aiplatform.googleapis.com.")

    def _inject(self, model: str) -> None:
        """Apply the error a model's name asks for (see the module table)."""
        flaky = _FLAKY.search(model)
        if flaky:
            with self._lock:
                seen = self._failures.get(model, 0)
                self._failures[model] = seen + 1
            if seen >= int(flaky.group(1)):
                return
            if flaky.group(2) == "timeout":
                self._stopped.wait(self.hang)
                return
            raise error_for(int(flaky.group(2)), model, retry_delay=self.retry_delay)
        if "err-400-key" in model:
            raise error_for(400, model, retry_delay=self.retry_delay, key_invalid=True)
        for marker, code in (("err-429", 429), ("err-403", 403), ("err-400", 400), ("err-500", 500),
                             ("err-503", 503)):
            if marker in model:
                raise error_for(code, model, retry_delay=self.retry_delay)
        if "err-timeout" in model:
            self._stopped.wait(self.hang)

    # -- generation --------------------------------------------------------------------------------

    def _generate(self, model: str, body: dict | None, base: str | None = None) -> dict:
        with self._lock:
            self.generations += 1
            n = self.generations
        code = self.faults(n) if self.faults else None
        if code:
            raise error_for(code, model, retry_delay=self.retry_delay)
        self._inject(model)
        if self.latency:
            self._stopped.wait(self.latency)
        if "blocked" in model:
            return {"promptFeedback": {"blockReason": "SAFETY"}, "modelVersion": model.rsplit("/", 1)[-1]}
        return generate_reply(model, body, self.responder, thinking=self.thinking, base=base)

    def _known_model(self, name: str) -> bool:
        return name in BASE_MODELS or any(mark in name for mark in ("err-", "flaky-", "blocked"))

    # -- Gemini API --------------------------------------------------------------------------------

    def _gemini(self, method: str, path: str, query: dict, body: dict | None) -> dict:
        if method == "GET" and path == "models":
            models = [self._gemini_model(m) for m in BASE_MODELS]
            return self._page("models", models, query)
        if method == "GET" and path.startswith("models/"):
            name = path.removeprefix("models/")
            if not self._known_model(name):
                raise ApiError(404, f"models/{name} is not found for API version v1, or is not supported.")
            return self._gemini_model(name)
        if method == "POST" and path.endswith(":generateContent"):
            model = path.removesuffix(":generateContent")
            short = model.split("/", 1)[-1]
            if model.startswith("tunedModels/"):
                tuned = self.tuned_models.get(model)
                if tuned is None or tuned.get("state") != "ACTIVE":
                    raise ApiError(404, f"{model} is not found or not active.")
            elif not model.startswith("models/") or not self._known_model(short):
                raise ApiError(404, f"{model} is not found for API version v1, or is not supported for "
                                    "generateContent.")
            return self._generate(model, body)
        if method == "POST" and path.endswith(":batchGenerateContent"):
            return self._create_batch(path.removesuffix(":batchGenerateContent"), body or {})
        if path.startswith("batches/"):
            return self._batch(method, path, body)
        if method == "GET" and path == "tunedModels":
            return self._page("tunedModels", list(self.tuned_models.values()), query)
        if method == "GET" and path.startswith("tunedModels/") and path in self.tuned_models:
            return self.tuned_models[path]
        if method == "POST" and path == "tunedModels":
            base = field(body or {}, "baseModel", default="?")
            raise ApiError(404, f"{base} is not found for API version v1, or is not supported for createTunedModel. "
                                "No Gemini API model supports tuning since May 2025; tune on Vertex AI.")
        raise ApiError(404, f"{method} {path} is not a known resource")

    def _create_batch(self, model: str, body: dict) -> dict:
        if not model.startswith("models/") or not self._known_model(model.removeprefix("models/")):
            raise ApiError(404, f"{model} is not found for API version v1beta, or is not supported for "
                                "batchGenerateContent.")
        batch = field(body, "batch", default={}) or {}
        requests = field(field(field(batch, "inputConfig", "input_config", default={}) or {}, "requests",
                               default={}) or {}, "requests", default=None)
        if not isinstance(requests, list) or not requests:
            raise ApiError(400, "batch.input_config.requests must hold at least one request")
        with self._lock:
            self._next_id += 1
            name = f"batches/{self._next_id}"
            self.batches[name] = FakeBatch(name, model, field(batch, "displayName", default="") or "", requests,
                                           self.clock(), time.time())
        return self.batches[name].to_json(self.clock(), self.timing, self._batch_answer)

    def _batch(self, method: str, path: str, body: dict | None) -> dict:
        name, _, verb = path.partition(":")
        batch = self.batches.get(name)
        if batch is None:
            raise ApiError(404, f"{name} not found")
        if method == "POST" and verb == "cancel":
            if batch.state(self.clock(), self.timing) in ("BATCH_STATE_PENDING", "BATCH_STATE_RUNNING"):
                batch.cancelled_at = self.clock()
            return {}
        if method == "GET" and not verb:
            return batch.to_json(self.clock(), self.timing, self._batch_answer)
        raise ApiError(404, f"{method} {path} is not a known resource")

    def _batch_answer(self, model: str, request: dict) -> dict:
        """One request of a batch: the model's error, or its answer (without the generation latency)."""
        self._inject(model)
        return generate_reply(model, request, self.responder, thinking=self.thinking)

    def _gemini_model(self, name: str) -> dict:
        return {"name": f"models/{name}", "displayName": name.replace("-", " ").title(), "version": "001",
                "inputTokenLimit": 1048576, "outputTokenLimit": 65536,
                "supportedGenerationMethods": ["generateContent", "countTokens", "batchGenerateContent"]}

    def _page(self, key: str, items: list, query: dict) -> dict:
        size = int(query.get("pageSize") or 50)
        start = int(query.get("pageToken") or 0)
        page = {key: items[start : start + size]}
        if start + size < len(items):
            page["nextPageToken"] = str(start + size)
        return page

    # -- Vertex ------------------------------------------------------------------------------------

    def _vertex(self, method: str, project: str, location: str, rest: str, query: dict, body: dict | None) -> dict:
        prefix = f"projects/{project}/locations/{location}"
        if rest.startswith(("metadataStores/", "tensorboards/")):
            return self._metrics(method, prefix, rest, query)
        if method == "POST" and rest.endswith(":generateContent"):
            target = rest.removesuffix(":generateContent")
            if target.startswith("publishers/google/models/"):
                short = target.removeprefix("publishers/google/models/")
                if not self._known_model(short):
                    raise ApiError(404, f"Publisher Model `{prefix}/{target}` not found.")
                base = short
            elif target.startswith("endpoints/"):
                with self._lock:
                    known = {j.endpoint(): j.base_model for j in self.jobs.values()
                             if j.state(self.clock(), self.timing)[0] == "JOB_STATE_SUCCEEDED"}
                if f"{prefix}/{target}" not in known:
                    raise ApiError(404, f"Endpoint `{prefix}/{target}` not found.")
                base = known[f"{prefix}/{target}"]  # a tuned model thinks as its base model does
            else:
                raise ApiError(404, f"{target} is not a model or an endpoint")
            return self._generate(f"{prefix}/{target}", body, base)
        if rest == "tuningJobs" and method == "POST":
            return self._create_job(prefix, body or {})
        if rest == "tuningJobs" and method == "GET":
            now = self.clock()
            with self._lock:
                mine = [j for j in self.jobs.values() if j.name.startswith(prefix + "/")]
            if query.get("filter"):
                try:
                    mine = [j for j in mine if matches_filter(j.labels, query["filter"])]
                except ValueError as e:
                    raise ApiError(400, f"Invalid filter {query['filter']!r}: {e}.") from None
            jobs = [j.to_json(now, self.timing) for j in mine]
            return self._page("tuningJobs", jobs[::-1], query)
        match = re.fullmatch(r"tuningJobs/(\d+)(:cancel)?", rest)
        if match:
            with self._lock:
                job = self.jobs.get(f"{prefix}/tuningJobs/{match.group(1)}")
            if job is None:
                raise ApiError(404, f"TuningJob {prefix}/{rest.removesuffix(':cancel')} not found.")
            now = self.clock()
            if match.group(2) and method == "POST":
                if job.terminal(now, self.timing) or job.cancelled_at is not None:
                    raise ApiError(400, f"Tuning job {job.name} is in state "
                                        f"{job.state(now, self.timing)[0]} and cannot be cancelled.")
                job.cancelled_at = now
                return {}
            if method == "GET":
                return job.to_json(now, self.timing)
        raise ApiError(404, f"{method} {prefix}/{rest} is not a known resource")

    def _metrics(self, method: str, prefix: str, rest: str, query: dict) -> dict:
        """A job's Vertex AI Experiment and its TensorBoard loss series (see fake_google_metrics)."""
        now = self.clock()
        with self._lock:
            job_for = {name: job for job in self.jobs.values() for name in fake_metrics.names(job).values()}

        def completed(job: FakeTuningJob) -> int | None:
            state, _, done = job.state(now, self.timing)
            return None if state == "JOB_STATE_PENDING" else int(done * job.steps)

        return fake_metrics.serve(job_for, completed, method, prefix, rest, query)

    def _create_job(self, prefix: str, body: dict) -> dict:
        base = field(body, "baseModel", default="")
        if not base:
            raise ApiError(400, "base_model is required.")
        self._inject(base)
        spec = field(body, "supervisedTuningSpec", default=None)
        if not isinstance(spec, dict):
            raise ApiError(400, "supervised_tuning_spec is required for a Gemini model.")
        training = field(spec, "trainingDatasetUri", "training_dataset_uri", default="")
        validation = field(spec, "validationDatasetUri", "validation_dataset_uri")
        for uri in (training, validation):
            if uri is not None and not str(uri).startswith("gs://"):
                raise ApiError(400, f"Dataset URI {uri!r} must be a Cloud Storage URI (gs://bucket/file.jsonl).")
        hyper = field(spec, "hyperParameters", "hyper_parameters", default={}) or {}
        adapter = field(hyper, "adapterSize", "adapter_size")
        if adapter is not None and adapter not in ADAPTERS:
            raise ApiError(400, f"Invalid adapter size {adapter!r}.")
        allowed = next((sizes for prefix, sizes in sorted(TUNING_ADAPTERS.items(), key=lambda kv: -len(kv[0]))
                        if base.rsplit("/", 1)[-1].startswith(prefix)), None)
        if adapter is not None and allowed is not None and adapter not in allowed:
            raise ApiError(400, f"Adapter size {adapter} is not supported for base model {base}. Supported adapter "
                                f"sizes: {', '.join(sorted(allowed, key=ADAPTER_ORDER.index))}.")
        display = field(body, "tunedModelDisplayName", "tuned_model_display_name") or ""
        if len(display) > 128:
            raise ApiError(400, f"tuned_model_display_name is {len(display)} characters long; the maximum is 128.")
        epochs = int(field(hyper, "epochCount", "epoch_count", default=3))
        if not 1 <= epochs <= 100:
            raise ApiError(400, f"epoch_count must be between 1 and 100, got {epochs}.")
        labels = field(body, "labels", default={}) or {}
        problem = label_problems(labels)
        if problem:
            raise ApiError(400, f"Invalid labels: {problem}.")
        uploaded = self.gcs.get(training)
        data = read_training_file(uploaded, self.max_example_tokens) if uploaded is not None else None
        with self._lock:
            self._next_id += 1
            name = f"{prefix}/tuningJobs/{self._next_id}"
            job = FakeTuningJob(
                name, base, field(body, "tunedModelDisplayName"), epochs, training, validation, hyper, self.clock(),
                time.time(), examples=data.examples if data else self.examples_per_job, fail="fail-tuning" in base,
                labels=labels, data=data,
            )
            self.jobs[name] = job
        return job.to_json(self.clock(), self.timing)


def _handler_for(fake: FakeGoogle) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes: without this, each reply
        # waits for the client's delayed ACK (~40 ms), which real servers do not make clients pay

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            if self.path.startswith(GCS_PREFIXES):
                self._send(*fake.gcs.handle(method, self.path, headers, raw, fake.url))
                return
            if length > fake.max_request_bytes:  # Google refuses a request (e.g. a batch) over 20 MB
                self._reply(*fake.oversize(method, self.path, headers))
                return
            try:
                body = json.loads(raw) if raw.strip() else None
            except json.JSONDecodeError:
                code, reply = 400, ApiError(400, "Invalid JSON payload received.").body()
            else:
                code, reply = fake.handle(method, self.path, headers, body)
            self._reply(code, reply)

        def _reply(self, code: int, reply: dict) -> None:
            self._send(code, {"Content-Type": "application/json; charset=UTF-8"}, json.dumps(reply).encode())

        def _send(self, code: int, headers: dict, data: bytes) -> None:
            try:
                self.send_response(code)
                for name, value in headers.items():
                    if name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

        def do_PUT(self) -> None:  # noqa: N802 - Cloud Storage's resumable uploads
            self._serve("PUT")

        def log_message(self, format: str, *args) -> None:  # noqa: A002
            if fake.verbose:  # the request line only: no headers, so no key
                super().log_message(format, *args)

    return Handler


def main(argv: list[str] | None = None) -> int:
    """Run the fake server in the foreground until Ctrl+C."""
    parser = argparse.ArgumentParser(prog="python -m curator.testing.fake_google", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--speed", type=float, default=1.0, help="tuning jobs run this many times faster")
    parser.add_argument("--pending", type=float, default=5.0, help="seconds a job stays pending (at speed 1)")
    parser.add_argument("--running", type=float, default=60.0, help="seconds a job runs (at speed 1)")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds each generation takes")
    parser.add_argument("--retry-delay", type=float, default=2.0, help="retryDelay of injected 429 errors")
    parser.add_argument("--quiet", action="store_true", help="do not print each request")
    args = parser.parse_args(argv)
    timing = Timing(pending=args.pending, running=args.running, speed=args.speed)
    fake = FakeGoogle(port=args.port, timing=timing, latency=args.latency, retry_delay=args.retry_delay,
                      verbose=not args.quiet)
    with fake:
        print(f"fake Google server on {fake.url}  (Ctrl+C stops it)\n"
              f"  Gemini API:  export GEMINI_API_KEY=fake GOOGLE_GEMINI_BASE_URL={fake.url}\n"
              f"  Vertex AI:   export GOOGLE_CLOUD_PROJECT=demo GOOGLE_CLOUD_LOCATION=us-central1 "
              f"GOOGLE_VERTEX_BASE_URL={fake.url} CURATOR_VERTEX_ACCESS_TOKEN=fake CURATOR_GCS_ENDPOINT={fake.url}\n"
              f"  models: {', '.join(BASE_MODELS)}; errors by name: err-429, err-403, err-400-key, err-500, "
              "err-timeout, flaky-2-429; a base model named *fail-tuning* fails", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
